/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  assertValidEnvironments,
  DEFAULT_ENVIRONMENTS,
} from '@ml-gitops/plugin-ml-gitops-common';

/**
 * A model registry from `mlGitops.registries`.
 *
 * @public
 */
export type MlGitopsRegistryConfig = {
  name: string;
  type: string;
  /** Base URL without a trailing slash. */
  url: string;
  /** A bearer token; never together with `username`. */
  token?: string;
  /**
   * HTTP Basic credentials, what MLflow's basic-auth app
   * (`mlflow server --app-name basic-auth`) takes: both or neither.
   */
  username?: string;
  password?: string;
  /**
   * `timeout`: the longest one request to this registry may take, over
   * mlGitops.requestTimeout. An addition to the design contract.
   */
  timeoutMs?: number;
};

/**
 * The keys of the `mlGitops` configuration that the backend plugin and the
 * scaffolder actions both read, with defaults applied.
 *
 * @public
 */
export type MlGitopsSharedConfig = {
  /** Promotion order; each is a branch of every config repo. */
  environments: string[];
  registries: MlGitopsRegistryConfig[];
  /**
   * `mlGitops.allowedOwners`: when set, the only GitHub organisations or
   * users (`acme`, or `ghe.example.com/acme` for one host) whose repos may
   * be config repos. Unset: any repo the integration can reach.
   */
  allowedOwners?: string[];
};

/** A GitHub login: letters, digits and single hyphens, at most 39. */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

function readAllowedOwners(config: Config | undefined): string[] | undefined {
  if (!config?.has('allowedOwners')) return undefined;
  const owners = config.getStringArray('allowedOwners');
  if (owners.length === 0) {
    throw new Error(
      'mlGitops.allowedOwners is empty, which would refuse every config repo; list the GitHub organisations or users whose repos may be config repos (e.g. [acme]), or remove the key',
    );
  }
  return owners.map((entry, index) => {
    const parts = entry.trim().split('/');
    const login = parts[parts.length - 1];
    const host = parts.length === 2 ? parts[0] : undefined;
    if (
      parts.length > 2 ||
      !GITHUB_LOGIN.test(login) ||
      (host !== undefined && !/^[A-Za-z0-9.-]+(?::\d+)?$/.test(host))
    ) {
      throw new Error(
        `mlGitops.allowedOwners[${index}] is "${entry}"; write a GitHub organisation or user such as acme, or host/owner such as ghe.example.com/acme`,
      );
    }
    return (host ? `${host}/${login}` : login).toLowerCase();
  });
}

function absoluteHttpUrl(value: string, key: string, example: string) {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.username || url.password)) {
    throw new Error(
      `${key} must not carry credentials in the URL; put them in the token key, or the username and password keys`,
    );
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(
      `${key} must be an absolute http(s) URL such as ${example}, got "${value}"`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** A registry's `timeout`: a duration (`{ seconds: 30 }`, ISO 8601, `30s`). */
function readRegistryTimeoutMs(registry: Config, key: string): number {
  let ms: number;
  try {
    ms = durationToMilliseconds(
      readDurationFromConfig(registry, { key: 'timeout' }),
    );
  } catch (error) {
    throw new Error(
      `${key} is not a duration (${
        (error as Error).message
      }); write e.g. { seconds: 30 } or 30s`,
    );
  }
  if (!(ms > 0)) {
    throw new Error(`${key} must be a positive duration, e.g. { seconds: 30 }`);
  }
  return ms;
}

/**
 * Reads `mlGitops.environments` and `mlGitops.registries`: the one reader
 * of these keys for the ml-gitops backend and the scaffolder actions, so
 * both agree on defaults and checks. Throws an error naming the key to fix.
 *
 * @public
 */
export function readMlGitopsSharedConfig(
  rootConfig: Config,
): MlGitopsSharedConfig {
  const config = rootConfig.getOptionalConfig('mlGitops');
  const environments = assertValidEnvironments(
    config?.getOptional('environments') ?? [...DEFAULT_ENVIRONMENTS],
  );
  const seen = new Set<string>();
  const registries = (config?.getOptionalConfigArray('registries') ?? []).map(
    (registry, index) => {
      const key = `mlGitops.registries[${index}]`;
      const name = registry.getString('name');
      if (seen.has(name)) {
        throw new Error(`mlGitops.registries lists the name "${name}" twice`);
      }
      seen.add(name);
      const token = registry.getOptionalString('token') || undefined;
      const username = registry.getOptionalString('username') || undefined;
      const password = registry.getOptionalString('password') || undefined;
      const named = `mlGitops.registries[${index}] ("${name}")`;
      if (token && (username || password)) {
        throw new Error(
          `${named} sets both token and username/password; keep one: username and password for MLflow's basic-auth app, token for a server that takes bearer tokens`,
        );
      }
      if (registry.getString('type') === 'kubeflow' && username) {
        throw new Error(
          `${named} sets username/password, which the Kubeflow Model Registry does not take; set token to a bearer token its auth proxy accepts`,
        );
      }
      if ((username === undefined) !== (password === undefined)) {
        throw new Error(
          `${named} sets ${username ? 'username' : 'password'} without ${
            username ? 'password' : 'username'
          }; MLflow's basic-auth app needs both`,
        );
      }
      if (username?.includes(':')) {
        throw new Error(
          `${named}.username must not contain ":" (HTTP Basic credentials cannot carry it)`,
        );
      }
      return {
        name,
        type: registry.getString('type'),
        url: absoluteHttpUrl(
          registry.getString('url'),
          `${key}.url`,
          'https://mlflow.example.com',
        ),
        ...(token ? { token } : {}),
        ...(username && password ? { username, password } : {}),
        ...(registry.has('timeout')
          ? { timeoutMs: readRegistryTimeoutMs(registry, `${key}.timeout`) }
          : {}),
      };
    },
  );
  const allowedOwners = readAllowedOwners(config);
  return {
    environments,
    registries,
    ...(allowedOwners ? { allowedOwners } : {}),
  };
}

/**
 * An Argo CD instance from `mlGitops.argocd.instances`.
 *
 * @public
 */
export type MlGitopsArgoCdInstanceConfig = {
  name: string;
  /** Base URL without a trailing slash. */
  url: string;
  /** A bearer token of an Argo CD account; else `username` and `password`. */
  token?: string;
  /** Credentials for a session (`POST /api/v1/session`), when no token is given. */
  username?: string;
  password?: string;
  /** Only these Argo CD projects are listed by the backend. */
  projects?: string[];
};

/**
 * Reads `mlGitops.argocd.instances`: the one reader of these keys for the
 * backend (which polls the instances) and the scaffolder actions (which
 * register a new config repo's Applications). Every instance needs a token,
 * or a username and password; names are unique. Throws an error naming the
 * key to fix.
 *
 * @public
 */
export function readArgoCdInstancesConfig(
  rootConfig: Config,
): MlGitopsArgoCdInstanceConfig[] {
  const seen = new Set<string>();
  return (
    rootConfig.getOptionalConfigArray('mlGitops.argocd.instances') ?? []
  ).map((instance, index) => {
    const key = `mlGitops.argocd.instances[${index}]`;
    const token = instance.getOptionalString('token') || undefined;
    const username = instance.getOptionalString('username');
    const password = instance.getOptionalString('password');
    if (!token && !(username && password)) {
      throw new Error(
        `${key} needs either token or username and password to reach Argo CD`,
      );
    }
    const name = instance.getString('name');
    if (seen.has(name)) {
      throw new Error(
        `mlGitops.argocd.instances lists the name "${name}" twice`,
      );
    }
    seen.add(name);
    return {
      name,
      url: absoluteHttpUrl(
        instance.getString('url'),
        `${key}.url`,
        'https://argocd.example.com',
      ),
      token,
      username,
      password,
      projects: instance.getOptionalStringArray('projects'),
    };
  });
}
