import { Config } from '@backstage/config';
import { NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import { Agent, fetch as undiciFetch } from 'undici';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { KEEP_ALIVE_OPTIONS, keepAliveFetch } from '../../http/keepAliveFetch';

/** A cluster from the `kubernetes` config, as far as ML GitOps needs it. */
export type KubernetesCluster = {
  name: string;
  url: string;
  token?: string;
  skipTLSVerify: boolean;
  caData?: string;
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
 * cluster locator, with service-account tokens), so ML GitOps talks to the
 * same clusters as the Kubernetes plugin without configuring them twice.
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
      });
    }
  }
  return clusters;
}

/**
 * A minimal Kubernetes API client: list and merge-patch, nothing more. Every
 * request gives up after the request timeout; an answer that is not the JSON
 * the API server sends fails with a message naming the cluster.
 */
/**
 * Objects per list request: the API server answers in chunks of this many
 * with a continue token for the rest (the chunk size kubectl uses).
 */
const LIST_CHUNK = 500;

export class KubernetesClusterClient {
  private readonly fetchFn: FetchFn;

  static create(
    cluster: KubernetesCluster,
    options: { fetch?: FetchFn; timeoutMs?: number } = {},
  ): KubernetesClusterClient {
    return new KubernetesClusterClient(
      cluster,
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      options.fetch,
    );
  }

  private constructor(
    readonly cluster: KubernetesCluster,
    private readonly timeoutMs: number,
    fetchFn?: FetchFn,
  ) {
    if (fetchFn) {
      this.fetchFn = fetchFn;
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
      this.fetchFn = (url, init) =>
        undiciFetch(url, {
          ...(init as object),
          dispatcher,
        }) as unknown as Promise<Response>;
    } else {
      this.fetchFn = keepAliveFetch();
    }
  }

  private async send(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.cluster.url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          Accept: 'application/json',
          ...(this.cluster.token
            ? { Authorization: `Bearer ${this.cluster.token}` }
            : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ServiceUnavailableError(
          `Cluster "${this.cluster.name}" at ${
            this.cluster.url
          } did not answer ${path.split('?')[0]} within ${
            this.timeoutMs / 1000
          } s (mlGitops.requestTimeout)`,
        );
      }
      throw new ServiceUnavailableError(
        `Cluster "${this.cluster.name}" at ${
          this.cluster.url
        } is unreachable: ${(error as Error)?.message ?? error}`,
      );
    }
    return response;
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

  private async failure(path: string, response: Response): Promise<Error> {
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
          ? '; check the serviceAccountToken of this cluster in the kubernetes config and its RBAC'
          : ''
      }`,
    );
  }

  /** The preferred version of an API group, or undefined when it is not served. */
  async preferredVersion(group: string): Promise<string | undefined> {
    const response = await this.send(`/apis/${group}`);
    if (response.status === 404) return undefined;
    if (!response.ok) throw await this.failure(`/apis/${group}`, response);
    const body = (await this.body(`/apis/${group}`, response)) as {
      preferredVersion?: { version?: unknown };
      versions?: Array<{ version?: unknown }>;
    };
    const version =
      body.preferredVersion?.version ??
      (Array.isArray(body.versions) ? body.versions[0]?.version : undefined);
    if (version !== undefined && typeof version !== 'string') {
      throw new ServiceUnavailableError(
        `Cluster "${this.cluster.name}" answered /apis/${group} with an APIGroup whose preferredVersion is not a string`,
      );
    }
    return version;
  }

  /** Lists objects of a resource in all namespaces with a label selector. */
  async list(
    group: string,
    version: string,
    plural: string,
    labelSelector: string,
  ): Promise<KubeObject[]> {
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
      const response = await this.send(path);
      if (response.status === 404) return [];
      if (response.status === 410 && token && !restarted) {
        // The continue token outlived the server's snapshot (Kubernetes
        // "API concepts": 410 Expired): start the list again, once.
        await response.text().catch(() => undefined);
        restarted = true;
        token = undefined;
        objects.length = 0;
        continue;
      }
      if (!response.ok) throw await this.failure(path, response);
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
      const next = (body.metadata as { continue?: unknown } | undefined)
        ?.continue;
      if (typeof next !== 'string' || next === '') return objects;
      token = next;
    }
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
    const response = await this.send(path, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations } }),
    });
    if (response.status === 403) {
      // RBAC refused the write: a caller can tell this from an outage.
      throw new NotAllowedError((await this.failure(path, response)).message);
    }
    if (!response.ok) throw await this.failure(path, response);
  }
}
