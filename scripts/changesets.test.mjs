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

// node --test scripts/ : the changeset check against real Git repositories.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkChangesets } from './changesets.mjs';

function write(repo, path, text) {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
}

function commit(repo, message) {
  const git = args => execFileSync('git', args, { cwd: repo });
  git(['add', '-A']);
  git([
    '-c',
    'user.name=Test',
    '-c',
    'user.email=test@example.com',
    'commit',
    '-q',
    '-m',
    message,
  ]);
}

/** A repo with one published plugin (released at 0.1.0) and one private app. */
function releasedRepo(t) {
  const repo = mkdtempSync(join(tmpdir(), 'changesets-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  write(
    repo,
    'package.json',
    JSON.stringify({ private: true, workspaces: { packages: ['plugins/*'] } }),
  );
  write(
    repo,
    'plugins/one/package.json',
    JSON.stringify({ name: '@x/one', version: '0.1.0' }, null, 2),
  );
  write(
    repo,
    'plugins/app/package.json',
    JSON.stringify({ name: 'app', private: true, version: '0.0.0' }, null, 2),
  );
  write(repo, 'plugins/one/report.api.md', 'export function a(): void;\n');
  write(repo, '.changeset/README.md', '# Changesets\n');
  commit(repo, 'release 0.1.0');
  return repo;
}

test('passes when nothing public changed since the release', t => {
  const repo = releasedRepo(t);
  write(repo, 'plugins/one/src/index.ts', 'export const a = 1;\n');
  commit(repo, 'internal change');
  assert.deepEqual(checkChangesets(repo), []);
});

test('a changed API report without a changeset fails, with one it passes', t => {
  const repo = releasedRepo(t);
  write(
    repo,
    'plugins/one/report.api.md',
    'export function a(): void;\nexport function b(): void;\n',
  );
  commit(repo, 'new export');
  const problems = checkChangesets(repo);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /@x\/one: its public API changed/);
  assert.match(problems[0], /plugins\/one\/report\.api\.md/);

  write(repo, '.changeset/b.md', "---\n'@x/one': minor\n---\n\nAdds `b`.\n");
  assert.deepEqual(checkChangesets(repo), []);
});

test('a release (version bump) starts the count again', t => {
  const repo = releasedRepo(t);
  write(repo, 'plugins/one/report.api.md', 'export function b(): void;\n');
  commit(repo, 'api change');
  write(
    repo,
    'plugins/one/package.json',
    JSON.stringify({ name: '@x/one', version: '0.2.0' }, null, 2),
  );
  commit(repo, 'release 0.2.0');
  assert.deepEqual(checkChangesets(repo), []);
});

test('a bad changeset says what to fix', t => {
  const repo = releasedRepo(t);
  write(repo, '.changeset/a.md', "---\n'@x/nope': patch\n---\n\nText.\n");
  write(repo, '.changeset/b.md', "---\n'@x/one': huge\n---\n\nText.\n");
  write(repo, '.changeset/c.md', "---\n'@x/one': patch\n---\n\n");
  write(repo, '.changeset/d.md', "'@x/one': patch\n");
  write(repo, '.changeset/e.md', "---\n'app': patch\n---\n\nText.\n");
  const problems = checkChangesets(repo);
  assert.deepEqual(problems, [
    '.changeset/a.md: @x/nope is not a published package of this repo (one of @x/one)',
    '.changeset/b.md: @x/one has bump "huge"; use patch, minor or major',
    '.changeset/c.md: says nothing of the change (write a summary)',
    ".changeset/d.md: no front matter (--- 'package': bump ---)",
    '.changeset/e.md: app is not a published package of this repo (one of @x/one)',
  ]);
});
