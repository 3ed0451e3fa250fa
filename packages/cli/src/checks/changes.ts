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

import {
  ModelManifest,
  parseModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeError } from '../lib/errors';
import { CheckResult, Finding } from '../report';

const execFileAsync = promisify(execFile);
const TITLE = 'Changes against the base';

/** The environment a base ref stands for: its branch name. */
export function environmentOfRef(ref: string): string {
  return ref
    .replace(/^refs\/heads\//, '')
    .replace(/^refs\/remotes\/[^/]+\//, '')
    .replace(/^origin\//, '')
    .replace(/^upstream\//, '');
}

/** Whether a ref is safe to pass to git (no options, no odd characters). */
export function isSafeRef(ref: string): boolean {
  return (
    ref.length > 0 &&
    ref.length < 256 &&
    !ref.startsWith('-') &&
    // eslint-disable-next-line no-control-regex
    !/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{/.test(ref)
  );
}

/** Runs git in the clone; stdout. */
export async function git(root: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-C', root, ...args], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
  return stdout;
}

function usage(summary: string, fix: string): CheckResult {
  return {
    id: 'changes',
    title: TITLE,
    status: 'error',
    summary,
    findings: [{ severity: 'error', message: summary, fix }],
  };
}

/** The base of a pull request as {@link checkChanges} read it. */
export type BaseState = {
  ref: string;
  commit: string;
  environment: string;
  /** The base's manifest when it is present and valid. */
  manifest?: ModelManifest;
  state: 'present' | 'absent' | 'invalid';
};

/**
 * With `--base REF`: what the pull request changes, read from the local
 * clone with git. The environment is the base branch's name; the versions are
 * `model_version` at the base and now. `base` is what was read of the base,
 * for the checks that compare with it (the freeze).
 */
export async function checkChanges(
  root: string,
  manifestPath: string,
  baseRef: string,
  current: ModelManifest | undefined,
  environmentOverride?: string,
): Promise<{ result: CheckResult; base?: BaseState }> {
  const result = await compare(
    root,
    manifestPath,
    baseRef,
    current,
    environmentOverride,
  );
  if (result.status !== 'passed') {
    return { result };
  }
  const details = result.details as {
    baseCommit: string;
    environment: string;
    previousState: BaseState['state'];
    previousManifest?: ModelManifest;
  };
  const { previousManifest, previousState, ...shown } = details;
  return {
    result: { ...result, details: shown },
    base: {
      ref: baseRef,
      commit: details.baseCommit,
      environment: details.environment,
      state: previousState,
      ...(previousManifest ? { manifest: previousManifest } : {}),
    },
  };
}

async function compare(
  root: string,
  manifestPath: string,
  baseRef: string,
  current: ModelManifest | undefined,
  environmentOverride?: string,
): Promise<CheckResult> {
  if (!isSafeRef(baseRef)) {
    return usage(
      `invalid --base ${JSON.stringify(baseRef)}`,
      'Pass a branch or commit, e.g. --base origin/dev',
    );
  }
  let baseCommit: string;
  try {
    baseCommit = (
      await git(root, [
        'rev-parse',
        '--verify',
        '--quiet',
        `${baseRef}^{commit}`,
      ])
    ).trim();
  } catch (error) {
    const notRepo = /not a git repository/i.test(describeError(error));
    return usage(
      notRepo
        ? `${root} is not a Git checkout, so --base ${baseRef} cannot be compared`
        : `the base ${baseRef} is not a commit in this clone`,
      notRepo
        ? 'Run the check in a clone of the config repo, or drop --base'
        : 'Fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin <branch>)',
    );
  }
  let previous: ModelManifest | undefined;
  let previousState: 'present' | 'absent' | 'invalid' = 'absent';
  try {
    const text = await git(root, ['show', `${baseCommit}:${manifestPath}`]);
    const parsed = parseModelManifest(text, {
      path: `${baseRef}:${manifestPath}`,
    });
    previousState = parsed.ok ? 'present' : 'invalid';
    previous = parsed.ok ? parsed.manifest : undefined;
  } catch {
    previousState = 'absent';
  }
  let changedFiles: string[] = [];
  try {
    changedFiles = (
      await git(root, ['diff', '--name-only', '-z', baseCommit, '--'])
    )
      .split('\0')
      .filter(Boolean);
  } catch (error) {
    return usage(
      `git diff against ${baseRef} failed: ${describeError(error)}`,
      'Check the clone is intact',
    );
  }
  const environment = environmentOverride || environmentOfRef(baseRef);
  const findings: Finding[] = [];
  let summary: string;
  const now = current?.model_version;
  const before = previous?.model_version;
  if (previousState === 'absent') {
    summary = `${environment}: ${manifestPath} is new${
      now ? ` (version ${now})` : ''
    }`;
  } else if (previousState === 'invalid') {
    summary = `${environment}: the base's ${manifestPath} was invalid; now ${
      now ?? 'invalid'
    }`;
  } else if (before !== now) {
    summary = `${environment}: ${
      current?.model_name ?? previous?.model_name
    } ${before} → ${now ?? '(invalid manifest)'}`;
  } else {
    summary = `${environment}: model_version unchanged (${now})`;
  }
  if (previous && current && previous.model_name !== current.model_name) {
    findings.push({
      severity: 'warning',
      file: manifestPath,
      message: `model_name changes from ${previous.model_name} to ${current.model_name}`,
      fix: 'A config repo serves one model; make sure this is intended',
    });
  }
  summary += `; ${changedFiles.length} file${
    changedFiles.length === 1 ? '' : 's'
  } changed`;
  return {
    id: 'changes',
    title: TITLE,
    status: 'passed',
    summary,
    findings,
    details: {
      base: baseRef,
      baseCommit,
      environment,
      previousVersion: before ?? null,
      version: now ?? null,
      versionChanged: previousState === 'present' && before !== now,
      changedFiles,
      previousState,
      ...(previous ? { previousManifest: previous } : {}),
    },
  };
}
