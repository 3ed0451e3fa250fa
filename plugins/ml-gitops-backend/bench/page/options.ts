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

/** The page benchmark's options, targets and output helpers. */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flag, option } from '../cliOptions';

export const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
export const POLL_TASK = 'ml-gitops-poll';

/** The targets of issue #15. */
export const TARGETS = {
  viewsPerSecondC10: 600,
  cpuPerRequestMs: 1.5,
  p99C1Ms: 10,
  p99C10Ms: 40,
  eventLoopStallMs: 50,
  gcPauseMs: 100,
  rssOverNotPollingMb: 200,
  coldCycleSeconds: 20,
  fleetPageLimit: 500,
};

function wholeNumber(name: string, fallback: number, min: number): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be a whole number ≥ ${min}, got ${value}`);
  }
  return value;
}
export const DEV = flag('--dev');
export const SKIP_BUILD = flag('--skip-build');
export const NO_FAIL = flag('--no-fail');
export const KEEP = flag('--keep');
/**
 * Keep the search backend's catalog collator on its default schedule
 * (every 10 minutes): its in-memory Lunr index is built in one task, a stall
 * of the framework's that then falls into the measured windows.
 */
export const SEARCH_EVERY_10_MIN = flag('--search-every-10-min');
/**
 * Keep the catalog's default processing interval (each entity and location
 * re-processed every 100-150 s): on SQLite in memory its transactions run
 * on the backend's thread, stalls of the framework's of 0.1-0.5 s that then
 * fall into the measured windows. The bench sets 30 minutes otherwise, as
 * a catalog of this size is often tuned.
 */
export const CATALOG_PROCESSING_DEFAULT = flag('--catalog-processing-default');
/**
 * Writes a V8 CPU profile of the backend process (production build, from
 * its start to the last window) to this file, to find what runs in a stall.
 * Each window prints its span on the profile's clock.
 */
export const CPU_PROF_FILE = option('--cpu-prof', '')
  ? path.resolve(option('--cpu-prof', ''))
  : '';
/**
 * Samples what outlives a young-generation collection (what the backend
 * promotes to the old generation) in the c=10 window between the first two
 * cycles and in the framework floor's c=10 window, and writes each profile
 * to `FILE.tab.heapprofile` and `FILE.floor.heapprofile` (Chrome DevTools'
 * Memory panel reads them); the sites that promote most are printed. The
 * sampling costs CPU: those windows' other figures are not comparable.
 */
export const HEAP_PROFILE_KEPT = option('--heap-profile-kept', '')
  ? path.resolve(option('--heap-profile-kept', ''))
  : '';
/**
 * `sqlite` (default: in memory, as every earlier run measured) or
 * `postgres` (a private cluster beside the sandbox, as in production).
 */
export const DATABASE = option('--database', 'sqlite');
if (!['postgres', 'sqlite'].includes(DATABASE)) {
  throw new Error(`--database must be postgres or sqlite, got ${DATABASE}`);
}
/**
 * Options for the backend's `node` (production build only), separated by
 * spaces: e.g. `--node-options "--single-threaded-gc"` to measure what a
 * V8 flag does to the stalls on the pinned core. The report prints them.
 */
export const BACKEND_NODE_OPTIONS = option('--node-options', '')
  .split(/\s+/)
  .filter(Boolean);
for (const o of BACKEND_NODE_OPTIONS) {
  if (!o.startsWith('--')) {
    throw new Error(
      `--node-options takes node's own options (each starting with --), got ${o}`,
    );
  }
}
if (BACKEND_NODE_OPTIONS.length && DEV) {
  throw new Error(
    '--node-options applies to the production build only; leave out --dev',
  );
}
export const MODELS = wholeNumber('--models', 3334, 1);
export const CYCLES = wholeNumber('--cycles', 2, 1);
/** `mlGitops.concurrency` of the backend: models polled side by side (8 is the plugin's default). */
export const POLL_CONCURRENCY = wholeNumber('--poll-concurrency', 8, 1);
export const IDLE_SECONDS = wholeNumber('--idle-seconds', 12, 2);
export const CONCURRENCIES = [1, 10];

export const ROOT = path.resolve(__dirname, '../../../..');
/** bench/: the emulators and the event-loop probe. */
export const BENCH_DIR = path.resolve(__dirname, '..');
export const WORK = fs.mkdtempSync(
  path.join(os.tmpdir(), 'ml-gitops-page-bench-'),
);

export const log = (message: string) => console.log(message);
export const round = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
export const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
