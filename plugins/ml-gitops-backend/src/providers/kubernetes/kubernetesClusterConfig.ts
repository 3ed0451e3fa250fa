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

// Clusters and OIDC tokens from config: the kubernetes config locator, mlGitops.kubernetes.oidcTokens.

import { Config } from '@backstage/config';

/**
 * A cluster of the `kubernetes` config that ML GitOps reaches directly, with
 * its service-account token: how clusters are reached when the Kubernetes
 * backend plugin is not installed in this backend.
 */
export type KubernetesCluster = {
  name: string;
  url: string;
  token?: string;
  skipTLSVerify: boolean;
  caData?: string;
  /** The cluster's `authProvider` in the kubernetes config. */
  authProvider?: string;
};

/**
 * A cluster as the Kubernetes backend plugin lists it: an item of
 * `GET /api/kubernetes/clusters` (Backstage's
 * plugins/kubernetes-backend/src/service/KubernetesRouter.ts answers name,
 * title, dashboardUrl, authProvider, oidcTokenProvider and auth).
 */
export type ListedKubernetesCluster = {
  name: string;
  authProvider: string;
  oidcTokenProvider?: string;
};

/**
 * Reads the clusters of Backstage's `kubernetes` config (the `config`
 * cluster locator, with service-account tokens): what ML GitOps reaches
 * directly when the Kubernetes backend plugin is not installed.
 */
export function readKubernetesClusters(config: Config): KubernetesCluster[] {
  const clusters: KubernetesCluster[] = [];
  for (const locator of config.getOptionalConfigArray(
    'kubernetes.clusterLocatorMethods',
  ) ?? []) {
    if (locator.getString('type') !== 'config') continue;
    for (const cluster of locator.getOptionalConfigArray('clusters') ?? []) {
      clusters.push({
        name: cluster.getString('name'),
        url: cluster.getString('url').replace(/\/+$/, ''),
        token: cluster.getOptionalString('serviceAccountToken') || undefined,
        skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
        caData: cluster.getOptionalString('caData'),
        authProvider: cluster.getOptionalString('authProvider'),
      });
    }
  }
  return clusters;
}

/** Where ML GitOps finds the token of an `oidc` cluster's token provider. */
export type OidcTokenSource = { token: string } | { tokenFile: string };

/**
 * `mlGitops.kubernetes.oidcTokens`: per OIDC token provider (a cluster's
 * `oidcTokenProvider`), the token the poller presents for clusters that
 * use it, or a file holding it (re-read at every request, for a token that
 * something else renews). An addition to the design contract.
 */
export function readOidcTokenSources(
  config: Config,
): Map<string, OidcTokenSource> {
  const sources = new Map<string, OidcTokenSource>();
  const section = config.getOptionalConfig('mlGitops.kubernetes.oidcTokens');
  for (const provider of section?.keys() ?? []) {
    const entry = section!.getConfig(provider);
    const token = entry.getOptionalString('token');
    const tokenFile = entry.getOptionalString('tokenFile');
    if ((token === undefined) === (tokenFile === undefined)) {
      throw new Error(
        `mlGitops.kubernetes.oidcTokens.${provider} needs exactly one of token and tokenFile`,
      );
    }
    sources.set(
      provider,
      token !== undefined ? { token } : { tokenFile: tokenFile! },
    );
  }
  return sources;
}
