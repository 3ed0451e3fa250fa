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
  Deployment,
  DeploymentChecks,
} from '@ml-gitops/plugin-ml-gitops-common';
import { Knex } from 'knex';
import type { LatestDeployment } from './MlGitopsStore';
import { DEPLOYMENTS, DeploymentRow, iso, toDeployment } from './tables';

// The deployment history: recording deployments, when they start serving (time to serve) and their canary checks.

/** Arms of one compound select (SQLite's default limit is 500). */
const MAX_ARMS = 300;

/** The deployments table. */
export class DeploymentsTable {
  constructor(private readonly db: Knex) {}

  async recordDeployments(
    entityRef: string,
    deployments: Deployment[],
  ): Promise<void> {
    if (deployments.length === 0) {
      return;
    }
    const now = iso(new Date());
    const rows = deployments.map(d => ({
      entity_ref: entityRef,
      environment: d.environment,
      commit_sha: d.commit,
      version: d.version,
      previous_version: d.previousVersion ?? null,
      author: d.author,
      committed_at: iso(d.committedAt),
      kind: d.kind,
      reason: d.reason ?? null,
      pull_request: d.pullRequest ? JSON.stringify(d.pullRequest) : null,
      merged_at: iso(d.committedAt),
      serving_at: d.servingAt ? iso(d.servingAt) : null,
      time_to_serve_seconds: d.timeToServeSeconds ?? null,
      recorded_at: now,
    }));
    // Insert in chunks: SQLite limits the number of bound parameters.
    for (let i = 0; i < rows.length; i += 50) {
      await this.db(DEPLOYMENTS)
        .insert(rows.slice(i, i + 50))
        .onConflict(['entity_ref', 'environment', 'commit_sha'])
        .ignore();
    }
  }

  /**
   * The newest deployment of each of `environments` of a model, in one
   * statement (one indexed look-up an environment): a poll reads it once
   * for all its environments, where marking each serving read its own.
   */
  async latestDeployments(
    entityRef: string,
    environments: string[],
  ): Promise<Map<string, LatestDeployment>> {
    return (
      (await this.latestDeploymentsOf([entityRef], environments)).get(
        entityRef,
      ) ?? new Map()
    );
  }

  /**
   * The newest deployment of each environment of several models, by entity
   * ref and environment: one arm a model environment, in statements of at
   * most {@link MAX_ARMS} arms (SQLite allows 500 in a compound select).
   */
  async latestDeploymentsOf(
    entityRefs: string[],
    environments: string[],
  ): Promise<Map<string, Map<string, LatestDeployment>>> {
    const arms = entityRefs.flatMap(entityRef =>
      environments.map(environment =>
        this.db.select('*').from(
          this.db<DeploymentRow>(DEPLOYMENTS)
            .where({ entity_ref: entityRef, environment })
            .orderBy([
              { column: 'committed_at', order: 'desc' },
              { column: 'id', order: 'desc' },
            ])
            .limit(1)
            .as('latest'),
        ),
      ),
    );
    const latest = new Map<string, Map<string, LatestDeployment>>();
    for (let i = 0; i < arms.length; i += MAX_ARMS) {
      const [first, ...rest] = arms.slice(i, i + MAX_ARMS);
      const rows: DeploymentRow[] =
        rest.length > 0 ? await first.unionAll(rest) : await first;
      for (const row of rows) {
        const of = latest.get(row.entity_ref) ?? new Map();
        of.set(row.environment, latestOf(row));
        latest.set(row.entity_ref, of);
      }
    }
    return latest;
  }

  async markServing(
    entityRef: string,
    environment: string,
    version: string,
    servingAt: string,
    known?: { latest: LatestDeployment | undefined },
  ): Promise<Deployment | undefined> {
    // No transaction: the update below is guarded by the row's id and its
    // unset serving time, so of two replicas only one records it, and a
    // transaction would not keep a newer deployment from being recorded
    // between the read and the update (READ COMMITTED); BEGIN and COMMIT
    // were two of the four statements per environment and cycle.
    // Only the latest deployment can start serving now; older ones of the
    // same version were replaced since and keep their own record.
    let latest = known?.latest;
    if (!known) {
      const row = await this.db<DeploymentRow>(DEPLOYMENTS)
        .where({ entity_ref: entityRef, environment })
        .orderBy([
          { column: 'committed_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .first();
      latest = row && latestOf(row);
    }
    if (
      !latest ||
      latest.deployment.version !== version ||
      latest.deployment.servingAt !== undefined
    ) {
      return undefined;
    }
    const seconds = Math.max(
      0,
      Math.round((Date.parse(servingAt) - Date.parse(latest.since)) / 1000),
    );
    const updated = await this.db(DEPLOYMENTS)
      .where({ id: latest.id })
      .whereNull('serving_at')
      .update({ serving_at: iso(servingAt), time_to_serve_seconds: seconds });
    if (!updated) {
      // Another backend instance recorded it first: it tells the owners.
      return undefined;
    }
    return {
      ...latest.deployment,
      servingAt: iso(servingAt),
      timeToServeSeconds: seconds,
    };
  }

  async listHistory(options: {
    entityRef: string;
    environment?: string;
    limit: number;
    offset?: number;
  }): Promise<{ items: Deployment[]; total: number }> {
    const base = () => {
      const q = this.db<DeploymentRow>(DEPLOYMENTS).where({
        entity_ref: options.entityRef,
      });
      return options.environment
        ? q.andWhere({ environment: options.environment })
        : q;
    };
    const offset = options.offset ?? 0;
    // The total in the same query (a window over every matching row,
    // counted before the limit; SQLite 3.25+ and PostgreSQL): one query
    // per page of history rather than two.
    const rows: Array<DeploymentRow & { total_count?: number | string }> =
      await base()
        .select('*', this.db.raw('count(*) over () as total_count'))
        .orderBy([
          { column: 'committed_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(options.limit)
        .offset(offset);
    let total = rows.length > 0 ? Number(rows[0].total_count) : 0;
    if (rows.length === 0 && offset > 0) {
      // A page past the end: no row to carry the total.
      const [{ count }] = await base().count<{ count: number | string }[]>({
        count: '*',
      });
      total = Number(count);
    }
    return { items: rows.map(toDeployment), total };
  }

  async recordDeploymentChecks(
    entityRef: string,
    environment: string,
    commit: string,
    checks: DeploymentChecks,
  ): Promise<boolean> {
    const updated = await this.db(DEPLOYMENTS)
      .where({ entity_ref: entityRef, environment, commit_sha: commit })
      .whereNull('checks')
      .update({ checks: JSON.stringify(checks) });
    return updated > 0;
  }
}

function latestOf(row: DeploymentRow): LatestDeployment {
  return {
    id: Number(row.id),
    since: row.merged_at ?? row.committed_at,
    hasChecks: row.checks !== null && row.checks !== undefined,
    deployment: toDeployment(row),
  };
}
