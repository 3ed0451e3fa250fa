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
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

// The store's setup: running this plugin's migrations safely when several backend replicas start at once.

export const migrationsDir = resolvePackagePath(
  '@ml-gitops/plugin-ml-gitops-backend',
  'migrations',
);

/**
 * The PostgreSQL advisory lock that serialises this plugin's migrations
 * across backend replicas: the first 8 bytes of SHA-256 of the plugin id
 * `ml-gitops`, read as a signed big-endian 64-bit integer. It must never
 * change: replicas of two versions exclude each other only through the same
 * key. Advisory locks are per database, so the plugin id keeps it apart from
 * other plugins sharing one database (`pluginDivisionMode: schema`).
 */
export const MIGRATION_LOCK_KEY = '-947146172078839831';
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

export type MigrateOptions = { logger?: LoggerService; lockTimeoutMs?: number };

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
export async function migrate(
  client: Knex,
  options: MigrateOptions,
): Promise<void> {
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
