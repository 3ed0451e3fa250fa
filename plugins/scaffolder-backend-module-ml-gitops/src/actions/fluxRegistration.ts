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

import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { FluxObject } from './configRepoFlux';

/*
 * Registers Flux objects through a cluster's Kubernetes API with
 * server-side apply (kubernetes.io/docs/reference/using-api/server-side-apply):
 *
 * - GET   /apis/<group>                                   → APIGroup (the versions served)
 * - GET   /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>
 * - PATCH /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>?fieldManager=ml-gitops
 *         Content-Type: application/apply-patch+yaml       (JSON is YAML)
 *
 * An apply creates the object or updates the fields this field manager owns;
 * an apply that creates needs the `create` verb besides `patch`;
 * whether it changed anything is read from the labels and spec before and
 * after (not metadata.resourceVersion: the controllers' status writes move
 * that at any time, kubernetes.io "API concepts", resource versions).
 * Errors are metav1.Status bodies
 * `{kind: "Status", message, reason, code}`.
 *
 * The cluster is reached the way the backend reaches it (its
 * KubernetesClusters): a cluster of `kubernetes.clusterLocatorMethods`
 * (type config) with a serviceAccountToken directly, any other through the
 * Kubernetes backend plugin's proxy (`/api/kubernetes/proxy` with the
 * `Backstage-Kubernetes-Cluster` header and a plugin token), which signs the
 * request with the cluster's credential.
 */

/** The field manager of every apply (kubectl shows it in managedFields). */
export const FIELD_MANAGER = 'ml-gitops';

/** What registering one Flux object did. */
export type FluxRegistration = 'created' | 'unchanged' | 'updated';

type FetchFn = typeof fetch;

/** An object as the API server answers it, as far as registering reads it. */
type ClusterObject = {
  metadata?: { labels?: Record<string, string> };
  spec?: unknown;
};

/** JSON with the keys of every object sorted, so equal values read equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map(
        k =>
          `${JSON.stringify(k)}:${canonical(
            (value as Record<string, unknown>)[k],
          )}`,
      )
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What an apply of ours may change: the labels and the spec. */
function desiredState(o: ClusterObject): string {
  return canonical({ labels: o.metadata?.labels ?? {}, spec: o.spec ?? {} });
}

const TIMEOUT_MS = 15_000;

const PLURALS: Record<FluxObject['kind'], string> = {
  GitRepository: 'gitrepositories',
  Kustomization: 'kustomizations',
  HelmRelease: 'helmreleases',
};

/** The RBAC a registering identity needs, for messages and docs. */
export function fluxRbacHint(namespace: string): string {
  return `the identity needs, in namespace ${namespace}, a Role granting get, create and patch on gitrepositories (source.toolkit.fluxcd.io) and kustomizations (kustomize.toolkit.fluxcd.io) (docs/configuration.md, "Flux: the identity that registers config repos")`;
}

type Route = {
  base: string;
  where: string;
  headers: () => Promise<Record<string, string>>;
};

/** A Kubernetes API client of one cluster, as far as registering Flux objects needs. */
export class FluxRegistrationClient {
  /**
   * The client of the cluster `name`: directly when the kubernetes config
   * lists it (type config) with a serviceAccountToken, else through the
   * Kubernetes plugin's proxy (needs `discovery` and `auth`).
   */
  static fromConfig(
    rootConfig: Config,
    name: string,
    options: {
      discovery?: DiscoveryService;
      auth?: AuthService;
      fetch?: FetchFn;
      timeoutMs?: number;
    } = {},
  ): FluxRegistrationClient {
    const direct = configCluster(rootConfig, name);
    let route: () => Promise<Route>;
    if (direct?.token) {
      const headers = { Authorization: `Bearer ${direct.token}` };
      route = async () => ({
        base: direct.url,
        where: `at ${direct.url}`,
        headers: async () => headers,
      });
    } else {
      const { discovery, auth } = options;
      if (!discovery || !auth) {
        throw new InputError(
          `Cluster "${name}" ${
            direct?.proxyOnly ??
            'has no serviceAccountToken in kubernetes.clusterLocatorMethods (type config)'
          }, and the Kubernetes plugin's proxy is not available to this action`,
        );
      }
      route = async () => ({
        base: `${await discovery.getBaseUrl('kubernetes')}/proxy`,
        where: "through the Kubernetes plugin's proxy",
        headers: async () => {
          const { token } = await auth.getPluginRequestToken({
            onBehalfOf: await auth.getOwnServiceCredentials(),
            targetPluginId: 'kubernetes',
          });
          return {
            Authorization: `Bearer ${token}`,
            'Backstage-Kubernetes-Cluster': name,
          };
        },
      });
    }
    return new FluxRegistrationClient(
      name,
      route,
      options.fetch ?? fetch,
      options.timeoutMs ?? TIMEOUT_MS,
    );
  }

  private constructor(
    readonly cluster: string,
    private readonly route: () => Promise<Route>,
    private readonly fetchFn: FetchFn,
    private readonly timeoutMs: number,
  ) {}

  private async send(
    path: string,
    init: { method?: string; body?: string; contentType?: string } = {},
  ): Promise<{ response: Response; where: string }> {
    const route = await this.route();
    try {
      const response = await this.fetchFn(`${route.base}${path}`, {
        method: init.method ?? 'GET',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          Accept: 'application/json',
          ...(init.contentType ? { 'Content-Type': init.contentType } : {}),
          ...(await route.headers()),
        },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      return { response, where: route.where };
    } catch (error) {
      throw new ServiceUnavailableError(
        `Cluster "${this.cluster}" ${route.where} did not answer ${
          path.split('?')[0]
        }: ${(error as Error)?.message ?? error}`,
      );
    }
  }

  private async failure(
    path: string,
    response: Response,
    namespace: string,
  ): Promise<Error> {
    let detail = '';
    try {
      const body = (await response.json()) as {
        message?: unknown;
        error?: { message?: unknown };
      };
      const message = body.message ?? body.error?.message;
      if (typeof message === 'string') detail = `: ${message}`;
    } catch {
      // not a Status object
    }
    const text = `Cluster "${this.cluster}" answered ${response.status} to ${
      path.split('?')[0]
    }${detail}`;
    if (response.status === 401 || response.status === 403) {
      return new NotAllowedError(`${text}; ${fluxRbacHint(namespace)}`);
    }
    if (response.status === 400 || response.status === 422) {
      return new InputError(text);
    }
    return new ServiceUnavailableError(text);
  }

  /**
   * Refuses when the cluster does not serve the object's API version (Flux
   * is not installed, or older than the version these objects are written in).
   */
  async checkServed(apiVersion: string, namespace: string): Promise<void> {
    const [group, version] = apiVersion.split('/');
    const path = `/apis/${group}`;
    const { response } = await this.send(path);
    if (response.status === 404) {
      await response.text().catch(() => undefined);
      throw new InputError(
        `Cluster "${this.cluster}" does not serve ${group}: install Flux there, or choose another fluxCluster`,
      );
    }
    if (!response.ok) throw await this.failure(path, response, namespace);
    const body = (await response.json().catch(() => ({}))) as {
      versions?: Array<{ version?: unknown }>;
    };
    const served = (body.versions ?? []).map(v => v.version);
    if (!served.includes(version)) {
      throw new InputError(
        `Cluster "${this.cluster}" serves ${group} in ${
          served.join(', ') || 'no version'
        }, not ${version}: upgrade Flux to 2.3 or newer there`,
      );
    }
  }

  private pathOf(object: FluxObject): string {
    return `/apis/${object.apiVersion}/namespaces/${encodeURIComponent(
      object.metadata.namespace,
    )}/${PLURALS[object.kind]}/${encodeURIComponent(object.metadata.name)}`;
  }

  /** The object as the cluster holds it, or undefined when it has none. */
  async get(object: FluxObject): Promise<ClusterObject | undefined> {
    const path = this.pathOf(object);
    const { response } = await this.send(path);
    if (response.status === 404) {
      await response.text().catch(() => undefined);
      return undefined;
    }
    if (!response.ok) {
      throw await this.failure(path, response, object.metadata.namespace);
    }
    return (await response.json()) as ClusterObject;
  }

  /** Server-side applies the object; says whether it was created, updated or unchanged. */
  async apply(object: FluxObject): Promise<FluxRegistration> {
    const before = await this.get(object);
    const path = `${this.pathOf(object)}?fieldManager=${FIELD_MANAGER}`;
    const { response } = await this.send(path, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: JSON.stringify(object),
    });
    if (!response.ok) {
      throw await this.failure(path, response, object.metadata.namespace);
    }
    const after = (await response.json()) as ClusterObject;
    if (!before) return 'created';
    return desiredState(before) === desiredState(after)
      ? 'unchanged'
      : 'updated';
  }
}

/** A cluster of `kubernetes.clusterLocatorMethods` (type config), as the backend reads it. */
function configCluster(
  rootConfig: Config,
  name: string,
): { url: string; token?: string; proxyOnly?: string } | undefined {
  for (const locator of rootConfig.getOptionalConfigArray(
    'kubernetes.clusterLocatorMethods',
  ) ?? []) {
    if (locator.getString('type') !== 'config') continue;
    for (const cluster of locator.getOptionalConfigArray('clusters') ?? []) {
      if (cluster.getString('name') !== name) continue;
      const url = cluster.getString('url').replace(/\/+$/, '');
      const tls =
        cluster.getOptionalBoolean('skipTLSVerify') ||
        cluster.getOptionalString('caData');
      // A CA or skipped verification over https needs the Kubernetes
      // plugin, which holds the TLS settings; this client uses Node's
      // default trust store.
      if (tls && url.startsWith('https:')) {
        return {
          url,
          proxyOnly:
            'has caData or skipTLSVerify, which only the Kubernetes plugin applies',
        };
      }
      return {
        url,
        token: cluster.getOptionalString('serviceAccountToken') || undefined,
      };
    }
  }
  return undefined;
}
