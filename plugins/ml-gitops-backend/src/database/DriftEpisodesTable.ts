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

import { Knex } from 'knex';
import { DriftEpisode } from './MlGitopsStore';
import { EPISODES, EpisodeRow, iso, openKey, toEpisode } from './tables';

// Drift episodes: opening, closing and listing the spans during which an environment drifted.

/** The drift episodes table. */
export class DriftEpisodesTable {
  constructor(private readonly db: Knex) {}

  async getOpenDriftEpisode(
    entityRef: string,
    environment: string,
  ): Promise<DriftEpisode | undefined> {
    const row = await this.db<EpisodeRow>(EPISODES)
      .where({ entity_ref: entityRef, environment })
      .whereNull('ended_at')
      .orderBy('id', 'desc')
      .first();
    return row ? toEpisode(row) : undefined;
  }

  async listOpenDriftEpisodes(entityRef: string): Promise<DriftEpisode[]> {
    return (
      (await this.listOpenDriftEpisodesOf([entityRef])).get(entityRef) ?? []
    );
  }

  async listOpenDriftEpisodesOf(
    entityRefs: string[],
  ): Promise<Map<string, DriftEpisode[]>> {
    const open = new Map<string, DriftEpisode[]>();
    for (let i = 0; i < entityRefs.length; i += 500) {
      const rows = await this.db<EpisodeRow>(EPISODES)
        .whereIn('entity_ref', entityRefs.slice(i, i + 500))
        .whereNull('ended_at')
        .orderBy('id', 'desc');
      for (const episode of rows.map(toEpisode)) {
        const of = open.get(episode.entityRef) ?? [];
        of.push(episode);
        open.set(episode.entityRef, of);
      }
    }
    return open;
  }

  async openDriftEpisode(
    episode: Omit<DriftEpisode, 'id' | 'endedAt'>,
  ): Promise<{ episode: DriftEpisode; created: boolean }> {
    const open = await this.getOpenDriftEpisode(
      episode.entityRef,
      episode.environment,
    );
    if (open) {
      return { episode: open, created: false };
    }
    // The unique open_key makes this safe when two backend instances open
    // the same episode at once: one row is inserted, the other insert is
    // ignored and only the first instance reports `created`.
    const row = {
      entity_ref: episode.entityRef,
      environment: episode.environment,
      started_at: iso(episode.startedAt),
      ended_at: null,
      reason: episode.reason,
    };
    const inserted = await this.db(EPISODES)
      .insert({ ...row, open_key: openKey(episode) }, ['id'])
      .onConflict('open_key')
      .ignore();
    const first = inserted[0] as { id: number | string } | number | undefined;
    const id = typeof first === 'object' ? first.id : first;
    if (id) {
      return { episode: toEpisode({ ...row, id }), created: true };
    }
    const winner = await this.getOpenDriftEpisode(
      episode.entityRef,
      episode.environment,
    );
    if (!winner) {
      throw new Error(
        `The drift episode of ${episode.entityRef} ${episode.environment} was opened and closed concurrently; it is retried next cycle`,
      );
    }
    return { episode: winner, created: false };
  }

  async closeDriftEpisode(
    entityRef: string,
    environment: string,
    endedAt: string,
  ): Promise<DriftEpisode | undefined> {
    const open = await this.getOpenDriftEpisode(entityRef, environment);
    if (!open) {
      return undefined;
    }
    const updated = await this.db(EPISODES)
      .where({ id: open.id })
      .whereNull('ended_at')
      .update({ ended_at: iso(endedAt), open_key: null });
    if (!updated) {
      // Another backend instance closed it first: it tells the owners.
      return undefined;
    }
    return { ...open, endedAt: iso(endedAt) };
  }

  async listDriftEpisodes(
    entityRef: string,
    limit: number,
    environment?: string,
  ): Promise<DriftEpisode[]> {
    let query = this.db<EpisodeRow>(EPISODES).where({ entity_ref: entityRef });
    if (environment !== undefined) {
      query = query.andWhere({ environment });
    }
    const rows = await query
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toEpisode);
  }
}
