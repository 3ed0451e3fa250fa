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

import { EXIT } from './lib/errors';

/** The checks of `ml-gitops validate`, in the order they run. */
export type CheckId =
  | 'manifest'
  | 'layout'
  | 'registry'
  | 'gate'
  | 'secrets'
  | 'integration'
  | 'changes'
  | 'freeze'
  | 'approval';

/**
 * - `passed`, `failed`: the check ran.
 * - `error`: it could not run because of I/O or configuration (exit 2).
 * - `not-run`: it was required but not configured (exit 2), e.g. registry
 *   checks without a registry URL.
 * - `skipped`: not applicable, explicitly skipped, or blocked by an earlier
 *   failure (no effect on the exit code).
 */
export type CheckStatus = 'passed' | 'failed' | 'error' | 'not-run' | 'skipped';

/** One thing a check found. */
export type Finding = {
  severity: 'error' | 'warning' | 'notice';
  /** Path relative to the repository root. */
  file?: string;
  line?: number;
  column?: number;
  message: string;
  fix?: string;
};

/** Problems that each name their place and fix, as error findings. */
export function errorFindings(
  problems: ReadonlyArray<Omit<Finding, 'severity'>>,
): Finding[] {
  return problems.map(p => ({
    severity: 'error',
    file: p.file,
    line: p.line,
    column: p.column,
    message: p.message,
    fix: p.fix,
  }));
}

/** The result of one check. */
export type CheckResult = {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** One line for the summary. */
  summary: string;
  findings: Finding[];
  /** Check-specific data for `--format json`. */
  details?: Record<string, unknown>;
};

/** The result of `ml-gitops validate`. */
export type ValidateReport = {
  root: string;
  manifest: string;
  checks: CheckResult[];
  exitCode: number;
};

/** The exit code of a set of results: 2 beats 1 beats 0. */
export function exitCodeOf(checks: CheckResult[]): number {
  if (checks.some(c => c.status === 'error' || c.status === 'not-run')) {
    return EXIT.error;
  }
  if (checks.some(c => c.status === 'failed')) {
    return EXIT.failed;
  }
  return EXIT.ok;
}

/** A check result that failed with error findings. */
export function failed(
  id: CheckId,
  title: string,
  summary: string,
  findings: Finding[],
  details?: Record<string, unknown>,
): CheckResult {
  return {
    id,
    title,
    status: 'failed',
    summary,
    findings,
    ...(details ? { details } : {}),
  };
}

/** A check result that passed. */
export function passed(
  id: CheckId,
  title: string,
  summary: string,
  findings: Finding[] = [],
  details?: Record<string, unknown>,
): CheckResult {
  return {
    id,
    title,
    status: 'passed',
    summary,
    findings,
    ...(details ? { details } : {}),
  };
}

/** A check result that was skipped, with why. */
export function skipped(
  id: CheckId,
  title: string,
  summary: string,
): CheckResult {
  return { id, title, status: 'skipped', summary, findings: [] };
}
