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

import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseMlGitopsStore } from './DatabaseMlGitopsStore';

/**
 * Two backend instances share one database. Their writes may overlap (the
 * scheduler runs the poll on one of them, but a refresh or a push event can
 * poll on the other at the same time): every write that leads to a
 * notification must happen once.
 */
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const ids = databases.eachSupportedId();
const ENTITY = 'component:default/fraud-detector';

async function twoStores(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  const a = await DatabaseMlGitopsStore.create({
    database: { getClient: async () => knex },
  });
  const b = await DatabaseMlGitopsStore.create({
    database: { getClient: async () => knex },
    skipMigrations: true,
  });
  return { knex, a, b };
}

describe('DatabaseMlGitopsStore with two instances', () => {
  it.each(ids)(
    'opens one drift episode when both open it at once on %p',
    async databaseId => {
      const { a, b } = await twoStores(databaseId as TestDatabaseId);
      const episode = {
        entityRef: ENTITY,
        environment: 'production',
        startedAt: '2026-11-28T00:00:00.000Z',
        reason: 'live version 12 differs from the declared version 11',
      };
      const results = await Promise.all([
        a.openDriftEpisode(episode),
        b.openDriftEpisode(episode),
        a.openDriftEpisode(episode),
        b.openDriftEpisode(episode),
      ]);
      expect(results.filter(r => r.created)).toHaveLength(1);
      expect(new Set(results.map(r => r.episode.id)).size).toBe(1);
      expect(await a.listDriftEpisodes(ENTITY, 10)).toHaveLength(1);

      // Closing at once: one instance closes it and reports it.
      const closed = await Promise.all([
        a.closeDriftEpisode(ENTITY, 'production', '2026-11-28T01:00:00.000Z'),
        b.closeDriftEpisode(ENTITY, 'production', '2026-11-28T01:00:00.000Z'),
      ]);
      expect(closed.filter(Boolean)).toHaveLength(1);

      // A later drift opens a new episode.
      const next = await b.openDriftEpisode({
        ...episode,
        startedAt: '2026-11-28T02:00:00.000Z',
      });
      expect(next.created).toBe(true);
      expect(await a.listDriftEpisodes(ENTITY, 10)).toHaveLength(2);
    },
  );

  it.each(ids)(
    'records the start of serving once when both see it on %p',
    async databaseId => {
      const { a, b } = await twoStores(databaseId as TestDatabaseId);
      await a.recordDeployments(ENTITY, [
        {
          environment: 'production',
          version: '11',
          previousVersion: '12',
          commit: 'b'.repeat(40),
          author: 'linus',
          committedAt: '2026-11-28T00:00:00.000Z',
          kind: 'rollback',
        },
      ]);
      const served = await Promise.all([
        a.markServing(ENTITY, 'production', '11', '2026-11-28T00:03:00.000Z'),
        b.markServing(ENTITY, 'production', '11', '2026-11-28T00:03:00.000Z'),
      ]);
      expect(served.filter(Boolean)).toHaveLength(1);
      expect(served.find(Boolean)?.timeToServeSeconds).toBe(180);
    },
  );

  it.each(ids)(
    'repairs episodes left open twice by an earlier race when migrating on %p',
    async databaseId => {
      const knex = await databases.init(databaseId as TestDatabaseId);
      const directory = DatabaseMlGitopsStore.migrationsDir;
      await knex.migrate.up({ directory, name: '20261128000000_init.js' });
      await knex('ml_gitops_drift_episodes').insert([
        {
          entity_ref: ENTITY,
          environment: 'production',
          started_at: '2026-11-27T00:00:00.000Z',
          ended_at: null,
          reason: 'first',
        },
        {
          entity_ref: ENTITY,
          environment: 'production',
          started_at: '2026-11-27T00:00:01.000Z',
          ended_at: null,
          reason: 'second',
        },
      ]);
      await knex.migrate.latest({ directory });
      const store = await DatabaseMlGitopsStore.create({
        database: { getClient: async () => knex },
      });
      const open = await store.getOpenDriftEpisode(ENTITY, 'production');
      expect(open?.reason).toBe('second');
      const episodes = await store.listDriftEpisodes(ENTITY, 10);
      expect(episodes.find(e => e.reason === 'first')?.endedAt).toBe(
        '2026-11-27T00:00:01.000Z',
      );
      // Down and up again keeps the data readable.
      await knex.migrate.rollback({ directory });
      await knex.migrate.latest({ directory });
      expect(
        (await store.getOpenDriftEpisode(ENTITY, 'production'))?.reason,
      ).toBe('second');
    },
  );
});
