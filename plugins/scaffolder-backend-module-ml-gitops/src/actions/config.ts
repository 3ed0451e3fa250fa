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

import { Config } from '@backstage/config';
import type { ModelRegistryClient } from '@ml-gitops/plugin-ml-gitops-common';
import {
  MlGitopsArgoCdInstanceConfig,
  MlGitopsRegistryConfig,
  MlGitopsSharedConfig,
  readArgoCdInstancesConfig,
  readMlGitopsSharedConfig,
} from '@ml-gitops/plugin-ml-gitops-node';
import { credentialFreeUrl, redactUrl } from './inputs';

/** A model registry the actions may ask about versions and metrics. @public */
export type ActionsRegistryConfig = MlGitopsRegistryConfig;

/** How `ml-gitops:secret:seal` finds each environment's certificate. @public */
export type SealedSecretsActionsConfig = {
  /**
   * The Sealed Secrets controller's certificate URL (its `/v1/cert.pem`)
   * for every environment without one of its own
   * (`mlGitops.sealedSecrets.certificateUrl`).
   */
  certificateUrl?: string;
  /**
   * Per environment, the certificate URL of the cluster that environment
   * runs in (`mlGitops.sealedSecrets.environments.<env>.certificateUrl`).
   */
  environments?: Record<string, { certificateUrl: string }>;
  /**
   * Whether a step may seal with a certificate PEM it passes itself
   * (`certificate`) instead of the configured one
   * (`mlGitops.sealedSecrets.allowPastedCertificate`, default false).
   */
  allowPastedCertificate?: boolean;
};

/** The part of the `mlGitops` configuration the scaffolder actions use. @public */
export type MlGitopsActionsConfig = MlGitopsSharedConfig & {
  sealedSecrets?: SealedSecretsActionsConfig;
  /**
   * The GitHub App that must set the validate check on a new config repo's
   * branches (`mlGitops.validateCheckAppId`); see `validateCheckAppId`.
   */
  validateCheckAppId?: number;
  /**
   * The Argo CD instances of `mlGitops.argocd.instances` (the backend polls
   * the same ones); `ml-gitops:config-repo:create` registers a new config
   * repo's Applications with one of them.
   */
  argocd?: MlGitopsArgoCdInstanceConfig[];
  /**
   * The clusters of `mlGitops.flux.clusters` (the backend reads Flux on the
   * same ones); `ml-gitops:config-repo:create` registers a new config repo's
   * Flux objects on one of them.
   */
  fluxClusters?: string[];
  /**
   * Clients of registries whose type is not built in, by registry name: not
   * read from app-config but added by backend modules through
   * `mlGitopsRegistryClientsExtensionPoint`.
   */
  registryClients?: ReadonlyMap<string, ModelRegistryClient>;
};

/**
 * GitHub Actions' app id on github.com: the app whose token a workflow's
 * GITHUB_TOKEN is, so the one that sets the validate check.
 */
export const GITHUB_ACTIONS_APP_ID = 15368;

/**
 * Which app branch protection requires the validate check from, on a repo
 * of `host`: the configured `mlGitops.validateCheckAppId`, else GitHub
 * Actions on github.com; elsewhere (GitHub Enterprise Server, whose Actions
 * app has its own id) none unless configured, which lets any writer set it.
 */
export function validateCheckAppId(
  config: MlGitopsActionsConfig,
  host: string,
): number | undefined {
  if (config.validateCheckAppId !== undefined) return config.validateCheckAppId;
  return host === 'github.com' ? GITHUB_ACTIONS_APP_ID : undefined;
}

/** Where one environment's certificate comes from: its URL and the key that set it. */
export type CertificateSource = { url: string; configKey: string };

/**
 * The configured certificate of an environment: its own
 * `sealedSecrets.environments.<env>.certificateUrl`, else the default
 * `sealedSecrets.certificateUrl`, else none.
 */
export function certificateSource(
  config: MlGitopsActionsConfig,
  environment: string,
): CertificateSource | undefined {
  const own = config.sealedSecrets?.environments?.[environment]?.certificateUrl;
  if (own) {
    return {
      url: own,
      configKey: `mlGitops.sealedSecrets.environments.${environment}.certificateUrl`,
    };
  }
  const fallback = config.sealedSecrets?.certificateUrl;
  if (fallback) {
    return {
      url: fallback,
      configKey: 'mlGitops.sealedSecrets.certificateUrl',
    };
  }
  return undefined;
}

/**
 * Whether this process runs in development: `NODE_ENV` `development` (what
 * `yarn start` sets, so the demo and its sandbox) or `test`. The backend's
 * `checkWebhookSecret` draws the same line.
 */
export function isDevelopment(
  nodeEnv: string | undefined = process.env.NODE_ENV,
): boolean {
  return nodeEnv === 'development' || nodeEnv === 'test';
}

/**
 * Why a configured certificate URL may not be fetched, or undefined when it
 * may: it must be an absolute URL without credentials, and https outside
 * development (over http anyone on the path could hand the backend their own
 * certificate, and every secret sealed with it would be theirs to open).
 */
export function certificateUrlProblem(
  url: string,
  key: string,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): string | undefined {
  const parsed = credentialFreeUrl(url);
  if (!parsed) {
    return `${key} must be an absolute https URL without credentials, such as https://sealed-secrets.example.com/v1/cert.pem; got ${redactUrl(
      url,
    )}`;
  }
  if (parsed.protocol !== 'https:' && !isDevelopment(nodeEnv)) {
    return `${key} is an http URL (${redactUrl(
      url,
    )}); outside development (NODE_ENV is ${JSON.stringify(
      nodeEnv ?? '',
    )}) the Sealed Secrets certificate is fetched over https only, so nobody on the way can substitute their own. Serve the controller's /v1/cert.pem over https (e.g. through your ingress) and configure that URL`;
  }
  return undefined;
}

function checkedUrl(
  rootConfig: Config,
  key: string,
  nodeEnv: string | undefined,
): string | undefined {
  const url = rootConfig.getOptionalString(key);
  if (url === undefined) return undefined;
  const problem = certificateUrlProblem(url, key, nodeEnv);
  if (problem) throw new Error(problem);
  return url;
}

/**
 * Reads and checks `mlGitops.sealedSecrets`: the default and per-environment
 * certificate URLs (absolute, no credentials, https outside development;
 * per-environment keys only for environments of `mlGitops.environments`)
 * and `allowPastedCertificate`. Throws an error naming the key to fix.
 */
export function readSealedSecretsConfig(
  rootConfig: Config,
  environments: string[],
  nodeEnv: string | undefined = process.env.NODE_ENV,
): SealedSecretsActionsConfig | undefined {
  const base = 'mlGitops.sealedSecrets';
  if (!rootConfig.has(base)) return undefined;
  const result: SealedSecretsActionsConfig = {};
  const certificateUrl = checkedUrl(
    rootConfig,
    `${base}.certificateUrl`,
    nodeEnv,
  );
  if (certificateUrl !== undefined) result.certificateUrl = certificateUrl;

  const perEnvironment = rootConfig.getOptionalConfig(`${base}.environments`);
  if (perEnvironment) {
    const entries: Record<string, { certificateUrl: string }> = {};
    for (const environment of perEnvironment.keys()) {
      const key = `${base}.environments.${environment}`;
      if (!environments.includes(environment)) {
        throw new Error(
          `${key} names an environment that is not in mlGitops.environments (${environments.join(
            ', ',
          )}); use one of those names`,
        );
      }
      const url = checkedUrl(rootConfig, `${key}.certificateUrl`, nodeEnv);
      if (url === undefined) {
        throw new Error(
          `${key}.certificateUrl is missing: give the certificate URL of the Sealed Secrets controller that serves ${environment}, or remove ${key}`,
        );
      }
      entries[environment] = { certificateUrl: url };
    }
    result.environments = entries;
  }

  const allowPastedCertificate = rootConfig.getOptionalBoolean(
    `${base}.allowPastedCertificate`,
  );
  if (allowPastedCertificate !== undefined) {
    result.allowPastedCertificate = allowPastedCertificate;
  }
  return result;
}

/**
 * Reads the `mlGitops` keys the actions use: `environments`, `registries`
 * and `argocd.instances` through the reader the backend uses too
 * (`readMlGitopsSharedConfig` of `@ml-gitops/plugin-ml-gitops-node`), and
 * the actions' own `sealedSecrets` (see `readSealedSecretsConfig`). Throws
 * an error naming the key to fix when something is wrong, so a bad value
 * stops the backend at start.
 * @public
 */
export function readMlGitopsActionsConfig(
  rootConfig: Config,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): MlGitopsActionsConfig {
  const shared = readMlGitopsSharedConfig(rootConfig);
  const sealedSecrets = readSealedSecretsConfig(
    rootConfig,
    shared.environments,
    nodeEnv,
  );
  const appId = rootConfig.getOptionalNumber('mlGitops.validateCheckAppId');
  if (appId !== undefined && (!Number.isInteger(appId) || appId < 1)) {
    throw new Error(
      `mlGitops.validateCheckAppId must be the numeric id of a GitHub App (GitHub Actions is 15368 on github.com), got ${appId}`,
    );
  }
  const argocd = readArgoCdInstancesConfig(rootConfig);
  const fluxClusters =
    rootConfig.getOptionalStringArray('mlGitops.flux.clusters') ?? [];
  return {
    ...shared,
    ...(fluxClusters.length > 0 ? { fluxClusters } : {}),
    ...(argocd.length > 0 ? { argocd } : {}),
    ...(sealedSecrets === undefined ? {} : { sealedSecrets }),
    ...(appId === undefined ? {} : { validateCheckAppId: appId }),
  };
}
