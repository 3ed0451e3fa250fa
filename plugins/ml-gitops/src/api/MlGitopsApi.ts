import { createApiRef } from '@backstage/core-plugin-api';
import type {
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
