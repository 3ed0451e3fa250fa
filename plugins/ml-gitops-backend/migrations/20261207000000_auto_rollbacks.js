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
 * The incidents of the automatic rollback: one row per model, environment
 * and declaring commit, so one incident opens at most one rollback pull
 * request, across cycles, restarts and replicas (the primary key decides
 * which replica acts).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('ml_gitops_auto_rollbacks', table => {
    table.comment(
      'incidents of the automatic rollback, one per declaring commit',
    );
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 255).notNullable();
    table
      .string('declared_commit', 64)
      .notNullable()
      .comment('the commit that declared the failing version');
    table.string('version', 255).notNullable();
    table
      .string('trigger', 32)
      .notNullable()
      .comment('canary-failed or not-serving');
    table.text('reason').notNullable();
    table
      .string('state', 32)
      .notNullable()
      .comment('opening, opened, no-candidate, skipped or failed');
    table
      .string('claim', 64)
      .notNullable()
      .comment('the attempt that holds the incident');
    table.integer('attempts').notNullable().defaultTo(1);
    table.text('detail').nullable().comment('why it failed or was skipped');
    table.integer('pull_request_number').nullable();
    table.text('pull_request_url').nullable();
    table.string('created_at', 32).notNullable();
    table.string('updated_at', 32).notNullable();
    table
      .string('retry_at', 32)
      .nullable()
      .comment('failed or skipped: when to look again; null: never');
    table.primary(['entity_ref', 'environment', 'declared_commit']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('ml_gitops_auto_rollbacks');
};
