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

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ENV = {
  PATH: process.env.PATH,
  HOME: os.tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.com',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.com',
};

/** A bare repository on disk (the "remote") with a work tree to build history in. */
export class LocalConfigRepo {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-git-'));
  readonly bare = path.join(this.root, 'remote.git');
  readonly work = path.join(this.root, 'work');

  constructor() {
    execFileSync('git', ['init', '--quiet', '--bare', this.bare], { env: ENV });
    execFileSync('git', ['init', '--quiet', '-b', 'dev', this.work], {
      env: ENV,
    });
    this.git('remote', 'add', 'origin', this.bare);
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], {
      cwd: this.work,
      env: ENV,
      encoding: 'utf8',
    }).trim();
  }

  write(files: Record<string, string>) {
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(this.work, file);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
    }
  }

  commit(message: string, files: Record<string, string>): string {
    this.write(files);
    this.git('add', '-A');
    this.git('commit', '--quiet', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  pushAll() {
    this.git('push', '--quiet', '--all', '--force', 'origin');
  }

  /** A file at a ref of the remote. */
  show(ref: string, file: string): string {
    return execFileSync('git', ['show', `${ref}:${file}`], {
      cwd: this.bare,
      env: ENV,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  remoteGit(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.bare,
      env: ENV,
      encoding: 'utf8',
    }).trim();
  }

  cleanup() {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
