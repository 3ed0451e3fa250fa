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

import type { IntegrationRun } from '../checks/integration';
import type {
  CheckResult,
  CheckStatus,
  Finding,
  ValidateReport,
} from '../report';

/** The output formats of `ml-gitops validate`. */
export type OutputFormat = 'text' | 'json' | 'github';
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  'text',
  'json',
  'github',
];

const LABELS: Record<CheckStatus, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  error: 'ERROR',
  'not-run': 'NOT RUN',
  skipped: 'SKIP',
};

const VERDICTS: Record<number, string> = { 0: 'PASSED', 1: 'FAILED' };

function location(f: Finding): string {
  if (!f.file) return '';
  return `${f.file}${
    f.line ? `:${f.line}${f.column ? `:${f.column}` : ''}` : ''
  }: `;
}

function resultLine(report: ValidateReport): string {
  const count = (s: CheckStatus) =>
    report.checks.filter(c => c.status === s).length;
  const parts = [
    count('failed') && `${count('failed')} failed`,
    count('error') && `${count('error')} could not run`,
    count('not-run') && `${count('not-run')} not run`,
    count('passed') && `${count('passed')} passed`,
    count('skipped') && `${count('skipped')} skipped`,
  ].filter(Boolean);
  const verdict = VERDICTS[report.exitCode] ?? 'ERROR';
  return `Result: ${verdict} (exit ${report.exitCode}): ${parts.join(', ')}`;
}

function integrationOutput(check: CheckResult): string[] {
  const runs = (check.details?.runs ?? []) as IntegrationRun[];
  const out: string[] = [];
  for (const run of runs) {
    if (run.exitCode === 0 && !run.timedOut) continue;
    const tail = run.output.replace(/\s+$/, '').split('\n').slice(-30);
    out.push(
      '',
      `Output of integration check "${run.name}" (last ${tail.length} lines${
        run.outputTruncated ? ', truncated' : ''
      }):`,
    );
    out.push(...tail.map(l => `  | ${l}`));
  }
  return out;
}

/** The human summary. */
export function formatText(report: ValidateReport): string {
  const lines = [`ml-gitops validate ${report.root} (${report.manifest})`, ''];
  const width = Math.max(...report.checks.map(c => c.title.length));
  for (const check of report.checks) {
    lines.push(
      `${LABELS[check.status].padEnd(8)} ${check.title.padEnd(width)}  ${
        check.summary
      }`,
    );
    for (const f of check.findings) {
      lines.push(`         ${f.severity}: ${location(f)}${f.message}`);
      if (f.fix) lines.push(`           fix: ${f.fix}`);
    }
  }
  for (const check of report.checks) {
    if (check.id === 'integration') lines.push(...integrationOutput(check));
  }
  lines.push('', resultLine(report));
  return `${lines.join('\n')}\n`;
}

/** The machine-readable report. */
export function formatJson(report: ValidateReport): string {
  const result = (VERDICTS[report.exitCode] ?? 'ERROR').toLowerCase();
  return `${JSON.stringify({ version: 1, result, ...report }, null, 2)}\n`;
}

function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One GitHub Actions workflow command. */
export function githubAnnotation(
  level: 'error' | 'warning' | 'notice',
  message: string,
  props: { file?: string; line?: number; col?: number; title?: string },
): string {
  const list = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${level}${list.length ? ` ${list.join(',')}` : ''}::${escapeData(
    message,
  )}`;
}

/** Workflow annotations for every finding, then the human summary. */
export function formatGithub(report: ValidateReport): string {
  const lines: string[] = [];
  for (const check of report.checks) {
    for (const f of check.findings) {
      lines.push(
        githubAnnotation(
          f.severity,
          f.fix ? `${f.message}\nfix: ${f.fix}` : f.message,
          {
            file: f.file,
            line: f.line,
            col: f.column,
            title: `ml-gitops validate: ${check.title}`,
          },
        ),
      );
    }
    if (
      (check.status === 'not-run' || check.status === 'error') &&
      check.findings.length === 0
    ) {
      lines.push(
        githubAnnotation('error', check.summary, {
          title: `ml-gitops validate: ${check.title}`,
        }),
      );
    }
  }
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${formatText(report)}`;
}

/** The report in the requested format. */
export function formatReport(
  report: ValidateReport,
  format: OutputFormat,
): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'github':
      return formatGithub(report);
    default:
      return formatText(report);
  }
}
