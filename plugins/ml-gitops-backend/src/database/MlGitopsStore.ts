import {
  Deployment,
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

/**
 * Persistence of the ml-gitops backend: current status, deployment history
 * (never rewritten: a recorded deployment only gains its serving time) and
 * drift episodes.
 *
 * @public
 */
export interface MlGitopsStore {
  /** The environments of one model, in promotion order. */
  getStatuses(entityRef: string): Promise<StoredEnvironmentStatus[]>;

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
  ): Promise<Deployment | undefined>;

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

  /** Drift episodes of a model, newest first. */
  listDriftEpisodes(entityRef: string, limit: number): Promise<DriftEpisode[]>;

  getCacheValue<T>(key: string): Promise<T | undefined>;
  setCacheValue<T>(key: string, value: T): Promise<void>;
}
