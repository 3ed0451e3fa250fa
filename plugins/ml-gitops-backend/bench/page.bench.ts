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
 *
 * - Production build by default: `backstage-cli package build` of
 *   packages/backend, its bundle unpacked into a temporary directory (as a
 *   container image does) and started with `node packages/backend`,
 *   NODE_ENV=production. `--dev` starts `backstage-cli package start`
 *   instead. `--skip-build` reuses packages/backend/dist from an earlier run.
 * - The scale sandbox (packages/sandbox/src/scale) serves a generated fleet:
 *   3,334 config repos, one Argo CD instance and one Kubernetes cluster per
 *   environment, MLflow. A generated catalog file holds one Component per
 *   model (3,334 entities, 10,002 model-environments).
 * - The backend runs on core 0 and the sandbox with this load generator on
 *   core 1 (`taskset`), when the machine has both.
 * - A page view is what the tab sends: GET /v1/deployments?entityRef=… and
 *   then GET /v1/history?entityRef=…&environment=…&limit=100, with the guest
 *   user's Backstage token (POST /api/auth/guest/refresh, as the app signs in).
 * - Views run at c=1 and c=10 (closed loop: each client sends its next view
 *   when the last one answered), in windows that span a poll cycle ("during
 *   cycles") and windows between cycles ("idle").
 * - Backend CPU comes from /proc/<pid>/stat, RSS from /proc/<pid>/status;
 *   event-loop delay and GC pauses from eventLoopProbe.cjs, preloaded into
 *   the backend process (no change to the backend's code); upstream requests
 *   from the sandbox's own request counts.
 *
 * Exits 1 when a target of issue #15 is missed (unless --no-fail).
 */

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SANDBOX_CREDENTIALS, scaleModelName } from 'sandbox';
import { Pool } from 'undici';
import type { EmulatorReply, EmulatorRequest } from './emulators';

const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
const POLL_TASK = 'ml-gitops-poll';

/** The targets of issue #15. */
const TARGETS = {
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

const args = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}
function wholeNumber(name: string, fallback: number, min: number): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be a whole number ≥ ${min}, got ${value}`);
  }
  return value;
}
const DEV = args.includes('--dev');
const SKIP_BUILD = args.includes('--skip-build');
const NO_FAIL = args.includes('--no-fail');
const KEEP = args.includes('--keep');
const MODELS = wholeNumber('--models', 3334, 1);
const CYCLES = wholeNumber('--cycles', 2, 1);
const IDLE_SECONDS = wholeNumber('--idle-seconds', 12, 2);
const CONCURRENCIES = [1, 10];

const ROOT = path.resolve(__dirname, '../../..');
const BENCH_DIR = __dirname;
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-page-bench-'));

const log = (message: string) => console.log(message);
const round = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------------------
// The machine: cores, pinning, /proc

type Pinning = { backend: string[]; note: string };

/** Backend on core 0; this process (the load) and the sandbox on core 1. */
function pin(): Pinning {
  const cores = os.cpus().length;
  const taskset = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  if (taskset.error || taskset.status !== 0) {
    return {
      backend: [],
      note: 'NOT pinned: taskset is not available on this machine',
    };
  }
  if (cores < 2) {
    return {
      backend: [],
      note: `NOT pinned: the machine has ${cores} core`,
    };
  }
  const self = spawnSync(
    'taskset',
    ['-a', '-p', '-c', '1', String(process.pid)],
    { encoding: 'utf8' },
  );
  if (self.status !== 0) {
    return {
      backend: [],
      note: `NOT pinned: taskset refused (${self.stderr.trim()})`,
    };
  }
  return {
    backend: ['taskset', '-c', '0'],
    note: 'pinned with taskset: backend on core 0; sandbox and load generator on core 1',
  };
}

const CLOCK_TICKS = Number(
  spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim() || 100,
);

/** User + system CPU of a process so far, in ms (/proc/<pid>/stat). */
function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses: state is
  // field 3, utime 14 and stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Resident set size of a process, in MB (/proc/<pid>/status). */
function processRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function loadAverage(): string {
  return os
    .loadavg()
    .map(n => n.toFixed(2))
    .join(', ');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

function run(command: string, commandArgs: string[], cwd: string) {
  log(
    `$ (cd ${path.relative(ROOT, cwd) || '.'} && ${command} ${commandArgs.join(
      ' ',
    )})`,
  );
  const result = spawnSync(command, commandArgs, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${commandArgs.join(' ')} failed (${
        result.status ?? result.signal
      })`,
    );
  }
}

// ---------------------------------------------------------------------------
// The production build, unpacked as a container image unpacks it

/** Workspace packages of the monorepo: name → directory. */
function workspacePackages(): Map<string, string> {
  const found = new Map<string, string>();
  for (const parent of ['packages', 'plugins']) {
    for (const dir of fs.readdirSync(path.join(ROOT, parent))) {
      const manifest = path.join(ROOT, parent, dir, 'package.json');
      if (fs.existsSync(manifest)) {
        found.set(
          JSON.parse(fs.readFileSync(manifest, 'utf8')).name,
          path.join(parent, dir),
        );
      }
    }
  }
  return found;
}

/**
 * `backstage-cli package build` leaves packages/backend/dist/bundle.tar.gz:
 * the backend and the workspace packages it needs, packed as published
 * (main: dist/index.cjs.js). A container image unpacks it and installs the
 * production dependencies; here the third-party packages come from the
 * monorepo's node_modules (the same lockfile) through symlinks, so no
 * network install is needed, and the workspace packages are the bundle's.
 */
function unpackBundle(): string {
  const dist = path.join(ROOT, 'packages/backend/dist/bundle.tar.gz');
  if (!fs.existsSync(dist)) {
    throw new Error(`${dist} is missing: run without --skip-build`);
  }
  const dir = path.join(WORK, 'bundle');
  fs.mkdirSync(dir);
  run('tar', ['-xzf', dist, '-C', dir], ROOT);
  const workspaces = workspacePackages();
  const inBundle = new Map<string, string>();
  for (const [name, rel] of workspaces) {
    if (fs.existsSync(path.join(dir, rel, 'package.json')))
      inBundle.set(name, rel);
  }
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  const source = path.join(ROOT, 'node_modules');
  const linkEntry = (name: string) => {
    const rel = inBundle.get(name);
    if (rel) {
      fs.symlinkSync(path.join(dir, rel), path.join(modules, name));
    } else if (!workspaces.has(name)) {
      fs.symlinkSync(path.join(source, name), path.join(modules, name));
    }
    // A workspace package the bundle does not hold is not a production
    // dependency of the backend: left out, as in an image.
  };
  for (const entry of fs.readdirSync(source)) {
    if (entry.startsWith('@')) {
      fs.mkdirSync(path.join(modules, entry));
      for (const inner of fs.readdirSync(path.join(source, entry))) {
        linkEntry(`${entry}/${inner}`);
      }
    } else if (entry !== '.bin') {
      linkEntry(entry);
    }
  }
  // Versions a workspace package needs apart from the root's.
  for (const rel of inBundle.values()) {
    const nested = path.join(ROOT, rel, 'node_modules');
    if (
      fs.existsSync(nested) &&
      !fs.existsSync(path.join(dir, rel, 'node_modules'))
    ) {
      fs.symlinkSync(nested, path.join(dir, rel, 'node_modules'));
    }
  }
  fs.copyFileSync(
    path.join(ROOT, 'app-config.yaml'),
    path.join(dir, 'app-config.yaml'),
  );
  return dir;
}

// ---------------------------------------------------------------------------
// The scale sandbox, in a child process on the load generator's core

type Urls = {
  git: string;
  gitApi: string;
  mlflow: string;
  argocd: Record<string, string>;
  kubernetes: Record<string, string>;
};

async function startSandbox() {
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      path.join(BENCH_DIR, 'emulators.ts'),
      String(MODELS),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const pending = new Map<number, (reply: EmulatorReply) => void>();
  let nextId = 1;
  const urls = await new Promise<Urls>((resolve, reject) => {
    child.once('exit', code =>
      reject(new Error(`the sandbox exited with code ${code}`)),
    );
    child.on('message', (message: any) => {
      if (message?.type === 'ready') {
        resolve(message.urls);
      } else if (typeof message?.id === 'number') {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
  const ask = (
    request: Omit<EmulatorRequest, 'id'> & Partial<EmulatorRequest>,
  ) =>
    new Promise<EmulatorReply>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, reply =>
        reply.error ? reject(new Error(reply.error)) : resolve(reply),
      );
      child.send({ ...request, id });
    });
  return {
    child,
    urls,
    counts: async () => (await ask({ type: 'stats' })).counts ?? {},
    reset: async () => {
      await ask({ type: 'reset' });
    },
    stop: async () => {
      await ask({ type: 'stop' }).catch(() => undefined);
      child.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------
// Catalog and configuration

const OWNERS = ['fraud-ml', 'growth-ml', 'ml-platform'];

function writeCatalog(urls: Urls): string {
  const file = path.join(WORK, 'models.yaml');
  const lines: string[] = [];
  for (let i = 0; i < MODELS; i++) {
    const name = scaleModelName(i);
    lines.push(
      '---',
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      `  name: ${name}`,
      '  annotations:',
      `    ml-gitops/model: ${name}`,
      `    ml-gitops/config-repo: ${urls.git}/acme/${name}-config`,
      'spec:',
      '  type: ml-model',
      `  owner: group:default/${OWNERS[i % OWNERS.length]}`,
      '  lifecycle: production',
    );
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Layered over the repo's app-config.yaml; YAML is JSON. */
function writeConfig(urls: Urls, port: number, catalogFile: string): string {
  const gitHost = new URL(urls.git).host;
  const base = `http://localhost:${port}`;
  const config = {
    app: { baseUrl: base },
    backend: {
      baseUrl: base,
      listen: { port },
      cors: { origin: base },
      database: { client: 'better-sqlite3', connection: ':memory:' },
    },
    auth: {
      providers: {
        guest: {
          // NODE_ENV=production: the guest provider is for demos only.
          dangerouslyAllowOutsideDevelopment: true,
          ownershipEntityRefs: [
            'user:development/guest',
            'group:default/ml-platform',
            'group:default/fraud-ml',
          ],
        },
      },
    },
    integrations: {
      github: [
        { host: gitHost, apiBaseUrl: urls.gitApi, token: 'bench-token' },
      ],
    },
    // Outside development the backend wants the Git hosts' webhook secrets.
    events: {
      modules: {
        github: { webhookSecret: 'bench-webhook-secret' },
        gitlab: { webhookSecret: 'bench-webhook-secret' },
      },
    },
    catalog: {
      locations: [
        {
          type: 'file',
          target: path.join(ROOT, 'examples/org.yaml'),
          rules: [{ allow: ['User', 'Group'] }],
        },
        {
          type: 'file',
          target: catalogFile,
          rules: [{ allow: ['Component'] }],
        },
      ],
    },
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: ENVIRONMENTS.map(env => ({
            name: env,
            url: urls.kubernetes[env],
            authProvider: 'serviceAccount',
            serviceAccountToken: SANDBOX_CREDENTIALS.kubernetes.token,
            skipMetricsLookup: true,
          })),
        },
      ],
      customResources: [
        {
          group: 'serving.kserve.io',
          apiVersion: 'v1beta1',
          plural: 'inferenceservices',
        },
      ],
    },
    mlGitops: {
      environments: [...ENVIRONMENTS],
      // The benchmark triggers the cycles through the scheduler's API, 30 s
      // apart start to start like `frequency: { seconds: 30 }` (the
      // default), so that the cold one finds the catalog complete and
      // measured windows know when a cycle starts. The schedule's own run
      // comes at start (an empty catalog) and then after a day. (A manual
      // trigger is not an option: the plugin's cluster-list task runs on
      // the same schedule, and a local task cannot be manual.)
      schedule: {
        frequency: { hours: 24 },
        timeout: { minutes: 10 },
      },
      staleAfter: { seconds: 90 },
      argocd: {
        instances: ENVIRONMENTS.map(env => ({
          name: `argocd-${env}`,
          url: urls.argocd[env],
          token: SANDBOX_CREDENTIALS.argocd.token,
        })),
      },
      registries: [
        { name: 'mlflow-default', type: 'mlflow', url: urls.mlflow },
      ],
    },
  };
  const file = path.join(WORK, 'app-config.bench.yaml');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

// ---------------------------------------------------------------------------
// The backend process

type Backend = {
  process: ChildProcess;
  base: string;
  logFile: string;
  probeSocket: string;
  stop(): Promise<void>;
};

function startBackend(
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
      '--require',
      probe,
      'packages/backend',
      '--config',
      'app-config.yaml',
      '--config',
      configFile,
    ];
    env = { ...env, NODE_ENV: 'production' };
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

type ProbeReading = {
  pid: number;
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
  gc: { count: number; maxMs: number; totalMs: number; over100Ms: number };
  rssBytes: number;
};

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

const readProbe = async (b: Backend) =>
  JSON.parse(await askProbe(b.probeSocket, 'GET', '/')) as ProbeReading;
const resetProbe = async (b: Backend) => {
  await askProbe(b.probeSocket, 'POST', '/reset');
};

// ---------------------------------------------------------------------------
// HTTP against the backend

type Api = {
  pool: Pool;
  token: string;
  get(pathAndQuery: string): Promise<{ status: number; body: string }>;
};

async function waitFor<T>(
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

async function connect(backend: Backend): Promise<Api> {
  const pool = new Pool(backend.base, { connections: 16, pipelining: 1 });
  const raw = async (
    method: 'GET' | 'POST',
    pathAndQuery: string,
    headers: Record<string, string>,
  ) => {
    const response = await pool.request({
      method,
      path: pathAndQuery,
      headers,
    });
    return { status: response.statusCode, body: await response.body.text() };
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

type TaskState = {
  status: 'running' | 'idle';
  startsAt?: string;
  startedAt?: string;
  lastRunEndedAt?: string;
};

async function pollTask(api: Api): Promise<TaskState> {
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

// ---------------------------------------------------------------------------
// Upstream requests by system

type Counts = Record<string, number>;

function diff(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [k, n] of Object.entries(after)) {
    const d = n - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

/** `kubernetes-dev GET /apis/serving.kserve.io/v1beta1 200` is discovery. */
function isDiscovery(pathTemplate: string): boolean {
  const parts = pathTemplate.split('/').filter(Boolean);
  if (parts[0] === 'api') return parts.length <= 2;
  if (parts[0] === 'apis') return parts.length <= 3;
  return false;
}

type Upstream = {
  total: number;
  gitGraphql: number;
  gitRest: number;
  mlflow: number;
  argocdListsPerInstance: Record<string, number>;
  argocdOther: number;
  /** Per cluster: list calls of each resource path, and discovery requests. */
  kubernetes: Record<
    string,
    { lists: Record<string, number>; discovery: number; other: number }
  >;
};

function upstream(counts: Counts): Upstream {
  const u: Upstream = {
    total: 0,
    gitGraphql: 0,
    gitRest: 0,
    mlflow: 0,
    argocdListsPerInstance: {},
    argocdOther: 0,
    kubernetes: {},
  };
  for (const env of ENVIRONMENTS) {
    u.argocdListsPerInstance[env] = 0;
    u.kubernetes[env] = { lists: {}, discovery: 0, other: 0 };
  }
  for (const [key, n] of Object.entries(counts)) {
    const [server, method, template] = key.split(' ');
    u.total += n;
    if (server === 'git') {
      if (template === '/api/graphql') u.gitGraphql += n;
      else u.gitRest += n;
    } else if (server === 'mlflow') {
      u.mlflow += n;
    } else if (server.startsWith('argocd-')) {
      const env = server.slice('argocd-'.length);
      if (method === 'GET' && template === '/api/v1/applications')
        u.argocdListsPerInstance[env] =
          (u.argocdListsPerInstance[env] ?? 0) + n;
      else u.argocdOther += n;
    } else if (server.startsWith('kubernetes-')) {
      const cluster = (u.kubernetes[server.slice('kubernetes-'.length)] ??= {
        lists: {},
        discovery: 0,
        other: 0,
      });
      if (method === 'GET' && isDiscovery(template)) cluster.discovery += n;
      else if (method === 'GET')
        cluster.lists[template] = (cluster.lists[template] ?? 0) + n;
      else cluster.other += n;
    }
  }
  return u;
}

function describeUpstream(u: Upstream): string {
  const argo = Object.entries(u.argocdListsPerInstance)
    .map(([env, n]) => `${env} ${n}`)
    .join(', ');
  const kube = Object.entries(u.kubernetes)
    .map(
      ([env, c]) =>
        `${env} ${Object.values(c.lists).reduce((a, b) => a + b, 0)} list + ${
          c.discovery
        } discovery`,
    )
    .join(', ');
  return [
    `total ${thousands(u.total)}`,
    `Git ${thousands(u.gitGraphql)} GraphQL + ${thousands(u.gitRest)} REST`,
    `Argo CD lists per instance: ${argo}${
      u.argocdOther ? ` (+${u.argocdOther} other)` : ''
    }`,
    `Kubernetes per cluster: ${kube}`,
    `MLflow ${thousands(u.mlflow)}`,
  ].join('; ');
}

// ---------------------------------------------------------------------------
// Load

type Samples = { requests: number[]; views: number[]; errors: string[] };

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[index];
}

let viewCounter = 0;

/** Closed-loop clients sending page views until `done()` says stop. */
async function load(
  api: Api,
  concurrency: number,
  done: () => boolean,
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
      const t0 = performance.now();
      const deployments = await api.get(
        `/api/ml-gitops/v1/deployments?entityRef=${ref}`,
      );
      const t1 = performance.now();
      const history = await api.get(
        `/api/ml-gitops/v1/history?entityRef=${ref}&environment=${environment}&limit=100`,
      );
      const t2 = performance.now();
      samples.requests.push(t1 - t0, t2 - t1);
      samples.views.push(t2 - t0);
      for (const [what, r] of [
        ['deployments', deployments],
        ['history', history],
      ] as const) {
        if (r.status !== 200 && samples.errors.length < 5) {
          samples.errors.push(`${what} ${r.status}: ${r.body.slice(0, 200)}`);
        }
      }
      if (n % 500 === 0 && deployments.status === 200) {
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

type Window = {
  label: string;
  kind: 'idle' | 'cycle';
  concurrency: number;
  seconds: number;
  views: number;
  requests: number[];
  errors: string[];
  cpuMs: number;
  rssMaxMb: number;
  probe: ProbeReading;
  upstream: Upstream;
  cycleWallMs?: number;
};

/** Runs `body` as a measured window: CPU, RSS, probe, upstream requests. */
async function measure(
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
  const t0 = performance.now();
  const { samples, cycleWallMs } = await body(sampleRss).finally(() =>
    clearInterval(rssTimer),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpuMs = processCpuMs(pid) - cpu0;
  const probe = await readProbe(backend);
  const counts = diff(await sandbox.counts(), countsBefore);
  return {
    seconds,
    views: samples?.views.length ?? 0,
    requests: (samples?.requests ?? []).sort((a, b) => a - b),
    errors: samples?.errors ?? [],
    cpuMs,
    rssMaxMb,
    probe,
    upstream: upstream(counts),
    cycleWallMs,
  };
}

/** The default schedule, start to start. */
const CYCLE_PERIOD_MS = 30_000;

/**
 * The poll cycles, triggered by the benchmark through the scheduler's API
 * (`POST /.backstage/scheduler/v1/tasks/<id>/trigger`): the poll task, and
 * the plugin's cluster list refresh that runs on the same schedule.
 */
class CycleClock {
  /** When the next cycle is due (performance.now()). */
  nextAt = 0;
  constructor(private readonly api: Api) {}

  private async trigger(task: string): Promise<number> {
    const r = await this.api.pool.request({
      method: 'POST',
      path: `/api/ml-gitops/.backstage/scheduler/v1/tasks/${task}/trigger`,
      headers: { authorization: `Bearer ${this.api.token}` },
    });
    await r.body.text();
    return r.statusCode;
  }

  /** Waits until `leadMs` before the next cycle is due. */
  async waitUntilDue(leadMs = 0) {
    await sleep(Math.max(0, this.nextAt - leadMs - performance.now()));
  }

  /**
   * Triggers a cycle when it is due and waits for it to finish; returns its
   * wall time, from the scheduler's start (seen running) to its end.
   */
  async runCycle(timeoutMs: number): Promise<number> {
    await this.waitUntilDue();
    const before = await pollTask(this.api);
    const triggeredAt = performance.now();
    const status = await this.trigger(POLL_TASK);
    if (status !== 200) {
      throw new Error(`triggering ${POLL_TASK} answered ${status}`);
    }
    // 409 while it runs: it refreshes at its own pace then.
    await this.trigger('ml-gitops-clusters');
    this.nextAt = triggeredAt + CYCLE_PERIOD_MS;
    let started: number | undefined;
    for (;;) {
      const state = await pollTask(this.api);
      if (state.status === 'running') {
        started ??= performance.now();
      } else if (state.lastRunEndedAt !== before.lastRunEndedAt) {
        const wall = performance.now() - (started ?? triggeredAt);
        // A cycle longer than the period: the next one starts at its end.
        this.nextAt = Math.max(this.nextAt, performance.now());
        return wall;
      }
      if (performance.now() - triggeredAt > timeoutMs) {
        throw new Error(
          `the poll cycle did not finish within ${timeoutMs / 1000} s`,
        );
      }
      await sleep(250);
    }
  }
}

function printWindow(w: Window) {
  const r = w.requests;
  const reqCount = r.length;
  const cycle =
    w.cycleWallMs !== undefined
      ? ` (cycle wall ${round(w.cycleWallMs / 1000)} s)`
      : '';
  log(
    `  ${w.label}: ${w.views.toLocaleString('en-US')} views in ${round(
      w.seconds,
    )} s = ${round(w.views / w.seconds)} views/s${cycle}`,
  );
  if (reqCount) {
    log(
      `    requests p50 ${round(percentile(r, 50))} ms, p90 ${round(
        percentile(r, 90),
      )} ms, p99 ${round(percentile(r, 99))} ms, max ${round(
        r[r.length - 1],
      )} ms`,
    );
  }
  const perView = w.views
    ? ` = ${round(w.cpuMs / w.views, 2)} ms per view, ${round(
        w.cpuMs / reqCount,
        2,
      )} ms per request`
    : '';
  log(
    `    backend CPU ${thousands(w.cpuMs)} ms${perView}; RSS max ${thousands(
      w.rssMaxMb,
    )} MB`,
  );
  log(
    `    event-loop delay p99 ${round(w.probe.eventLoop.p99Ms)} ms, max ${round(
      w.probe.eventLoop.maxMs,
    )} ms; GC ${w.probe.gc.count} pauses, longest ${round(
      w.probe.gc.maxMs,
    )} ms`,
  );
  const upstreamPerView = w.views
    ? ` (${round(w.upstream.total / w.views, 3)} per view)`
    : '';
  log(`    upstream: ${describeUpstream(w.upstream)}${upstreamPerView}`);
  for (const e of w.errors) log(`    ERROR ${e}`);
}

// ---------------------------------------------------------------------------

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

  let bundleDir: string | undefined;
  if (!DEV) {
    if (!SKIP_BUILD) run('yarn', ['workspace', 'backend', 'build'], ROOT);
    bundleDir = unpackBundle();
  }

  const sandbox = await startSandbox();
  const catalogFile = writeCatalog(sandbox.urls);
  const port = await freePort();
  const configFile = writeConfig(sandbox.urls, port, catalogFile);
  const backend = startBackend(pinning, port, configFile, bundleDir);
  const stopAll = async () => {
    await backend.stop().catch(() => undefined);
    await sandbox.stop();
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
      )} s, RSS max ${thousands(cold.rssMaxMb)} MB`,
    );
    log(
      `  event-loop delay p99 ${round(
        cold.probe.eventLoop.p99Ms,
      )} ms, max ${round(cold.probe.eventLoop.maxMs)} ms; GC longest ${round(
        cold.probe.gc.maxMs,
      )} ms`,
    );
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
      log(`    upstream: ${describeUpstream(w.upstream)}`);
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
        const idle = await measure(backend, pid, sandbox, async () => ({
          samples: await load(api, c, () => performance.now() > idleUntil),
        }));
        windows.push({
          ...idle,
          label: `c=${c}, between cycles ${n + 1}`,
          kind: 'idle',
          concurrency: c,
        });
        printWindow(windows[windows.length - 1]);
      }
    }

    const fleet = await api.get(
      `/api/ml-gitops/v1/fleet?limit=${TARGETS.fleetPageLimit}`,
    );
    const rssEndMb = processRssMb(pid);
    const rssPollingMb = Math.max(rssEndMb, ...quiet.map(w => w.rssMaxMb));

    // -------------------------------------------------------------------
    // Summary and targets

    const merged = (ws: Window[]) => {
      const requests = ws.flatMap(w => w.requests).sort((a, b) => a - b);
      const views = ws.reduce((a, w) => a + w.views, 0);
      const seconds = ws.reduce((a, w) => a + w.seconds, 0);
      const cpuMs = ws.reduce((a, w) => a + w.cpuMs, 0);
      const upstreamTotal = ws.reduce((a, w) => a + w.upstream.total, 0);
      return {
        requests,
        views,
        viewsPerSecond: views / seconds,
        cpuPerView: cpuMs / views,
        cpuPerRequest: cpuMs / requests.length,
        /** Less the background work's CPU over the same time. */
        netCpuPerRequest:
          Math.max(0, cpuMs - backgroundMsPerS * seconds) / requests.length,
        p50: percentile(requests, 50),
        p90: percentile(requests, 90),
        p99: percentile(requests, 99),
        max: requests[requests.length - 1],
        loopP99: Math.max(...ws.map(w => w.probe.eventLoop.p99Ms)),
        loopMax: Math.max(...ws.map(w => w.probe.eventLoop.maxMs)),
        gcMax: Math.max(...ws.map(w => w.probe.gc.maxMs)),
        rssMax: Math.max(...ws.map(w => w.rssMaxMb)),
        upstreamPerView: upstreamTotal / views,
        errors: ws.flatMap(w => w.errors),
      };
    };
    const table: Array<{ row: string; m: ReturnType<typeof merged> }> = [];
    for (const c of CONCURRENCIES) {
      for (const kind of ['idle', 'cycle'] as const) {
        const ws = windows.filter(w => w.concurrency === c && w.kind === kind);
        if (ws.length)
          table.push({
            row: `c=${c} ${
              kind === 'idle' ? 'between cycles' : 'through cycles'
            }`,
            m: merged(ws),
          });
      }
    }
    log(
      `\nPage views (${
        DEV ? 'dev mode' : 'production build'
      }; latency per request, a view is two requests)`,
    );
    log(
      '| window | views/s | p50 | p90 | p99 | max | CPU/view | CPU/request | net CPU/request | loop p99 | loop max | GC max | RSS max | upstream/view |',
    );
    log(
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const { row, m } of table) {
      log(
        `| ${row} | ${round(m.viewsPerSecond)} | ${round(m.p50)} ms | ${round(
          m.p90,
        )} ms | ${round(m.p99)} ms | ${round(m.max)} ms | ${round(
          m.cpuPerView,
          2,
        )} ms | ${round(m.cpuPerRequest, 2)} ms | ${round(
          m.netCpuPerRequest,
          2,
        )} ms | ${round(m.loopP99)} ms | ${round(m.loopMax)} ms | ${round(
          m.gcMax,
        )} ms | ${thousands(m.rssMax)} MB | ${
          row.endsWith('between cycles')
            ? round(m.upstreamPerView, 3)
            : '(cycle)'
        } |`,
      );
    }
    const cycleWindows = windows.filter(w => w.kind === 'cycle');
    log('\nUpstream requests per cycle (by system)');
    log(`  cold: ${describeUpstream(cold.upstream)}`);
    for (const w of [...quiet, ...cycleWindows])
      log(`  ${w.label}: ${describeUpstream(w.upstream)}`);
    log(
      `\nRSS: not polling ${thousands(rssNotPollingMb)} MB; polling ${thousands(
        rssPollingMb,
      )} MB (max over the quiet steady cycles and at the end)`,
    );
    log(
      `GET /v1/fleet?limit=${TARGETS.fleetPageLimit}: ${fleetBefore.status} before the first cycle, ${fleet.status} after`,
    );
    if (postponedCycles) {
      log(
        `${postponedCycles} cycle(s) started later than 30 s after the previous one, so that a window between cycles had ${IDLE_SECONDS} s`,
      );
    }
    log(`machine load average at the end: ${loadAverage()}`);

    const m = (c: number, kind: 'between cycles' | 'through cycles') =>
      table.find(t => t.row === `c=${c} ${kind}`)?.m;
    const idle10 = m(10, 'between cycles');
    const cycle1 = m(1, 'through cycles');
    const cycle10 = m(10, 'through cycles');
    const steadyCycles = [...quiet, ...cycleWindows];
    const repos = MODELS;
    const maxGraphql = Math.ceil(repos / 100);
    const prodOnly = DEV
      ? ' (a production-build target: reported, not failed, in dev mode)'
      : '';
    // One list of a cluster's objects of a kind comes in chunks of 500 (the
    // chunk size kubectl uses, and the backend): requests per list.
    const listPages = Math.ceil(MODELS / 500);
    const repeatedLists = [
      ...new Set(
        steadyCycles.flatMap(w =>
          Object.values(w.upstream.kubernetes).flatMap(k =>
            Object.entries(k.lists)
              .filter(([, n]) => n > listPages)
              .map(([p, n]) => `${p} ×${n}`),
          ),
        ),
      ),
    ];
    const checks: Array<{ what: string; ok: boolean; fails?: boolean }> = [
      {
        what: `views/s at c=10 between cycles ${round(
          idle10?.viewsPerSecond ?? NaN,
        )} ≥ ${TARGETS.viewsPerSecondC10}${prodOnly}`,
        ok: (idle10?.viewsPerSecond ?? 0) >= TARGETS.viewsPerSecondC10,
        fails: !DEV,
      },
      {
        what: `backend CPU per request at c=10 between cycles, less the background ${round(
          idle10?.netCpuPerRequest ?? NaN,
          2,
        )} ms (${round(idle10?.cpuPerRequest ?? NaN, 2)} ms with it) ≤ ${
          TARGETS.cpuPerRequestMs
        } ms${prodOnly}`,
        ok: (idle10?.netCpuPerRequest ?? Infinity) <= TARGETS.cpuPerRequestMs,
        fails: !DEV,
      },
      {
        what: `p99 at c=1 through poll cycles ${round(
          cycle1?.p99 ?? NaN,
        )} ms ≤ ${TARGETS.p99C1Ms} ms`,
        ok: (cycle1?.p99 ?? Infinity) <= TARGETS.p99C1Ms,
      },
      {
        what: `p99 at c=10 through poll cycles ${round(
          cycle10?.p99 ?? NaN,
        )} ms ≤ ${TARGETS.p99C10Ms} ms`,
        ok: (cycle10?.p99 ?? Infinity) <= TARGETS.p99C10Ms,
      },
      {
        what: `event-loop delay max during steady cycles ${round(
          Math.max(...steadyCycles.map(w => w.probe.eventLoop.maxMs)),
        )} ms ≤ ${TARGETS.eventLoopStallMs} ms`,
        ok: steadyCycles.every(
          w => w.probe.eventLoop.maxMs <= TARGETS.eventLoopStallMs,
        ),
      },
      {
        what: `GC pause max under load ${round(
          Math.max(...windows.map(w => w.probe.gc.maxMs)),
        )} ms ≤ ${TARGETS.gcPauseMs} ms`,
        ok: windows.every(w => w.probe.gc.maxMs <= TARGETS.gcPauseMs),
      },
      {
        what: `RSS polling ${thousands(
          rssPollingMb,
        )} MB ≤ not polling ${thousands(rssNotPollingMb)} MB + ${
          TARGETS.rssOverNotPollingMb
        } MB`,
        ok: rssPollingMb <= rssNotPollingMb + TARGETS.rssOverNotPollingMb,
      },
      {
        what: `upstream requests per page view ${round(
          Math.max(
            ...windows
              .filter(w => w.kind === 'idle')
              .map(w => w.upstream.total / Math.max(1, w.views)),
          ),
          3,
        )} = 0 (between cycles)`,
        ok:
          windows.some(w => w.kind === 'idle') &&
          windows
            .filter(w => w.kind === 'idle')
            .every(w => w.upstream.total === 0),
      },
      {
        what: 'no failed page view',
        ok: windows.every(w => w.errors.length === 0),
      },
      {
        what: `GET /v1/fleet?limit=${TARGETS.fleetPageLimit} answers 200 (got ${fleet.status})`,
        ok: fleet.status === 200,
      },
      {
        what: `cold first cycle wall ${round(cold.cycleWallMs! / 1000)} s ≤ ${
          TARGETS.coldCycleSeconds
        } s`,
        ok: cold.cycleWallMs! <= TARGETS.coldCycleSeconds * 1000,
      },
      {
        what: 'Argo CD list calls per steady cycle ≤ 1 per instance',
        ok: steadyCycles.every(w =>
          Object.values(w.upstream.argocdListsPerInstance).every(n => n <= 1),
        ),
      },
      {
        what: `Kubernetes list calls per steady cycle ≤ 1 per cluster and resource, i.e. ≤ ${listPages} requests in chunks of 500${
          repeatedLists.length ? ` (more: ${repeatedLists.join(', ')})` : ''
        }`,
        ok: steadyCycles.every(w =>
          Object.values(w.upstream.kubernetes).every(k =>
            Object.values(k.lists).every(n => n <= listPages),
          ),
        ),
      },
      {
        what: `Kubernetes API discovery per steady cycle = 0 (cached) (max ${Math.max(
          ...steadyCycles.map(w =>
            Object.values(w.upstream.kubernetes).reduce(
              (a, k) => a + k.discovery,
              0,
            ),
          ),
        )})`,
        ok: steadyCycles.every(w =>
          Object.values(w.upstream.kubernetes).every(k => k.discovery === 0),
        ),
      },
      {
        what: `GraphQL queries per steady cycle ≤ ⌈${repos}/100⌉ = ${maxGraphql} (max ${Math.max(
          ...steadyCycles.map(w => w.upstream.gitGraphql),
        )})`,
        ok: steadyCycles.every(w => w.upstream.gitGraphql <= maxGraphql),
      },
    ];
    log('\nTargets of issue #15');
    for (const c of checks) log(`  ${c.ok ? 'met   ' : 'MISSED'} ${c.what}`);
    log(
      `  (reported, no threshold in #15: MLflow requests per steady cycle ${steadyCycles
        .map(w => w.upstream.mlflow)
        .join(', ')}; ` +
        'not measured here: signals per cycle (yarn bench:backend counts them), drift-to-screen time (an e2e))',
    );
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
