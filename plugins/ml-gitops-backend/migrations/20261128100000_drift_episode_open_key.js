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
 * At most one open drift episode per model environment, enforced by the
 * database: `open_key` is `<entity ref> <environment>` while the episode is
 * open and null once it ended (a unique index allows many nulls on
 * PostgreSQL, SQLite and MySQL alike). Two backend instances that open the
 * same episode at the same moment then create one row, not two.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('ml_gitops_drift_episodes', table => {
    table
      .string('open_key', 512)
      .nullable()
      .comment('entity_ref and environment while open; null once ended');
  });
  // Only the newest open episode of an environment keeps its key; any older
  // one left open by an earlier race is closed when the newer one started.
  const open = await knex('ml_gitops_drift_episodes')
    .whereNull('ended_at')
    .orderBy('id', 'desc');
  const seen = new Map();
  for (const row of open) {
    const key = `${row.entity_ref} ${row.environment}`;
    if (seen.has(key)) {
      await knex('ml_gitops_drift_episodes')
        .where({ id: row.id })
        .update({ ended_at: seen.get(key) });
    } else {
      seen.set(key, row.started_at);
      await knex('ml_gitops_drift_episodes')
        .where({ id: row.id })
        .update({ open_key: key });
    }
  }
  await knex.schema.alterTable('ml_gitops_drift_episodes', table => {
    table.unique(['open_key'], { indexName: 'ml_gitops_drift_open_key_idx' });
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('ml_gitops_drift_episodes', table => {
    table.dropUnique(['open_key'], 'ml_gitops_drift_open_key_idx');
    table.dropColumn('open_key');
  });
};
