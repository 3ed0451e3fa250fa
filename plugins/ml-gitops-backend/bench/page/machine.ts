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

/** The machine: cores, pinning, /proc, ports, commands. */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log, ROOT } from './options';

export type Pinning = { backend: string[]; note: string };

/** Backend on core 0; this process (the load) and the sandbox on core 1. */
export function pin(): Pinning {
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
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses: state is
  // field 3, utime 14 and stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Resident set size of a process, in MB (/proc/<pid>/status). */
export function processRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map(n => n.toFixed(2))
    .join(', ');
}

export function run(command: string, commandArgs: string[], cwd: string) {
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
