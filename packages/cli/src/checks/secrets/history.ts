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
import { describeError } from '../../lib/errors';
import { Finding } from '../../report';
import { git } from '../changes';
import {
  decodeFileText,
  DEFAULT_FIX,
  isKeyStore,
  MAX_SCAN_BYTES,
  scanText,
} from './scan';

/** More commits than this in one pull request are not scanned one by one. */
export const MAX_HISTORY_COMMITS = 1000;

/** What {@link scanHistory} found. */
export type HistoryScan = {
  findings: Finding[];
  commits: number;
  blobs: number;
  /** Set when the history could not be read: the check cannot pass. */
  error?: Finding;
};

type Commit = { sha: string; parents: string[]; subject: string };
type Change = { path: string; blob: string; oldBlobs: string[] };

/** Runs git with `input` on stdin; the raw stdout. */
function gitWithInput(
  root: string,
  args: string[],
  input: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', root, ...args], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', code =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(
            new Error(`git ${args[0]} exited with ${code}: ${err.trim()}`),
          ),
    );
    child.stdin.end(input);
  });
}

/** Sizes of blobs, then the contents of those small enough to scan. */
async function readBlobs(
  root: string,
  shas: string[],
): Promise<{ sizes: Map<string, number>; contents: Map<string, Buffer> }> {
  const sizes = new Map<string, number>();
  const contents = new Map<string, Buffer>();
  if (shas.length === 0) return { sizes, contents };
  const check = (
    await gitWithInput(
      root,
      ['cat-file', '--batch-check'],
      `${shas.join('\n')}\n`,
    )
  ).toString('utf8');
  for (const line of check.split('\n').filter(Boolean)) {
    const [sha, type, size] = line.split(' ');
    if (type === 'blob') sizes.set(sha, Number(size));
  }
  const small = shas.filter(
    sha => (sizes.get(sha) ?? Infinity) <= MAX_SCAN_BYTES,
  );
  if (small.length === 0) return { sizes, contents };
  const batch = await gitWithInput(
    root,
    ['cat-file', '--batch'],
    `${small.join('\n')}\n`,
  );
  // "<sha> blob <size>\n<content>\n" for each, in order.
  let offset = 0;
  while (offset < batch.length) {
    const end = batch.indexOf(0x0a, offset);
    if (end < 0) break;
    const [sha, , size] = batch
      .subarray(offset, end)
      .toString('utf8')
      .split(' ');
    const length = Number(size);
    contents.set(sha, batch.subarray(end + 1, end + 1 + length));
    offset = end + 1 + length + 1;
  }
  return { sizes, contents };
}

/** The files a commit changed against every one of its parents. */
async function changesOf(root: string, commit: Commit): Promise<Change[]> {
  const diffs =
    commit.parents.length === 0
      ? [['diff-tree', '-r', '-z', '--no-renames', '--root', commit.sha]]
      : commit.parents.map(parent => [
          'diff-tree',
          '-r',
          '-z',
          '--no-renames',
          parent,
          commit.sha,
        ]);
  let result: Map<string, Change> | undefined;
  for (const args of diffs) {
    const fields = (await git(root, args)).split('\0');
    const changes = new Map<string, Change>();
    // ":<old mode> <new mode> <old sha> <new sha> <status>" NUL "<path>" NUL;
    // with --root, the commit's own id comes first.
    for (let i = 0; i < fields.length - 1; i++) {
      const meta = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])\d*$/.exec(
        fields[i],
      );
      if (!meta) continue;
      const path = fields[++i];
      const [, , newMode, oldSha, newSha, status] = meta;
      // Regular files only: symlinks point elsewhere, submodules are commits.
      if (status === 'D' || !/^100(644|755)$/.test(newMode)) continue;
      changes.set(path, {
        path,
        blob: newSha,
        oldBlobs: /^0+$/.test(oldSha) ? [] : [oldSha],
      });
    }
    if (result === undefined) {
      result = changes;
    } else {
      // A merge brings nothing new in a file equal to one of its parents'.
      const merged = new Map<string, Change>();
      for (const [path, change] of changes) {
        const before = result.get(path);
        if (before) {
          merged.set(path, {
            ...change,
            oldBlobs: [...before.oldBlobs, ...change.oldBlobs],
          });
        }
      }
      result = merged;
    }
  }
  return [...(result?.values() ?? [])];
}

/**
 * With `--base`: scans what every commit of the pull request (`base..HEAD`,
 * merges included, against all their parents) added, line by line, with
 * the same rules as the tree. A secret added in one commit and removed in a
 * later one is still in the history that the merge brings in, so it fails
 * the check, naming the commit. Findings also present in the checked-out
 * tree (`current`: file, rule and line text) are left to the tree's scan.
 */
export async function scanHistory(
  root: string,
  base: { ref: string; commit: string },
  current: ReadonlySet<string>,
): Promise<HistoryScan> {
  const findings: Finding[] = [];
  let commits: Commit[];
  try {
    commits = (
      await git(root, [
        'log',
        '--reverse',
        '--format=%H%x1f%P%x1f%s%x1e',
        `${base.commit}..HEAD`,
      ])
    )
      .split('\x1e')
      .map(record => record.trim())
      .filter(Boolean)
      .map(record => {
        const [sha, parents, subject] = record.split('\x1f');
        return {
          sha,
          parents: parents.split(' ').filter(Boolean),
          subject: subject ?? '',
        };
      });
  } catch (error) {
    return historyError(
      `cannot list the commits of ${base.ref}..HEAD: ${describeError(error)}`,
    );
  }
  if (commits.length > MAX_HISTORY_COMMITS) {
    return historyError(
      `the pull request has ${commits.length} commits since ${base.ref}, more than the ${MAX_HISTORY_COMMITS} the history scan reads`,
      'Squash the pull request, or check that --base names the branch it merges into',
    );
  }
  let blobs = 0;
  const reported = new Set(current);
  try {
    for (const commit of commits) {
      const changes = await changesOf(root, commit);
      if (changes.length === 0) continue;
      const { sizes, contents } = await readBlobs(root, [
        ...new Set(changes.flatMap(c => [c.blob, ...c.oldBlobs])),
      ]);
      const short = commit.sha.slice(0, 12);
      const where = `added in commit ${short} (${JSON.stringify(
        commit.subject.slice(0, 80),
      )}) of this pull request; removing it in a later commit does not take it out of the Git history`;
      for (const change of changes) {
        const size = sizes.get(change.blob) ?? 0;
        const bytes = contents.get(change.blob);
        if (size > MAX_SCAN_BYTES || !bytes) {
          const key = `${change.path}\0too-large\0`;
          if (!reported.has(key)) {
            reported.add(key);
            findings.push({
              severity: 'error',
              file: change.path,
              line: 1,
              message: `${change.path} (${size} bytes) is too large to scan for secrets (limit ${MAX_SCAN_BYTES}); ${where}`,
              fix: "Keep large files out of the config repo, and out of the pull request's commits (squash them)",
            });
          }
          continue;
        }
        blobs++;
        const text = decodeFileText(bytes);
        if (text === undefined) {
          const key = `${change.path}\0key-store\0`;
          if (isKeyStore(change.path) && !reported.has(key)) {
            reported.add(key);
            findings.push({
              severity: 'error',
              file: change.path,
              line: 1,
              message: `${change.path} is a binary key store or encrypted key file, ${where}`,
              fix: `${DEFAULT_FIX}; rotate the keys`,
            });
          }
          continue;
        }
        const before = new Set<string>();
        for (const old of change.oldBlobs) {
          const oldBytes = contents.get(old);
          const oldText = oldBytes ? decodeFileText(oldBytes) : undefined;
          for (const line of (oldText ?? '').split('\n')) {
            before.add(line.replace(/\r$/, ''));
          }
        }
        const lines = text.split('\n').map(line => line.replace(/\r$/, ''));
        const added = new Set<number>();
        lines.forEach((line, i) => {
          if (!before.has(line)) added.add(i + 1);
        });
        if (added.size === 0) continue;
        for (const { ruleId, lineText, ...finding } of await scanText(
          root,
          change.path,
          text,
        )) {
          const key = `${change.path}\0${ruleId}\0${lineText}`;
          if (!added.has(finding.line ?? 0) || reported.has(key)) continue;
          reported.add(key);
          findings.push({
            ...finding,
            message: `${finding.message}; ${where}`,
            fix: `Rotate it: the commit stays reachable (GitHub keeps a pull request's commits). ${finding.fix}`,
          });
        }
      }
    }
  } catch (error) {
    return historyError(
      `cannot read the commits of ${base.ref}..HEAD: ${describeError(error)}`,
    );
  }
  return { findings, commits: commits.length, blobs };

  function historyError(message: string, fix?: string): HistoryScan {
    return {
      findings,
      commits: 0,
      blobs: 0,
      error: {
        severity: 'error',
        message,
        fix:
          fix ??
          'Run the check in a full clone (actions/checkout with fetch-depth: 0)',
      },
    };
  }
}
