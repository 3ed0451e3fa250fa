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

import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

const TABLE = 'ml_gitops_auto_rollbacks';

/**
 * One incident of the automatic rollback: a model environment whose
 * declaring commit failed (its canary analysis, or serving in time).
 */
export type IncidentKey = {
  entityRef: string;
  environment: string;
  /** The commit that declared the failing version. */
  declaredCommit: string;
};

export type IncidentState =
  /** A replica is opening the rollback pull request. */
  | 'opening'
  /** The pull request is open (or was). */
  | 'opened'
  /** Nothing to roll back to; the owners were told. */
  | 'no-candidate'
  /** Not this time: someone else is rolling back, or Git moved on. */
  | 'skipped'
  /** The attempt failed; retried at `retryAt`. */
  | 'failed';

export type Incident = IncidentKey & {
  version: string;
  trigger: string;
  reason: string;
  state: IncidentState;
  attempts: number;
  detail?: string;
  pullRequest?: { number: number; url: string };
  createdAt: string;
  updatedAt: string;
  retryAt?: string;
};

type Row = {
  entity_ref: string;
  environment: string;
  declared_commit: string;
  version: string;
  trigger: string;
  reason: string;
  state: IncidentState;
  claim: string;
  attempts: number | string;
  detail: string | null;
  pull_request_number: number | string | null;
  pull_request_url: string | null;
  created_at: string;
  updated_at: string;
  retry_at: string | null;
};

function toIncident(row: Row): Incident {
  return {
    entityRef: row.entity_ref,
    environment: row.environment,
    declaredCommit: row.declared_commit,
    version: row.version,
    trigger: row.trigger,
    reason: row.reason,
    state: row.state,
    attempts: Number(row.attempts),
    ...(row.detail !== null ? { detail: row.detail } : {}),
    ...(row.pull_request_number !== null && row.pull_request_url !== null
      ? {
          pullRequest: {
            number: Number(row.pull_request_number),
            url: row.pull_request_url,
          },
        }
      : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.retry_at !== null ? { retryAt: row.retry_at } : {}),
  };
}

function where(key: IncidentKey) {
  return {
    entity_ref: key.entityRef,
    environment: key.environment,
    declared_commit: key.declaredCommit,
  };
}

/**
 * The incidents of the automatic rollback, in the plugin's database (the
 * table is created by the plugin's migrations): the record that makes one
 * incident open one pull request across cycles, restarts and replicas.
 */
export class AutoRollbackStore {
  static async create(options: {
    database: Pick<DatabaseService, 'getClient'>;
  }): Promise<AutoRollbackStore> {
    return new AutoRollbackStore(await options.database.getClient());
  }

  private constructor(private readonly db: Knex) {}

  async get(key: IncidentKey): Promise<Incident | undefined> {
    const row = await this.db<Row>(TABLE).where(where(key)).first();
    return row ? toIncident(row) : undefined;
  }

  /**
   * Takes the incident for one attempt: a new incident, a failed or skipped
   * one whose retry time has come, or one whose attempt has not finished
   * since `staleBefore` (its replica stopped). Resolves to false when
   * another attempt holds it or it is settled; the database decides, so two
   * replicas never both act.
   */
  async claim(
    incident: IncidentKey & {
      version: string;
      trigger: string;
      reason: string;
    },
    now: string,
    staleBefore: string,
  ): Promise<boolean> {
    const claim = randomUUID();
    await this.db(TABLE)
      .insert({
        ...where(incident),
        version: incident.version,
        trigger: incident.trigger,
        reason: incident.reason,
        state: 'opening',
        claim,
        attempts: 1,
        detail: null,
        pull_request_number: null,
        pull_request_url: null,
        created_at: now,
        updated_at: now,
        retry_at: null,
      })
      .onConflict(['entity_ref', 'environment', 'declared_commit'])
      .ignore();
    let row = await this.db<Row>(TABLE).where(where(incident)).first();
    if (row?.claim === claim) return true;
    await this.db(TABLE)
      .where(where(incident))
      .andWhere(q =>
        q
          .where(r =>
            r
              .whereIn('state', ['failed', 'skipped'])
              .whereNotNull('retry_at')
              .andWhere('retry_at', '<=', now),
          )
          .orWhere(r =>
            r
              .where('state', 'opening')
              .andWhere('updated_at', '<=', staleBefore),
          ),
      )
      .update({
        state: 'opening',
        claim,
        attempts: this.db.raw('attempts + 1'),
        trigger: incident.trigger,
        reason: incident.reason,
        updated_at: now,
        retry_at: null,
      });
    row = await this.db<Row>(TABLE).where(where(incident)).first();
    return row?.claim === claim;
  }

  /** Records how an attempt ended. */
  async finish(
    key: IncidentKey,
    outcome: {
      state: Exclude<IncidentState, 'opening'>;
      detail?: string;
      pullRequest?: { number: number; url: string };
      retryAt?: string;
    },
    now: string,
  ): Promise<void> {
    await this.db(TABLE)
      .where(where(key))
      .update({
        state: outcome.state,
        detail: outcome.detail ?? null,
        pull_request_number: outcome.pullRequest?.number ?? null,
        pull_request_url: outcome.pullRequest?.url ?? null,
        retry_at: outcome.retryAt ?? null,
        updated_at: now,
      });
  }
}
