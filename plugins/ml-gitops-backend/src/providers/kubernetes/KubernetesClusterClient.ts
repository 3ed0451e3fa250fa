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

// The client of one cluster's API server: chunked lists of served resources, watches, annotations.

import { NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { ApiDiscovery, NOT_SERVED_TTL_MS } from './apiDiscovery';
import { directRoute, FetchFn, KubernetesClusterRoute } from './clusterRoutes';
import { ClusterTransport } from './clusterTransport';
import { KubernetesCluster } from './kubernetesClusterConfig';

export { DISCOVERY_TTL_MS, NOT_SERVED_TTL_MS } from './apiDiscovery';

/** A Kubernetes object's common fields. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

/** Where `kubectl apply`, and Argo CD's client-side apply, keep the applied manifest. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * An object without what its writers left on it that no reader of this
 * plugin uses: `metadata.managedFields`, which a real API server sends with
 * every object (one entry per field manager and the fields it owns;
 * Kubernetes "Server-Side Apply", Field management), and the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, the whole
 * applied manifest (Kubernetes "Declarative Management of Kubernetes
 * Objects Using Configuration Files"). Often more than the rest of the
 * object, and held as long as the object is. The object itself when it has
 * neither.
 */
export function withoutWriteRecords(object: KubeObject): KubeObject {
  const metadata = object.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
  };
  const annotations = metadata.annotations;
  const lastApplied =
    typeof annotations === 'object' &&
    annotations !== null &&
    Object.hasOwn(annotations, LAST_APPLIED);
  if (metadata.managedFields === undefined && !lastApplied) return object;
  const { managedFields: _written, ...kept } = metadata;
  if (lastApplied) {
    const { [LAST_APPLIED]: _applied, ...others } = annotations!;
    kept.annotations = others;
  }
  return { ...object, metadata: kept };
}

/**
 * Whether a listed value is an object with a name: one that can be
 * addressed and reported (a list skips the others).
 */
export function isNamedObject(value: unknown): value is KubeObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KubeObject).metadata?.name === 'string'
  );
}

/** How a list hands over its objects. */
export type ListOptions = {
  /**
   * Gives, for each object as it is listed, the object to keep: one the
   * caller already holds for it (the same resource version) or the listed
   * one. Called chunk by chunk, so a listed copy that is not kept is
   * dropped while young instead of living as long as the list.
   */
  reuse?: (item: KubeObject) => KubeObject;
  /**
   * Gives the value of an object from its text in the list, instead of
   * `JSON.parse`: a caller that knows a text it read before hands over what
   * it made of it (Kubernetes serializes an object the same way until it
   * is written again). Not called when the answer's text could not be cut
   * into items; `reuse` is called with the value either way.
   */
  parseItem?: (text: string) => unknown;
};

/**
 * Objects per list request: the API server answers in chunks of this many
 * with a continue token for the rest (the chunk size kubectl uses).
 */
const LIST_CHUNK = 500;

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

  private readonly transport: ClusterTransport;
  private readonly discovery: ApiDiscovery;
  /** Until when a resource (`plural.group`) is known not to be served. */
  private readonly notServed = new Map<string, number>();

  private constructor(
    readonly cluster: { readonly name: string },
    route: () => Promise<KubernetesClusterRoute>,
    timeoutMs: number,
    private readonly now: () => number,
  ) {
    this.transport = new ClusterTransport(cluster.name, route, timeoutMs);
    this.discovery = new ApiDiscovery(this.transport, now);
  }

  /**
   * The preferred version of an API group, or undefined when it is not
   * served: from the discovery cache (see {@link DISCOVERY_TTL_MS}), else
   * asked with `GET /apis/<group>`.
   */
  async preferredVersion(group: string): Promise<string | undefined> {
    return (await this.discovery.group(group)).version;
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
    options: ListOptions = {},
  ): Promise<KubeObject[]> {
    const resource = `${plural}.${group}`;
    const missingUntil = this.notServed.get(resource);
    if (missingUntil !== undefined) {
      if (this.now() < missingUntil) return [];
      this.notServed.delete(resource);
    }
    const asked = this.discovery.answered;
    let discovered = await this.discovery.group(group);
    for (;;) {
      const version = discovered.version;
      if (!version) return [];
      const listed = await this.listAt(
        group,
        version,
        plural,
        labelSelector,
        options,
      );
      if (listed) return listed.items;
      if (discovered.seq > asked) {
        // Discovery was asked in this call and still names this version:
        // the group is served without this resource.
        this.notServed.set(resource, this.now() + NOT_SERVED_TTL_MS);
        return [];
      }
      discovered = await this.discovery.group(group);
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
    { reuse, parseItem }: ListOptions = {},
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
      const answer = await this.transport.send(path);
      const response = answer.response;
      if (response.status === 404) {
        await response.text().catch(() => undefined);
        this.discovery.forget(group, version);
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
      if (!response.ok) throw await this.transport.failure(path, answer);
      const body = await this.transport.body(path, response, {
        list: true,
        item: parseItem,
      });
      const items = body.items ?? [];
      if (!Array.isArray(items)) {
        throw new ServiceUnavailableError(
          `Cluster "${this.cluster.name}" answered /apis/${group}/${version}/${plural} with a list whose items is not an array`,
        );
      }
      // An object without a name cannot be addressed or reported: skip it.
      for (const item of items) {
        if (isNamedObject(item)) {
          const object = withoutWriteRecords(item);
          objects.push(reuse ? reuse(object) : object);
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
  async openWatch(
    path: string,
    signal: AbortSignal,
    /** Silence after which the watch is taken for dead (see ClusterTransport.send). */
    idleMs: number,
  ): Promise<Response> {
    // Uncompressed: a compressor on the way holds small events back until
    // its buffer fills or the stream ends. Backstage's own router compresses
    // every answer the client accepts gzip for, the Kubernetes plugin's
    // proxy included, and fetch asks for gzip by default.
    const answer = await this.transport.send(
      path,
      { headers: { 'Accept-Encoding': 'identity' } },
      { signal, idleMs },
    );
    if (answer.response.ok || answer.response.status === 410) {
      return answer.response;
    }
    throw await this.transport.failure(path, answer);
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
    const answer = await this.transport.send(path, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations } }),
    });
    if (answer.response.status === 403) {
      // RBAC refused the write: a caller can tell this from an outage.
      throw new NotAllowedError(
        (await this.transport.failure(path, answer)).message,
      );
    }
    if (!answer.response.ok) throw await this.transport.failure(path, answer);
  }
}
