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

import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  AuditEventsResponse,
  DeploymentsResponse,
  DriftResponse,
  FleetResponse,
  HistoryResponse,
} from '@ml-gitops/plugin-ml-gitops-common';
import type {
  AuditRangeOptions,
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

  async getAuditEvents(
    options: AuditRangeOptions & {
      limit?: number;
      cursor?: string;
      signal?: AbortSignal;
    },
  ): Promise<AuditEventsResponse> {
    return this.get<AuditEventsResponse>(
      '/v1/audit/events',
      {
        from: options.from,
        to: options.to,
        entityRef: options.entityRef,
        format: 'json',
        limit: options.limit,
        cursor: options.cursor,
      },
      options.signal,
    );
  }

  async downloadAuditCsv(
    options: AuditRangeOptions,
  ): Promise<{ blob: Blob; fileName: string }> {
    const response = await this.fetchApi.fetch(
      await this.url('/v1/audit/events', {
        from: options.from,
        to: options.to,
        entityRef: options.entityRef,
        format: 'csv',
      }),
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    // The backend names the file (content-disposition: attachment;
    // filename="…"); the name is rebuilt here if a proxy dropped the header.
    const disposition = response.headers.get('content-disposition') ?? '';
    const named = /filename="([^"]+)"/.exec(disposition)?.[1];
    const fileName =
      named ??
      `${`ml-gitops-audit-${options.from}-${options.to}`.replace(
        /[^A-Za-z0-9-]/g,
        '',
      )}.csv`;
    // Read whole: the export streams, and a transfer the backend breaks
    // midway rejects here instead of saving a short file.
    return { blob: await response.blob(), fileName };
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
