import { lintSource } from '@secretlint/core';
import { secretLintProfiler } from '@secretlint/profiler';
import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import type {
  SecretLintCoreConfig,
  SecretLintRuleCreator,
} from '@secretlint/types';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CheckResult, failed, Finding, passed } from '../../report';
import { credentialRule, kubernetesSecretRule } from './kubernetesRules';

const execFileAsync = promisify(execFile);

// secretlint profiles every rule on every file by default (performance marks
// kept in memory); on a large repo that costs more than the scan itself.
secretLintProfiler.setEnabled(false);

/** Files larger than this are not scanned and fail the check. */
export const MAX_SCAN_BYTES = 4 * 1024 * 1024;

/** Binary files with these extensions hold keys: refused outright. */
const KEY_STORE = /\.(p12|pfx|jks|keystore|bcfks|kdbx|gpg|asc|ppk)$/i;

/** Directories never scanned when walking a tree that is not a Git checkout. */
const SKIP_DIRS = new Set(['.git', 'node_modules']);

const FIXES: Record<string, string> = {
  '@ml-gitops/secretlint-rule-kubernetes-secret':
    'Seal it (kubeseal, or the "seal a secret" template) and commit the SealedSecret under secrets/, or use an ExternalSecret; rotate the exposed value',
  '@ml-gitops/secretlint-rule-credential':
    'Reference the value from a SealedSecret or ExternalSecret instead, or use a placeholder such as ${VAR}; rotate it, it is in the Git history',
};
const DEFAULT_FIX =
  'Remove it and rotate the credential (it stays in the Git history); provide it through a SealedSecret, an ExternalSecret or the CI secret store';

/*
 * The recommended preset's rules, registered one by one without its
 * comment filter: the pull request under check must not be able to switch
 * the check off with "secretlint-disable" comments. (secretlint ignores
 * `disabled` for rules inside a preset, so the preset itself is not used.)
 */
const CONFIG: SecretLintCoreConfig = {
  rules: [
    ...recommendedRules
      .filter(
        rule => rule.meta.id !== '@secretlint/secretlint-rule-filter-comments',
      )
      .map(rule => ({ id: rule.meta.id, rule: rule as SecretLintRuleCreator })),
    { id: kubernetesSecretRule.meta.id, rule: kubernetesSecretRule },
    { id: credentialRule.meta.id, rule: credentialRule },
  ],
};

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

/**
 * Masks the values a rule put into its message (the secrets it found), so
 * that CI logs never show them. Our own rules only put key names there.
 */
export function maskSecrets(message: string, data: unknown): string {
  let masked = message;
  for (const value of Object.values((data ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && value.length >= 4) {
      masked = masked.split(value).join('*'.repeat(Math.min(value.length, 8)));
    }
  }
  return masked;
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

function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * Scans every file of the repository for plaintext secrets with secretlint's
 * recommended rules plus the Kubernetes Secret and credential rules.
 * Findings carry file and line; secrets are masked in messages.
 */
export async function checkSecrets(root: string): Promise<CheckResult> {
  const title = 'No plaintext secrets';
  const findings: Finding[] = [];
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
    const absolute = path.join(root, file);
    const { stat, bytes } = await reads.next();
    if (!stat || !stat.isFile()) {
      continue; // deleted, a symlink (its target is not repository content) or special
    }
    if (stat.size > MAX_SCAN_BYTES) {
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
    if (isBinary(bytes)) {
      if (KEY_STORE.test(file)) {
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
    const content = new TextDecoder('utf-8').decode(bytes);
    const result = await lintSource({
      source: { filePath: absolute, content, contentType: 'text' },
      options: { config: CONFIG, locale: 'en' },
    });
    for (const message of result.messages) {
      findings.push({
        severity: 'error',
        file,
        line: message.loc.start.line,
        column: message.loc.start.column + 1,
        // Our own rules only put key names into their data.
        message: message.ruleId.startsWith('@ml-gitops/')
          ? message.message
          : maskSecrets(message.message, message.data),
        fix: FIXES[message.ruleId] ?? DEFAULT_FIX,
      });
    }
  }
  const details = { filesScanned: scanned, filesListed: files.length };
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
    `${scanned} file${
      scanned === 1 ? '' : 's'
    } scanned, no plaintext secret found`,
    [],
    details,
  );
}
