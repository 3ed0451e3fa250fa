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

import {
  AuditDeploymentEvent,
  AuditDriftEvent,
  AuditStateItem,
  Deployment,
  DeploymentChecks,
  DriftItem,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';

/**
 * The status of one environment as stored, with the facts the poller keeps
 * beside what the API returns.
 *
 * @public
 */
export type StoredEnvironmentStatus = {
  entityRef: string;
  model: string;
  position: number;
  status: EnvironmentStatus;
  updatedAt: string;
  /**
   * The deployment source (`argocd:main`) whose listing `status.live` came
   * from. While set, `live.observedAt` is read as the last time that source
   * answered, so an unchanged status need not be rewritten every cycle.
   */
  observedFrom?: string;
  /** Set while the environment is `unknown` or `missing`. */
  silence?: Silence;
};

/**
 * Since when an environment has been `unknown` or `missing` without a break,
 * and whether its owners were told (`mlGitops.alerts.unknownAfter`). Kept
 * beside the status, not in the API.
 *
 * @public
 */
export type Silence = {
  since: string;
  /** When the owners were notified; absent until then. */
  notifiedAt?: string;
};

/** The statuses of one model to store, with where each live value came from. */
/** An environment's newest deployment, as marking it serving needs it. */
export type LatestDeployment = {
  /** The row, for a guarded update. */
  id: number;
  /** Merged (or committed) at: where its time to serve counts from. */
  since: string;
  /** Whether its checks are kept already. */
  hasChecks: boolean;
  deployment: Deployment;
};

export type StatusWrite = {
  entityRef: string;
  model: string;
  statuses: Array<{
    status: EnvironmentStatus;
    observedFrom?: string;
    silence?: Silence;
  }>;
};

/**
 * A drift episode: from the moment an environment counted as drifted until it
 * stopped being drifted.
 *
 * @public
 */
export type DriftEpisode = {
  id: string;
  entityRef: string;
  environment: string;
  startedAt: string;
  endedAt?: string;
  reason: string;
};

/** A position in the time-ordered audit export: after this time and row id. */
export type AuditPosition = { at: string; id: string };

/** One page of audit events read from the store, oldest first. */
export type AuditEventRows<T> = Array<{ id: string; event: T }>;

/** The range and scope of an audit export page. */
export type AuditEventQuery = {
  /** ISO 8601 UTC, inclusive. */
  from: string;
  /** ISO 8601 UTC, exclusive. */
  to: string;
  entityRef?: string;
  after?: AuditPosition;
  limit: number;
};

/**
 * Persistence of the ml-gitops backend: current status, deployment history
 * (never rewritten: a recorded deployment only gains its serving time) and
 * drift episodes.
 *
 * @public
 */
/**
 * The cache key under which the poller keeps the environments of a model
 * whose older history is still being read (a JSON array of names).
 *
 * @public
 */
export function historyProgressKey(entityRef: string): string {
  return `history:reading-older:${entityRef}`;
}

export interface MlGitopsStore {
  /**
   * The environments of one model, in promotion order; `live.observedAt` is
   * the last time its source answered when the status follows a source.
   */
  getStatuses(entityRef: string): Promise<StoredEnvironmentStatus[]>;

  /**
   * Every stored status written after `since` (all when absent), and the
   * cursor to pass next time. Rows written shortly before the cursor are
   * returned again, so writes still in flight are not missed. A row that
   * `held` says the caller holds already (its model written at that
   * `updated_at`) is left out without being parsed.
   */
  listStatusesSince(
    since?: string,
    held?: (entityRef: string, updatedAt: string) => boolean,
  ): Promise<{
    items: StoredEnvironmentStatus[];
    cursor: string;
  }>;

  /**
   * Replaces the statuses of several models in one transaction; returns
   * the `updatedAt` their rows were written with.
   */
  writeStatuses(models: StatusWrite[]): Promise<string>;

  /** When each deployment source last answered, by source name. */
  getSourceFreshness(): Promise<Record<string, string>>;

  /** Records when sources answered; a later time than the stored one wins. */
  recordSourceFreshness(times: Record<string, string>): Promise<void>;

  /** The models known to the store, ordered by entity ref, one page at a time. */
  listModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }>;

  /** Every environment in the fleet whose drift state is not in-sync. */
  listDrift(): Promise<DriftItem[]>;

  /**
   * Replaces the statuses of a model with the given ones (environments no
   * longer configured are removed).
   */
  replaceStatuses(
    entityRef: string,
    model: string,
    statuses: EnvironmentStatus[],
  ): Promise<void>;

  /** Forgets a model that left the catalog; its history stays. */
  removeModel(entityRef: string): Promise<void>;

  /** Records deployments; ones already recorded (same commit) are kept as they were. */
  recordDeployments(
    entityRef: string,
    deployments: Deployment[],
  ): Promise<void>;

  /**
   * Marks the latest deployment of an environment as serving since
   * `servingAt`, if it deployed `version` and is not marked yet. Returns the
   * updated deployment.
   */
  markServing(
    entityRef: string,
    environment: string,
    version: string,
    servingAt: string,
    /** The environment's latest deployment, read already ({@link MlGitopsStore.latestDeployments}). */
    known?: { latest: LatestDeployment | undefined },
  ): Promise<Deployment | undefined>;

  /** The newest deployment of each of `environments` of a model (one read). */
  latestDeployments(
    entityRef: string,
    environments: string[],
  ): Promise<Map<string, LatestDeployment>>;

  /**
   * The same for several models, by entity ref (a model with none of its
   * environments deployed: absent), in as few statements as the database
   * allows.
   */
  latestDeploymentsOf(
    entityRefs: string[],
    environments: string[],
  ): Promise<Map<string, Map<string, LatestDeployment>>>;

  /** History of one environment (or all), newest first. */
  listHistory(options: {
    entityRef: string;
    environment?: string;
    limit: number;
    offset?: number;
  }): Promise<{ items: Deployment[]; total: number }>;

  /** The open drift episode of an environment, if any. */
  getOpenDriftEpisode(
    entityRef: string,
    environment: string,
  ): Promise<DriftEpisode | undefined>;

  /** The open drift episodes of a model, in every environment. */
  listOpenDriftEpisodes(entityRef: string): Promise<DriftEpisode[]>;

  /** The open drift episodes of several models, by entity ref (none: absent). */
  listOpenDriftEpisodesOf(
    entityRefs: string[],
  ): Promise<Map<string, DriftEpisode[]>>;

  /** Opens a drift episode; returns the open one when it already exists. */
  openDriftEpisode(episode: Omit<DriftEpisode, 'id' | 'endedAt'>): Promise<{
    episode: DriftEpisode;
    created: boolean;
  }>;

  /** Closes the open drift episode of an environment, if any. */
  closeDriftEpisode(
    entityRef: string,
    environment: string,
    endedAt: string,
  ): Promise<DriftEpisode | undefined>;

  /** Drift episodes of a model (one environment when given), newest first. */
  listDriftEpisodes(
    entityRef: string,
    limit: number,
    environment?: string,
  ): Promise<DriftEpisode[]>;

  /**
   * Keeps what the backend read after a deployment's merge (registry facts,
   * gate, freeze), once: a deployment that has them keeps the first.
   * Resolves true when they were stored now.
   */
  recordDeploymentChecks(
    entityRef: string,
    environment: string,
    commit: string,
    checks: DeploymentChecks,
  ): Promise<boolean>;

  /**
   * What Git declared and what served in each environment of a model at an
   * instant: the given environments in order, then any other environment
   * with recorded history.
   */
  getStateAt(options: {
    entityRef: string;
    at: string;
    environments: string[];
  }): Promise<AuditStateItem[]>;

  /**
   * The models with a stored status or recorded history (also models that
   * left the catalog), ordered by entity ref, one page at a time.
   */
  listAuditModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }>;

  /** Deployments merged in the range after the position, oldest first. */
  listDeploymentEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDeploymentEvent>>;

  /**
   * Drift episodes that overlap the range (started before its end, not
   * ended before its start), after the position, by start time.
   */
  listDriftEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDriftEvent>>;

  getCacheValue<T>(key: string): Promise<T | undefined>;
  /** The values stored under `keys`, in one read per 500 keys; absent keys are left out. */
  getCacheValues<T>(keys: readonly string[]): Promise<Map<string, T>>;
  setCacheValue<T>(key: string, value: T): Promise<void>;
  /** Stores many values at once (the last of a key given twice stands). */
  setCacheValues(
    entries: ReadonlyArray<{ key: string; value: unknown }>,
  ): Promise<void>;
}
