import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  DeploymentsResponse,
  DriftResponse,
  FleetResponse,
  HistoryResponse,
} from '@ml-gitops/plugin-ml-gitops-common';
import type {
  GetFleetOptions,
  GetHistoryOptions,
  MlGitopsApi,
} from './MlGitopsApi';

/**
 * The default {@link MlGitopsApi}: calls the `ml-gitops` backend plugin
 * through the discovery and fetch APIs (so requests carry the user's token).
 *
 * @public
 */
export class MlGitopsClient implements MlGitopsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getDeployments(options: {
    entityRef: string;
    signal?: AbortSignal;
  }): Promise<DeploymentsResponse> {
    return this.get<DeploymentsResponse>(
      '/v1/deployments',
      { entityRef: options.entityRef },
      options.signal,
    );
  }

  async getHistory(
    options: GetHistoryOptions & { signal?: AbortSignal },
  ): Promise<HistoryResponse> {
    return this.get<HistoryResponse>(
      '/v1/history',
      {
        entityRef: options.entityRef,
        environment: options.environment,
        limit: options.limit,
        offset: options.offset || undefined,
      },
      options.signal,
    );
  }

  async getDrift(options?: { signal?: AbortSignal }): Promise<DriftResponse> {
    return this.get<DriftResponse>('/v1/drift', {}, options?.signal);
  }

  async getFleet(
    options?: GetFleetOptions & { signal?: AbortSignal },
  ): Promise<FleetResponse> {
    return this.get<FleetResponse>(
      '/v1/fleet',
      { limit: options?.limit, cursor: options?.cursor },
      options?.signal,
    );
  }

  async refresh(options: { entityRef: string }): Promise<void> {
    const response = await this.fetchApi.fetch(await this.url('/v1/refresh'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ entityRef: options.entityRef }),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
  }

  private async url(
    path: string,
    query: Record<string, string | number | undefined> = {},
  ): Promise<string> {
    const baseUrl = await this.discoveryApi.getBaseUrl('ml-gitops');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) {
        params.set(key, String(value));
      }
    }
    const search = params.toString();
    return `${baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  private async get<T>(
    path: string,
    query: Record<string, string | number | undefined>,
    signal?: AbortSignal,
  ): Promise<T> {
    const response = await this.fetchApi.fetch(await this.url(path, query), {
      signal,
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
