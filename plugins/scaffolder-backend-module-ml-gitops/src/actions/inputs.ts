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

import { makeValidator, parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  manifestPathProblem,
  modelVersionSchema,
} from '@ml-gitops/plugin-ml-gitops-common';
import { MlGitopsActionsConfig } from './config';

/*
 * The checks every action runs on its input before it touches Git. The
 * scaffolder validates the types against the schema; these checks refuse
 * the values a schema cannot describe well (paths escaping the repo, text
 * that would inject YAML, names Git or Kubernetes refuse) with a message
 * that says what to fix. The schema fields themselves are in inputFields.ts.
 */

/** The longest registry version id (`modelVersionSchema`). */
export const VERSION_MAX_LENGTH = 63;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Bidirectional overrides and invisible characters that disguise text. */
const DISGUISE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Refuses anything but a string of plain, visible text up to `max` characters. */
export function checkText(value: unknown, field: string, max = 1024): string {
  if (typeof value !== 'string') {
    throw new InputError(`${field} must be a string, got ${typeName(value)}`);
  }
  if (value.length > max) {
    throw new InputError(
      `${field} is ${value.length} characters long; at most ${max} are allowed`,
    );
  }
  if (CONTROL.test(value) || DISGUISE.test(value)) {
    throw new InputError(
      `${field} contains control, invisible or text-direction characters; type it as plain text`,
    );
  }
  return value;
}

/** Like {@link checkText}, also refusing an empty or blank value. */
export function checkNonEmptyText(
  value: unknown,
  field: string,
  max = 1024,
): string {
  const text = checkText(value, field, max);
  if (!text.trim()) {
    throw new InputError(`${field} is empty; give a value`);
  }
  return text;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

const entityValidator = makeValidator();

/** A full entity reference such as component:default/fraud-detector. */
export function checkEntityRef(value: unknown, field = 'entityRef'): string {
  const text = checkNonEmptyText(value, field, 400);
  let ref;
  try {
    ref = parseEntityRef(text);
  } catch {
    ref = undefined;
  }
  if (
    !ref ||
    !entityValidator.isValidKind(ref.kind) ||
    !entityValidator.isValidNamespace(ref.namespace) ||
    !entityValidator.isValidEntityName(ref.name)
  ) {
    throw new InputError(
      `${field} ${JSON.stringify(
        text,
      )} is not an entity reference; pick the model's component, e.g. component:default/fraud-detector`,
    );
  }
  return text;
}

/**
 * A file path inside the config repo ({@link manifestPathProblem}: the rule
 * the backend applies to the ml-gitops/manifest-path annotation too).
 */
export function checkManifestPath(
  value: unknown,
  field = 'manifestPath',
): string {
  const text = checkNonEmptyText(value, field, 255);
  const problem = manifestPathProblem(text);
  if (problem) {
    throw new InputError(`${field} ${JSON.stringify(text)} ${problem}`);
  }
  return text;
}

/**
 * The URL when `text` is an absolute URL with one of `protocols` and no
 * credentials in it; otherwise undefined.
 */
export function credentialFreeUrl(
  text: string,
  protocols = ['https:', 'http:'],
): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!protocols.includes(url.protocol) || url.username || url.password) {
    return undefined;
  }
  return url;
}

/** A URL for an error message, with any user name and password in it masked. */
export function redactUrl(text: string): string {
  return JSON.stringify(
    text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@'),
  );
}

const GITHUB_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * A config repo URL as a person or the RepoUrlPicker gives it. Refuses
 * credentials in the URL (they belong in the integration), query strings
 * and fragments on https URLs, and owner or repository names GitHub does
 * not allow. The host is checked against the integrations when the URL is
 * resolved.
 */
export function checkRepoUrl(value: unknown, field = 'repoUrl'): string {
  const text = checkNonEmptyText(value, field, 2048);
  if (/\s|\\/.test(text) || /(^|\/)\.\.?(\/|$)/.test(text)) {
    throw new InputError(
      `${field} ${redactUrl(
        text,
      )} contains white space, "\\" or a "." / ".." path segment; give e.g. https://github.com/acme/fraud-detector-config`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InputError(
        `${field} ${redactUrl(
          text,
        )} is not a URL; give e.g. https://github.com/acme/fraud-detector-config`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new InputError(
        `${field} must be an https URL of the config repo, got the scheme ${url.protocol}`,
      );
    }
    if (url.username || url.password) {
      throw new InputError(
        `${field} must not carry credentials; remove them from the URL (the Git host's token comes from the integrations config)`,
      );
    }
    if (url.search || url.hash) {
      throw new InputError(
        `${field} ${redactUrl(
          text,
        )} has a query or fragment; give the repository URL only, e.g. https://github.com/acme/fraud-detector-config`,
      );
    }
  } else if (/@/.test(text.split('?')[0])) {
    throw new InputError(
      `${field} must not carry credentials; remove them from the URL (the Git host's token comes from the integrations config)`,
    );
  }
  return text;
}

/** Owner and repository names as GitHub allows them. */
export function checkRepoNames(owner: string, repo: string, url: string) {
  if (
    !GITHUB_NAME.test(owner) ||
    !/^[A-Za-z0-9-]+$/.test(owner) ||
    !GITHUB_NAME.test(repo) ||
    repo === '.' ||
    repo === '..'
  ) {
    throw new InputError(
      `The config repo ${JSON.stringify(
        url,
      )} does not name a GitHub owner and repository: the owner is letters, digits and "-", the repository letters, digits, "_", "-" and "."`,
    );
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS-1123 label: Kubernetes namespaces and most object names. */
export function checkDnsLabel(
  value: unknown,
  field: string,
  what = 'Kubernetes name',
): string {
  const text = checkNonEmptyText(value, field, 63);
  if (!DNS_LABEL.test(text)) {
    throw new InputError(
      `${field} ${JSON.stringify(
        text,
      )} is not a valid ${what}: at most 63 lower-case letters, digits and "-", starting and ending alphanumeric`,
    );
  }
  return text;
}

/** A DNS-1123 subdomain: dot-separated DNS labels, at most 253 characters. */
export function checkDnsSubdomain(
  value: unknown,
  field: string,
  what = 'Kubernetes name',
): string {
  const text = checkNonEmptyText(value, field, 253);
  if (!text.split('.').every(label => DNS_LABEL.test(label))) {
    throw new InputError(
      `${field} ${JSON.stringify(
        text,
      )} is not a valid ${what}: lower-case letters, digits, "-" and ".", each dot-separated part starting and ending alphanumeric`,
    );
  }
  return text;
}

const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const GITHUB_TEAM =
  /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** GitHub takes at most this many review requests on a pull request. */
const MAX_REVIEWERS = 15;

/** Reviewers as GitHub logins or org/team-slug, at most 15, without repeats. */
export function checkReviewers(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new InputError(
      'reviewers must be a list of GitHub logins or org/team-slug',
    );
  }
  if (value.length > MAX_REVIEWERS) {
    throw new InputError(
      `reviewers lists ${value.length} reviewers; GitHub takes at most ${MAX_REVIEWERS}`,
    );
  }
  const bad = value.filter(
    r =>
      typeof r !== 'string' || !(GITHUB_LOGIN.test(r) || GITHUB_TEAM.test(r)),
  );
  if (bad.length > 0) {
    throw new InputError(
      `reviewers ${bad
        .map(r => JSON.stringify(String(r).slice(0, 100)))
        .join(
          ', ',
        )} are not GitHub logins or teams; use e.g. alice or acme/ml-platform`,
    );
  }
  return [...new Set(value as string[])];
}

/** Refuses an environment not in the configured promotion order. */
export function checkEnvironment(
  config: MlGitopsActionsConfig,
  environment: unknown,
  field: string,
): string {
  checkText(environment, field, 100);
  if (!config.environments.includes(environment as string)) {
    throw new InputError(
      `${field} "${environment}" is not a configured environment; choose one of ${config.environments.join(
        ', ',
      )} (mlGitops.environments)`,
    );
  }
  return environment as string;
}

/** The `environment` input of an action: one of the configured environments. */
export function checkEnvironmentInput(
  config: MlGitopsActionsConfig,
  input: { environment?: unknown },
): string {
  return checkEnvironment(config, input.environment, 'environment');
}

/** Refuses anything but a registry version id. */
export function checkVersion(version: unknown, field = 'version'): string {
  checkText(version, field, VERSION_MAX_LENGTH);
  if (!modelVersionSchema.safeParse(version).success) {
    throw new InputError(
      `${field} ${JSON.stringify(
        version,
      )} is not a registry version id: use 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (e.g. "13")`,
    );
  }
  return version as string;
}
