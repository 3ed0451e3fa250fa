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

import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import { readFile } from 'fs/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { KEEP_ALIVE_OPTIONS, keepAliveFetch } from '../../http/keepAliveFetch';
import { headerDeadline } from '../../http/watchStreams';

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

type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;

/** A Kubernetes object's common fields. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
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

/**
 * Auth providers whose credential the Kubernetes plugin takes from the
 * signed-in user's browser (Backstage's plugins/kubernetes-react
 * KubernetesAuthProviders: google, aks and oidc.<provider>; every other
 * provider is server-side). A background poller has no user; an `oidc`
 * cluster works with a token from `mlGitops.kubernetes.oidcTokens`.
 */
const USER_AUTH_PROVIDERS = new Set(['google', 'aks', 'oidc']);

/** How a request reaches a cluster's API server. */
export type KubernetesClusterRoute = {
  /** The URL an API path is appended to. */
  base: string;
  /** Where the cluster was asked, for messages. */
  where: string;
  headers: () => Promise<Record<string, string>>;
  fetch: FetchFn;
  /** What to check when the API server refuses the credentials. */
  credentialsHint: string;
  /** Answers of the Kubernetes plugin's proxy itself are errors of their own. */
  proxied: boolean;
};

function directRoute(
  cluster: KubernetesCluster,
  fetchFn?: FetchFn,
): KubernetesClusterRoute {
  let fetcher: FetchFn;
  if (fetchFn) {
    fetcher = fetchFn;
  } else if (cluster.skipTLSVerify || cluster.caData) {
    const dispatcher = new Agent({
      ...KEEP_ALIVE_OPTIONS,
      connect: {
        rejectUnauthorized: !cluster.skipTLSVerify,
        ...(cluster.caData
          ? { ca: Buffer.from(cluster.caData, 'base64').toString('utf8') }
          : {}),
      },
    });
    fetcher = (url, init) =>
      undiciFetch(url, {
        ...(init as object),
        dispatcher,
      }) as unknown as Promise<Response>;
  } else {
    fetcher = keepAliveFetch();
  }
  const headers: Record<string, string> = cluster.token
    ? { Authorization: `Bearer ${cluster.token}` }
    : {};
  return {
    base: cluster.url,
    where: `at ${cluster.url}`,
    headers: async () => headers,
    fetch: fetcher,
    credentialsHint:
      'check the serviceAccountToken of this cluster in the kubernetes config and its RBAC',
    proxied: false,
  };
}

/**
 * The error the Kubernetes plugin's proxy itself answered (cluster unknown,
 * credentials it could not get, cluster unreachable), told apart from the
 * cluster's own answers: Backstage's error handler answers
 * `{ error: { name, message }, request, response: { statusCode } }`
 * (serializeError in @backstage/errors, MiddlewareFactory.error in
 * backend-defaults), an API server a metav1.Status or plain text.
 */
async function proxyRefusal(
  cluster: string,
  path: string,
  response: Response,
): Promise<Error | undefined> {
  let body: unknown;
  try {
    body = JSON.parse(await response.clone().text());
  } catch {
    return undefined;
  }
  const { error, response: answered } = (body ?? {}) as {
    error?: { message?: unknown };
    response?: { statusCode?: unknown };
  };
  if (
    typeof error?.message !== 'string' ||
    typeof answered?.statusCode !== 'number'
  ) {
    return undefined;
  }
  const message = `Cluster "${cluster}": the Kubernetes plugin's proxy answered ${
    response.status
  } to ${path.split('?')[0]}: ${error.message}${
    response.status === 404
      ? '; the Kubernetes plugin lists no cluster of that name'
      : ''
  }`;
  return response.status === 403
    ? new NotAllowedError(message)
    : new ServiceUnavailableError(message);
}

/**
 * Objects per list request: the API server answers in chunks of this many
 * with a continue token for the rest (the chunk size kubectl uses).
 */
const LIST_CHUNK = 500;

/**
 * How long a served API group's preferred version is kept: the six hours
 * recent kubectl keeps its disk discovery cache (ToDiscoveryClient in
 * cli-runtime's genericclioptions/config_flags.go; ten minutes in older
 * releases), since a list that answers 404 drops the entry at once (see
 * {@link KubernetesClusterClient.listServed}).
 */
export const DISCOVERY_TTL_MS = 6 * 60 * 60_000;

/**
 * How long a group or resource that is not served is remembered as such: a
 * controller installed later (KServe, Argo Rollouts, Flux) is found within
 * ten minutes.
 */
export const NOT_SERVED_TTL_MS = 10 * 60_000;

/** What discovery said about one API group. */
type Discovered = {
  /** The preferred version; undefined when the group is not served. */
  version: string | undefined;
  /** The number of the discovery request that said it, per client. */
  seq: number;
  expiresAt: number;
};

/**
 * A minimal Kubernetes API client: list and merge-patch, nothing more. Every
 * request gives up after the request timeout; an answer that is not the JSON
 * the API server sends fails with a message naming the cluster.
 */
export class KubernetesClusterClient {
  /** A client that talks to the cluster's API server directly. */
  static create(
    cluster: KubernetesCluster,
    options: { fetch?: FetchFn; timeoutMs?: number; now?: () => number } = {},
  ): KubernetesClusterClient {
    const route = directRoute(cluster, options.fetch);
    return new KubernetesClusterClient(
      { name: cluster.name },
      async () => route,
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      options.now ?? Date.now,
    );
  }

  /**
   * A client whose way to the cluster is looked up at every request (by
   * {@link KubernetesClusters}, which knows what the Kubernetes plugin lists).
   */
  static resolving(
    name: string,
    route: () => Promise<KubernetesClusterRoute>,
    timeoutMs: number,
    now: () => number = Date.now,
  ): KubernetesClusterClient {
    return new KubernetesClusterClient({ name }, route, timeoutMs, now);
  }

  /** Discovery answers by API group (see {@link DISCOVERY_TTL_MS}). */
  private readonly discovery = new Map<string, Discovered>();
  private readonly discovering = new Map<string, Promise<Discovered>>();
  /** Discovery requests answered so far. */
  private discoveries = 0;
  /** Until when a resource (`plural.group`) is known not to be served. */
  private readonly notServed = new Map<string, number>();

  private constructor(
    readonly cluster: { readonly name: string },
    private readonly route: () => Promise<KubernetesClusterRoute>,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  private async send(
    path: string,
    init: RequestInit = {},
    /** A watch: the timeout covers the headers, the body lasts until this aborts. */
    stream?: AbortSignal,
  ): Promise<{ response: Response; route: KubernetesClusterRoute }> {
    const route = await this.route();
    let response: Response;
    const deadline = stream
      ? headerDeadline(stream, this.timeoutMs)
      : undefined;
    try {
      response = await route.fetch(`${route.base}${path}`, {
        ...init,
        signal: deadline?.signal ?? AbortSignal.timeout(this.timeoutMs),
        headers: {
          Accept: 'application/json',
          ...(await route.headers()),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ServiceUnavailableError(
          `Cluster "${this.cluster.name}" ${route.where} did not answer ${
            path.split('?')[0]
          } within ${this.timeoutMs / 1000} s (mlGitops.requestTimeout)`,
        );
      }
      throw new ServiceUnavailableError(
        `Cluster "${this.cluster.name}" ${route.where} is unreachable: ${
          (error as Error)?.message ?? error
        }`,
      );
    } finally {
      deadline?.arrived();
    }
    if (route.proxied && !response.ok) {
      const refusal = await proxyRefusal(this.cluster.name, path, response);
      if (refusal) {
        await response.text().catch(() => undefined);
        throw refusal;
      }
    }
    return { response, route };
  }

  /** The JSON object of a successful answer, or an error naming the cluster. */
  private async body(
    path: string,
    response: Response,
  ): Promise<Record<string, unknown>> {
    const where = `Cluster "${this.cluster.name}" answered ${
      path.split('?')[0]
    }`;
    const text = await response.text().catch(error => {
      throw new ServiceUnavailableError(
        `${where} with a broken body: ${(error as Error)?.message ?? error}`,
      );
    });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const flat = text.replace(/\s+/g, ' ').trim();
      throw new ServiceUnavailableError(
        `${where} with something that is not JSON ("${
          flat.length > 60 ? `${flat.slice(0, 60)}…` : flat
        }"); check the url of this cluster in the kubernetes config`,
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ServiceUnavailableError(
        `${where} with JSON that is not a Kubernetes object; check the url of this cluster in the kubernetes config`,
      );
    }
    return body as Record<string, unknown>;
  }

  private async failure(
    path: string,
    { response, route }: { response: Response; route: KubernetesClusterRoute },
  ): Promise<Error> {
    let detail = '';
    try {
      const status = (await response.json()) as { message?: string };
      detail = status.message ? `: ${status.message}` : '';
    } catch {
      // not a Status object
    }
    return new ServiceUnavailableError(
      `Cluster "${this.cluster.name}" answered ${response.status} to ${
        path.split('?')[0]
      }${detail}${
        response.status === 401 || response.status === 403
          ? `; ${route.credentialsHint}`
          : ''
      }`,
    );
  }

  /**
   * The preferred version of an API group, or undefined when it is not
   * served: from the discovery cache (see {@link DISCOVERY_TTL_MS}), else
   * asked with `GET /apis/<group>`.
   */
  async preferredVersion(group: string): Promise<string | undefined> {
    return (await this.discovered(group)).version;
  }

  /**
   * The group's discovery answer, kept like kubectl keeps its discovery
   * cache: a served group for {@link DISCOVERY_TTL_MS}, a group that is not
   * served for {@link NOT_SERVED_TTL_MS}; dropped when a list of one of its
   * resources answers 404. Callers asking at once share one request.
   */
  private async discovered(group: string): Promise<Discovered> {
    const known = this.discovery.get(group);
    if (known && this.now() < known.expiresAt) return known;
    let pending = this.discovering.get(group);
    if (!pending) {
      pending = this.discover(group).finally(() =>
        this.discovering.delete(group),
      );
      this.discovering.set(group, pending);
    }
    return pending;
  }

  private async discover(group: string): Promise<Discovered> {
    const path = `/apis/${group}`;
    const answer = await this.send(path);
    let version: string | undefined;
    if (answer.response.status === 404) {
      await answer.response.text().catch(() => undefined);
    } else if (!answer.response.ok) {
      throw await this.failure(path, answer);
    } else {
      const body = (await this.body(path, answer.response)) as {
        preferredVersion?: { version?: unknown };
        versions?: Array<{ version?: unknown }>;
      };
      const preferred =
        body.preferredVersion?.version ??
        (Array.isArray(body.versions) ? body.versions[0]?.version : undefined);
      if (preferred !== undefined && typeof preferred !== 'string') {
        throw new ServiceUnavailableError(
          `Cluster "${this.cluster.name}" answered /apis/${group} with an APIGroup whose preferredVersion is not a string`,
        );
      }
      version = preferred;
    }
    this.discoveries += 1;
    const discovered: Discovered = {
      version,
      seq: this.discoveries,
      expiresAt: this.now() + (version ? DISCOVERY_TTL_MS : NOT_SERVED_TTL_MS),
    };
    this.discovery.set(group, discovered);
    return discovered;
  }

  /** Forgets what discovery said about a group that answered 404 to a list. */
  private forget(group: string, version: string): void {
    if (this.discovery.get(group)?.version === version) {
      this.discovery.delete(group);
    }
  }

  /**
   * Lists a resource at the version its group prefers, in all namespaces,
   * with a label selector; no objects when the group or the resource is not
   * served. Steady cycles send no discovery request: the version comes from
   * the discovery cache. A 404 to the list (its CRD removed, or upgraded to
   * another version) drops the group's entry and asks discovery again at
   * once: a new preferred version is listed in the same call; a resource its
   * group does not serve is not listed again for {@link NOT_SERVED_TTL_MS}.
   */
  async listServed(
    group: string,
    plural: string,
    labelSelector: string,
  ): Promise<KubeObject[]> {
    const resource = `${plural}.${group}`;
    const missingUntil = this.notServed.get(resource);
    if (missingUntil !== undefined) {
      if (this.now() < missingUntil) return [];
      this.notServed.delete(resource);
    }
    const asked = this.discoveries;
    let discovered = await this.discovered(group);
    for (;;) {
      const version = discovered.version;
      if (!version) return [];
      const listed = await this.listAt(group, version, plural, labelSelector);
      if (listed) return listed.items;
      if (discovered.seq > asked) {
        // Discovery was asked in this call and still names this version:
        // the group is served without this resource.
        this.notServed.set(resource, this.now() + NOT_SERVED_TTL_MS);
        return [];
      }
      discovered = await this.discovered(group);
    }
  }

  /**
   * Lists objects of a resource in all namespaces with a label selector; no
   * objects when the API server answers 404 (which also drops the group from
   * the discovery cache).
   */
  async list(
    group: string,
    version: string,
    plural: string,
    labelSelector: string,
  ): Promise<KubeObject[]> {
    const listed = await this.listAt(group, version, plural, labelSelector);
    return listed ? listed.items : [];
  }

  /**
   * The objects with the list's resource version
   * (`metadata.resourceVersion`, from which a watch starts), or undefined
   * when the API server answers 404 (which also drops the group's
   * discovery, so the next call discovers again).
   */
  async listAt(
    group: string,
    version: string,
    plural: string,
    labelSelector: string,
  ): Promise<{ items: KubeObject[]; resourceVersion?: string } | undefined> {
    const base = `/apis/${group}/${version}/${plural}?labelSelector=${encodeURIComponent(
      labelSelector,
    )}&limit=${LIST_CHUNK}`;
    const objects: KubeObject[] = [];
    let token: string | undefined;
    let restarted = false;
    for (;;) {
      const path = token
        ? `${base}&continue=${encodeURIComponent(token)}`
        : base;
      const answer = await this.send(path);
      const response = answer.response;
      if (response.status === 404) {
        await response.text().catch(() => undefined);
        this.forget(group, version);
        return undefined;
      }
      if (response.status === 410 && token && !restarted) {
        // The continue token outlived the server's snapshot (Kubernetes
        // "API concepts": 410 Expired): start the list again, once.
        await response.text().catch(() => undefined);
        restarted = true;
        token = undefined;
        objects.length = 0;
        continue;
      }
      if (!response.ok) throw await this.failure(path, answer);
      const body = await this.body(path, response);
      const items = body.items ?? [];
      if (!Array.isArray(items)) {
        throw new ServiceUnavailableError(
          `Cluster "${this.cluster.name}" answered /apis/${group}/${version}/${plural} with a list whose items is not an array`,
        );
      }
      // An object without a name cannot be addressed or reported: skip it.
      for (const item of items) {
        if (
          typeof item === 'object' &&
          item !== null &&
          typeof (item as KubeObject).metadata?.name === 'string'
        ) {
          objects.push(item as KubeObject);
        }
      }
      const meta = body.metadata as
        | { continue?: unknown; resourceVersion?: unknown }
        | undefined;
      const next = meta?.continue;
      if (typeof next !== 'string' || next === '') {
        return {
          items: objects,
          ...(typeof meta?.resourceVersion === 'string'
            ? { resourceVersion: meta.resourceVersion }
            : {}),
        };
      }
      token = next;
    }
  }

  /**
   * Opens a watch (`GET <path>` with `watch=1`): the answer's body streams
   * until `signal` aborts or the API server ends it. A 410 Gone answer is
   * returned for the caller to list anew; any other refusal throws.
   */
  async openWatch(path: string, signal: AbortSignal): Promise<Response> {
    const answer = await this.send(path, {}, signal);
    if (answer.response.ok || answer.response.status === 410) {
      return answer.response;
    }
    throw await this.failure(path, answer);
  }

  /** Merge-patches the annotations of an object. */
  async annotate(
    group: string,
    version: string,
    plural: string,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
  ): Promise<void> {
    const path = `/apis/${group}/${version}/namespaces/${encodeURIComponent(
      namespace,
    )}/${plural}/${encodeURIComponent(name)}`;
    const answer = await this.send(path, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations } }),
    });
    if (answer.response.status === 403) {
      // RBAC refused the write: a caller can tell this from an outage.
      throw new NotAllowedError((await this.failure(path, answer)).message);
    }
    if (!answer.response.ok) throw await this.failure(path, answer);
  }
}

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

  static create(options: {
    config: Config;
    discovery: DiscoveryService;
    auth: AuthService;
    logger: LoggerService;
    timeoutMs?: number;
    fetch?: FetchFn;
    /** The clock of the discovery cache. */
    now?: () => number;
  }): KubernetesClusters {
    return new KubernetesClusters(
      options,
      readOidcTokenSources(options.config),
    );
  }

  private constructor(
    private readonly options: {
      config: Config;
      discovery: DiscoveryService;
      auth: AuthService;
      logger: LoggerService;
      timeoutMs?: number;
      fetch?: FetchFn;
      now?: () => number;
    },
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
