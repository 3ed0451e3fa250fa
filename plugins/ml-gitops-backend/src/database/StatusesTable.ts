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
  DriftItem,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Knex } from 'knex';
import { getCacheValue } from './cacheTable';
import { Silence, StatusWrite, StoredEnvironmentStatus } from './MlGitopsStore';
import {
  CACHE,
  CURSOR_MARGIN_MS,
  FRESHNESS_KEY,
  FRESHNESS_TTL_MS,
  iso,
  STATUS,
  StatusRow,
} from './tables';

// The environment statuses of each model, and when each deployment source last answered.

/** Rows a read of changed statuses takes at a time. */
export const STATUS_PAGE = 1000;

/** The statuses table, and the freshness row of the cache table. */
export class StatusesTable {
  constructor(private readonly db: Knex) {}

  private freshness?: { at: number; times: Record<string, string> };

  /** A stored row as the API shows it: observedAt from its source's freshness. */
  private toStored(
    row: StatusRow,
    freshness: Record<string, string>,
  ): StoredEnvironmentStatus {
    const status = JSON.parse(row.status) as EnvironmentStatus & {
      observedFrom?: string;
      silence?: Silence;
    };
    const { observedFrom, silence } = status;
    delete status.silence;
    if (observedFrom !== undefined) {
      delete status.observedFrom;
      const seen = freshness[observedFrom];
      if (status.live && seen && seen > status.live.observedAt) {
        status.live.observedAt = seen;
      }
    }
    return {
      entityRef: row.entity_ref,
      model: row.model,
      position: Number(row.position),
      status,
      updatedAt: row.updated_at,
      ...(observedFrom ? { observedFrom } : {}),
      ...(silence ? { silence } : {}),
    };
  }

  async getStatuses(entityRef: string): Promise<StoredEnvironmentStatus[]> {
    const [rows, freshness] = await Promise.all([
      this.db<StatusRow>(STATUS)
        .where({ entity_ref: entityRef })
        .orderBy('position', 'asc'),
      this.cachedFreshness(),
    ]);
    return rows.map(row => this.toStored(row, freshness));
  }

  /**
   * The statuses written after `since` (all without it), read
   * {@link STATUS_PAGE} rows at a time in key order, letting the event loop
   * turn between pages: after a cold cycle every row is newer than the
   * cursor, and reading and parsing 10,000 rows at once held the loop for
   * 0.2 s (#15). A row written meanwhile is newer than the returned cursor,
   * so the next read finds it whichever page it fell behind.
   */
  async listStatusesSince(
    since?: string,
    held?: (entityRef: string, updatedAt: string) => boolean,
  ): Promise<{ items: StoredEnvironmentStatus[]; cursor: string }> {
    const margin = iso(new Date(Date.now() - CURSOR_MARGIN_MS));
    const freshness = await this.getSourceFreshness();
    const items: StoredEnvironmentStatus[] = [];
    let after: StatusRow | undefined;
    for (;;) {
      let query = this.db<StatusRow>(STATUS)
        .orderBy([
          { column: 'entity_ref', order: 'asc' },
          { column: 'position', order: 'asc' },
        ])
        .limit(STATUS_PAGE);
      if (since) {
        query = query.where('updated_at', '>', since);
      }
      if (after) {
        const { entity_ref, position } = after;
        query = query.andWhere(q =>
          q
            .where('entity_ref', '>', entity_ref)
            .orWhere(q2 =>
              q2
                .where('entity_ref', entity_ref)
                .andWhere('position', '>', position),
            ),
        );
      }
      const rows = await query;
      for (const row of rows) {
        if (!held?.(row.entity_ref, row.updated_at)) {
          items.push(this.toStored(row, freshness));
        }
      }
      if (rows.length < STATUS_PAGE) break;
      after = rows[rows.length - 1];
      await nextTurn();
    }
    return { items, cursor: since && since > margin ? since : margin };
  }

  private async cachedFreshness(): Promise<Record<string, string>> {
    if (this.freshness && Date.now() - this.freshness.at < FRESHNESS_TTL_MS) {
      return this.freshness.times;
    }
    return this.getSourceFreshness();
  }

  async getSourceFreshness(): Promise<Record<string, string>> {
    const times =
      (await getCacheValue<Record<string, string>>(this.db, FRESHNESS_KEY)) ??
      {};
    this.freshness = { at: Date.now(), times };
    return times;
  }

  async recordSourceFreshness(times: Record<string, string>): Promise<void> {
    if (Object.keys(times).length === 0) {
      return;
    }
    const merged = await this.db.transaction(async tx => {
      const row = await tx(CACHE).where({ key: FRESHNESS_KEY }).first();
      const stored: Record<string, string> = row ? JSON.parse(row.value) : {};
      const next = { ...stored };
      for (const [source, at] of Object.entries(times)) {
        const value = iso(at);
        if (!next[source] || next[source] < value) {
          next[source] = value;
        }
      }
      await tx(CACHE)
        .insert({
          key: FRESHNESS_KEY,
          value: JSON.stringify(next),
          updated_at: iso(new Date()),
        })
        .onConflict('key')
        .merge(['value', 'updated_at']);
      return next;
    });
    this.freshness = { at: Date.now(), times: merged };
  }

  async listModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }> {
    let query = this.db<StatusRow>(STATUS)
      .distinct('entity_ref')
      .orderBy('entity_ref', 'asc')
      .limit(options.limit + 1);
    if (options.after) {
      query = query.where('entity_ref', '>', options.after);
    }
    const rows = await query;
    const entityRefs = rows.map(r => r.entity_ref);
    const more = entityRefs.length > options.limit;
    return { entityRefs: entityRefs.slice(0, options.limit), more };
  }

  async listDrift(): Promise<DriftItem[]> {
    const rows = await this.db<StatusRow>(STATUS)
      .whereNot('drift_state', 'in-sync')
      .orderBy([
        { column: 'entity_ref', order: 'asc' },
        { column: 'position', order: 'asc' },
      ]);
    return rows.map(row => ({
      entityRef: row.entity_ref,
      environment: row.environment,
      drift: (JSON.parse(row.status) as EnvironmentStatus).drift,
    }));
  }

  async replaceStatuses(
    entityRef: string,
    model: string,
    statuses: EnvironmentStatus[],
  ): Promise<void> {
    await this.writeStatuses([
      { entityRef, model, statuses: statuses.map(status => ({ status })) },
    ]);
  }

  async writeStatuses(models: StatusWrite[]): Promise<string> {
    const now = iso(new Date());
    if (models.length === 0) {
      return now;
    }
    const rows: StatusRow[] = models.flatMap(m =>
      m.statuses.map(({ status, observedFrom, silence }, position) => ({
        entity_ref: m.entityRef,
        environment: status.name,
        model: m.model,
        position,
        drift_state: status.drift.state,
        // Kept beside the status and stripped when read (toStored).
        status: JSON.stringify({
          ...status,
          ...(observedFrom ? { observedFrom } : {}),
          ...(silence ? { silence } : {}),
        }),
        updated_at: now,
      })),
    );
    // Models with the same environments lose the others in one statement.
    const byEnvironments = new Map<string, string[]>();
    for (const m of models) {
      const names = JSON.stringify(m.statuses.map(s => s.status.name));
      byEnvironments.set(names, [
        ...(byEnvironments.get(names) ?? []),
        m.entityRef,
      ]);
    }
    await this.db.transaction(async tx => {
      for (const [names, refs] of byEnvironments) {
        // Chunks keep the bound parameters under SQLite's limit.
        for (let i = 0; i < refs.length; i += 200) {
          await tx(STATUS)
            .whereIn('entity_ref', refs.slice(i, i + 200))
            .whereNotIn('environment', JSON.parse(names) as string[])
            .delete();
        }
      }
      for (let i = 0; i < rows.length; i += 100) {
        await tx<StatusRow>(STATUS)
          .insert(rows.slice(i, i + 100))
          .onConflict(['entity_ref', 'environment'])
          .merge(['model', 'position', 'drift_state', 'status', 'updated_at']);
      }
    });
    return now;
  }

  async removeModel(entityRef: string): Promise<void> {
    await this.db(STATUS).where({ entity_ref: entityRef }).delete();
  }
}
