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
  AuditDeploymentEvent,
  AuditDriftEvent,
  AuditStateItem,
} from '@ml-gitops/plugin-ml-gitops-common';
import { Knex } from 'knex';
import { resolveStateAt } from './auditState';
import { AuditEventQuery, AuditEventRows } from './MlGitopsStore';
import {
  DEPLOYMENTS,
  DeploymentRow,
  EPISODES,
  EpisodeRow,
  iso,
  STATUS,
  toAudited,
  toDeploymentEvent,
  toEpisode,
} from './tables';

// The audit queries: each environment's state at a time, the models with history, and deployment and drift events.

/**
 * One page of audit events, oldest first: the events narrowed to the query's
 * entity and to those after its cursor, ordered by `column` and then id (the
 * cursor's key).
 */
function eventPage<TRow extends {}>(
  events: Knex.QueryBuilder<TRow, TRow[]>,
  query: AuditEventQuery,
  column: 'committed_at' | 'started_at',
): Knex.QueryBuilder<TRow, TRow[]> {
  let q = events;
  if (query.entityRef) {
    q = q.andWhere('entity_ref', query.entityRef);
  }
  if (query.after) {
    q = q.andWhereRaw(`(${column}, id) > (?, ?)`, [
      query.after.at,
      Number(query.after.id),
    ]);
  }
  return q
    .orderBy([
      { column, order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(query.limit);
}

/** Read-only queries over the deployments, drift episodes and statuses tables. */
export class AuditQueries {
  constructor(private readonly db: Knex) {}

  async getStateAt(options: {
    entityRef: string;
    at: string;
    environments: string[];
  }): Promise<AuditStateItem[]> {
    const { entityRef } = options;
    const at = iso(options.at);
    // The earliest merge and serving time of each environment with history.
    const firsts = await this.db<DeploymentRow>(DEPLOYMENTS)
      .where({ entity_ref: entityRef })
      .groupBy('environment')
      .select('environment')
      .min({ first_merged_at: 'committed_at', first_serving_at: 'serving_at' });
    const episodeEnvironments = await this.db<EpisodeRow>(EPISODES)
      .where({ entity_ref: entityRef })
      .distinct('environment');
    const environments = [...options.environments];
    for (const row of [...firsts, ...episodeEnvironments]) {
      if (!environments.includes(row.environment)) {
        environments.push(row.environment);
      }
    }
    const items: AuditStateItem[] = [];
    for (const environment of environments) {
      const first = firsts.find(row => row.environment === environment) as
        | { first_merged_at: string | null; first_serving_at: string | null }
        | undefined;
      const scope = { entity_ref: entityRef, environment };
      const [declared, lastServed, drift] = await Promise.all([
        this.db<DeploymentRow>(DEPLOYMENTS)
          .where(scope)
          .andWhere('committed_at', '<=', at)
          .orderBy([
            { column: 'committed_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .first(),
        this.db<DeploymentRow>(DEPLOYMENTS)
          .where(scope)
          .andWhere('serving_at', '<=', at)
          .orderBy([
            { column: 'serving_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .first(),
        this.db<EpisodeRow>(EPISODES)
          .where(scope)
          .andWhere('started_at', '<=', at)
          .andWhere(q => q.whereNull('ended_at').orWhere('ended_at', '>', at))
          .orderBy([
            { column: 'started_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .first(),
      ]);
      items.push(
        resolveStateAt({
          entityRef,
          environment,
          at,
          ...(declared ? { declared: toAudited(declared) } : {}),
          ...(lastServed ? { lastServed: toAudited(lastServed) } : {}),
          ...(drift ? { drift: toEpisode(drift) } : {}),
          ...(first?.first_merged_at
            ? { firstMergedAt: first.first_merged_at }
            : {}),
          ...(first?.first_serving_at
            ? { firstServingAt: first.first_serving_at }
            : {}),
        }),
      );
    }
    return items;
  }

  async listAuditModels(options: {
    limit: number;
    after?: string;
  }): Promise<{ entityRefs: string[]; more: boolean }> {
    const after = options.after ?? '';
    const rows = await this.db
      .select('entity_ref')
      .from(
        this.db
          .select('entity_ref')
          .from(STATUS)
          .where('entity_ref', '>', after)
          .union(
            this.db
              .select('entity_ref')
              .from(DEPLOYMENTS)
              .where('entity_ref', '>', after),
          )
          .as('models'),
      )
      .orderBy('entity_ref', 'asc')
      .limit(options.limit + 1);
    const entityRefs = rows.map(r => r.entity_ref as string);
    return {
      entityRefs: entityRefs.slice(0, options.limit),
      more: entityRefs.length > options.limit,
    };
  }

  async listDeploymentEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDeploymentEvent>> {
    const rows = await eventPage(
      this.db<DeploymentRow>(DEPLOYMENTS)
        .where('committed_at', '>=', iso(query.from))
        .andWhere('committed_at', '<', iso(query.to)),
      query,
      'committed_at',
    );
    return rows.map(row => ({
      id: String(row.id),
      event: toDeploymentEvent(row.entity_ref, row),
    }));
  }

  async listDriftEvents(
    query: AuditEventQuery,
  ): Promise<AuditEventRows<AuditDriftEvent>> {
    const rows = await eventPage(
      this.db<EpisodeRow>(EPISODES)
        .where('started_at', '<', iso(query.to))
        .andWhere(w =>
          w.whereNull('ended_at').orWhere('ended_at', '>=', iso(query.from)),
        ),
      query,
      'started_at',
    );
    return rows.map(row => ({
      id: String(row.id),
      event: {
        type: 'drift',
        entityRef: row.entity_ref,
        environment: row.environment,
        at: row.started_at,
        startedAt: row.started_at,
        ...(row.ended_at ? { endedAt: row.ended_at } : {}),
        reason: row.reason,
      },
    }));
  }
}
