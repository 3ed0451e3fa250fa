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

import { spawn } from 'node:child_process';

/** Environment that makes git independent of the machine's and user's config. */
export function isolatedGitEnv(extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
    LC_ALL: 'C',
    ...extra,
  } as Record<string, string>;
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export type GitOptions = {
  cwd: string;
  env?: Record<string, string>;
  input?: string | Buffer;
  /** exit codes that are not errors (e.g. 1 for merge-tree conflicts) */
  okCodes?: number[];
};

/** Runs git and returns stdout as a Buffer. */
export function gitRaw(
  args: string[],
  options: GitOptions,
): Promise<{ stdout: Buffer; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: isolatedGitEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', d => out.push(d));
    child.stderr.on('data', d => err.push(d));
    child.on('error', reject);
    child.on('close', code => {
      const stdout = Buffer.concat(out);
      const ok =
        code === 0 || (code !== null && options.okCodes?.includes(code));
      if (ok) {
        resolve({ stdout, code: code ?? 0 });
      } else {
        const stderr = Buffer.concat(err).toString('utf8');
        reject(
          new GitError(
            `git ${args.join(' ')} failed (${code}): ${stderr.trim()}`,
            code,
            stderr,
            stdout.toString('utf8'),
          ),
        );
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Runs git and returns trimmed stdout text. */
export async function git(
  args: string[],
  options: GitOptions,
): Promise<string> {
  const { stdout } = await gitRaw(args, options);
  return stdout.toString('utf8').replace(/\n$/, '');
}
