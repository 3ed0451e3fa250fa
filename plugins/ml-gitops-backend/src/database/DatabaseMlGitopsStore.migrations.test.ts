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

import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import { DatabaseMlGitopsStore } from './DatabaseMlGitopsStore';

/**
 * Backend replicas that start together on one database each run the
 * migrations. Every start must succeed and leave a complete schema, also
 * after an earlier run left knex's own lock table damaged.
 */

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const postgres = databases
  .eachSupportedId()
  .some(([id]) => id === 'POSTGRES_15');
const directory = DatabaseMlGitopsStore.migrationsDir;
const migrationFiles = readdirSync(directory)
  .filter(name => name.endsWith('.js'))
  .sort();
const TABLES = [
  'ml_gitops_environment_status',
  'ml_gitops_deployments',
  'ml_gitops_drift_episodes',
  'ml_gitops_cache',
  'ml_gitops_auto_rollbacks',
];

const clients: Knex[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map(client => client.destroy()));
});

/** A replica: its own connection pool to the same database. */
function replicaClient(knex: Knex, pool?: Knex.PoolConfig): Knex {
  const config = knex.client.config as Knex.Config;
  const client = knexFactory(pool ? { ...config, pool } : config);
  clients.push(client);
  return client;
}

/**
 * Delays each query of a client by up to 15 ms, as a loaded machine does:
 * replicas then interleave between knex's checks and its writes.
 */
function jitter(client: Knex): Knex {
  const inner = client.client as { query: (...args: any[]) => Promise<any> };
  const query = inner.query.bind(inner);
  inner.query = async (...args) => {
    await new Promise(resolve => setTimeout(resolve, Math.random() * 15));
    return query(...args);
  };
  return client;
}

function start(
  client: Knex,
  options: { migrationLockTimeoutMs?: number; logger?: any } = {},
) {
  return DatabaseMlGitopsStore.create({
    database: { getClient: async () => client },
    ...options,
  });
}

/** The schema is complete and knex's bookkeeping is consistent. */
async function expectMigrated(knex: Knex) {
  for (const table of TABLES) {
    expect(await knex.schema.hasTable(table)).toBe(true);
  }
  const done = await knex('knex_migrations').orderBy('id').select('name');
  expect(done.map(row => row.name)).toEqual(migrationFiles);
  const lock = await knex('knex_migrations_lock').select('is_locked');
  expect(lock.map(row => Number(row.is_locked))).toEqual([0]);
  // The second migration's unique index is there.
  expect(
    await knex.schema.hasColumn('ml_gitops_drift_episodes', 'open_key'),
  ).toBe(true);
}

/** Sessions of this database that hold the plugin's migration lock. */
async function lockHolders(knex: Knex): Promise<number> {
  const key = BigInt.asUintN(
    64,
    BigInt(DatabaseMlGitopsStore.migrationLockKey),
  );
  const { rows } = await knex.raw(
    `SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND classid = ?::bigint::oid AND objid = ?::bigint::oid`,
    [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
  );
  return rows[0].n;
}

describe('DatabaseMlGitopsStore migrations', () => {
  it('uses the advisory lock key derived from the plugin id', () => {
    const derived = createHash('sha256')
      .update('ml-gitops')
      .digest()
      .readBigInt64BE(0);
    expect(DatabaseMlGitopsStore.migrationLockKey).toBe(derived.toString());
  });

  it('has only migrations that run in a transaction', () => {
    // The release of a stale knex lock relies on it (see
    // releaseStaleKnexLock): knex then sets and clears its flag in the
    // migrations' own transaction.
    for (const file of migrationFiles) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const migration = require(join(directory, file));
      expect(migration.config?.transaction).not.toBe(false);
    }
  });

  it('migrates once when several stores start at once on SQLite', async () => {
    const knex = await databases.init('SQLITE_3');
    const stores = await Promise.all([start(knex), start(knex), start(knex)]);
    expect(stores).toHaveLength(3);
    await expectMigrated(knex);
  });

  (postgres ? describe : describe.skip)('on PostgreSQL', () => {
    it('starts 4 replicas at once on a fresh database, 20 times', async () => {
      for (let round = 0; round < 20; round++) {
        const knex = await databases.init('POSTGRES_15');
        const replicas = [1, 2, 3, 4].map(() => jitter(replicaClient(knex)));
        const results = await Promise.allSettled(replicas.map(r => start(r)));
        const failed = results.flatMap((result, i) =>
          result.status === 'rejected'
            ? [`round ${round}, replica ${i}: ${result.reason}`]
            : [],
        );
        expect(failed).toEqual([]);
        await expectMigrated(knex);
        expect(await lockHolders(knex)).toBe(0);
        await Promise.all(clients.splice(0).map(client => client.destroy()));
      }
    }, 300_000);

    it('migrates once when several stores of one pool start at once', async () => {
      const knex = await databases.init('POSTGRES_15');
      // A pool of 2: the lock takes one connection, the migration the other.
      const client = replicaClient(knex, {
        min: 0,
        max: 2,
        acquireTimeoutMillis: 5_000,
      });
      const stores = await Promise.all([1, 2, 3, 4].map(() => start(client)));
      expect(stores).toHaveLength(4);
      await expectMigrated(knex);
    });

    it('waits while another replica migrates, then finds the work done', async () => {
      const knex = await databases.init('POSTGRES_15');
      const other = replicaClient(knex);
      // Another replica holds the lock while it migrates.
      const lockTx = await other.transaction();
      await lockTx.raw('SELECT pg_advisory_xact_lock(?::bigint)', [
        DatabaseMlGitopsStore.migrationLockKey,
      ]);
      let started = false;
      const starting = start(knex).then(store => {
        started = true;
        return store;
      });
      await new Promise(resolve => setTimeout(resolve, 1_000));
      expect(started).toBe(false);
      expect(await knex.schema.hasTable('knex_migrations')).toBe(false);
      await other.migrate.latest({ directory });
      await lockTx.commit();
      await starting;
      await expectMigrated(knex);
      expect(await lockHolders(knex)).toBe(0);
    });

    it('says who holds the lock when it gives up waiting', async () => {
      const knex = await databases.init('POSTGRES_15');
      const other = replicaClient(knex);
      const lockTx = await other.transaction();
      try {
        const {
          rows: [{ pid }],
        } = await lockTx.raw(
          'SELECT pg_backend_pid() AS pid, pg_advisory_xact_lock(?::bigint)',
          [DatabaseMlGitopsStore.migrationLockKey],
        );
        const error = await start(knex, { migrationLockTimeoutMs: 500 }).then(
          () => undefined,
          e => e as Error,
        );
        expect(error?.message).toContain(
          'waiting for another ml-gitops backend instance to finish the database migrations',
        );
        expect(error?.message).toContain(`database session ${pid}`);
        expect(error?.message).toContain(
          `SELECT pg_terminate_backend(${pid});`,
        );
      } finally {
        await lockTx.commit();
      }
      // Once the holder is gone, the next start migrates.
      await start(knex);
      await expectMigrated(knex);
    });

    it('releases the lock when a migration fails', async () => {
      const knex = await databases.init('POSTGRES_15');
      // A table in the way makes the first migration fail.
      await knex.schema.createTable('ml_gitops_cache', table => {
        table.string('key');
      });
      await expect(start(knex)).rejects.toThrow(/ml_gitops_cache/);
      expect(await lockHolders(knex)).toBe(0);
      expect(await knex.schema.hasTable('ml_gitops_deployments')).toBe(false);
      await knex.schema.dropTable('ml_gitops_cache');
      // Another replica is not held up by the failed one.
      await start(replicaClient(knex), { migrationLockTimeoutMs: 2_000 });
      await expectMigrated(knex);
    });

    it('releases a knex lock left by a process that died', async () => {
      const knex = await databases.init('POSTGRES_15');
      // A run without transactions died after locking, before its last
      // migration: knex would refuse every later start.
      await knex.migrate.up({ directory, name: migrationFiles[0] });
      await knex('knex_migrations_lock').update({ is_locked: 1 });
      await expect(knex.migrate.latest({ directory })).rejects.toThrow(
        'Migration table is already locked',
      );
      const logger = mockServices.logger.mock();
      await Promise.all([
        start(knex, { logger }),
        start(replicaClient(knex), { logger }),
      ]);
      await expectMigrated(knex);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('Releasing a stale knex migration lock'),
      );
    });

    it('repairs the second lock row an earlier race inserted', async () => {
      const knex = await databases.init('POSTGRES_15');
      await knex.migrate.up({ directory, name: migrationFiles[0] });
      await knex('knex_migrations_lock').insert({ is_locked: 0 });
      // knex alone is stuck: its lock must change exactly one row.
      await expect(knex.migrate.latest({ directory })).rejects.toThrow(
        'Migration table is already locked',
      );
      await start(knex, { logger: mockServices.logger.mock() });
      await expectMigrated(knex);
    });

    it('asks for a larger pool when it has a single connection', async () => {
      const knex = await databases.init('POSTGRES_15');
      const client = replicaClient(knex, { min: 0, max: 1 });
      await expect(start(client)).rejects.toThrow(
        'raise backend.database.plugin.ml-gitops.knexConfig.pool.max',
      );
    });
  });
});
