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

// The fleet-wide answers: `GET /v1/fleet`, `POST /v1/refresh` and the poller's `GET /v1/health`.

import type { DeploymentsResponse } from './status';

/**
 * Body of `POST /v1/refresh` (answered with 202).
 *
 * @public
 */
export type RefreshRequest = {
  entityRef: string;
};

/**
 * Response of `GET /v1/fleet?limit=…&cursor=…` (an addition to the design
 * contract): the status of every model the backend tracks, one page at a time,
 * so the fleet page needs one call instead of one per entity.
 *
 * @public
 */
export type FleetResponse = {
  items: DeploymentsResponse[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
};

/**
 * The kinds of outside systems the poller reads, in `GET /v1/health`; a
 * deployment source's kind is open (a backend module may add an operator).
 *
 * @public
 */
export type PollSourceKind =
  | 'argocd'
  | 'flux'
  | 'cluster'
  | 'git'
  | 'registry'
  | (string & {});

/**
 * How one outside system answered the poller. An addition to the design
 * contract.
 *
 * @public
 */
export type PollSourceHealth = {
  /**
   * `argocd:<instance>`, `flux:<cluster>`, `cluster:<cluster>` (the KServe
   * serving objects), `git:<host>` or `registry:<name>`.
   */
  name: string;
  kind: PollSourceKind;
  /** When it last answered (ISO 8601 UTC); absent when it never did. */
  lastSuccessAt?: string;
  /** Set while it fails: the newest error and since when it fails. */
  failure?: { message: string; since: string };
};

/**
 * Response of `GET /v1/health`: whether the poller runs and what each
 * outside system answered. An addition to the design contract.
 *
 * @public
 */
export type HealthResponse = {
  /** When this answer was made. */
  checkedAt: string;
  /**
   * `stale`: no poll cycle finished within `staleAfterSeconds` (the poller
   * stopped or hangs); `degraded`: the last cycle failed or a source fails;
   * `ok` otherwise.
   */
  status: 'ok' | 'degraded' | 'stale';
  staleAfterSeconds: number;
  /** The poll cycles of the whole fleet. */
  cycle: {
    /** The last full cycle that finished. */
    lastCompleted?: {
      startedAt: string;
      finishedAt: string;
      durationMs: number;
      models: number;
      /** Models whose poll failed in that cycle (see the backend log). */
      failedModels: number;
    };
    /** Set when the newest cycle failed as a whole (e.g. the catalog could not be read). */
    failure?: { message: string; at: string };
  };
  sources: PollSourceHealth[];
};
