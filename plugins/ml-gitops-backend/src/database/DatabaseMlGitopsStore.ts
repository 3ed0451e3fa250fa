import {
  DatabaseService,
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  AuditDeploymentEvent,
  AuditDriftEvent,
  AuditStateItem,
  Deployment,
  DeploymentChecks,
  DeploymentKind,
  DriftItem,
  EnvironmentStatus,
  PullRequestInfo,
} from '@ml-gitops/plugin-ml-gitops-common';
import { Knex } from 'knex';
import { AuditedDeployment, resolveStateAt } from './auditState';
import {
  AuditEventQuery,
  AuditEventRows,
  DriftEpisode,
  MlGitopsStore,
  Silence,
  StatusWrite,
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
/** The cache row holding when each deployment source last answered. */
const FRESHNESS_KEY = 'ml-gitops:source-freshness';
/** How long a replica reuses the freshness row it read, for API reads. */
const FRESHNESS_TTL_MS = 2_000;
/** Rows written this shortly before a cursor are listed again. */
const CURSOR_MARGIN_MS = 10_000;

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
  reason?: string | null;
  pull_request: string | null;
  merged_at: string | null;
  serving_at: string | null;
  time_to_serve_seconds: number | null;
  recorded_at: string;
  checks?: string | null;
};

type EpisodeRow = {
  id: number | string;
  entity_ref: string;
  environment: string;
  started_at: string;
  ended_at: string | null;
  reason: string;
};

/**
 * The PostgreSQL advisory lock that serialises this plugin's migrations
 * across backend replicas: the first 8 bytes of SHA-256 of the plugin id
 * `ml-gitops`, read as a signed big-endian 64-bit integer. It must never
 * change: replicas of two versions exclude each other only through the same
 * key. Advisory locks are per database, so the plugin id keeps it apart from
 * other plugins sharing one database (`pluginDivisionMode: schema`).
 */
const MIGRATION_LOCK_KEY = '-947146172078839831';
/** How long a replica waits for another one to finish migrating. */
const MIGRATION_LOCK_TIMEOUT_MS = 5 * 60_000;
const KNEX_LOCK_TABLE = 'knex_migrations_lock';

/** Migrations of one connection pool run one after the other. */
const migrationsInProcess = new WeakMap<object, Promise<unknown>>();

async function oneAtATime<T>(key: object, run: () => Promise<T>): Promise<T> {
  const before = migrationsInProcess.get(key) ?? Promise.resolve();
  const current = before.catch(() => undefined).then(run);
  migrationsInProcess.set(key, current);
  try {
    return await current;
  } finally {
    if (migrationsInProcess.get(key) === current) {
      migrationsInProcess.delete(key);
    }
  }
}

type MigrateOptions = { logger?: LoggerService; lockTimeoutMs?: number };

/**
 * Runs the migrations of this plugin.
 *
 * knex alone is not safe for replicas that start together: it creates its
 * bookkeeping tables without a lock (`ensureTable` checks, then creates),
 * and two replicas that both find `knex_migrations_lock` empty both insert
 * a row into it. From then on knex's lock (`UPDATE … SET is_locked = 1
 * WHERE is_locked = 0`, which must change exactly one row) fails for every
 * replica and every later start with `MigrationLocked`, although nothing
 * holds it.
 *
 * On PostgreSQL a replica therefore first takes a transaction-level advisory
 * lock ({@link MIGRATION_LOCK_KEY}) and keeps it until its migrations have
 * run. The lock lives in a transaction of its own on one pooled connection,
 * while knex migrates as usual on another; it is released when that
 * transaction ends, also on error or when the process dies (PostgreSQL ends
 * the session), and it works behind a transaction-pooling proxy. (The lock
 * transaction is idle while knex works: a server-side
 * `idle_in_transaction_session_timeout` shorter than the migrations would end
 * it early; knex's own lock still guards the migrations then.) Waiting
 * replicas poll in short transactions and hold no connection in between.
 * Within one process, migrations of one pool run one after the other, so
 * waiters never starve the pool.
 *
 * SQLite is a single process: running one migration at a time is enough.
 */
async function migrate(client: Knex, options: MigrateOptions): Promise<void> {
  const pool = (client.client as { pool?: { max?: number } }).pool;
  await oneAtATime(pool ?? client.client, async () => {
    if (client.client.dialect !== 'postgresql') {
      await client.migrate.latest({ directory: migrationsDir });
      return;
    }
    if (pool?.max !== undefined && pool.max < 2) {
      throw new Error(
        `The ml-gitops backend needs at least 2 database connections on PostgreSQL to migrate (one holds the migration lock), but its pool allows ${pool.max}; raise backend.database.plugin.ml-gitops.knexConfig.pool.max (or backend.database.knexConfig.pool.max)`,
      );
    }
    await withMigrationLock(client, options, async () => {
      await releaseStaleKnexLock(client, options.logger);
      try {
        await client.migrate.latest({ directory: migrationsDir });
      } catch (error) {
        if ((error as Error)?.name !== 'MigrationLocked') {
          throw error;
        }
        throw new Error(
          `The ml-gitops database migrations are locked by knex although no ml-gitops backend is migrating: something outside the backend (a knex command line run?) set ${KNEX_LOCK_TABLE}.is_locked while this replica ran. When it has finished, clear it with: UPDATE ${KNEX_LOCK_TABLE} SET is_locked = 0;`,
          { cause: error },
        );
      }
    });
  });
}

/** Runs `fn` while holding the advisory migration lock of this plugin. */
async function withMigrationLock(
  client: Knex,
  options: MigrateOptions,
  fn: () => Promise<void>,
): Promise<void> {
  const timeoutMs = options.lockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const lockTx = await client.transaction();
    try {
      const result = await lockTx.raw<{ rows: Array<{ locked: boolean }> }>(
        'SELECT pg_try_advisory_xact_lock(?::bigint) AS locked',
        [MIGRATION_LOCK_KEY],
      );
      if (result.rows[0]?.locked) {
        await fn();
        return;
      }
    } finally {
      // Ending the transaction releases the lock. If that fails, the
      // session is gone, which released it as well.
      await lockTx.commit().catch(() => undefined);
    }
    if (Date.now() >= deadline) {
      throw await lockTimeoutError(client, timeoutMs);
    }
    await new Promise(resolve =>
      setTimeout(resolve, Math.min(50 * 2 ** attempt, 1_000)),
    );
  }
}

/** Says who holds the migration lock, and what to do about it. */
async function lockTimeoutError(client: Knex, timeoutMs: number) {
  const key = BigInt.asUintN(64, BigInt(MIGRATION_LOCK_KEY));
  let holder = 'another database session';
  let pid: number | undefined;
  try {
    const { rows } = await client.raw<{
      rows: Array<{
        pid: number;
        application_name: string;
        client_addr: string | null;
        state: string | null;
        xact_start: Date | null;
      }>;
    }>(
      `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.state, a.xact_start
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = ?::bigint::oid AND l.objid = ?::bigint::oid`,
      [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
    );
    if (rows[0]) {
      pid = rows[0].pid;
      const since = rows[0].xact_start
        ? `, in a transaction since ${new Date(
            rows[0].xact_start,
          ).toISOString()}`
        : '';
      holder = `database session ${pid} (application '${
        rows[0].application_name
      }', client ${rows[0].client_addr ?? 'local'}, ${
        rows[0].state ?? 'unknown state'
      }${since})`;
    }
  } catch {
    // The message below is still useful without the holder.
  }
  const end = pid
    ? `SELECT pg_terminate_backend(${pid});`
    : 'pg_terminate_backend(pid), with the pid from pg_locks';
  return new Error(
    `Gave up after ${Math.round(
      timeoutMs / 1000,
    )} s waiting for another ml-gitops backend instance to finish the database migrations: ${holder} holds the PostgreSQL advisory lock ${MIGRATION_LOCK_KEY}. Check that instance's log for a migration that is slow or hanging (a table lock held by another session: see pg_locks). If it is stuck, stop it or end its session with ${end}; the lock is released with the session and the next start migrates.`,
  );
}

/**
 * Repairs knex's own lock table before migrating, while the advisory lock
 * is held.
 *
 * A stale `is_locked = 1` or a second row (the damage of the race described
 * at {@link migrate}, from versions without the advisory lock) makes every
 * start fail with `MigrationLocked` forever, and waiting cannot clear it.
 * Releasing it here is safe: the advisory lock tells that no replica of
 * this plugin is migrating, and all migrations of this plugin run in one
 * transaction in which knex sets and clears the flag, so no replica, also
 * of an older version, leaves it set while it runs: a committed flag was
 * left by a run that died outside that path (a `knex migrate` command line
 * run without transactions, for instance). Such manual runs must not be made
 * while the backend starts. The release is logged.
 */
async function releaseStaleKnexLock(client: Knex, logger?: LoggerService) {
  if (!(await client.schema.hasTable(KNEX_LOCK_TABLE))) {
    return;
  }
  const rows = await client(KNEX_LOCK_TABLE).select('is_locked');
  const locked = rows.filter(row => Number(row.is_locked) !== 0).length;
  if (rows.length <= 1 && locked === 0) {
    return;
  }
  logger?.warn(
    `Releasing a stale knex migration lock of the ml-gitops backend (${KNEX_LOCK_TABLE} had ${rows.length} rows, ${locked} locked); no ml-gitops backend instance is migrating`,
  );
  await client.migrate.forceFreeMigrationsLock({ directory: migrationsDir });
}

/** The unique key of an open drift episode; null once it ended. */
function openKey(episode: { entityRef: string; environment: string }) {
  return `${episode.entityRef} ${episode.environment}`;
}

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
  if (row.reason) {
    deployment.reason = row.reason;
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

function toAudited(row: DeploymentRow): AuditedDeployment {
  const deployment: AuditedDeployment = toDeployment(row);
  if (row.checks) {
    deployment.checks = JSON.parse(row.checks) as DeploymentChecks;
  }
  return deployment;
}

function toDeploymentEvent(
  entityRef: string,
  row: DeploymentRow,
): AuditDeploymentEvent {
  const d = toAudited(row);
  return {
    type: 'deployment',
    entityRef,
    environment: d.environment,
    at: d.committedAt,
    kind: d.kind,
    version: d.version,
    ...(d.previousVersion !== undefined
      ? { previousVersion: d.previousVersion }
      : {}),
    commit: d.commit,
    author: d.author,
    ...(d.pullRequest ? { pullRequest: d.pullRequest } : {}),
    ...(d.servingAt ? { servingAt: d.servingAt } : {}),
    ...(d.timeToServeSeconds !== undefined
      ? { timeToServeSeconds: d.timeToServeSeconds }
      : {}),
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.checks ? { checks: d.checks } : {}),
  };
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

  private constructor(private readonly db: Knex) {}

  private freshness?: { at: number; times: Record<string, string> };

  /** A stored row as the API shows it: observedAt from its source's freshness. */
  private toStored(
    row: StatusRow,
    freshness: Record<string, string>,
  ): StoredEnvironmentStatus {
    const status = JSON.parse(row.status) as EnvironmentStatus & {
      observedFrom?: string;
      silence?: Silence;
    };
    const { observedFrom, silence } = status;
    delete status.silence;
    if (observedFrom !== undefined) {
      delete status.observedFrom;
      const seen = freshness[observedFrom];
      if (status.live && seen && seen > status.live.observedAt) {
        status.live.observedAt = seen;
      }
    }
    return {
      entityRef: row.entity_ref,
      model: row.model,
      position: Number(row.position),
      status,
      updatedAt: row.updated_at,
      ...(observedFrom ? { observedFrom } : {}),
      ...(silence ? { silence } : {}),
    };
  }

  async getStatuses(entityRef: string): Promise<StoredEnvironmentStatus[]> {
    const [rows, freshness] = await Promise.all([
      this.db<StatusRow>(STATUS)
        .where({ entity_ref: entityRef })
        .orderBy('position', 'asc'),
      this.cachedFreshness(),
    ]);
    return rows.map(row => this.toStored(row, freshness));
  }

  async listStatusesSince(
    since?: string,
  ): Promise<{ items: StoredEnvironmentStatus[]; cursor: string }> {
    const margin = iso(new Date(Date.now() - CURSOR_MARGIN_MS));
    let query = this.db<StatusRow>(STATUS).orderBy([
      { column: 'entity_ref', order: 'asc' },
      { column: 'position', order: 'asc' },
    ]);
    if (since) {
      query = query.where('updated_at', '>', since);
    }
    const [rows, freshness] = await Promise.all([
      query,
      this.getSourceFreshness(),
    ]);
    return {
      items: rows.map(row => this.toStored(row, freshness)),
      cursor: since && since > margin ? since : margin,
    };
  }

  private async cachedFreshness(): Promise<Record<string, string>> {
    if (this.freshness && Date.now() - this.freshness.at < FRESHNESS_TTL_MS) {
      return this.freshness.times;
    }
    return this.getSourceFreshness();
  }

  async getSourceFreshness(): Promise<Record<string, string>> {
    const times =
      (await this.getCacheValue<Record<string, string>>(FRESHNESS_KEY)) ?? {};
    this.freshness = { at: Date.now(), times };
    return times;
  }

  async recordSourceFreshness(times: Record<string, string>): Promise<void> {
    if (Object.keys(times).length === 0) {
      return;
    }
    const merged = await this.db.transaction(async tx => {
      const row = await tx(CACHE).where({ key: FRESHNESS_KEY }).first();
      const stored: Record<string, string> = row ? JSON.parse(row.value) : {};
      const next = { ...stored };
      for (const [source, at] of Object.entries(times)) {
        const value = iso(at);
        if (!next[source] || next[source] < value) {
          next[source] = value;
        }
      }
      await tx(CACHE)
        .insert({
          key: FRESHNESS_KEY,
          value: JSON.stringify(next),
          updated_at: iso(new Date()),
        })
        .onConflict('key')
        .merge(['value', 'updated_at']);
      return next;
    });
    this.freshness = { at: Date.now(), times: merged };
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
    await this.writeStatuses([
      { entityRef, model, statuses: statuses.map(status => ({ status })) },
    ]);
  }

  async writeStatuses(models: StatusWrite[]): Promise<void> {
    if (models.length === 0) {
      return;
    }
    const now = iso(new Date());
    const rows: StatusRow[] = models.flatMap(m =>
      m.statuses.map(({ status, observedFrom, silence }, position) => ({
        entity_ref: m.entityRef,
        environment: status.name,
        model: m.model,
        position,
        drift_state: status.drift.state,
        // Kept beside the status and stripped when read (toStored).
        status: JSON.stringify({
          ...status,
          ...(observedFrom ? { observedFrom } : {}),
          ...(silence ? { silence } : {}),
        }),
        updated_at: now,
      })),
    );
    // Models with the same environments lose the others in one statement.
    const byEnvironments = new Map<string, string[]>();
    for (const m of models) {
      const names = JSON.stringify(m.statuses.map(s => s.status.name));
      byEnvironments.set(names, [
        ...(byEnvironments.get(names) ?? []),
        m.entityRef,
      ]);
    }
    await this.db.transaction(async tx => {
      for (const [names, refs] of byEnvironments) {
        // Chunks keep the bound parameters under SQLite's limit.
        for (let i = 0; i < refs.length; i += 200) {
          await tx(STATUS)
            .whereIn('entity_ref', refs.slice(i, i + 200))
            .whereNotIn('environment', JSON.parse(names) as string[])
            .delete();
        }
      }
      for (let i = 0; i < rows.length; i += 100) {
        await tx<StatusRow>(STATUS)
          .insert(rows.slice(i, i + 100))
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
      reason: d.reason ?? null,
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
      const updated = await tx(DEPLOYMENTS)
        .where({ id: row.id })
        .whereNull('serving_at')
        .update({ serving_at: iso(servingAt), time_to_serve_seconds: seconds });
      if (!updated) {
        // Another backend instance recorded it first: it tells the owners.
        return undefined;
      }
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
    const open = await this.getOpenDriftEpisode(
      episode.entityRef,
      episode.environment,
    );
    if (open) {
      return { episode: open, created: false };
    }
    // The unique open_key makes this safe when two backend instances open
    // the same episode at once: one row is inserted, the other insert is
    // ignored and only the first instance reports `created`.
    const row = {
      entity_ref: episode.entityRef,
      environment: episode.environment,
      started_at: iso(episode.startedAt),
      ended_at: null,
      reason: episode.reason,
    };
    const inserted = await this.db(EPISODES)
      .insert({ ...row, open_key: openKey(episode) }, ['id'])
      .onConflict('open_key')
      .ignore();
    const first = inserted[0] as { id: number | string } | number | undefined;
    const id = typeof first === 'object' ? first.id : first;
    if (id) {
      return { episode: toEpisode({ ...row, id }), created: true };
    }
    const winner = await this.getOpenDriftEpisode(
      episode.entityRef,
      episode.environment,
    );
    if (!winner) {
      throw new Error(
        `The drift episode of ${episode.entityRef} ${episode.environment} was opened and closed concurrently; it is retried next cycle`,
      );
    }
    return { episode: winner, created: false };
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
    const updated = await this.db(EPISODES)
      .where({ id: open.id })
      .whereNull('ended_at')
      .update({ ended_at: iso(endedAt), open_key: null });
    if (!updated) {
      // Another backend instance closed it first: it tells the owners.
      return undefined;
    }
    return { ...open, endedAt: iso(endedAt) };
  }

  async listDriftEpisodes(
    entityRef: string,
    limit: number,
    environment?: string,
  ): Promise<DriftEpisode[]> {
    let query = this.db<EpisodeRow>(EPISODES).where({ entity_ref: entityRef });
    if (environment !== undefined) {
      query = query.andWhere({ environment });
    }
    const rows = await query
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toEpisode);
  }

  async recordDeploymentChecks(
    entityRef: string,
    environment: string,
    commit: string,
    checks: DeploymentChecks,
  ): Promise<boolean> {
    const updated = await this.db(DEPLOYMENTS)
      .where({ entity_ref: entityRef, environment, commit_sha: commit })
      .whereNull('checks')
      .update({ checks: JSON.stringify(checks) });
    return updated > 0;
  }

  async getStateAt(options: {
    entityRef: string;
    at: string;
    environments: string[];
  }): Promise<AuditStateItem[]> {
    const { entityRef } = options;
    const at = iso(options.at);
    // The earliest merge and serving time of each environment with history.
    const firsts = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: entityRef })
      .groupBy('environment')
      .select('environment')
      .min({ first_merged_at: 'committed_at', first_serving_at: 'serving_at' });
    const episodeEnvironments = await this.db<EpisodeRow>(EPISODES)
      .where({ entity_ref: entityRef })
      .distinct('environment');
    const environments = [...options.environments];
    for (const row of [...firsts, ...episodeEnvironments]) {
      if (!environments.includes(row.environment)) {
        environments.push(row.environment);
      }
    }
    const items: AuditStateItem[] = [];
    for (const environment of environments) {
      const first = firsts.find(row => row.environment === environment) as
        | { first_merged_at: string | null; first_serving_at: string | null }
        | undefined;
      const scope = { entity_ref: entityRef, environment };
      const [declared, lastServed, drift] = await Promise.all([
        this.db<DeploymentRow>(DEPLOYMENTS)
          .where(scope)
          .andWhere('committed_at', '<=', at)
          .orderBy([
            { column: 'committed_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .first(),
        this.db<DeploymentRow>(DEPLOYMENTS)
          .where(scope)
          .andWhere('serving_at', '<=', at)
          .orderBy([
            { column: 'serving_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .first(),
        this.db<EpisodeRow>(EPISODES)
          .where(scope)
          .andWhere('started_at', '<=', at)
          .andWhere(q => q.whereNull('ended_at').orWhere('ended_at', '>', at))
          .orderBy([
            { column: 'started_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .first(),
      ]);
      items.push(
        resolveStateAt({
          entityRef,
          environment,
          at,
          ...(declared ? { declared: toAudited(declared) } : {}),
          ...(lastServed ? { lastServed: toAudited(lastServed) } : {}),
          ...(drift ? { drift: toEpisode(drift) } : {}),
          ...(first?.first_merged_at
            ? { firstMergedAt: first.first_merged_at }
            : {}),
          ...(first?.first_serving_at
            ? { firstServingAt: first.first_serving_at }
            : {}),
        }),
      );
    }
    return items;
  }

  async listAuditModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }> {
    const after = options.after ?? '';
    const rows = await this.db
      .select('entity_ref')
      .from(
        this.db
          .select('entity_ref')
          .from(STATUS)
          .where('entity_ref', '>', after)
          .union(
            this.db
              .select('entity_ref')
              .from(DEPLOYMENTS)
              .where('entity_ref', '>', after),
          )
          .as('models'),
      )
      .orderBy('entity_ref', 'asc')
      .limit(options.limit + 1);
    const entityRefs = rows.map(r => r.entity_ref as string);
    return {
      entityRefs: entityRefs.slice(0, options.limit),
      more: entityRefs.length > options.limit,
    };
  }

  async listDeploymentEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDeploymentEvent>> {
    let q = this.db<DeploymentRow>(DEPLOYMENTS)
      .where('committed_at', '>=', iso(query.from))
      .andWhere('committed_at', '<', iso(query.to));
    if (query.entityRef) {
      q = q.andWhere({ entity_ref: query.entityRef });
    }
    if (query.after) {
      q = q.andWhereRaw('(committed_at, id) > (?, ?)', [
        query.after.at,
        Number(query.after.id),
      ]);
    }
    const rows = await q
      .orderBy([
        { column: 'committed_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(query.limit);
    return rows.map(row => ({
      id: String(row.id),
      event: toDeploymentEvent(row.entity_ref, row),
    }));
  }

  async listDriftEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDriftEvent>> {
    let q = this.db<EpisodeRow>(EPISODES)
      .where('started_at', '<', iso(query.to))
      .andWhere(w =>
        w.whereNull('ended_at').orWhere('ended_at', '>=', iso(query.from)),
      );
    if (query.entityRef) {
      q = q.andWhere({ entity_ref: query.entityRef });
    }
    if (query.after) {
      q = q.andWhereRaw('(started_at, id) > (?, ?)', [
        query.after.at,
        Number(query.after.id),
      ]);
    }
    const rows = await q
      .orderBy([
        { column: 'started_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(query.limit);
    return rows.map(row => ({
      id: String(row.id),
      event: {
        type: 'drift',
        entityRef: row.entity_ref,
        environment: row.environment,
        at: row.started_at,
        startedAt: row.started_at,
        ...(row.ended_at ? { endedAt: row.ended_at } : {}),
        reason: row.reason,
      },
    }));
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
