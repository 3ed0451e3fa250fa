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

/*
 * The shapes of the audit API of the ml-gitops backend: what Git declared
 * and what served at an instant (`GET /v1/audit/state`), the export of
 * deployments and drift episodes (`GET /v1/audit/events`) and the drift
 * episodes of one model (`GET /v1/drift/episodes`).
 *
 * All timestamps are ISO 8601 strings in UTC.
 */

import type { DeploymentKind, GateOutcome, PullRequestInfo } from './types';

/**
 * What the backend read about a deployed version on its first poll after the
 * merge: the registry's facts and verdict, and the freeze of the environment.
 * An addition to the design contract.
 *
 * @public
 */
export type DeploymentChecks = {
  /** When the backend read these facts. */
  checkedAt: string;
  /** The registry's facts about the deployed version; null without a registry. */
  registry: {
    exists: boolean;
    gate: GateOutcome;
    metrics: Record<string, number>;
    thresholds?: Record<string, { min?: number; max?: number }>;
    /** Set when the registry marked the version rejected at that time. */
    rejected?: { reason?: string; by?: string; at?: string };
    /**
     * When the registry registered the version: the start of the lead time
     * to serving. An addition to the design contract.
     */
    registeredAt?: string;
  } | null;
  /** The freeze that held in the environment at that time, if any. */
  frozen?: { reason: string; until?: string };
};

/**
 * What Git declared for an environment at an instant: the deployment whose
 * merge was the latest at or before it.
 *
 * @public
 */
export type AuditDeclared = {
  version: string;
  commit: string;
  /** The merge time (the commit time when no pull request is known). */
  committedAt: string;
  pullRequest?: PullRequestInfo;
  /** Who made the change. An addition to the design contract. */
  author?: string;
  /** deploy, promotion or rollback. An addition to the design contract. */
  kind?: DeploymentKind;
  /** The reason a rollback gave. An addition to the design contract. */
  reason?: string;
  /** What the backend read after the merge. An addition to the design contract. */
  checks?: DeploymentChecks;
};

/**
 * One model environment at an instant, see {@link AuditStateResponse}.
 *
 * @public
 */
export type AuditStateItem = {
  entityRef: string;
  environment: string;
  /** Null when no deployment of this environment is recorded before the instant. */
  declared: AuditDeclared | null;
  /**
   * The version serving and since when it served; `version: null` when
   * something served that the backend cannot name (a drift episode); null
   * when the backend has no observation to answer from.
   */
  serving: { version: string | null; since?: string } | null;
  /**
   * True when the stored facts decide the answer: the declared version had
   * been seen serving at or before the instant and no drift episode covers
   * it. Otherwise `note` says why the answer is uncertain.
   */
  certain: boolean;
  note?: string;
};

/**
 * Response of `GET /v1/audit/state?at=…[&entityRef=…]`.
 *
 * @public
 */
export type AuditStateResponse = {
  /** The instant asked about, normalised to ISO 8601 UTC. */
  at: string;
  items: AuditStateItem[];
  /**
   * Pass as `cursor` for the next page of models (fleet-wide queries);
   * absent on the last page. An addition to the design contract.
   */
  nextCursor?: string;
};

/**
 * One drift episode: from the moment an environment counted as drifted until
 * it stopped being drifted (absent `endedAt`: still drifted).
 *
 * @public
 */
export type DriftEpisodeInfo = {
  entityRef: string;
  environment: string;
  startedAt: string;
  endedAt?: string;
  reason: string;
};

/**
 * Response of `GET /v1/drift/episodes?entityRef=…[&environment=…]`, newest
 * first. An addition to the design contract.
 *
 * @public
 */
export type DriftEpisodesResponse = {
  items: DriftEpisodeInfo[];
};

/**
 * A deployment, promotion or rollback in the audit export.
 *
 * @public
 */
export type AuditDeploymentEvent = {
  type: 'deployment';
  entityRef: string;
  environment: string;
  /** The merge time; events are ordered by it. */
  at: string;
  kind: DeploymentKind;
  version: string;
  previousVersion?: string;
  commit: string;
  author: string;
  pullRequest?: PullRequestInfo;
  /** The first time the version was seen serving. */
  servingAt?: string;
  /** servingAt - merge time. */
  timeToServeSeconds?: number;
  /** The reason a rollback gave. */
  reason?: string;
  /** What the backend read after the merge, when it did. */
  checks?: DeploymentChecks;
};

/**
 * A drift episode in the audit export.
 *
 * @public
 */
export type AuditDriftEvent = {
  type: 'drift';
  entityRef: string;
  environment: string;
  /** When the episode started; events are ordered by it. */
  at: string;
  startedAt: string;
  endedAt?: string;
  reason: string;
};

/**
 * One event of the audit export.
 *
 * @public
 */
export type AuditEvent = AuditDeploymentEvent | AuditDriftEvent;

/**
 * Response of `GET /v1/audit/events?from=…&to=…` in JSON: one page, oldest
 * first. An addition to the design contract (the contract fixes the route,
 * not the body).
 *
 * @public
 */
export type AuditEventsResponse = {
  from: string;
  to: string;
  items: AuditEvent[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
};

/**
 * The columns of the CSV export, in order; one row per event.
 *
 * @public
 */
export const AUDIT_CSV_COLUMNS = [
  'type',
  'entity_ref',
  'environment',
  'at',
  'kind',
  'version',
  'previous_version',
  'commit',
  'author',
  'pull_request',
  'pull_request_url',
  'merged_by',
  'approvers',
  'merged_at',
  'serving_at',
  'time_to_serve_seconds',
  'reason',
  'gate',
  'metrics',
  'registered_at',
  'rejected',
  'frozen',
  'checked_at',
  'drift_started_at',
  'drift_ended_at',
] as const;
