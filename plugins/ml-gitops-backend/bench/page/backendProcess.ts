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

/** The backend process, its event-loop probe and its HTTP API. */

import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { Pinning } from './machine';
import {
  BENCH_DIR,
  CPU_PROF_FILE,
  log,
  BACKEND_NODE_OPTIONS,
  POLL_TASK,
  ROOT,
  WORK,
} from './options';

export type Backend = {
  process: ChildProcess;
  base: string;
  logFile: string;
  probeSocket: string;
  stop(): Promise<void>;
};

export function startBackend(
  pinning: Pinning,
  port: number,
  configFile: string,
  bundleDir?: string,
): Backend {
  const logFile = path.join(WORK, 'backend.log');
  const out = fs.openSync(logFile, 'a');
  const probeSocket = path.join(WORK, 'probe.sock');
  const probe = path.join(BENCH_DIR, 'eventLoopProbe.cjs');
  let command: string[];
  let cwd: string;
  let env: NodeJS.ProcessEnv = {
    ...process.env,
    ML_GITOPS_BENCH_PROBE: probeSocket,
  };
  if (bundleDir) {
    cwd = bundleDir;
    command = [
      process.execPath,
      ...BACKEND_NODE_OPTIONS,
      '--require',
      probe,
      'packages/backend',
      '--config',
      'app-config.yaml',
      '--config',
      configFile,
    ];
    env = { ...env, NODE_ENV: 'production' };
    if (CPU_PROF_FILE) {
      env.ML_GITOPS_BENCH_CPU_PROFILE = CPU_PROF_FILE;
      // Each window's tasks over 5 ms are appended here (load.ts).
      fs.rmSync(`${CPU_PROF_FILE}.tasks.jsonl`, { force: true });
    }
  } else {
    cwd = path.join(ROOT, 'packages/backend');
    command = [
      process.execPath,
      require.resolve('@backstage/cli/bin/backstage-cli'),
      'package',
      'start',
      '--require',
      probe,
      '--config',
      path.join(ROOT, 'app-config.yaml'),
      '--config',
      configFile,
    ];
    delete env.NODE_ENV;
  }
  const [executable, ...rest] = [...pinning.backend, ...command];
  log(
    `$ (cd ${path.relative(ROOT, cwd) || cwd} && ${[executable, ...rest].join(
      ' ',
    )}) > ${logFile}`,
  );
  // A process group of its own, so stopping it stops backstage-cli's child.
  const child = spawn(executable, rest, {
    cwd,
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  // Never outlives the benchmark, whatever ends it.
  process.once('exit', () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return {
    process: child,
    base: `http://localhost:${port}`,
    logFile,
    probeSocket,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, 'SIGTERM');
      const killed = await Promise.race([
        exited.then(() => true),
        sleep(15_000).then(() => false),
      ]);
      if (!killed) process.kill(-child.pid!, 'SIGKILL');
    },
  };
}

export type ProbeReading = {
  pid: number;
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  gc: { count: number; maxMs: number; totalMs: number; over100Ms: number };
  rssBytes: number;
  /** The most of each part of `process.memoryUsage()` since the last reset. */
  memoryMaxBytes: {
    heapUsed: number;
    heapTotal: number;
    external: number;
    arrayBuffers: number;
  };
  /** Stalls over 50 ms since the last reset, monotonic µs. */
  stalls: { fromUs: number; toUs: number }[];
  /**
   * Tasks that held the event loop since the last reset (a 1 ms timer's
   * lateness): how many over 5, 10 and 20 ms, and the time of those over
   * 5 ms together.
   */
  tasks: { over5: number; over10: number; over20: number; over5Ms: number };
  /** Each task over 5 ms, monotonic µs; only while profiling. */
  taskWindows: { fromUs: number; toUs: number }[];
};

/** Writes the backend's CPU profile so far (`--cpu-prof FILE`). */
export async function writeCpuProfile(backend: Backend): Promise<void> {
  await askProbe(backend.probeSocket, 'POST', '/cpu-profile');
}

function askProbe(
  socketPath: string,
  method: 'GET' | 'POST',
  urlPath: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', chunk => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

export const readProbe = async (b: Backend) =>
  JSON.parse(await askProbe(b.probeSocket, 'GET', '/')) as ProbeReading;
/** The heap in use and RSS after full collections (see eventLoopProbe.cjs). */
export const collectInProbe = async (b: Backend) =>
  JSON.parse(await askProbe(b.probeSocket, 'POST', '/collect')) as {
    heapUsedBytes: number;
    rssBytes: number;
  };
/**
 * From here on the probe samples what outlives a young-generation
 * collection (see eventLoopProbe.cjs, POST /kept/start).
 */
export const startKeptSampling = async (b: Backend) => {
  await askProbe(b.probeSocket, 'POST', '/kept/start');
};
/** The sampling profile since {@link startKeptSampling}, as JSON text. */
export const stopKeptSampling = (b: Backend) =>
  askProbe(b.probeSocket, 'POST', '/kept/stop');
export const resetProbe = async (b: Backend) => {
  await askProbe(b.probeSocket, 'POST', '/reset');
};

// HTTP against the backend

export type Api = {
  pool: Pool;
  token: string;
  get(pathAndQuery: string): Promise<Answer>;
};

/** An answer of the backend: its body decoded, and how it came. */
export type Answer = {
  status: number;
  body: string;
  /** The body's bytes as sent, before decoding. */
  wireBytes: number;
  /** Its Content-Encoding (`identity` when none). */
  encoding: string;
};

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  backend: Backend,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (backend.process.exitCode !== null) {
      throw new Error(
        `the backend exited (code ${backend.process.exitCode}) while waiting for ${what}; log: ${backend.logFile}`,
      );
    }
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}; log: ${backend.logFile}`);
    await sleep(1000);
  }
}

/**
 * What Chromium sends as `Accept-Encoding` on the app's `fetch`: the
 * backend's compression middleware answers a body over its threshold
 * (1 KB) compressed, and that work is part of what a page view costs.
 */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

/** The body as text, undone from the encoding the backend chose. */
function decoded(bytes: Buffer, encoding: string) {
  switch (encoding.toLowerCase()) {
    case 'identity':
      return bytes.toString('utf8');
    case 'gzip':
      return zlib.gunzipSync(bytes).toString('utf8');
    case 'deflate':
      return zlib.inflateSync(bytes).toString('utf8');
    case 'br':
      return zlib.brotliDecompressSync(bytes).toString('utf8');
    default:
      throw new Error(
        `the backend answered with Content-Encoding ${encoding}, which the bench does not decode`,
      );
  }
}

export async function connect(backend: Backend): Promise<Api> {
  const pool = new Pool(backend.base, { connections: 16, pipelining: 1 });
  const raw = async (
    method: 'GET' | 'POST',
    pathAndQuery: string,
    headers: Record<string, string>,
  ) => {
    const response = await pool.request({
      method,
      path: pathAndQuery,
      headers: { 'accept-encoding': BROWSER_ACCEPT_ENCODING, ...headers },
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    const encoding = String(response.headers['content-encoding'] ?? 'identity');
    return {
      status: response.statusCode,
      body: decoded(bytes, encoding),
      wireBytes: bytes.length,
      encoding,
    };
  };
  const readiness = await waitFor(
    'readiness',
    10 * 60_000,
    backend,
    async () => {
      const r = await raw('GET', '/.backstage/health/v1/readiness', {});
      return r.status === 200 ? true : undefined;
    },
  );
  void readiness;
  // The app's sign-in as guest.
  const signIn = await raw('POST', '/api/auth/guest/refresh', {
    'x-requested-with': 'XMLHttpRequest',
  });
  if (signIn.status !== 200) {
    throw new Error(`guest sign-in answered ${signIn.status}: ${signIn.body}`);
  }
  const token = JSON.parse(signIn.body).backstageIdentity.token as string;
  const auth = { authorization: `Bearer ${token}` };
  return { pool, token, get: p => raw('GET', p, auth) };
}

export type TaskState = {
  status: 'running' | 'idle';
  startsAt?: string;
  startedAt?: string;
  lastRunEndedAt?: string;
};

export async function pollTask(api: Api): Promise<TaskState> {
  const r = await api.get('/api/ml-gitops/.backstage/scheduler/v1/tasks');
  if (r.status !== 200)
    throw new Error(`the scheduler's task list answered ${r.status}`);
  const task = (
    JSON.parse(r.body).tasks as Array<{
      taskId: string;
      taskState: TaskState | null;
    }>
  ).find(t => t.taskId === POLL_TASK);
  if (!task?.taskState) throw new Error(`no state for the task ${POLL_TASK}`);
  return task.taskState;
}
