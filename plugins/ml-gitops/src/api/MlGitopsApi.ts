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

import { createApiRef } from '@backstage/core-plugin-api';
import type {
  AuditEventsResponse,
  DeploymentsResponse,
  DriftResponse,
  FleetResponse,
  HistoryResponse,
} from '@ml-gitops/plugin-ml-gitops-common';

/**
 * Options of {@link MlGitopsApi.getHistory}.
 *
 * @public
 */
export type GetHistoryOptions = {
  entityRef: string;
  environment: string;
  /** Page size; the backend caps it. */
  limit?: number;
  /**
   * How many of the newest entries to skip (a proposed addition to the
   * contract); a page shorter than `limit` is the last one.
   */
  offset?: number;
};

/**
 * Options of {@link MlGitopsApi.getFleet}.
 *
 * @public
 */
export type GetFleetOptions = {
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
};

/**
 * Options of {@link MlGitopsApi.getAuditEvents} and
 * {@link MlGitopsApi.downloadAuditCsv}: the deployments merged (and drift
 * episodes open) from `from` (inclusive) to `to` (exclusive), ISO 8601.
 *
 * @public
 */
export type AuditRangeOptions = {
  from: string;
  to: string;
  /** One model; without it, every model the user may read. */
  entityRef?: string;
};

/**
 * The ML GitOps backend (`/api/ml-gitops`) as seen from the browser.
 *
 * @public
 */
export interface MlGitopsApi {
  /** Every environment of one model, in promotion order. */
  getDeployments(options: {
    entityRef: string;
    signal?: AbortSignal;
  }): Promise<DeploymentsResponse>;
  /** The deployments of one environment, newest first. */
  getHistory(
    options: GetHistoryOptions & { signal?: AbortSignal },
  ): Promise<HistoryResponse>;
  /** Every environment in the fleet that is not in sync. */
  getDrift(options?: { signal?: AbortSignal }): Promise<DriftResponse>;
  /** One page of the status of every tracked model. */
  getFleet(
    options?: GetFleetOptions & { signal?: AbortSignal },
  ): Promise<FleetResponse>;
  /**
   * One page of the audit export (`GET /v1/audit/events`, JSON), oldest
   * first; pass its `nextCursor` as `cursor` for the next page.
   */
  getAuditEvents(
    options: AuditRangeOptions & {
      limit?: number;
      cursor?: string;
      signal?: AbortSignal;
    },
  ): Promise<AuditEventsResponse>;
  /**
   * The audit export as CSV (`GET /v1/audit/events?format=csv`), the whole
   * range, with the file name the backend gives it.
   */
  downloadAuditCsv(
    options: AuditRangeOptions,
  ): Promise<{ blob: Blob; fileName: string }>;
  /** Asks the backend to poll a model now (answered with 202). */
  refresh(options: { entityRef: string }): Promise<void>;
}

/**
 * The API reference of {@link MlGitopsApi}.
 *
 * @public
 */
export const mlGitopsApiRef = createApiRef<MlGitopsApi>({
  id: 'plugin.ml-gitops.service',
});
