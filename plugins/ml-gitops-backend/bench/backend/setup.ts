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

/** The benchmark backend's logger, database and catalog entities. */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskInvocationDefinition,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import knexFactory, { Knex } from 'knex';
import { scaleModelName } from 'sandbox';

/** Counts warnings and errors; prints the first few of each. */
export function benchLogger() {
  const seen = { warn: 0, error: 0 };
  const print = (level: string, message: string) => {
    if (seen[level as 'warn' | 'error'] <= 5) {
      process.stderr.write(`  [backend ${level}] ${message}\n`);
    }
  };
  const logger: LoggerService = {
    error(message) {
      seen.error++;
      print('error', message);
    },
    warn(message) {
      seen.warn++;
      print('warn', message);
    },
    info() {},
    debug() {},
    child: () => logger,
  };
  return { logger, seen };
}

export async function createDatabase(database: string): Promise<{
  knex: Knex;
  describe: string;
  close(): Promise<void>;
}> {
  if (database === 'postgres') {
    const server = process.env.ML_GITOPS_BENCH_POSTGRES;
    if (!server) {
      throw new Error(
        '--database postgres needs ML_GITOPS_BENCH_POSTGRES, e.g. postgresql://postgres@127.0.0.1:5432/postgres',
      );
    }
    const name = `ml_gitops_bench_${process.pid}`;
    const admin = knexFactory({ client: 'pg', connection: server });
    await admin.raw(`CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    const knex = knexFactory({ client: 'pg', connection: url.toString() });
    return {
      knex,
      describe: `PostgreSQL (scratch database ${name})`,
      async close() {
        await knex.destroy();
        await admin.raw(`DROP DATABASE IF EXISTS ${name}`);
        await admin.destroy();
      },
    };
  }
  if (database === 'sqlite') {
    // Backstage's own SQLite setup (backend.database.client: better-sqlite3,
    // connection: ':memory:').
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    return {
      knex,
      describe: 'SQLite in memory (better-sqlite3)',
      close: () => knex.destroy(),
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-bench-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'ml-gitops.sqlite') },
    useNullAsDefault: true,
  });
  return {
    knex,
    describe: 'SQLite file (better-sqlite3, in a temporary directory)',
    async close() {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function modelEntity(i: number, gitUrl: string): Entity {
  const name = scaleModelName(i);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'ml-gitops/model': name,
        'ml-gitops/config-repo': `${gitUrl}/acme/${name}-config`,
      },
    },
    spec: {
      type: 'ml-model',
      owner: `team-${i % 40}`,
      lifecycle: 'production',
    },
  };
}

/** A test scheduler that keeps each scheduled task, for the benchmark to run. */
export function recordingScheduler() {
  const inner = mockServices.scheduler();
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  const scheduler: SchedulerService = {
    triggerTask: id => inner.triggerTask(id),
    cancelTask: id => inner.cancelTask(id),
    getScheduledTasks: () => inner.getScheduledTasks(),
    createScheduledTaskRunner: schedule => ({
      run: task => scheduler.scheduleTask({ ...task, ...schedule }),
    }),
    async scheduleTask(task) {
      tasks.set(task.id, task);
      await inner.scheduleTask(task);
    },
  };
  return { scheduler, tasks };
}
