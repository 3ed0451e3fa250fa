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
 * `yarn bench:page`: page views of the ML GitOps tab against the real
 * backend process (packages/backend, every plugin of the demo), the way the
 * frontend sends them, at fleet scale (issue #15).
 *
 *   yarn bench:page [--dev] [--skip-build] [--models 3334] [--cycles 2]
 *                   [--idle-seconds 12] [--no-fail] [--keep]
 *                   [--database sqlite|postgres] [--cpu-prof FILE]
 *                   [--heap-profile-kept FILE] [--node-options "…"]
 *
 * - Production build by default: `backstage-cli package build` of
 *   packages/backend, its bundle unpacked into a temporary directory (as a
 *   container image does) and started with `node packages/backend`,
 *   NODE_ENV=production. `--dev` starts `backstage-cli package start`
 *   instead. `--skip-build` reuses packages/backend/dist from an earlier run.
 * - The scale sandbox (packages/sandbox/src/scale) serves a generated fleet:
 *   3,334 config repos, one Argo CD instance and one Kubernetes cluster per
 *   environment, MLflow. Generated catalog files hold one Component per
 *   model, 50 a file (3,334 entities, 10,002 model-environments).
 * - SQLite in memory by default; `--database postgres`: a private cluster
 *   (scripts/postgres.sh) beside the sandbox, as in production.
 * - The backend runs on core 0 and the sandbox with this load generator on
 *   core 1 (`taskset`), when the machine has both.
 * - A page view is what the tab sends: GET /v1/deployments?entityRef=… and
 *   then GET /v1/history?entityRef=…&environment=…&limit=100, with the guest
 *   user's Backstage token (POST /api/auth/guest/refresh, as the app signs in).
 * - Views run at c=1 and c=10 (closed loop: each client sends its next view
 *   when the last one answered), in windows that span a poll cycle ("during
 *   cycles") and windows between cycles ("idle").
 * - Backend CPU comes from /proc/<pid>/stat, RSS from /proc/<pid>/status;
 *   the RSS target compares the backend before its first cycle and at the
 *   end, each after full collections (the probe's POST /collect), the highest
 *   RSS seen is reported beside it;
 *   event-loop delay and GC pauses from eventLoopProbe.cjs, preloaded into
 *   the backend process (no change to the backend's code); upstream requests
 *   from the sandbox's own request counts.
 *
 * Exits 1 when a target of issue #15 is missed (unless --no-fail).
 *
 * This file runs the phases in order; bench/page/ holds the parts: options
 * and targets, the machine (pinning, /proc), the production bundle, the
 * sandbox and its catalog and config, the backend process and its API, the
 * load generator and measured windows, the poll-cycle clock, upstream counts
 * and the report.
 */

import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Backend,
  collectInProbe,
  connect,
  readProbe,
  startBackend,
  waitFor,
  writeCpuProfile,
} from './page/backendProcess';
import { unpackBundle } from './page/bundle';
import { CycleClock } from './page/cycleClock';
import { startSandbox, writeCatalog, writeConfig } from './page/fleet';
import {
  load,
  measure,
  percentile,
  REFERENCE_VIEWS,
  Window,
} from './page/load';
import { loadAverage, pin, processRssMb, run } from './page/machine';
import {
  CATALOG_PROCESSING_DEFAULT,
  CONCURRENCIES,
  CPU_PROF_FILE,
  CYCLES,
  DEV,
  ENVIRONMENTS,
  IDLE_SECONDS,
  KEEP,
  log,
  MODELS,
  NO_FAIL,
  ROOT,
  round,
  SKIP_BUILD,
  TARGETS,
  thousands,
  WORK,
} from './page/options';
import { scaleModelName } from 'sandbox';
import { startDatabase } from './page/database';
import { describeMemory, printWindow, summarize } from './page/report';
import { freePort } from './ports';
import { describeUpstream } from './page/upstream';
import { withKeptSampling } from './page/heapKept';

/** Heap in use and RSS of the backend after full collections, in MB. */
async function collected(backend: Backend) {
  const { heapUsedBytes, rssBytes } = await collectInProbe(backend);
  return {
    heapUsedMb: heapUsedBytes / 1024 / 1024,
    rssMb: rssBytes / 1024 / 1024,
  };
}

async function main() {
  const started = performance.now();
  const pinning = pin();
  log(
    `ml-gitops page benchmark (${
      DEV
        ? 'dev mode: backstage-cli package start'
        : 'production build: node packages/backend'
    }): ` +
      `${thousands(MODELS)} models × ${
        ENVIRONMENTS.length
      } environments = ${thousands(
        MODELS * ENVIRONMENTS.length,
      )} model-environments`,
  );
  log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${
      process.version
    }, load average ${loadAverage()} (1, 5, 15 min)`,
  );
  log(pinning.note);
  log(`work directory: ${WORK}`);
  if (CPU_PROF_FILE) {
    log(
      DEV
        ? 'NOTE: --cpu-prof profiles the production build only; ignored with --dev'
        : `CPU profile of the backend process into ${CPU_PROF_FILE} after the last window`,
    );
  }

  let bundleDir: string | undefined;
  if (!DEV) {
    if (!SKIP_BUILD) run('yarn', ['workspace', 'backend', 'build'], ROOT);
    bundleDir = unpackBundle();
  }

  const database = await startDatabase();
  log(`database: ${database.describe}`);
  log(
    CATALOG_PROCESSING_DEFAULT
      ? "catalog processing: Backstage's default interval (100-150 s)"
      : 'catalog processing: every 30 min (--catalog-processing-default keeps 100-150 s)',
  );
  const sandbox = await startSandbox().catch(error => {
    database.stop();
    throw error;
  });
  const catalogFiles = writeCatalog(sandbox.urls);
  const port = await freePort();
  const configFile = writeConfig(
    sandbox.urls,
    port,
    catalogFiles,
    database.config,
  );
  const backend = startBackend(pinning, port, configFile, bundleDir);
  const stopAll = async () => {
    await backend.stop().catch(() => undefined);
    await sandbox.stop();
    database.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAll().then(() => process.exit(130));
    });
  }

  try {
    const tStart = performance.now();
    const api = await connect(backend);
    log(`backend ready in ${round((performance.now() - tStart) / 1000)} s`);
    const pid = (await readProbe(backend)).pid;

    // The catalog reads the generated file; the first cycle waits for it.
    await waitFor(
      'the catalog to hold every model',
      20 * 60_000,
      backend,
      async () => {
        const r = await api.get(
          '/api/catalog/entities/by-query?filter=kind=component,spec.type=ml-model&limit=1',
        );
        return r.status === 200 && JSON.parse(r.body).totalItems >= MODELS
          ? true
          : undefined;
      },
    );
    log(
      `catalog holds ${thousands(MODELS)} models ${round(
        (performance.now() - tStart) / 1000,
      )} s after start`,
    );

    // The same backend, same catalog, before its first poll.
    await sleep(10_000);
    const notPolling: number[] = [];
    for (let i = 0; i < 10; i++) {
      notPolling.push(processRssMb(pid));
      await sleep(500);
    }
    notPolling.sort((a, b) => a - b);
    const rssNotPollingMb = percentile(notPolling, 50);
    log(
      `RSS not polling (catalog loaded, before the first cycle): ${thousands(
        rssNotPollingMb,
      )} MB`,
    );
    // The same after full collections: how much of the figure above is
    // garbage not yet collected, to compare with the end like with like.
    const collectedNotPolling = await collected(backend);
    log(
      `  after full collections: heap in use ${thousands(
        collectedNotPolling.heapUsedMb,
      )} MB, RSS ${thousands(collectedNotPolling.rssMb)} MB`,
    );

    const fleetBefore = await api.get(
      `/api/ml-gitops/v1/fleet?limit=${TARGETS.fleetPageLimit}`,
    );
    const storedBefore =
      fleetBefore.status === 200
        ? (JSON.parse(fleetBefore.body) as { items: unknown[] }).items.length
        : 0;
    if (storedBefore > 0) {
      log(
        `NOTE: the store already held ${storedBefore} models before the cold cycle (the schedule's run at start found part of the catalog); the cold cycle is partly warm`,
      );
    }

    // Cycle 1, cold: an empty store, the whole fleet.
    const clock = new CycleClock(api);
    const cold = await measure(backend, pid, sandbox, async () => ({
      cycleWallMs: await clock.runCycle(15 * 60_000),
    }));
    log('\nCycle 1 — cold (empty store, every model read), no page views');
    log(
      `  wall ${round(cold.cycleWallMs! / 1000)} s, backend CPU ${round(
        cold.cpuMs / 1000,
      )} s, RSS max ${thousands(
        cold.rssMaxMb,
      )} MB; emulators and load generator CPU ${round(
        cold.emulatorCpuMs / 1000,
      )} s (the other core)`,
    );
    log(
      `  event-loop delay p99 ${round(
        cold.probe.eventLoop.p99Ms,
      )} ms, max ${round(cold.probe.eventLoop.maxMs)} ms; GC longest ${round(
        cold.probe.gc.maxMs,
      )} ms`,
    );
    log(`  memory: ${describeMemory(cold.probe)}`);
    log(`  upstream: ${describeUpstream(cold.upstream)}`);

    // Steady cycles without page views: the cycle alone.
    const quiet: Window[] = [];
    for (let n = 0; n < 2; n++) {
      await clock.waitUntilDue(1000);
      const w = await measure(backend, pid, sandbox, async () => ({
        cycleWallMs: await clock.runCycle(5 * 60_000),
      }));
      quiet.push({
        ...w,
        label: `Cycle ${2 + n}, no page views`,
        kind: 'cycle',
        concurrency: 0,
      });
    }
    // The backend's own background work (the catalog's processing loop,
    // its other tasks) with no views and no cycle: subtracted from the
    // windows' CPU to give the CPU a view itself costs.
    await sleep(1000);
    const background = await measure(backend, pid, sandbox, async () => {
      await sleep(10_000);
      return {};
    });
    clock.nextAt = Math.max(clock.nextAt, performance.now() + 1000);
    const backgroundMsPerS = background.cpuMs / background.seconds;
    log(
      `\nBackground (no views, no cycle, ${round(
        background.seconds,
      )} s): backend CPU ${round(
        backgroundMsPerS,
      )} ms/s, event-loop delay max ${round(
        background.probe.eventLoop.maxMs,
      )} ms; upstream ${background.upstream.total}`,
    );

    log('\nSteady cycles, no page views');
    for (const w of quiet) {
      log(
        `  ${w.label}: wall ${round(
          w.cycleWallMs! / 1000,
        )} s, backend CPU ${thousands(
          w.cpuMs,
        )} ms, event-loop delay max ${round(
          w.probe.eventLoop.maxMs,
        )} ms, GC longest ${round(w.probe.gc.maxMs)} ms`,
      );
      log(`    memory: ${describeMemory(w.probe)}`);
      log(`    upstream: ${describeUpstream(w.upstream)}`);
    }

    // What a page view's two answers weigh, as the browser receives them.
    log("\nA page view's answers (one model, as a browser asks for them)");
    const oneRef = encodeURIComponent(`component:default/${scaleModelName(0)}`);
    for (const [what, path] of [
      ['deployments', `/api/ml-gitops/v1/deployments?entityRef=${oneRef}`],
      [
        'history',
        `/api/ml-gitops/v1/history?entityRef=${oneRef}&environment=production&limit=100`,
      ],
    ]) {
      const answer = await api.get(path);
      log(
        `  ${what}: ${answer.status}, ${thousands(
          Buffer.byteLength(answer.body),
        )} bytes of JSON, sent as ${thousands(answer.wireBytes)} bytes (${
          answer.encoding
        })`,
      );
    }

    // Page views: through a cycle, then between cycles.
    const windows: Window[] = [];
    let postponedCycles = 0;
    for (const c of CONCURRENCIES) {
      for (let n = 0; n < CYCLES; n++) {
        // Views from 1 s before the cycle to 1 s after its end.
        await clock.waitUntilDue(1000);
        let cycleEndedAt = Infinity;
        const during = await measure(backend, pid, sandbox, async () => {
          const views = load(
            api,
            c,
            () => performance.now() > cycleEndedAt + 1000,
          );
          const cycleWallMs = await clock.runCycle(5 * 60_000).finally(() => {
            cycleEndedAt = performance.now();
          });
          return { samples: await views, cycleWallMs };
        });
        windows.push({
          ...during,
          label: `c=${c}, through poll cycle ${n + 1}`,
          kind: 'cycle',
          concurrency: c,
        });
        printWindow(windows[windows.length - 1]);

        // Views between cycles, --idle-seconds long. When the cycle left
        // less than that before the next is due (a slow cycle on a busy
        // machine), the next cycle waits: the window never holds a cycle.
        await sleep(500);
        const idleUntil = performance.now() + IDLE_SECONDS * 1000;
        if (clock.nextAt < idleUntil + 1000) {
          postponedCycles++;
          clock.nextAt = idleUntil + 1000;
        }
        const sampled = c === Math.max(...CONCURRENCIES) && n === 0;
        const [idle, kept] = await withKeptSampling(
          backend,
          sampled ? 'tab' : '',
          () =>
            measure(backend, pid, sandbox, async () => ({
              samples: await load(api, c, () => performance.now() > idleUntil),
            })),
        );
        windows.push({
          ...idle,
          label: `c=${c}, between cycles ${n + 1}`,
          kind: 'idle',
          concurrency: c,
        });
        printWindow(windows[windows.length - 1]);
        kept.forEach(line => log(line));
      }
    }

    // The same load on reference routes of the same backend, between
    // cycles: what any request costs here, to compare the tab's with; and
    // the framework floor with one client too, the latency a request of
    // this backend has at c=1 whatever its route (its collections).
    const references: Window[] = [];
    const concurrency = Math.max(...CONCURRENCIES);
    const fewest = Math.min(...CONCURRENCIES);
    log(`\nReference views (between cycles; two requests a view)`);
    const runs = REFERENCE_VIEWS.map(view => ({ view, c: concurrency }));
    if (fewest !== concurrency)
      runs.push({ view: REFERENCE_VIEWS[0], c: fewest });
    for (const { view: reference, c } of runs) {
      await sleep(500);
      const until = performance.now() + IDLE_SECONDS * 1000;
      if (clock.nextAt < until + 1000) {
        postponedCycles++;
        clock.nextAt = until + 1000;
      }
      const sampled = reference === REFERENCE_VIEWS[0] && c === concurrency;
      const [w, kept] = await withKeptSampling(
        backend,
        sampled ? 'floor' : '',
        () =>
          measure(backend, pid, sandbox, async () => ({
            samples: await load(
              api,
              c,
              () => performance.now() > until,
              reference,
            ),
          })),
      );
      references.push({
        ...w,
        label: `${reference.label} (c=${c})`,
        kind: 'reference',
        concurrency: c,
      });
      printWindow(references[references.length - 1]);
      kept.forEach(line => log(line));
    }
    if (CPU_PROF_FILE && !DEV) {
      await writeCpuProfile(backend);
      log(`\nCPU profile of the backend process written to ${CPU_PROF_FILE}`);
    }

    const fleet = await api.get(
      `/api/ml-gitops/v1/fleet?limit=${TARGETS.fleetPageLimit}`,
    );
    const rssEndMb = processRssMb(pid);
    const rssPollingMb = Math.max(rssEndMb, ...quiet.map(w => w.rssMaxMb));
    const collectedPolling = await collected(backend);

    const checks = summarize({
      cold,
      quiet,
      windows,
      references,
      backgroundMsPerS,
      rssNotPollingMb,
      rssPollingMb,
      collected: { notPolling: collectedNotPolling, polling: collectedPolling },
      fleetBefore,
      fleet,
      postponedCycles,
    });
    log(
      `\nTotal benchmark time ${round((performance.now() - started) / 1000)} s`,
    );
    await api.pool.close();
    if (!NO_FAIL && checks.some(c => !c.ok && c.fails !== false))
      process.exitCode = 1;
  } catch (error) {
    const tail = fs.existsSync(backend.logFile)
      ? fs
          .readFileSync(backend.logFile, 'utf8')
          .split('\n')
          .slice(-30)
          .join('\n')
      : '';
    log(`\nbackend log (last lines of ${backend.logFile}):\n${tail}`);
    throw error;
  } finally {
    await stopAll();
    if (!KEEP) fs.rmSync(WORK, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error?.stack ?? error);
  process.exit(1);
});
