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

// The clusters ML GitOps reads, found through the Kubernetes backend plugin or in the config locator.

import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { ServiceUnavailableError } from '@backstage/errors';
import { readFile } from 'fs/promises';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { keepAliveFetch } from '../../http/keepAliveFetch';
import { directRoute, FetchFn, KubernetesClusterRoute } from './clusterRoutes';
import { KubernetesClusterClient } from './KubernetesClusterClient';
import {
  KubernetesCluster,
  ListedKubernetesCluster,
  OidcTokenSource,
  readKubernetesClusters,
  readOidcTokenSources,
} from './kubernetesClusterConfig';

export { DISCOVERY_TTL_MS, NOT_SERVED_TTL_MS } from './apiDiscovery';
export {
  isNamedObject,
  KubernetesClusterClient,
  withoutWriteRecords,
} from './KubernetesClusterClient';
export type { KubeObject } from './KubernetesClusterClient';
export type { KubernetesClusterRoute } from './clusterRoutes';
export {
  readKubernetesClusters,
  readOidcTokenSources,
} from './kubernetesClusterConfig';
export type {
  KubernetesCluster,
  ListedKubernetesCluster,
  OidcTokenSource,
} from './kubernetesClusterConfig';

/**
 * Auth providers whose credential the Kubernetes plugin takes from the
 * signed-in user's browser (Backstage's plugins/kubernetes-react
 * KubernetesAuthProviders: google, aks and oidc.<provider>; every other
 * provider is server-side). A background poller has no user; an `oidc`
 * cluster works with a token from `mlGitops.kubernetes.oidcTokens`.
 */
const USER_AUTH_PROVIDERS = new Set(['google', 'aks', 'oidc']);

/** What {@link KubernetesClusters.create} needs. */
type KubernetesClustersOptions = {
  config: Config;
  discovery: DiscoveryService;
  auth: AuthService;
  logger: LoggerService;
  timeoutMs?: number;
  fetch?: FetchFn;
  /** The clock of the discovery cache. */
  now?: () => number;
};

type Reach =
  | { kind: 'proxy'; clusters: Map<string, ListedKubernetesCluster> }
  | { kind: 'direct'; clusters: Map<string, KubernetesCluster> };

/**
 * The clusters ML GitOps reads: every cluster the Kubernetes backend plugin
 * reaches — its config, catalog, GKE and local kubectl proxy locators and
 * any cluster supplier a module adds — through that plugin's proxy
 * (`/api/kubernetes/proxy` with the `Backstage-Kubernetes-Cluster` header and
 * a plugin service token), so the plugin's own auth strategies (serviceAccount
 * with or without a token, aws, azure, googleServiceAccount,
 * localKubectlProxy, custom ones) sign every request, and no cluster
 * credential is held here. `oidc` clusters take a token from
 * `mlGitops.kubernetes.oidcTokens`; `google` and `aks` clusters need a
 * signed-in user and are left out, with a warning naming the fix.
 *
 * Without the Kubernetes backend plugin (its routes answer 404), the
 * clusters of the `config` locator are reached directly with their
 * service-account tokens.
 */
export class KubernetesClusters {
  /**
   * The clients of every cluster the poller reads, kept up to date in place
   * by {@link KubernetesClusters.refresh}, so the readers built on it read
   * the clusters of the moment.
   */
  readonly clients: KubernetesClusterClient[] = [];
  private readonly byName = new Map<string, KubernetesClusterClient>();
  /** Direct routes, by cluster name, with the cluster they were made for. */
  private readonly directRoutes = new Map<
    string,
    { key: string; route: KubernetesClusterRoute }
  >();
  private readonly warned = new Set<string>();
  private reach: Reach | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly fetchFn: FetchFn;
  private readonly timeoutMs: number;

  static create(options: KubernetesClustersOptions): KubernetesClusters {
    return new KubernetesClusters(
      options,
      readOidcTokenSources(options.config),
    );
  }

  private constructor(
    private readonly options: KubernetesClustersOptions,
    private readonly oidcTokens: Map<string, OidcTokenSource>,
  ) {
    this.fetchFn = options.fetch ?? keepAliveFetch();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The client of the cluster of this name (for `mlGitops.flux.clusters`). */
  client(name: string): KubernetesClusterClient {
    let client = this.byName.get(name);
    if (!client) {
      client = KubernetesClusterClient.resolving(
        name,
        () => this.routeTo(name),
        this.timeoutMs,
        this.options.now,
      );
      this.byName.set(name, client);
    }
    return client;
  }

  /**
   * Asks the Kubernetes backend plugin which clusters it reaches now (the
   * catalog's clusters come and go) and updates {@link clients}. A failure
   * keeps the clusters known before and is thrown for the caller to log.
   */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.load().finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  /** Lists the clusters unless they were listed before. */
  async listOnce(): Promise<void> {
    if (!this.reach) await this.refresh();
  }

  private async kubernetesPluginToken(): Promise<string> {
    const { auth } = this.options;
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'kubernetes',
    });
    return token;
  }

  private async load(): Promise<void> {
    const base = await this.options.discovery.getBaseUrl('kubernetes');
    let response: Response;
    try {
      response = await this.fetchFn(`${base}/clusters`, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          Accept: 'application/json',
          Authorization: `Bearer ${await this.kubernetesPluginToken()}`,
        },
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `The Kubernetes backend plugin at ${base} did not list its clusters: ${
          (error as Error)?.message ?? error
        }`,
      );
    }
    let reach: Reach;
    if (response.status === 404) {
      await response.text().catch(() => undefined);
      reach = {
        kind: 'direct',
        clusters: new Map(
          readKubernetesClusters(this.options.config).map(c => [c.name, c]),
        ),
      };
    } else if (!response.ok) {
      let detail = '';
      try {
        const body = (await response.json()) as {
          error?: { message?: unknown };
        };
        if (typeof body.error?.message === 'string') {
          detail = `: ${body.error.message}`;
        }
      } catch {
        // not a Backstage error
      }
      throw new ServiceUnavailableError(
        `The Kubernetes backend plugin answered ${response.status} to ${base}/clusters${detail}`,
      );
    } else {
      reach = {
        kind: 'proxy',
        clusters: new Map(
          this.listed(await response.json().catch(() => undefined)).map(c => [
            c.name,
            c,
          ]),
        ),
      };
    }
    if (this.reach?.kind !== reach.kind) {
      this.options.logger.info(
        reach.kind === 'proxy'
          ? `Reading the clusters the Kubernetes plugin reaches, through its proxy: ${
              [...reach.clusters.keys()].join(', ') || 'none'
            }`
          : 'The Kubernetes backend plugin is not installed: reading the clusters of kubernetes.clusterLocatorMethods (type: config) directly, with their service-account tokens',
      );
    }
    this.reach = reach;
    const readable = [...reach.clusters.keys()].filter(name => {
      const why = this.unreadable(name);
      if (why && !this.warned.has(why)) {
        this.warned.add(why);
        this.options.logger.warn(why);
      }
      return !why;
    });
    this.clients.splice(
      0,
      this.clients.length,
      ...readable.map(name => this.client(name)),
    );
  }

  /** The clusters of a `GET /clusters` answer that have a name and an auth provider. */
  private listed(body: unknown): ListedKubernetesCluster[] {
    const items = (body as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(items)) {
      throw new ServiceUnavailableError(
        'The Kubernetes backend plugin answered /clusters without an items list',
      );
    }
    const clusters: ListedKubernetesCluster[] = [];
    for (const item of items) {
      const { name, authProvider, oidcTokenProvider } = (item ?? {}) as Record<
        string,
        unknown
      >;
      if (typeof name !== 'string' || name === '') continue;
      clusters.push({
        name,
        authProvider: typeof authProvider === 'string' ? authProvider : '',
        ...(typeof oidcTokenProvider === 'string' && oidcTokenProvider
          ? { oidcTokenProvider }
          : {}),
      });
    }
    return clusters;
  }

  /** Why the poller cannot read the cluster of this name, or undefined. */
  private unreadable(name: string): string | undefined {
    const reach = this.reach;
    if (!reach) return undefined;
    if (reach.kind === 'direct') {
      const cluster = reach.clusters.get(name);
      if (!cluster) {
        return `No cluster named "${name}" is in kubernetes.clusterLocatorMethods (type: config); install the Kubernetes backend plugin to reach clusters of other locators`;
      }
      if (!cluster.token && cluster.authProvider !== 'localKubectlProxy') {
        return `Cluster "${name}" has no serviceAccountToken (authProvider ${
          cluster.authProvider ?? 'not set'
        }); without the Kubernetes backend plugin ML GitOps reaches only config clusters with a serviceAccountToken: install the plugin to have this cluster read with its auth provider`;
      }
      return undefined;
    }
    const cluster = reach.clusters.get(name);
    if (!cluster) {
      return `The Kubernetes plugin lists no cluster named "${name}" (it lists ${
        [...reach.clusters.keys()].join(', ') || 'none'
      }); check mlGitops.flux.clusters and kubernetes.clusterLocatorMethods`;
    }
    if (!USER_AUTH_PROVIDERS.has(cluster.authProvider)) return undefined;
    if (cluster.authProvider === 'oidc') {
      const provider = cluster.oidcTokenProvider;
      if (provider && this.oidcTokens.has(provider)) return undefined;
      return `Cluster "${name}" uses the oidc auth provider${
        provider ? ` (oidcTokenProvider ${provider})` : ''
      }, whose token comes from a signed-in user; ML GitOps polls without one: set mlGitops.kubernetes.oidcTokens.${
        provider ?? '<oidcTokenProvider>'
      } to a token the cluster accepts`;
    }
    return `Cluster "${name}" uses the ${
      cluster.authProvider
    } auth provider, whose token comes from a signed-in user; ML GitOps polls without one and skips it: give the cluster a server-side auth provider (${
      cluster.authProvider === 'google' ? 'googleServiceAccount' : 'azure'
    }, serviceAccount) to have its models read`;
  }

  private async oidcToken(provider: string): Promise<string> {
    const source = this.oidcTokens.get(provider)!;
    if ('token' in source) return source.token;
    try {
      return (await readFile(source.tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new ServiceUnavailableError(
        `mlGitops.kubernetes.oidcTokens.${provider}.tokenFile cannot be read: ${
          (error as Error)?.message ?? error
        }`,
      );
    }
  }

  private async routeTo(name: string): Promise<KubernetesClusterRoute> {
    if (!this.reach) await this.refresh();
    const reach = this.reach!;
    const why = this.unreadable(name);
    if (why) throw new ServiceUnavailableError(why);
    if (reach.kind === 'direct') {
      // One connection pool per cluster for as long as its config stays.
      const cluster = reach.clusters.get(name)!;
      const key = JSON.stringify(cluster);
      const known = this.directRoutes.get(name);
      if (known?.key === key) return known.route;
      const route = directRoute(cluster, this.options.fetch);
      this.directRoutes.set(name, { key, route });
      return route;
    }
    const cluster = reach.clusters.get(name)!;
    const base = await this.options.discovery.getBaseUrl('kubernetes');
    const provider =
      cluster.authProvider === 'oidc' ? cluster.oidcTokenProvider : undefined;
    return {
      base: `${base}/proxy`,
      where: "through the Kubernetes plugin's proxy",
      headers: async () => ({
        // The proxy takes the Backstage token off and signs the request with
        // the cluster's credential (KubernetesProxy in Backstage's
        // plugins/kubernetes-backend/src/service/KubernetesProxy.ts).
        Authorization: `Bearer ${await this.kubernetesPluginToken()}`,
        'Backstage-Kubernetes-Cluster': name,
        ...(provider
          ? {
              [`Backstage-Kubernetes-Authorization-oidc-${provider}`]:
                await this.oidcToken(provider),
            }
          : {}),
      }),
      fetch: this.fetchFn,
      credentialsHint: provider
        ? `check mlGitops.kubernetes.oidcTokens.${provider} and the RBAC of the identity its token names`
        : `check the ${
            cluster.authProvider || 'auth provider'
          } credentials of this cluster in the Kubernetes plugin's config and the RBAC of the identity they give`,
      proxied: true,
    };
  }
}
