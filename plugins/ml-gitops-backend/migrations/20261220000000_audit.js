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

// @ts-check

/**
 * The audit queries: what Git declared and what served at an instant, and
 * the export of every deployment and drift episode in a time range, read
 * page by page in time order (keyset pagination on time and id).
 *
 * `checks` keeps what the backend read after a deployment's merge: the
 * registry's facts and gate verdict for the deployed version and the freeze
 * of the environment (JSON), so the export shows them as they were.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('ml_gitops_deployments', table => {
    table
      .text('checks')
      .nullable()
      .comment('registry facts, gate and freeze read after the merge (JSON)');
    table.index(['committed_at', 'id'], 'ml_gitops_deployments_time_idx');
    table.index(
      ['entity_ref', 'committed_at', 'id'],
      'ml_gitops_deployments_entity_time_idx',
    );
    table.index(
      ['entity_ref', 'environment', 'serving_at'],
      'ml_gitops_deployments_serving_idx',
    );
  });
  await knex.schema.alterTable('ml_gitops_drift_episodes', table => {
    table.index(['started_at', 'id'], 'ml_gitops_drift_time_idx');
    table.index(
      ['entity_ref', 'environment', 'started_at'],
      'ml_gitops_drift_env_time_idx',
    );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('ml_gitops_drift_episodes', table => {
    table.dropIndex(
      ['entity_ref', 'environment', 'started_at'],
      'ml_gitops_drift_env_time_idx',
    );
    table.dropIndex(['started_at', 'id'], 'ml_gitops_drift_time_idx');
  });
  await knex.schema.alterTable('ml_gitops_deployments', table => {
    table.dropIndex(
      ['entity_ref', 'environment', 'serving_at'],
      'ml_gitops_deployments_serving_idx',
    );
    table.dropIndex(
      ['entity_ref', 'committed_at', 'id'],
      'ml_gitops_deployments_entity_time_idx',
    );
    table.dropIndex(['committed_at', 'id'], 'ml_gitops_deployments_time_idx');
    table.dropColumn('checks');
  });
};
