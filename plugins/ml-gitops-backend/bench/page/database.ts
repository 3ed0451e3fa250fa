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

/** The backend's database for the page benchmark. */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../ports';
import { DATABASE, log, ROOT } from './options';

export type BenchDatabase = {
  /** `backend.database` of the backend's config. */
  config: { client: string; connection: string };
  describe: string;
  stop(): void;
};

/**
 * SQLite in memory by default, where every query runs on the backend's own
 * thread, the catalog's background processing included.
 * `--database postgres`, as a production backend runs: a private
 * cluster of the machine's binaries (`scripts/postgres.sh`) in a temporary
 * directory, on a free port, started by this process and so on its core
 * (core 1 when pinned), as a database server runs beside the backend and
 * not on its core. Each plugin gets its database on it, as in production.
 */
export async function startDatabase(): Promise<BenchDatabase> {
  if (DATABASE === 'sqlite') {
    return {
      config: { client: 'better-sqlite3', connection: ':memory:' },
      describe: 'SQLite in memory (in the backend process)',
      stop: () => undefined,
    };
  }
  const port = await freePort();
  // Not in the work directory: that is private to this user, and the
  // server runs as the postgres user when this runs as root.
  const dir = path.join(os.tmpdir(), `ml-gitops-page-bench-pg-${port}`);
  const env = {
    ...process.env,
    ML_GITOPS_PG_PORT: String(port),
    ML_GITOPS_PG_DIR: dir,
  };
  const script = path.join(ROOT, 'scripts/postgres.sh');
  log(`$ ML_GITOPS_PG_PORT=${port} bash scripts/postgres.sh start`);
  const started = spawnSync('bash', [script, 'start'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = started.stdout?.trim().split('\n').pop();
  if (started.status !== 0 || !url) {
    throw new Error(
      `PostgreSQL did not start (scripts/postgres.sh exited ${
        started.status ?? started.signal
      }); run with --database sqlite to measure without it`,
    );
  }
  return {
    config: { client: 'pg', connection: url },
    describe: `PostgreSQL, a private cluster on port ${port} (beside the sandbox)`,
    stop: () => {
      spawnSync('bash', [script, 'stop'], { env, stdio: 'ignore' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
