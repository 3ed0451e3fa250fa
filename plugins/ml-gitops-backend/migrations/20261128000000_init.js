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
 * The ml-gitops backend's tables: the current status of every model
 * environment, the deployment history (insert-only), drift episodes and a
 * small cache that lets an unchanged config repo cost one conditional request.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('ml_gitops_environment_status', table => {
    table.comment('The latest status of each environment of each model');
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 255).notNullable();
    table.string('model', 255).notNullable();
    table.integer('position').notNullable().comment('Promotion order');
    table
      .string('drift_state', 32)
      .notNullable()
      .comment('in-sync, progressing, drifted, unknown or missing');
    table.text('status').notNullable().comment('EnvironmentStatus as JSON');
    table.string('updated_at', 32).notNullable();
    table.primary(['entity_ref', 'environment']);
    table.index(['drift_state'], 'ml_gitops_status_drift_idx');
  });

  await knex.schema.createTable('ml_gitops_deployments', table => {
    table.comment('Every commit that changed the declared model version');
    table.bigIncrements('id');
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 255).notNullable();
    table.string('commit_sha', 64).notNullable();
    table.string('version', 255).notNullable();
    table.string('previous_version', 255).nullable();
    table.string('author', 255).notNullable();
    table.string('committed_at', 32).notNullable();
    table.string('kind', 16).notNullable();
    table.text('pull_request').nullable().comment('PullRequestInfo as JSON');
    table
      .string('merged_at', 32)
      .nullable()
      .comment('When the change reached the branch: PR merge or commit time');
    table.string('serving_at', 32).nullable();
    table.integer('time_to_serve_seconds').nullable();
    table.string('recorded_at', 32).notNullable();
    table.unique(['entity_ref', 'environment', 'commit_sha'], {
      indexName: 'ml_gitops_deployments_commit_uniq',
    });
    table.index(
      ['entity_ref', 'environment', 'committed_at'],
      'ml_gitops_deployments_history_idx',
    );
  });

  await knex.schema.createTable('ml_gitops_drift_episodes', table => {
    table.comment('Periods during which an environment was drifted');
    table.bigIncrements('id');
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 255).notNullable();
    table.string('started_at', 32).notNullable();
    table.string('ended_at', 32).nullable();
    table.text('reason').notNullable();
    table.index(
      ['entity_ref', 'environment', 'ended_at'],
      'ml_gitops_drift_open_idx',
    );
  });

  await knex.schema.createTable('ml_gitops_cache', table => {
    table.comment('Conditional-request validators and other poll memory');
    table.string('key', 512).primary().notNullable();
    table.text('value').notNullable();
    table.string('updated_at', 32).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('ml_gitops_cache');
  await knex.schema.dropTable('ml_gitops_drift_episodes');
  await knex.schema.dropTable('ml_gitops_deployments');
  await knex.schema.dropTable('ml_gitops_environment_status');
};
