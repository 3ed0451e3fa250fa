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

import { AuditEvent } from '@ml-gitops/plugin-ml-gitops-common';
import type { AuditPosition, MlGitopsStore } from '../database/MlGitopsStore';

/**
 * Where an export stands in its two time-ordered streams: deployments (by
 * merge time) and drift episodes (by start time). Absent: from the start.
 */
export type ExportPosition = { d?: AuditPosition; e?: AuditPosition };

/** The range and scope of an export. */
export type ExportScope = { from: string; to: string; entityRef?: string };

/** Deployments before drift episodes at the same instant, then by row id. */
function compare(
  a: { id: string; event: AuditEvent },
  b: { id: string; event: AuditEvent },
): number {
  if (a.event.at !== b.event.at) {
    return a.event.at < b.event.at ? -1 : 1;
  }
  if (a.event.type !== b.event.type) {
    return a.event.type === 'deployment' ? -1 : 1;
  }
  return Number(a.id) - Number(b.id);
}

/**
 * One page of the export, oldest first: at most `limit` events read from the
 * store with keyset pagination (at most `limit + 1` rows of each stream),
 * and the position to continue from when there is more.
 */
export async function readEventPage(
  store: Pick<MlGitopsStore, 'listDeploymentEvents' | 'listDriftEvents'>,
  scope: ExportScope,
  position: ExportPosition,
  limit: number,
): Promise<{ items: AuditEvent[]; next?: ExportPosition }> {
  const [deployments, drifts] = await Promise.all([
    store.listDeploymentEvents({
      ...scope,
      after: position.d,
      limit: limit + 1,
    }),
    store.listDriftEvents({ ...scope, after: position.e, limit: limit + 1 }),
  ]);
  const merged = [...deployments, ...drifts].sort(compare);
  const page = merged.slice(0, limit);
  const next: ExportPosition = { ...position };
  for (const row of page) {
    const at = { at: row.event.at, id: row.id };
    if (row.event.type === 'deployment') {
      next.d = at;
    } else {
      next.e = at;
    }
  }
  return {
    items: page.map(row => row.event),
    ...(merged.length > limit ? { next } : {}),
  };
}
