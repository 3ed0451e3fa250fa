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
 * Benchmark of the ml-gitops backend at fleet scale: the real plugin (poller,
 * providers, knex store, router) in a test backend, against the scale
 * sandbox — a generated fleet behind emulated GitHub, Argo CD (one instance
 * per environment), Kubernetes (one cluster per environment) and MLflow,
 * served over HTTP from a child process so that the CPU figures are the
 * backend's alone.
 *
 *   yarn bench:backend [--models 3334] [--requests 1000] [--steady-cycles 3]
 *                      [--heap-profile FILE] [--heap-profile-kept FILE]
 *                      [--heap-profile-live FILE] [--watch]
 *                      [--database sqlite|postgres] [--no-fail]
 *
 * PostgreSQL: --database postgres reads the server from
 * ML_GITOPS_BENCH_POSTGRES (e.g. postgresql://postgres@127.0.0.1:5432/postgres),
 * creates a scratch database there and drops it at the end.
 *
 * Prints per cycle: requests to each system, wall and CPU time, event-loop
 * delay (perf_hooks.monitorEventLoopDelay: p99 and max); then peak
 * RSS and the latency of GET /v1/deployments. Exits 1 when a target is
 * missed (unless --no-fail).
 *
 * Slightly over 400 lines as one cohesive thing: main() runs the phases in
 * order over one backend, scheduler and emulator set. Its helpers are in
 * bench/backend/ (setup: logger, database, entities, scheduler; cycleReport:
 * what each cycle prints, and the targets).
 */

import { fork } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import {
  constants as perfConstants,
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
} from 'node:perf_hooks';
import v8 from 'node:v8';
import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { mlGitopsSourcesExtensionPoint } from '@ml-gitops/plugin-ml-gitops-node';
import { mlGitopsPlugin } from '../src/plugin';
import { MlflowRegistry } from '../src/providers/registry/MlflowRegistry';
import {
  benchLogger,
  createDatabase,
  modelEntity,
  recordingScheduler,
} from './backend/setup';
import {
  CycleResult,
  ms,
  percentile,
  printCycle,
  printTargets,
} from './backend/cycleReport';
import { flag, option } from './cliOptions';
import {
  emulatorClient,
  emulatorClusters,
  emulatorSourcesConfig,
} from './emulatorClient';
import { watchLongTasks } from './backend/longTasks';

const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;

const MODELS = Number(option('--models', '3334'));
const REQUESTS = Number(option('--requests', '1000'));
const STEADY_CYCLES = Number(option('--steady-cycles', '12'));
/** The default poll schedule: each steady cycle moves the registry's clock this far. */
const CYCLE_INTERVAL_MS = 30_000;
const DATABASE = option('--database', 'sqlite');
const NO_FAIL = flag('--no-fail');
/** Writes a V8 CPU profile of the last steady-state cycle to this file. */
const PROFILE = option('--profile', '');
/** Writes a V8 CPU profile of the cold cycle to this file. */
const PROFILE_COLD = option('--profile-cold', '');
/**
 * Writes a V8 sampling heap profile of the last steady-state cycle to this
 * file: every allocation sampled, collected since or not, so it shows what a
 * cycle allocates (the garbage between collections), not what it keeps.
 */
const HEAP_PROFILE = option('--heap-profile', '');
/**
 * The same, without the objects a young-generation collection freed: what
 * the cycle kept past a scavenge (moved to the old generation, where only a
 * major collection frees it), and what was still alive at the cycle's end.
 */
const HEAP_PROFILE_KEPT = option('--heap-profile-kept', '');
/**
 * A sampling heap profile from before the cold cycle to the end of the last
 * steady one, without anything collected since: what the backend holds
 * alive at the end, by where it was allocated (the poller's state, its
 * caches), the live set V8 sizes the heap by.
 */
const HEAP_PROFILE_LIVE = option('--heap-profile-live', '');
/**
 * Runs the watch task beside the cycles after the cold one, as a backend
 * with `mlGitops.watch.enabled` (the default) runs it: Argo CD's event
 * stream and the Kubernetes watches, and what they hold.
 */
const WATCH = flag('--watch');
if (!Number.isInteger(MODELS) || MODELS < 1) {
  throw new Error(`--models must be a whole number, got ${MODELS}`);
}
if (!['sqlite', 'sqlite-file', 'postgres'].includes(DATABASE)) {
  throw new Error(
    `--database must be sqlite, sqlite-file or postgres, got ${DATABASE}`,
  );
}

/** The emulators in their own process, with a small request/reply protocol. */
async function startEmulators() {
  const child = fork(path.join(__dirname, 'emulators.ts'), [String(MODELS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { urls, ask } = await emulatorClient(child, 'the emulators');
  return { child, urls, ask };
}

/** TCP connections the backend's HTTP clients opened (undici reports each). */
let connectionsOpened = 0;
diagnostics.subscribe('undici:client:connected', () => {
  connectionsOpened++;
});

async function main() {
  const started = performance.now();
  console.log(
    `ml-gitops backend benchmark: ${MODELS.toLocaleString('en-US')} models × ${
      ENVIRONMENTS.length
    } environments = ${(MODELS * ENVIRONMENTS.length).toLocaleString(
      'en-US',
    )} model-environments, ${ENVIRONMENTS.length} Argo CD instances; ${
      os.cpus().length
    } CPU cores, Node ${process.version}`,
  );
  const emulators = await startEmulators();
  const { urls } = emulators;
  const db = await createDatabase(DATABASE);
  const { logger, seen } = benchLogger();

  // The real scheduler would run the poll every 30 s; the benchmark runs
  // the registered task function itself, one cycle at a time.
  const { scheduler, tasks } = recordingScheduler();

  // MLflow answers are cached for minutes; the registry's clock is the
  // benchmark's, so cycles 30 s apart (the default schedule) need no waiting.
  let registryNow = Date.now();
  const registry = MlflowRegistry.fromConfig(
    { name: 'mlflow-default', type: 'mlflow', url: urls.mlflow },
    { now: () => registryNow },
  );

  let notifications = 0;
  let signals = 0;
  const gitHost = new URL(urls.git).host;
  const entities = Array.from({ length: MODELS }, (_, i) =>
    modelEntity(i, urls.git),
  );
  const backend = await startTestBackend({
    features: [
      mlGitopsPlugin,
      createBackendModule({
        pluginId: 'ml-gitops',
        moduleId: 'bench-registry',
        register(env) {
          env.registerInit({
            deps: { sources: mlGitopsSourcesExtensionPoint },
            async init({ sources }) {
              sources.addRegistry(registry);
            },
          });
        },
      }),
      mockServices.rootConfig.factory({
        data: {
          integrations: {
            github: [
              { host: gitHost, apiBaseUrl: urls.gitApi, token: 'bench-token' },
            ],
          },
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: emulatorClusters(urls, ENVIRONMENTS),
              },
            ],
          },
          mlGitops: {
            environments: [...ENVIRONMENTS],
            schedule: {
              frequency: { seconds: 30 },
              timeout: { minutes: 10 },
              initialDelay: { hours: 24 },
            },
            ...emulatorSourcesConfig(urls, ENVIRONMENTS),
          },
        },
      }),
      mockServices.database.factory({ knex: db.knex }),
      catalogServiceMock.factory({ entities }),
      createServiceFactory({
        service: coreServices.scheduler,
        deps: {},
        factory: () => scheduler,
      }),
      createServiceFactory({
        service: coreServices.logger,
        deps: {},
        factory: () => logger,
      }),
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({
          async send() {
            notifications++;
          },
        }),
      }),
      createServiceFactory({
        service: signalsServiceRef,
        deps: {},
        factory: () => ({
          async publish() {
            signals++;
          },
        }),
      }),
    ],
  });
  const address = backend.server.address();
  if (!address || typeof address === 'string') {
    throw new Error('the test backend does not listen on a TCP port');
  }
  const apiBase = `http://localhost:${address.port}/api/ml-gitops`;
  const poll = tasks.get('ml-gitops-poll');
  if (!poll) {
    throw new Error('the plugin did not schedule its poll task');
  }
  console.log(
    `setup: ${ms(performance.now() - started)} (emulators, ${
      db.describe
    }, test backend)`,
  );

  // Each garbage collection, as perf_hooks reports it, to sum per cycle.
  const collections: Array<{ at: number; ms: number; major: boolean }> = [];
  const gcObserver = new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      collections.push({
        at: entry.startTime,
        ms: entry.duration,
        major: kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR,
      });
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const oldSpaceUsedMb = () =>
    (v8.getHeapSpaceStatistics().find(space => space.space_name === 'old_space')
      ?.space_used_size ?? 0) /
    (1024 * 1024);
  const gcBetween = (from: number, to: number, oldBefore: number) => {
    const during = collections.filter(c => c.at >= from && c.at <= to);
    const majors = during.filter(c => c.major);
    const minors = during.filter(c => !c.major);
    const total = (cs: typeof during) => cs.reduce((a, c) => a + c.ms, 0);
    return {
      minor: { count: minors.length, ms: total(minors) },
      major: {
        count: majors.length,
        ms: total(majors),
        longestMs: Math.max(0, ...majors.map(c => c.ms)),
      },
      oldSpaceGrowthMb: oldSpaceUsedMb() - oldBefore,
    };
  };

  const cycles: CycleResult[] = [];
  const runCycle = async (label: string) => {
    await emulators.ask({ type: 'reset' });
    const before = { ...seen };
    const connectionsBefore = connectionsOpened;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const taskWatch = watchLongTasks();
    const oldBefore = oldSpaceUsedMb();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await poll.fn(new AbortController().signal);
    const t1 = performance.now();
    const wallMs = t1 - t0;
    const used = process.cpuUsage(cpu);
    loop.disable();
    const longTasks = taskWatch.stop();
    // the observer is called after the collections it reports
    await new Promise(resolve => setImmediate(resolve));
    const gc = gcBetween(t0, t1, oldBefore);
    const { counts } = await emulators.ask({ type: 'stats' });
    const result: CycleResult = {
      label,
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      connections: connectionsOpened - connectionsBefore,
      counts: counts ?? {},
      warnings: seen.warn - before.warn,
      errors: seen.error - before.error,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
      longTasks: longTasks.tally,
      gc,
    };
    cycles.push(result);
    printCycle(result, ENVIRONMENTS);
    return { result, windows: longTasks.windows };
  };

  const liveSession = new Session();
  if (HEAP_PROFILE_LIVE) {
    liveSession.connect();
    await liveSession.post('HeapProfiler.enable');
    await liveSession.post('HeapProfiler.startSampling', {
      samplingInterval: 32 * 1024,
      includeObjectsCollectedByMajorGC: false,
      includeObjectsCollectedByMinorGC: false,
    });
  }
  const coldSession = new Session();
  if (PROFILE_COLD) {
    coldSession.connect();
    await coldSession.post('Profiler.enable');
    await coldSession.post('Profiler.start');
  }
  const { result: cold, windows: coldTasks } = await runCycle(
    "Cycle 1 — cold: empty database, every branch declared (newest commits within the first reads' budget), every registry version fetched",
  );
  if (PROFILE_COLD) {
    const { profile } = await coldSession.post('Profiler.stop');
    fs.writeFileSync(PROFILE_COLD, JSON.stringify(profile));
    fs.writeFileSync(`${PROFILE_COLD}.tasks.json`, JSON.stringify(coldTasks));
    coldSession.disconnect();
    console.log(
      `  CPU profile of this cycle written to ${PROFILE_COLD}, its tasks over 5 ms to ${PROFILE_COLD}.tasks.json`,
    );
  }

  // What the cold cycle stored, checked against the generated fleet.
  const rows: Array<{ drift_state: string; n: number | string }> = await db
    .knex('ml_gitops_environment_status')
    .select('drift_state')
    .count({ n: '*' })
    .groupBy('drift_state');
  const byState = Object.fromEntries(
    rows.map(r => [r.drift_state, Number(r.n)]),
  );
  const expectedDrifted = Array.from({ length: MODELS }, (_, i) => i).filter(
    i => i % 100 === 1 && i % 3 !== 0,
  ).length;
  const expectedInSync = MODELS * ENVIRONMENTS.length - expectedDrifted;
  console.log(
    `  stored: ${Object.entries(byState)
      .map(([k, n]) => `${k} ${n}`)
      .join(
        ', ',
      )} (expected in-sync ${expectedInSync}, drifted ${expectedDrifted}); ${notifications} drift notifications`,
  );
  if (
    byState['in-sync'] !== expectedInSync ||
    (byState.drifted ?? 0) !== expectedDrifted
  ) {
    throw new Error(
      'the cold cycle did not store the fleet as generated; see the warnings above',
    );
  }

  const watchAbort = new AbortController();
  let watching: Promise<unknown> | undefined;
  if (WATCH) {
    const watch = tasks.get('ml-gitops-watch');
    if (!watch) throw new Error('the plugin did not schedule its watch task');
    watching = Promise.resolve(watch.fn(watchAbort.signal)).catch(error =>
      console.log(`  the watch task failed: ${error?.message ?? error}`),
    );
    // Its first lists end before the next cycle counts its own requests.
    const total = async () =>
      Object.values(
        (await emulators.ask({ type: 'stats' })).counts ?? {},
      ).reduce((a, n) => a + n, 0);
    const watchStarted = performance.now();
    let last = -1;
    for (let now = await total(); now !== last; now = await total()) {
      last = now;
      await new Promise(resolve => setTimeout(resolve, 2_000));
    }
    console.log(
      `Watches started and listed in ${ms(performance.now() - watchStarted)}`,
    );
  }

  // Worst case, informational: every cached registry answer expired at once
  // (the cache spreads expiry times, so a running backend does not see this).
  registryNow += 10 * 60_000;
  const { result: refresh } = await runCycle(
    'Cycle 2 — nothing changed, every registry answer expired at once (worst case)',
  );
  const steady: CycleResult[] = [];
  for (let n = 0; n < STEADY_CYCLES; n++) {
    // Steady state as scheduled: 30 s apart, so registry answers expire and
    // are read again at the rate a running backend sees.
    registryNow += CYCLE_INTERVAL_MS;
    const profiling = PROFILE && n === STEADY_CYCLES - 1;
    const heapProfile = HEAP_PROFILE_KEPT || HEAP_PROFILE;
    const heapProfiling = heapProfile && n === STEADY_CYCLES - 1;
    const session = new Session();
    if (profiling || heapProfiling) session.connect();
    if (profiling) {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    if (heapProfiling) {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 32 * 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !HEAP_PROFILE_KEPT,
      });
    }
    const { result, windows } = await runCycle(
      `Cycle ${3 + n} — steady state, nothing changed, ${
        CYCLE_INTERVAL_MS / 1000
      } s after the previous cycle`,
    );
    steady.push(result);
    if (profiling) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(PROFILE, JSON.stringify(profile));
      fs.writeFileSync(`${PROFILE}.tasks.json`, JSON.stringify(windows));
      console.log(
        `  CPU profile of this cycle written to ${PROFILE}, its tasks over 5 ms to ${PROFILE}.tasks.json`,
      );
    }
    if (heapProfiling) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      fs.writeFileSync(heapProfile, JSON.stringify(profile));
      console.log(
        `  Sampling heap profile of this cycle (${
          HEAP_PROFILE_KEPT ? 'kept past a scavenge' : 'every allocation'
        }) written to ${heapProfile}`,
      );
    }
    if (profiling || heapProfiling) session.disconnect();
  }
  if (HEAP_PROFILE_LIVE) {
    // A full collection first: the samples of what it frees go with it.
    await liveSession.post('HeapProfiler.collectGarbage');
    const { profile } = await liveSession.post('HeapProfiler.stopSampling');
    fs.writeFileSync(HEAP_PROFILE_LIVE, JSON.stringify(profile));
    liveSession.disconnect();
    console.log(
      `\nSampling heap profile of what is alive after the last cycle (since before the cold one) written to ${HEAP_PROFILE_LIVE}`,
    );
  }

  console.log(
    `\nGET /v1/deployments × ${REQUESTS} (sequential, after 20 warm-up requests)`,
  );
  const refs = entities.map(
    e => `component:default/${encodeURIComponent(e.metadata.name)}`,
  );
  const get = async (i: number) => {
    const response = await fetch(
      `${apiBase}/v1/deployments?entityRef=${refs[(i * 7919) % refs.length]}`,
    );
    if (response.status !== 200) {
      throw new Error(
        `GET /v1/deployments answered ${
          response.status
        }: ${await response.text()}`,
      );
    }
    const body = (await response.json()) as { environments: unknown[] };
    if (body.environments.length !== ENVIRONMENTS.length) {
      throw new Error(
        'GET /v1/deployments answered without three environments',
      );
    }
  };
  for (let i = 0; i < 20; i++) await get(i);
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    await get(i + 20);
    latencies.push(performance.now() - t0);
  }
  const apiCpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  console.log(
    `  p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies[
      latencies.length - 1
    ].toFixed(1)} ms (client and server share this process: ${ms(
      (apiCpu.user + apiCpu.system) / 1000,
    )} CPU for ${REQUESTS} requests)`,
  );

  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const emulatorStats = await emulators.ask({ type: 'stats' });
  console.log(
    `\nPeak RSS: backend process ${Math.round(
      maxRssMb,
    )} MB (emulators' process ${Math.round(
      (emulatorStats.maxRssKb ?? 0) / 1024,
    )} MB, not included)`,
  );
  console.log(`Signal messages published: ${signals}`);

  const checks = printTargets({
    cold,
    refresh,
    steady,
    p99,
    cycleIntervalMs: CYCLE_INTERVAL_MS,
    environments: ENVIRONMENTS,
  });
  console.log(`\nTotal benchmark time ${ms(performance.now() - started)}`);

  gcObserver.disconnect();
  watchAbort.abort();
  await watching;
  await backend.stop();
  await db.close();
  await emulators.ask({ type: 'stop' }).catch(() => undefined);
  emulators.child.disconnect();
  if (!NO_FAIL && checks.some(c => !c.ok)) {
    process.exitCode = 1;
  }
}

main().catch(error => {
  console.error(error?.stack ?? error);
  // The emulators' process leaves with this one (it exits on disconnect).
  process.exit(1);
});
