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

import { DatabaseService, LoggerService } from '@backstage/backend-plugin-api';
import {
  AuditDeploymentEvent,
  AuditDriftEvent,
  AuditStateItem,
  Deployment,
  DeploymentChecks,
  DriftItem,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { Knex } from 'knex';
import { AuditQueries } from './AuditQueries';
import {
  getCacheValue,
  getCacheValues,
  setCacheValue,
  setCacheValues,
} from './cacheTable';
import { DeploymentsTable } from './DeploymentsTable';
import { DriftEpisodesTable } from './DriftEpisodesTable';
import { migrate, MIGRATION_LOCK_KEY, migrationsDir } from './migrate';
import {
  AuditEventQuery,
  AuditEventRows,
  DriftEpisode,
  LatestDeployment,
  MlGitopsStore,
  StatusWrite,
  StoredEnvironmentStatus,
} from './MlGitopsStore';
import { StatusesTable } from './StatusesTable';

// The knex store: migrates on creation and composes the per-table modules (statuses, deployments, drift episodes, audit queries, cache).

/**
 * The knex implementation of {@link MlGitopsStore}, for SQLite and
 * PostgreSQL.
 *
 * @public
 */
export class DatabaseMlGitopsStore implements MlGitopsStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
    /** Told when a stale knex migration lock is released. */
    logger?: LoggerService;
    /** How long to wait for another replica's migrations; 5 minutes. */
    migrationLockTimeoutMs?: number;
  }): Promise<DatabaseMlGitopsStore> {
    const client = await options.database.getClient();
    if (!options.skipMigrations && !options.database.migrations?.skip) {
      await migrate(client, {
        logger: options.logger,
        lockTimeoutMs: options.migrationLockTimeoutMs,
      });
    }
    return new DatabaseMlGitopsStore(client);
  }

  /** For tests: the migrations folder of this package. */
  static readonly migrationsDir = migrationsDir;

  /** The PostgreSQL advisory lock key held while migrating. */
  static readonly migrationLockKey = MIGRATION_LOCK_KEY;

  private readonly statuses: StatusesTable;
  private readonly deployments: DeploymentsTable;
  private readonly episodes: DriftEpisodesTable;
  private readonly audit: AuditQueries;

  private constructor(private readonly db: Knex) {
    this.statuses = new StatusesTable(db);
    this.deployments = new DeploymentsTable(db);
    this.episodes = new DriftEpisodesTable(db);
    this.audit = new AuditQueries(db);
  }

  getStatuses(entityRef: string): Promise<StoredEnvironmentStatus[]> {
    return this.statuses.getStatuses(entityRef);
  }

  listStatusesSince(
    since?: string,
    held?: (entityRef: string, updatedAt: string) => boolean,
  ): Promise<{ items: StoredEnvironmentStatus[]; cursor: string }> {
    return this.statuses.listStatusesSince(since, held);
  }

  getSourceFreshness(): Promise<Record<string, string>> {
    return this.statuses.getSourceFreshness();
  }

  recordSourceFreshness(times: Record<string, string>): Promise<void> {
    return this.statuses.recordSourceFreshness(times);
  }

  listModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }> {
    return this.statuses.listModels(options);
  }

  listDrift(): Promise<DriftItem[]> {
    return this.statuses.listDrift();
  }

  replaceStatuses(
    entityRef: string,
    model: string,
    statuses: EnvironmentStatus[],
  ): Promise<void> {
    return this.statuses.replaceStatuses(entityRef, model, statuses);
  }

  writeStatuses(models: StatusWrite[]): Promise<string> {
    return this.statuses.writeStatuses(models);
  }

  removeModel(entityRef: string): Promise<void> {
    return this.statuses.removeModel(entityRef);
  }

  recordDeployments(
    entityRef: string,
    deployments: Deployment[],
  ): Promise<void> {
    return this.deployments.recordDeployments(entityRef, deployments);
  }

  markServing(
    entityRef: string,
    environment: string,
    version: string,
    servingAt: string,
    known?: { latest: LatestDeployment | undefined },
  ): Promise<Deployment | undefined> {
    return this.deployments.markServing(
      entityRef,
      environment,
      version,
      servingAt,
      known,
    );
  }

  latestDeployments(
    entityRef: string,
    environments: string[],
  ): Promise<Map<string, LatestDeployment>> {
    return this.deployments.latestDeployments(entityRef, environments);
  }

  latestDeploymentsOf(
    entityRefs: string[],
    environments: string[],
  ): Promise<Map<string, Map<string, LatestDeployment>>> {
    return this.deployments.latestDeploymentsOf(entityRefs, environments);
  }

  listHistory(options: {
    entityRef: string;
    environment?: string;
    limit: number;
    offset?: number;
  }): Promise<{ items: Deployment[]; total: number }> {
    return this.deployments.listHistory(options);
  }

  getOpenDriftEpisode(
    entityRef: string,
    environment: string,
  ): Promise<DriftEpisode | undefined> {
    return this.episodes.getOpenDriftEpisode(entityRef, environment);
  }

  listOpenDriftEpisodes(entityRef: string): Promise<DriftEpisode[]> {
    return this.episodes.listOpenDriftEpisodes(entityRef);
  }

  listOpenDriftEpisodesOf(
    entityRefs: string[],
  ): Promise<Map<string, DriftEpisode[]>> {
    return this.episodes.listOpenDriftEpisodesOf(entityRefs);
  }

  openDriftEpisode(
    episode: Omit<DriftEpisode, 'id' | 'endedAt'>,
  ): Promise<{ episode: DriftEpisode; created: boolean }> {
    return this.episodes.openDriftEpisode(episode);
  }

  closeDriftEpisode(
    entityRef: string,
    environment: string,
    endedAt: string,
  ): Promise<DriftEpisode | undefined> {
    return this.episodes.closeDriftEpisode(entityRef, environment, endedAt);
  }

  listDriftEpisodes(
    entityRef: string,
    limit: number,
    environment?: string,
  ): Promise<DriftEpisode[]> {
    return this.episodes.listDriftEpisodes(entityRef, limit, environment);
  }

  recordDeploymentChecks(
    entityRef: string,
    environment: string,
    commit: string,
    checks: DeploymentChecks,
  ): Promise<boolean> {
    return this.deployments.recordDeploymentChecks(
      entityRef,
      environment,
      commit,
      checks,
    );
  }

  getStateAt(options: {
    entityRef: string;
    at: string;
    environments: string[];
  }): Promise<AuditStateItem[]> {
    return this.audit.getStateAt(options);
  }

  listAuditModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }> {
    return this.audit.listAuditModels(options);
  }

  listDeploymentEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDeploymentEvent>> {
    return this.audit.listDeploymentEvents(query);
  }

  listDriftEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDriftEvent>> {
    return this.audit.listDriftEvents(query);
  }

  getCacheValue<T>(key: string): Promise<T | undefined> {
    return getCacheValue<T>(this.db, key);
  }

  getCacheValues<T>(keys: readonly string[]): Promise<Map<string, T>> {
    return getCacheValues<T>(this.db, keys);
  }

  setCacheValue<T>(key: string, value: T): Promise<void> {
    return setCacheValue(this.db, key, value);
  }

  setCacheValues(
    entries: ReadonlyArray<{ key: string; value: unknown }>,
  ): Promise<void> {
    return setCacheValues(this.db, entries);
  }
}
