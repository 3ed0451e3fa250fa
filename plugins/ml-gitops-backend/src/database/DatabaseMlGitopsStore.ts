import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  Deployment,
  DeploymentKind,
  DriftItem,
  EnvironmentStatus,
  PullRequestInfo,
} from '@ml-gitops/plugin-ml-gitops-common';
import { Knex } from 'knex';
import {
  DriftEpisode,
  MlGitopsStore,
  StoredEnvironmentStatus,
} from './MlGitopsStore';

const migrationsDir = resolvePackagePath(
  '@ml-gitops/plugin-ml-gitops-backend',
  'migrations',
);

const STATUS = 'ml_gitops_environment_status';
const DEPLOYMENTS = 'ml_gitops_deployments';
const EPISODES = 'ml_gitops_drift_episodes';
const CACHE = 'ml_gitops_cache';

type StatusRow = {
  entity_ref: string;
  environment: string;
  model: string;
  position: number;
  drift_state: string;
  status: string;
  updated_at: string;
};

type DeploymentRow = {
  id: number | string;
  entity_ref: string;
  environment: string;
  commit_sha: string;
  version: string;
  previous_version: string | null;
  author: string;
  committed_at: string;
  kind: string;
  pull_request: string | null;
  merged_at: string | null;
  serving_at: string | null;
  time_to_serve_seconds: number | null;
  recorded_at: string;
};

type EpisodeRow = {
  id: number | string;
  entity_ref: string;
  environment: string;
  started_at: string;
  ended_at: string | null;
  reason: string;
};

/** Timestamps are stored as fixed-width ISO 8601 UTC strings, which sort. */
function iso(value: string | Date): string {
  return new Date(value).toISOString();
}

function toDeployment(row: DeploymentRow): Deployment {
  const deployment: Deployment = {
    environment: row.environment,
    version: row.version,
    commit: row.commit_sha,
    author: row.author,
    committedAt: row.committed_at,
    kind: row.kind as DeploymentKind,
  };
  if (row.previous_version !== null) {
    deployment.previousVersion = row.previous_version;
  }
  if (row.pull_request) {
    deployment.pullRequest = JSON.parse(row.pull_request) as PullRequestInfo;
  }
  if (row.serving_at) {
    deployment.servingAt = row.serving_at;
  }
  if (row.time_to_serve_seconds !== null) {
    deployment.timeToServeSeconds = Number(row.time_to_serve_seconds);
  }
  return deployment;
}

function toEpisode(row: EpisodeRow): DriftEpisode {
  return {
    id: String(row.id),
    entityRef: row.entity_ref,
    environment: row.environment,
    startedAt: row.started_at,
    ...(row.ended_at ? { endedAt: row.ended_at } : {}),
    reason: row.reason,
  };
}

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
  }): Promise<DatabaseMlGitopsStore> {
    const client = await options.database.getClient();
    if (!options.skipMigrations && !options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabaseMlGitopsStore(client);
  }

  /** For tests: the migrations folder of this package. */
  static readonly migrationsDir = migrationsDir;

  private constructor(private readonly db: Knex) {}

  async getStatuses(entityRef: string): Promise<StoredEnvironmentStatus[]> {
    const rows = await this.db<StatusRow>(STATUS)
      .where({ entity_ref: entityRef })
      .orderBy('position', 'asc');
    return rows.map(row => ({
      entityRef: row.entity_ref,
      model: row.model,
      position: Number(row.position),
      status: JSON.parse(row.status) as EnvironmentStatus,
      updatedAt: row.updated_at,
    }));
  }

  async listModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }> {
    let query = this.db<StatusRow>(STATUS)
      .distinct('entity_ref')
      .orderBy('entity_ref', 'asc')
      .limit(options.limit + 1);
    if (options.after) {
      query = query.where('entity_ref', '>', options.after);
    }
    const rows = await query;
    const entityRefs = rows.map(r => r.entity_ref);
    const more = entityRefs.length > options.limit;
    return { entityRefs: entityRefs.slice(0, options.limit), more };
  }

  async listDrift(): Promise<DriftItem[]> {
    const rows = await this.db<StatusRow>(STATUS)
      .whereNot('drift_state', 'in-sync')
      .orderBy([
        { column: 'entity_ref', order: 'asc' },
        { column: 'position', order: 'asc' },
      ]);
    return rows.map(row => ({
      entityRef: row.entity_ref,
      environment: row.environment,
      drift: (JSON.parse(row.status) as EnvironmentStatus).drift,
    }));
  }

  async replaceStatuses(
    entityRef: string,
    model: string,
    statuses: EnvironmentStatus[],
  ): Promise<void> {
    const now = iso(new Date());
    await this.db.transaction(async tx => {
      await tx(STATUS)
        .where({ entity_ref: entityRef })
        .whereNotIn(
          'environment',
          statuses.map(s => s.name),
        )
        .delete();
      for (const [position, status] of statuses.entries()) {
        await tx<StatusRow>(STATUS)
          .insert({
            entity_ref: entityRef,
            environment: status.name,
            model,
            position,
            drift_state: status.drift.state,
            status: JSON.stringify(status),
            updated_at: now,
          })
          .onConflict(['entity_ref', 'environment'])
          .merge(['model', 'position', 'drift_state', 'status', 'updated_at']);
      }
    });
  }

  async removeModel(entityRef: string): Promise<void> {
    await this.db(STATUS).where({ entity_ref: entityRef }).delete();
  }

  async recordDeployments(
    entityRef: string,
    deployments: Deployment[],
  ): Promise<void> {
    if (deployments.length === 0) {
      return;
    }
    const now = iso(new Date());
    const rows = deployments.map(d => ({
      entity_ref: entityRef,
      environment: d.environment,
      commit_sha: d.commit,
      version: d.version,
      previous_version: d.previousVersion ?? null,
      author: d.author,
      committed_at: iso(d.committedAt),
      kind: d.kind,
      pull_request: d.pullRequest ? JSON.stringify(d.pullRequest) : null,
      merged_at: iso(d.committedAt),
      serving_at: d.servingAt ? iso(d.servingAt) : null,
      time_to_serve_seconds: d.timeToServeSeconds ?? null,
      recorded_at: now,
    }));
    // Insert in chunks: SQLite limits the number of bound parameters.
    for (let i = 0; i < rows.length; i += 50) {
      await this.db(DEPLOYMENTS)
        .insert(rows.slice(i, i + 50))
        .onConflict(['entity_ref', 'environment', 'commit_sha'])
        .ignore();
    }
  }

  async markServing(
    entityRef: string,
    environment: string,
    version: string,
    servingAt: string,
  ): Promise<Deployment | undefined> {
    return this.db.transaction(async tx => {
      // Only the latest deployment can start serving now; older ones of the
      // same version were replaced since and keep their own record.
      const row = await tx<DeploymentRow>(DEPLOYMENTS)
        .where({ entity_ref: entityRef, environment })
        .orderBy([
          { column: 'committed_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .first();
      if (!row || row.version !== version || row.serving_at !== null) {
        return undefined;
      }
      const since = row.merged_at ?? row.committed_at;
      const seconds = Math.max(
        0,
        Math.round((Date.parse(servingAt) - Date.parse(since)) / 1000),
      );
      await tx(DEPLOYMENTS)
        .where({ id: row.id })
        .whereNull('serving_at')
        .update({ serving_at: iso(servingAt), time_to_serve_seconds: seconds });
      return toDeployment({
        ...row,
        serving_at: iso(servingAt),
        time_to_serve_seconds: seconds,
      });
    });
  }

  async listHistory(options: {
    entityRef: string;
    environment?: string;
    limit: number;
    offset?: number;
  }): Promise<{ items: Deployment[]; total: number }> {
    const base = () => {
      const q = this.db<DeploymentRow>(DEPLOYMENTS).where({
        entity_ref: options.entityRef,
      });
      return options.environment
        ? q.andWhere({ environment: options.environment })
        : q;
    };
    const rows = await base()
      .orderBy([
        { column: 'committed_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit)
      .offset(options.offset ?? 0);
    const [{ count }] = await base().count<{ count: number | string }[]>({
      count: '*',
    });
    return { items: rows.map(toDeployment), total: Number(count) };
  }

  async getOpenDriftEpisode(
    entityRef: string,
    environment: string,
  ): Promise<DriftEpisode | undefined> {
    const row = await this.db<EpisodeRow>(EPISODES)
      .where({ entity_ref: entityRef, environment })
      .whereNull('ended_at')
      .orderBy('id', 'desc')
      .first();
    return row ? toEpisode(row) : undefined;
  }

  async openDriftEpisode(
    episode: Omit<DriftEpisode, 'id' | 'endedAt'>,
  ): Promise<{ episode: DriftEpisode; created: boolean }> {
    return this.db.transaction(async tx => {
      const open = await tx<EpisodeRow>(EPISODES)
        .where({
          entity_ref: episode.entityRef,
          environment: episode.environment,
        })
        .whereNull('ended_at')
        .first();
      if (open) {
        return { episode: toEpisode(open), created: false };
      }
      const row = {
        entity_ref: episode.entityRef,
        environment: episode.environment,
        started_at: iso(episode.startedAt),
        ended_at: null,
        reason: episode.reason,
      };
      const [inserted] = await tx(EPISODES).insert(row, ['id']);
      const id =
        typeof inserted === 'object'
          ? (inserted as { id: number }).id
          : inserted;
      return { episode: toEpisode({ ...row, id }), created: true };
    });
  }

  async closeDriftEpisode(
    entityRef: string,
    environment: string,
    endedAt: string,
  ): Promise<DriftEpisode | undefined> {
    const open = await this.getOpenDriftEpisode(entityRef, environment);
    if (!open) {
      return undefined;
    }
    await this.db(EPISODES)
      .where({ id: open.id })
      .update({ ended_at: iso(endedAt) });
    return { ...open, endedAt: iso(endedAt) };
  }

  async listDriftEpisodes(
    entityRef: string,
    limit: number,
  ): Promise<DriftEpisode[]> {
    const rows = await this.db<EpisodeRow>(EPISODES)
      .where({ entity_ref: entityRef })
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(toEpisode);
  }

  async getCacheValue<T>(key: string): Promise<T | undefined> {
    const row = await this.db(CACHE).where({ key }).first();
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async setCacheValue<T>(key: string, value: T): Promise<void> {
    await this.db(CACHE)
      .insert({
        key,
        value: JSON.stringify(value),
        updated_at: iso(new Date()),
      })
      .onConflict('key')
      .merge(['value', 'updated_at']);
  }
}
