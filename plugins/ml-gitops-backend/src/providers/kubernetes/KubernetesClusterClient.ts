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

// The client of one cluster's API server: discovery cache, chunked lists, watches, annotations.

import { NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { headerDeadline } from '../../http/watchStreams';
import {
  directRoute,
  FetchFn,
  KubernetesClusterRoute,
  proxyRefusal,
} from './clusterRoutes';
import { KubernetesCluster } from './kubernetesClusterConfig';

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
