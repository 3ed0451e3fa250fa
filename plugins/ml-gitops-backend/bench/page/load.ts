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

/** The load generator and the measured windows around it. */

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { scaleModelName } from 'sandbox';
import type { Api, Backend } from './backendProcess';
import { readProbe, resetProbe, ProbeReading } from './backendProcess';
import type { startSandbox } from './fleet';
import { processCpuMs, processRssMb } from './machine';
import { CPU_PROF_FILE, ENVIRONMENTS, log, MODELS, round } from './options';
import { diff, upstream, Upstream } from './upstream';

export type Samples = { requests: number[]; views: number[]; errors: string[] };

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[index];
}

let viewCounter = 0;

/**
 * A request pair to compare the tab's with: the same clients, model refs
 * and environments, another route of the same backend.
 */
export type ReferenceView = {
  label: string;
  paths: (ref: string, environment: string) => [string, string];
};

/**
 * The reference views: the framework's floor (a route that verifies the
 * caller's token and reads one row: the auth backend's OIDC userinfo) and
 * a stock plugin read (the catalog's entity by name, with its permission
 * check), each sent twice per view as the tab sends two requests.
 */
export const REFERENCE_VIEWS: ReferenceView[] = [
  {
    label: 'framework floor: GET /api/auth/v1/userinfo',
    paths: () => ['/api/auth/v1/userinfo', '/api/auth/v1/userinfo'],
  },
  {
    label: 'catalog: GET /api/catalog/entities/by-name/…',
    paths: ref => {
      const name = decodeURIComponent(ref).split('/').pop()!;
      const path = `/api/catalog/entities/by-name/component/default/${encodeURIComponent(
        name,
      )}`;
      return [path, path];
    },
  },
];

/**
 * Closed-loop clients sending page views until `done()` says stop: the
 * tab's two requests, or those of a reference view.
 */
export async function load(
  api: Api,
  concurrency: number,
  done: () => boolean,
  reference?: ReferenceView,
): Promise<Samples> {
  const samples: Samples = { requests: [], views: [], errors: [] };
  const refs = Array.from(
    { length: MODELS },
    (_, i) => `component:default/${scaleModelName(i)}`,
  );
  const client = async () => {
    while (!done()) {
      const n = viewCounter++;
      const ref = encodeURIComponent(refs[(n * 7919) % refs.length]);
      const environment = ENVIRONMENTS[n % ENVIRONMENTS.length];
      const [first, second] = reference?.paths(ref, environment) ?? [
        `/api/ml-gitops/v1/deployments?entityRef=${ref}`,
        `/api/ml-gitops/v1/history?entityRef=${ref}&environment=${environment}&limit=100`,
      ];
      const t0 = performance.now();
      const deployments = await api.get(first);
      const t1 = performance.now();
      const history = await api.get(second);
      const t2 = performance.now();
      samples.requests.push(t1 - t0, t2 - t1);
      samples.views.push(t2 - t0);
      for (const [what, r] of [
        [reference ? first : 'deployments', deployments],
        [reference ? second : 'history', history],
      ] as const) {
        if (r.status !== 200 && samples.errors.length < 5) {
          samples.errors.push(`${what} ${r.status}: ${r.body.slice(0, 200)}`);
        }
      }
      if (!reference && n % 500 === 0 && deployments.status === 200) {
        const body = JSON.parse(deployments.body) as {
          environments?: unknown[];
        };
        if (body.environments?.length !== ENVIRONMENTS.length) {
          samples.errors.push(
            `deployments without ${
              ENVIRONMENTS.length
            } environments: ${deployments.body.slice(0, 200)}`,
          );
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return samples;
}

export type Window = {
  label: string;
  kind: 'idle' | 'cycle' | 'reference';
  concurrency: number;
  seconds: number;
  views: number;
  requests: number[];
  errors: string[];
  cpuMs: number;
  /**
   * CPU of the scale sandbox's process and of this one (the load
   * generator) meanwhile, on the other core. Near the window's wall time,
   * the emulators bound it, not the backend.
   */
  emulatorCpuMs: number;
  rssMaxMb: number;
  probe: ProbeReading;
  upstream: Upstream;
  cycleWallMs?: number;
};

/** Runs `body` as a measured window: CPU, RSS, probe, upstream requests. */
export async function measure(
  backend: Backend,
  pid: number,
  sandbox: Awaited<ReturnType<typeof startSandbox>>,
  body: (
    sampleRss: () => void,
  ) => Promise<{ samples?: Samples; cycleWallMs?: number }>,
): Promise<Omit<Window, 'label' | 'kind' | 'concurrency'>> {
  const countsBefore = await sandbox.counts();
  await resetProbe(backend);
  let rssMaxMb = processRssMb(pid);
  const sampleRss = () => {
    rssMaxMb = Math.max(rssMaxMb, processRssMb(pid));
  };
  const rssTimer = setInterval(sampleRss, 500);
  const cpu0 = processCpuMs(pid);
  const ownCpu0 = process.cpuUsage();
  const sandboxCpu0 = processCpuMs(sandbox.child.pid!);
  const t0 = performance.now();
  const monotonic0 = monotonicMicros();
  const { samples, cycleWallMs } = await body(sampleRss).finally(() =>
    clearInterval(rssTimer),
  );
  const seconds = (performance.now() - t0) / 1000;
  const monotonic1 = monotonicMicros();
  const cpuMs = processCpuMs(pid) - cpu0;
  const ownCpu = process.cpuUsage(ownCpu0);
  const emulatorCpuMs =
    (ownCpu.user + ownCpu.system) / 1000 +
    processCpuMs(sandbox.child.pid!) -
    sandboxCpu0;
  const probe = await readProbe(backend);
  if (CPU_PROF_FILE) {
    // CLOCK_MONOTONIC in µs, the clock of the profile's timestamps: the
    // window's and its stalls' places in the backend's CPU profile.
    const stalls = probe.stalls
      .map(
        s =>
          `${s.fromUs}-${s.toUs} (${round((s.toUs - s.fromUs) / 1000, 0)} ms)`,
      )
      .join(', ');
    log(
      `  [cpu-prof] window from ${monotonic0} to ${monotonic1} µs (monotonic); stalls over 50 ms: ${
        stalls || 'none'
      }`,
    );
    // Every task over 5 ms of the window, for a script over the profile.
    fs.appendFileSync(
      `${CPU_PROF_FILE}.tasks.jsonl`,
      `${JSON.stringify({
        fromUs: monotonic0,
        toUs: monotonic1,
        tasks: probe.taskWindows,
      })}\n`,
    );
  }
  const counts = diff(await sandbox.counts(), countsBefore);
  return {
    seconds,
    views: samples?.views.length ?? 0,
    requests: (samples?.requests ?? []).sort((a, b) => a - b),
    errors: samples?.errors ?? [],
    cpuMs,
    emulatorCpuMs,
    rssMaxMb,
    probe,
    upstream: upstream(counts),
    cycleWallMs,
  };
}

function monotonicMicros(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
