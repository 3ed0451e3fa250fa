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

// The changeset check that CI runs (after the API reports are checked):
//  1. every changeset in .changeset/ names published packages of this repo
//     with a bump of patch, minor or major, and says what changed;
//  2. a published package whose API report (report*.api.md, cli-report.md)
//     changed since its last release (the last commit that changed the
//     `version` in its package.json) is named by a pending changeset.
// So a changed public API cannot land without a line for the changelog.
// It needs no base branch: a clean checkout of main is enough.
//
//   node scripts/changesets.mjs [--repo DIR]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BUMPS = new Set(['patch', 'minor', 'major']);
const REPORT = /^(report(-[\w-]+)?\.api\.md|cli-report(-[\w-]+)?\.md)$/;

/** The workspace folders named by the root package.json's `workspaces`. */
function workspaceDirs(repo) {
  const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const globs = Array.isArray(root.workspaces)
    ? root.workspaces
    : root.workspaces?.packages ?? [];
  const dirs = [];
  for (const glob of globs) {
    if (!glob.endsWith('/*')) {
      dirs.push(glob);
      continue;
    }
    const parent = glob.slice(0, -2);
    for (const entry of readdirSync(join(repo, parent), {
      withFileTypes: true,
    })) {
      if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
    }
  }
  return dirs;
}

/** Published (not private) packages: name → folder. */
export function publishedPackages(repo) {
  const found = new Map();
  for (const dir of workspaceDirs(repo)) {
    let manifest;
    try {
      manifest = JSON.parse(
        readFileSync(join(repo, dir, 'package.json'), 'utf8'),
      );
    } catch {
      continue;
    }
    if (!manifest.private && manifest.name) found.set(manifest.name, dir);
  }
  return found;
}

/**
 * One changeset file's releases, or the problems that make it unusable.
 * The front matter is the YAML map changesets writes: `'name': bump` lines.
 */
export function parseChangeset(file, text, published) {
  const problems = [];
  const match = /^---\r?\n([^]*?)\r?\n---\r?\n?([^]*)$/.exec(text);
  if (!match) {
    return {
      releases: [],
      problems: [`${file}: no front matter (--- 'package': bump ---)`],
    };
  }
  const releases = [];
  for (const line of match[1].split(/\r?\n/)) {
    if (!line.trim()) continue;
    const entry = /^\s*(['"]?)([^'":]+)\1\s*:\s*(\S+)\s*$/.exec(line);
    if (!entry) {
      problems.push(`${file}: cannot read "${line.trim()}" ('package': bump)`);
      continue;
    }
    const [, , name, bump] = entry;
    if (!published.has(name)) {
      problems.push(
        `${file}: ${name} is not a published package of this repo (one of ${[
          ...published.keys(),
        ].join(', ')})`,
      );
    }
    if (!BUMPS.has(bump)) {
      problems.push(
        `${file}: ${name} has bump "${bump}"; use patch, minor or major`,
      );
    }
    releases.push(name);
  }
  if (releases.length === 0 && problems.length === 0) {
    problems.push(`${file}: names no package`);
  }
  if (!match[2].trim()) {
    problems.push(`${file}: says nothing of the change (write a summary)`);
  }
  return { releases, problems };
}

function git(repo, args) {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
}

/** The API report files of a package folder that changed since `base`. */
function changedReports(repo, dir, base) {
  const changed = git(repo, [
    'diff',
    '--name-only',
    base,
    '--',
    `${dir}/`,
  ]).split('\n');
  const untracked = git(repo, [
    'ls-files',
    '--others',
    '--exclude-standard',
    '--',
    `${dir}/`,
  ]).split('\n');
  return [...changed, ...untracked].filter(path => {
    if (!path.startsWith(`${dir}/`)) return false;
    return REPORT.test(path.slice(dir.length + 1));
  });
}

/** All problems the check finds in `repo` (empty when it passes). */
export function checkChangesets(repo) {
  const published = publishedPackages(repo);
  const folder = join(repo, '.changeset');
  const problems = [];
  const pending = new Set();
  for (const name of readdirSync(folder).sort()) {
    if (!name.endsWith('.md') || name === 'README.md') continue;
    const parsed = parseChangeset(
      `.changeset/${name}`,
      readFileSync(join(folder, name), 'utf8'),
      published,
    );
    problems.push(...parsed.problems);
    for (const release of parsed.releases) pending.add(release);
  }
  for (const [name, dir] of published) {
    if (pending.has(name)) continue;
    const release = git(repo, [
      'log',
      '-1',
      '--format=%H',
      '-G',
      '"version"',
      '--',
      `${dir}/package.json`,
    ]).trim();
    if (!release) continue;
    const reports = changedReports(repo, dir, release);
    if (reports.length > 0) {
      problems.push(
        `${name}: its public API changed since its last release (${reports.join(
          ', ',
        )}, since ${release.slice(
          0,
          8,
        )}) and no changeset names it; run yarn changeset`,
      );
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--repo');
  const repo = at >= 0 ? process.argv[at + 1] : process.cwd();
  const problems = checkChangesets(repo);
  if (problems.length > 0) {
    console.error(
      `changesets: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(
    'changesets: every changeset is valid; every changed API has one',
  );
}
