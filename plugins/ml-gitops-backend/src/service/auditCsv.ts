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
  AUDIT_CSV_COLUMNS,
  AuditEvent,
  DeploymentChecks,
} from '@ml-gitops/plugin-ml-gitops-common';

/**
 * The first characters that make a spreadsheet read a cell as a formula
 * (OWASP, "CSV Injection"): =, +, -, @, tab and carriage return.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: a value a spreadsheet would run as a formula gets a leading
 * single quote (as OWASP recommends), then RFC 4180 quoting when the value
 * holds a comma, a double quote or a line break (quotes doubled).
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) {
    return '';
  }
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with the RFC 4180 line break (CRLF). */
export function csvRecord(fields: Array<string | number | undefined>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The header record of the audit export. */
export const AUDIT_CSV_HEADER = csvRecord([...AUDIT_CSV_COLUMNS]);

function metricsText(checks?: DeploymentChecks): string | undefined {
  const metrics = checks?.registry?.metrics;
  if (!metrics || Object.keys(metrics).length === 0) {
    return undefined;
  }
  return Object.keys(metrics)
    .sort()
    .map(name => `${name}=${metrics[name]}`)
    .join('; ');
}

function rejectedText(checks?: DeploymentChecks): string | undefined {
  const rejected = checks?.registry?.rejected;
  if (!rejected) {
    return undefined;
  }
  const who = [rejected.by, rejected.at].filter(Boolean).join(', ');
  return `rejected${rejected.reason ? `: ${rejected.reason}` : ''}${
    who ? ` (${who})` : ''
  }`;
}

function frozenText(checks?: DeploymentChecks): string | undefined {
  const frozen = checks?.frozen;
  if (!frozen) {
    return undefined;
  }
  return `${frozen.reason}${frozen.until ? ` (until ${frozen.until})` : ''}`;
}

/** The fields of one event, in the order of {@link AUDIT_CSV_COLUMNS}. */
export function auditCsvFields(
  event: AuditEvent,
): Array<string | number | undefined> {
  const row: Record<
    (typeof AUDIT_CSV_COLUMNS)[number],
    string | number | undefined
  > = {
    type: event.type,
    entity_ref: event.entityRef,
    environment: event.environment,
    at: event.at,
    kind: undefined,
    version: undefined,
    previous_version: undefined,
    commit: undefined,
    author: undefined,
    pull_request: undefined,
    pull_request_url: undefined,
    merged_by: undefined,
    approvers: undefined,
    merged_at: undefined,
    serving_at: undefined,
    time_to_serve_seconds: undefined,
    reason: event.reason,
    gate: undefined,
    metrics: undefined,
    registered_at: undefined,
    rejected: undefined,
    frozen: undefined,
    checked_at: undefined,
    drift_started_at: undefined,
    drift_ended_at: undefined,
  };
  if (event.type === 'deployment') {
    const pr = event.pullRequest;
    Object.assign(row, {
      kind: event.kind,
      version: event.version,
      previous_version: event.previousVersion,
      commit: event.commit,
      author: event.author,
      pull_request: pr?.number,
      pull_request_url: pr?.url,
      merged_by: pr?.mergedBy,
      approvers: pr ? pr.reviewers.join('; ') : undefined,
      merged_at: event.at,
      serving_at: event.servingAt,
      time_to_serve_seconds: event.timeToServeSeconds,
      gate: event.checks?.registry?.gate,
      metrics: metricsText(event.checks),
      registered_at: event.checks?.registry?.registeredAt,
      rejected: rejectedText(event.checks),
      frozen: frozenText(event.checks),
      checked_at: event.checks?.checkedAt,
    });
  } else {
    row.drift_started_at = event.startedAt;
    row.drift_ended_at = event.endedAt;
  }
  return AUDIT_CSV_COLUMNS.map(column => row[column]);
}
