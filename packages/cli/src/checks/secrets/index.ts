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

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CheckResult, failed, Finding, passed } from '../../report';
import { HistoryScan, scanHistory } from './history';
import {
  decodeFileText,
  DEFAULT_FIX,
  isKeyStore,
  MAX_SCAN_BYTES,
  scanText,
} from './scan';

export { maskSecrets, MAX_SCAN_BYTES } from './scan';

const execFileAsync = promisify(execFile);

/** Directories never scanned when walking a tree that is not a Git checkout. */
const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** The repository's files: Git's tracked and untracked-not-ignored files, or a walk. */
async function listFiles(root: string): Promise<string[]> {
  const isGit = await fs
    .stat(path.join(root, '.git'))
    .then(() => true)
    .catch(() => false);
  if (isGit) {
    try {
      const { stdout } = await execFileAsync(
        'git',
        [
          '-C',
          root,
          'ls-files',
          '-z',
          '--cached',
          '--others',
          '--exclude-standard',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      return [...new Set(stdout.split('\0').filter(Boolean))].sort();
    } catch {
      // Not a usable Git checkout: walk the tree instead.
    }
  }
  const files: string[] = [];
  const walk = async (dir: string) => {
    const entries = await fs.readdir(path.join(root, dir), {
      withFileTypes: true,
    });
    for (const entry of entries) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await walk(rel);
      } else if (entry.isFile()) {
        files.push(rel);
      }
    }
  };
  await walk('');
  return files.sort();
}

/** How many files are read ahead of the one being scanned. */
const READ_AHEAD = 16;

/**
 * Runs `load` over `items` with at most `limit` loads in flight, handing the
 * results out in the items' order through `next()`.
 */
function readAhead<T, R>(
  items: T[],
  limit: number,
  load: (item: T) => Promise<R>,
): { next(): Promise<R> } {
  const pending: Promise<R>[] = [];
  let started = 0;
  let taken = 0;
  const fill = () => {
    while (started < items.length && started - taken < limit) {
      pending.push(load(items[started++]));
    }
  };
  return {
    next() {
      fill();
      if (taken >= items.length) {
        return Promise.reject(new Error('read past the last file'));
      }
      const result = pending[taken];
      delete pending[taken];
      taken++;
      fill();
      return result;
    },
  };
}

/** What the secret scan needs to know about the pull request. */
export type SecretScanOptions = {
  /**
   * With `--base`: the base commit; every commit of the pull request
   * (`base..HEAD`) is scanned too, for secrets added and removed again.
   */
  base?: { ref: string; commit: string };
};

/**
 * Scans every file of the repository for plaintext secrets with secretlint's
 * recommended rules plus this project's rules (Kubernetes Secrets,
 * credentials, tokens, container env, SealedSecrets); with a base, also what
 * each commit of the pull request added. Findings carry file and line;
 * secrets are masked in messages.
 */
export async function checkSecrets(
  root: string,
  options: SecretScanOptions = {},
): Promise<CheckResult> {
  const title = 'No plaintext secrets';
  const findings: Finding[] = [];
  const current = new Set<string>();
  let scanned = 0;
  const files = await listFiles(root);
  // Reading is I/O-bound and scanning CPU-bound: read ahead a few files
  // while the current one is scanned, but report in file order.
  const reads = readAhead(files, READ_AHEAD, async file => {
    const absolute = path.join(root, file);
    const stat = await fs.lstat(absolute).catch(() => undefined);
    if (!stat || !stat.isFile() || stat.size > MAX_SCAN_BYTES) {
      return { stat, bytes: undefined };
    }
    return { stat, bytes: await fs.readFile(absolute).catch(() => undefined) };
  });
  for (const file of files) {
    const { stat, bytes } = await reads.next();
    if (!stat || !stat.isFile()) {
      continue; // deleted, a symlink (its target is not repository content) or special
    }
    if (stat.size > MAX_SCAN_BYTES) {
      current.add(`${file}\0too-large\0`);
      findings.push({
        severity: 'error',
        file,
        line: 1,
        message: `${file} is ${stat.size} bytes, too large to scan for secrets (limit ${MAX_SCAN_BYTES})`,
        fix: 'Keep large files out of the config repo (use an artifact store)',
      });
      continue;
    }
    if (!bytes) {
      findings.push({
        severity: 'error',
        file,
        message: `cannot read ${file} to scan it for secrets`,
        fix: 'Check the file permissions of the checkout',
      });
      continue;
    }
    const content = decodeFileText(bytes);
    if (content === undefined) {
      if (isKeyStore(file)) {
        current.add(`${file}\0key-store\0`);
        findings.push({
          severity: 'error',
          file,
          line: 1,
          message: `${file} is a binary key store or encrypted key file`,
          fix: DEFAULT_FIX,
        });
      }
      continue;
    }
    scanned++;
    for (const { ruleId, lineText, ...finding } of await scanText(
      root,
      file,
      content,
    )) {
      current.add(`${file}\0${ruleId}\0${lineText}`);
      findings.push(finding);
    }
  }
  let history: HistoryScan | undefined;
  if (options.base) {
    history = await scanHistory(root, options.base, current);
    findings.push(...history.findings);
  }
  const details = {
    filesScanned: scanned,
    filesListed: files.length,
    ...(history
      ? {
          commitsScanned: history.commits,
          blobsScanned: history.blobs,
        }
      : {}),
  };
  if (history?.error) {
    return {
      id: 'secrets',
      title,
      status: 'error',
      summary: history.error.message,
      findings: [...findings, history.error],
      details,
    };
  }
  if (findings.length > 0) {
    const fileCount = new Set(findings.map(f => f.file)).size;
    return failed(
      'secrets',
      title,
      `${findings.length} likely secret${
        findings.length === 1 ? '' : 's'
      } in ${fileCount} file${fileCount === 1 ? '' : 's'}`,
      findings,
      details,
    );
  }
  return passed(
    'secrets',
    title,
    `${scanned} file${scanned === 1 ? '' : 's'} scanned${
      history
        ? ` and ${history.commits} commit${
            history.commits === 1 ? '' : 's'
          } of the pull request`
        : ''
    }, no plaintext secret found`,
    [],
    details,
  );
}
