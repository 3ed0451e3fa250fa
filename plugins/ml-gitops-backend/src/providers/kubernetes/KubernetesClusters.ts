import { Config } from '@backstage/config';
import { ServiceUnavailableError } from '@backstage/errors';
import { Agent, fetch as undiciFetch } from 'undici';

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

/** A minimal Kubernetes API client: list and merge-patch, nothing more. */
export class KubernetesClusterClient {
  private readonly fetchFn: FetchFn;

  static create(
    cluster: KubernetesCluster,
    options: { fetch?: FetchFn } = {},
  ): KubernetesClusterClient {
    return new KubernetesClusterClient(cluster, options.fetch);
  }

  private constructor(readonly cluster: KubernetesCluster, fetchFn?: FetchFn) {
    if (fetchFn) {
      this.fetchFn = fetchFn;
    } else if (cluster.skipTLSVerify || cluster.caData) {
      const dispatcher = new Agent({
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
      this.fetchFn = (url, init) => fetch(url, init);
    }
  }

  private async send(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.cluster.url}${path}`, {
        ...init,
        headers: {
          Accept: 'application/json',
          ...(this.cluster.token
            ? { Authorization: `Bearer ${this.cluster.token}` }
            : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `Cluster "${this.cluster.name}" at ${
          this.cluster.url
        } is unreachable: ${(error as Error).message}`,
      );
    }
    return response;
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
    const body = (await response.json()) as {
      preferredVersion?: { version: string };
      versions?: Array<{ version: string }>;
    };
    return body.preferredVersion?.version ?? body.versions?.[0]?.version;
  }

  /** Lists objects of a resource in all namespaces with a label selector. */
  async list(
    group: string,
    version: string,
    plural: string,
    labelSelector: string,
  ): Promise<KubeObject[]> {
    const path = `/apis/${group}/${version}/${plural}?labelSelector=${encodeURIComponent(
      labelSelector,
    )}`;
    const response = await this.send(path);
    if (response.status === 404) return [];
    if (!response.ok) throw await this.failure(path, response);
    const body = (await response.json()) as { items?: KubeObject[] | null };
    return body.items ?? [];
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
    if (!response.ok) throw await this.failure(path, response);
  }
}
