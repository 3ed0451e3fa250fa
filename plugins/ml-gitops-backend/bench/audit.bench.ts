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
 * Benchmark of the audit export: 100,000 events (deployments of 100 models
 * in three environments, and drift episodes) in the knex store on SQLite,
 * exported as CSV over HTTP through the real audit router, read by a client
 * that counts the rows. The export must stream: the heap may not grow by
 * more than MAX_HEAP_GROWTH_MIB while it runs.
 *
 *   yarn bench:audit [--events 100000] [--no-fail]
 *
 * Prints the time to export, the rows per second and the heap growth; exits
 * 1 when the bound is missed or a row is missing (unless --no-fail).
 */

import { mockServices } from '@backstage/backend-test-utils';
import {
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Deployment } from '@ml-gitops/plugin-ml-gitops-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import express from 'express';
import knexFactory from 'knex';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DatabaseMlGitopsStore } from '../src/database/DatabaseMlGitopsStore';
import { createAuditRouter } from '../src/service/auditRouter';
import { flag, option } from './cliOptions';

/** The memory bound of the export: heap growth while it streams. */
const MAX_HEAP_GROWTH_MIB = 64;

const EVENTS = Number(option('--events', '100000'));
const NO_FAIL = flag('--no-fail');
const MODELS = 100;
const ENVIRONMENTS = ['dev', 'staging', 'production'];
/** One drift episode for every this many events. */
const DRIFT_EVERY = 100;
const START = Date.parse('2025-01-01T00:00:00.000Z');

const gc = (globalThis as { gc?: () => void }).gc;

function heapMiB(): number {
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

/** Errors of the export go to the console; nothing else is logged. */
const logger: LoggerService = {
  error: message => console.error(message),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => logger,
};

/** Every model readable: the permission check runs, and allows. */
const allowAll: PermissionsService = {
  async authorize(requests) {
    return requests.map(() => ({
      result: AuthorizeResult.ALLOW,
    })) as Awaited<ReturnType<PermissionsService['authorize']>>;
  },
  async authorizeConditional(requests) {
    return requests.map(() => ({
      result: AuthorizeResult.ALLOW,
    })) as Awaited<ReturnType<PermissionsService['authorizeConditional']>>;
  },
};

async function fill(store: DatabaseMlGitopsStore): Promise<number> {
  const drifts = Math.floor(EVENTS / DRIFT_EVERY);
  const deployments = EVENTS - drifts;
  const perModel = new Map<string, Deployment[]>();
  for (let i = 0; i < deployments; i++) {
    const model = `component:default/model-${String(i % MODELS).padStart(
      3,
      '0',
    )}`;
    const environment = ENVIRONMENTS[Math.floor(i / MODELS) % 3];
    const at = new Date(START + i * 60_000).toISOString();
    const list = perModel.get(model) ?? [];
    list.push({
      environment,
      version: String(i),
      previousVersion: String(i - 1),
      commit: i.toString(16).padStart(40, '0'),
      author: i % 7 === 0 ? '=not-a-formula' : 'ada',
      committedAt: at,
      kind: i % 10 === 0 ? 'rollback' : 'deploy',
      ...(i % 10 === 0 ? { reason: 'latency, p95 up' } : {}),
      pullRequest: {
        number: i,
        url: `https://github.com/acme/model-config/pull/${i}`,
        mergedBy: 'linus',
        reviewers: ['margaret', 'grace'],
      },
      servingAt: new Date(START + i * 60_000 + 90_000).toISOString(),
      timeToServeSeconds: 90,
    });
    perModel.set(model, list);
  }
  for (const [model, list] of perModel) {
    await store.recordDeployments(model, list);
  }
  for (let i = 0; i < drifts; i++) {
    const model = `component:default/model-${String(i % MODELS).padStart(
      3,
      '0',
    )}`;
    const startedAt = new Date(START + i * DRIFT_EVERY * 60_000 + 30_000);
    await store.openDriftEpisode({
      entityRef: model,
      environment: 'production',
      startedAt: startedAt.toISOString(),
      reason: 'live version differs from the declared one',
    });
    await store.closeDriftEpisode(
      model,
      'production',
      new Date(startedAt.getTime() + 600_000).toISOString(),
    );
  }
  return deployments + drifts;
}

async function main() {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  const store = await DatabaseMlGitopsStore.create({
    database: { getClient: async () => knex },
  });
  const filled = performance.now();
  const total = await fill(store);
  console.log(
    `Stored ${total} events in ${Math.round(
      performance.now() - filled,
    )} ms (SQLite in memory)`,
  );

  const router = await createAuditRouter({
    logger,
    httpAuth: mockServices.httpAuth(),
    permissions: allowAll,
    catalog: catalogServiceMock({ entities: [] }),
    store,
    environments: ENVIRONMENTS,
  });
  const app = express().use('/api/ml-gitops', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise(resolve => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;

  gc?.();
  const baseline = heapMiB();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, heapMiB());
  }, 10);

  const started = performance.now();
  const response = await fetch(
    `http://127.0.0.1:${port}/api/ml-gitops/v1/audit/events?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&format=csv`,
  );
  let records = 0;
  let bytes = 0;
  let formulas = 0;
  const decoder = new TextDecoder();
  let tail = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    const text = tail + decoder.decode(chunk, { stream: true });
    const lines = text.split('\r\n');
    tail = lines.pop() ?? '';
    records += lines.length;
    for (const line of lines) {
      if (line.includes(',=')) formulas++;
    }
    peak = Math.max(peak, heapMiB());
  }
  const elapsed = performance.now() - started;
  clearInterval(sampler);
  server.close();
  await knex.destroy();

  const rows = records - 1;
  const growth = peak - baseline;
  console.log(
    `Exported ${rows} events as CSV (${(bytes / 1024 / 1024).toFixed(
      1,
    )} MiB) in ${Math.round(elapsed)} ms: ${Math.round(
      rows / (elapsed / 1000),
    )} rows/s`,
  );
  console.log(
    `Heap: ${baseline.toFixed(1)} MiB before, peak ${peak.toFixed(
      1,
    )} MiB, growth ${growth.toFixed(1)} MiB (bound ${MAX_HEAP_GROWTH_MIB} MiB)${
      gc ? '' : ' — run with --expose-gc for a clean baseline'
    }`,
  );
  const failures: string[] = [];
  if (response.status !== 200) {
    failures.push(`the export answered ${response.status}`);
  }
  if (rows !== total) {
    failures.push(`${rows} rows exported, ${total} events stored`);
  }
  if (formulas > 0) {
    failures.push(`${formulas} rows start a field with = (not neutralised)`);
  }
  if (growth >= MAX_HEAP_GROWTH_MIB) {
    failures.push(
      `the heap grew by ${growth.toFixed(
        1,
      )} MiB, over the bound of ${MAX_HEAP_GROWTH_MIB} MiB`,
    );
  }
  for (const failure of failures) {
    console.error(`MISSED: ${failure}`);
  }
  if (failures.length > 0 && !NO_FAIL) {
    process.exitCode = 1;
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
