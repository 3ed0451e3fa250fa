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
import { http } from 'msw';
import { FakeGithubRepo } from './FakeGithubRepo';

const ENV = {
  PATH: process.env.PATH,
  HOME: os.tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'grace',
  GIT_AUTHOR_EMAIL: 'grace@example.com',
  GIT_COMMITTER_NAME: 'grace',
  GIT_COMMITTER_EMAIL: 'grace@example.com',
};

/**
 * A config repo whose truth is a real bare Git repository on disk (what
 * `git clone` and `git push` reach), answered over GitHub's REST API by a
 * {@link FakeGithubRepo} that copies the repository's branches and commits
 * (real shas, parents, messages, authors, dates and files) before each
 * request. Code that clones and pushes with git and reads or opens pull
 * requests over the API then sees one repository.
 * @public
 */
export class GitBackedRepo {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-git-'));
  readonly bare = path.join(this.root, 'remote.git');
  readonly work = path.join(this.root, 'work');
  readonly fake: FakeGithubRepo;

  constructor(owner: string, repo: string, firstBranch = 'dev') {
    this.fake = new FakeGithubRepo(owner, repo);
    execFileSync('git', ['init', '--quiet', '--bare', this.bare], { env: ENV });
    execFileSync('git', ['init', '--quiet', '-b', firstBranch, this.work], {
      env: ENV,
    });
    this.git('remote', 'add', 'origin', this.bare);
  }

  /** `https://github.com/<owner>/<repo>`. */
  get url(): string {
    return `https://github.com/${this.fake.owner}/${this.fake.repo}`;
  }

  git(...args: string[]): string {
    return this.run(this.work, args);
  }

  remoteGit(...args: string[]): string {
    return this.run(this.bare, args);
  }

  private run(cwd: string, args: string[], env: Record<string, string> = {}) {
    return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], {
      cwd,
      env: { ...ENV, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  }

  /** Commits files on the checked-out branch, by `author` at `date`. */
  commit(
    message: string,
    files: Record<string, string>,
    options: { author?: string; date?: string } = {},
  ): string {
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(this.work, file);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
    }
    const author = options.author ?? 'grace';
    const date = options.date ?? new Date().toISOString();
    const env = {
      GIT_AUTHOR_NAME: author,
      GIT_AUTHOR_EMAIL: `${author}@example.com`,
      GIT_COMMITTER_NAME: author,
      GIT_COMMITTER_EMAIL: `${author}@example.com`,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    };
    this.run(this.work, ['add', '-A'], env);
    this.run(this.work, ['commit', '--quiet', '-m', message], env);
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

  /** The remote's branches, name → sha. */
  branches(): Map<string, string> {
    const out = this.remoteGit(
      'for-each-ref',
      '--format=%(refname:short) %(objectname)',
      'refs/heads',
    );
    return new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map(line => line.split(' ') as [string, string]),
    );
  }

  /** Copies the remote's branches and the commits they reach into the fake. */
  sync() {
    const branches = this.branches();
    if (branches.size === 0) return;
    const shas = this.remoteGit('rev-list', ...branches.values())
      .split('\n')
      .filter(Boolean);
    for (const sha of shas) {
      if (this.fake.commits.has(sha)) continue;
      const [author, date, parents, message] = this.remoteGit(
        'log',
        '-1',
        '--format=%an%x00%cI%x00%P%x00%B',
        sha,
      ).split('\0');
      const files: Record<string, string> = {};
      for (const file of this.remoteGit('ls-tree', '-r', '--name-only', sha)
        .split('\n')
        .filter(Boolean)) {
        files[file] = this.show(sha, file);
      }
      this.fake.commits.set(sha, {
        sha,
        parents: parents.split(' ').filter(Boolean),
        message: message.trimEnd(),
        login: author,
        name: author,
        date: new Date(date).toISOString(),
        files,
      });
    }
    for (const [branch, sha] of branches) this.fake.branches.set(branch, sha);
  }

  /**
   * msw handlers: a copy from disk before every request to the repo's API,
   * then the fake's write and read handlers.
   */
  handlers(apiBase = 'https://api.github.com') {
    const base = `${apiBase}/repos/${this.fake.owner}/${this.fake.repo}`;
    return [
      http.all(`${base}/*`, () => {
        this.sync();
        return undefined;
      }),
      http.post(`${apiBase}/graphql`, () => {
        this.sync();
        return undefined;
      }),
      ...this.fake.writeHandlers(apiBase),
      ...this.fake.handlers(apiBase),
    ];
  }

  cleanup() {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
