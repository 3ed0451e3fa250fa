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
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { DatabaseMlGitopsStore } from './DatabaseMlGitopsStore';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const ids = databases.eachSupportedId();

const ENTITY = 'component:default/fraud-detector';

function status(
  name: string,
  state: EnvironmentStatus['drift']['state'],
  version = '12',
): EnvironmentStatus {
  return {
    name,
    declared: {
      version,
      commit: 'a'.repeat(40),
      author: 'ada',
      committedAt: '2026-11-01T10:00:00.000Z',
    },
    live: null,
    registry: null,
    drift: { state, reason: state === 'in-sync' ? undefined : 'because' },
  };
}

describe('DatabaseMlGitopsStore', () => {
  it('runs against PostgreSQL in CI, not only SQLite', () => {
    // scripts/test.sh starts PostgreSQL and sets ML_GITOPS_REQUIRE_POSTGRES,
    // so the PostgreSQL cases cannot be skipped silently there.
    const expected = process.env.ML_GITOPS_REQUIRE_POSTGRES
      ? ['POSTGRES_15', 'SQLITE_3']
      : ['SQLITE_3'];
    expect(ids.map(([id]) => id)).toEqual(expect.arrayContaining(expected));
  });

  it.each(ids)('migrates up and down on %p', async databaseId => {
    const knex = await databases.init(databaseId as TestDatabaseId);
    const dir = DatabaseMlGitopsStore.migrationsDir;
    await knex.migrate.latest({ directory: dir });
    expect(await knex.schema.hasTable('ml_gitops_deployments')).toBe(true);
    await knex.migrate.rollback({ directory: dir }, true);
    expect(await knex.schema.hasTable('ml_gitops_deployments')).toBe(false);
    expect(await knex.schema.hasTable('ml_gitops_environment_status')).toBe(
      false,
    );
    await knex.migrate.latest({ directory: dir });
    expect(await knex.schema.hasTable('ml_gitops_cache')).toBe(true);
  });

  async function createStore(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    return DatabaseMlGitopsStore.create({
      database: { getClient: async () => knex },
    });
  }

  it.each(ids)(
    'keeps statuses in promotion order and replaces them on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await store.replaceStatuses(ENTITY, 'fraud-detector', [
        status('dev', 'in-sync'),
        status('staging', 'drifted'),
        status('production', 'unknown'),
      ]);
      let stored = await store.getStatuses(ENTITY);
      expect(stored.map(s => s.status.name)).toEqual([
        'dev',
        'staging',
        'production',
      ]);
      expect(stored[1].status.drift.state).toBe('drifted');

      await store.replaceStatuses(ENTITY, 'fraud-detector', [
        status('dev', 'in-sync', '13'),
        status('production', 'in-sync'),
      ]);
      stored = await store.getStatuses(ENTITY);
      expect(stored.map(s => s.status.name)).toEqual(['dev', 'production']);
      expect(stored[0].status.declared?.version).toBe('13');

      const drift = await store.listDrift();
      expect(drift).toEqual([]);
    },
  );

  it.each(ids)(
    'reads changed statuses over several pages on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      // 834 models of three environments: 2,502 rows, three pages and
      // more; names of different lengths so key order is not insert order.
      const names = Array.from({ length: 834 }, (_, i) => `m${i * 7919}`);
      const writes = names.map(name => ({
        entityRef: `component:default/${name}`,
        model: name,
        statuses: ['dev', 'staging', 'production'].map(env => ({
          status: status(env, 'in-sync'),
        })),
      }));
      for (let i = 0; i < writes.length; i += 200) {
        await store.writeStatuses(writes.slice(i, i + 200));
      }
      const all = await store.listStatusesSince();
      expect(all.items).toHaveLength(3 * names.length);
      const keys = all.items.map(
        item => `${item.entityRef} ${item.position} ${item.status.name}`,
      );
      expect(new Set(keys).size).toBe(keys.length);
      const expected = [...names]
        .map(name => `component:default/${name}`)
        .sort()
        .flatMap(ref => [
          `${ref} 0 dev`,
          `${ref} 1 staging`,
          `${ref} 2 production`,
        ]);
      expect([...keys].sort()).toEqual([...expected].sort());
      // Nothing was written after a cursor of now: no row.
      const none = await store.listStatusesSince(new Date().toISOString());
      expect(none.items).toEqual([]);

      // Rows the caller holds as written at their updatedAt are left out;
      // a model written since (another replica) is read again.
      const heldAt = new Map(all.items.map(i => [i.entityRef, i.updatedAt]));
      await new Promise(resolve => setTimeout(resolve, 2));
      const rewritten = await store.writeStatuses([writes[0]]);
      expect(rewritten > heldAt.get(writes[0].entityRef)!).toBe(true);
      const changed = await store.listStatusesSince(
        undefined,
        (ref, updatedAt) => heldAt.get(ref) === updatedAt,
      );
      expect(changed.items.map(i => i.entityRef)).toEqual([
        writes[0].entityRef,
        writes[0].entityRef,
        writes[0].entityRef,
      ]);
      expect(changed.items.map(i => i.updatedAt)).toEqual([
        rewritten,
        rewritten,
        rewritten,
      ]);
    },
  );

  it.each(ids)(
    "reads each environment's newest deployment at once and marks it serving from that read on %p",
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      const at = (
        environment: string,
        version: string,
        c: string,
        day: number,
      ) => ({
        environment,
        version,
        commit: c.repeat(40),
        author: 'ada',
        committedAt: `2026-11-0${day}T10:00:00Z`,
        kind: 'deploy' as const,
      });
      await store.recordDeployments(ENTITY, [
        at('dev', '12', 'a', 1),
        at('dev', '13', 'b', 3),
        at('staging', '12', 'c', 2),
      ]);
      await store.recordDeployments('component:default/other', [
        at('dev', '99', 'd', 4),
      ]);
      await store.recordDeploymentChecks(ENTITY, 'staging', 'c'.repeat(40), {
        checkedAt: '2026-11-02T10:01:00Z',
        registry: null,
      });

      const latest = await store.latestDeployments(ENTITY, [
        'dev',
        'staging',
        'production',
      ]);
      expect([...latest.keys()].sort()).toEqual(['dev', 'staging']);
      expect(latest.get('dev')).toMatchObject({
        since: expect.stringMatching(/^2026-11-03T10:00:00/),
        hasChecks: false,
        deployment: { version: '13', commit: 'b'.repeat(40) },
      });
      expect(latest.get('staging')).toMatchObject({
        hasChecks: true,
        deployment: { version: '12' },
      });
      expect(await store.latestDeployments(ENTITY, [])).toEqual(new Map());

      // Several models at once: the same answer each, a model without any
      // deployment absent, and more model environments than one compound
      // select may hold (SQLite allows 500 arms) split over statements.
      const many = [
        ENTITY,
        'component:default/other',
        'component:default/none',
        ...Array.from({ length: 200 }, (_, i) => `component:default/n${i}`),
      ];
      const of = await store.latestDeploymentsOf(many, [
        'dev',
        'staging',
        'production',
      ]);
      expect([...of.keys()].sort()).toEqual(
        [ENTITY, 'component:default/other'].sort(),
      );
      expect(of.get(ENTITY)).toEqual(latest);
      expect(of.get('component:default/other')?.get('dev')).toMatchObject({
        deployment: { version: '99' },
      });

      // From the read: the same answer as reading it anew.
      const served = await store.markServing(
        ENTITY,
        'dev',
        '13',
        '2026-11-03T10:02:00Z',
        { latest: latest.get('dev') },
      );
      expect(served).toMatchObject({
        version: '13',
        servingAt: '2026-11-03T10:02:00.000Z',
        timeToServeSeconds: 120,
      });
      // Recorded once, whichever read the second attempt starts from.
      expect(
        await store.markServing(ENTITY, 'dev', '13', '2026-11-03T10:09:00Z', {
          latest: latest.get('dev'),
        }),
      ).toBeUndefined();
      expect(
        await store.markServing(ENTITY, 'dev', '13', '2026-11-03T10:09:00Z'),
      ).toBeUndefined();
      // No deployment known: nothing to mark.
      expect(
        await store.markServing(
          ENTITY,
          'production',
          '12',
          '2026-11-03T10:09:00Z',
          { latest: undefined },
        ),
      ).toBeUndefined();
      const history = await store.listHistory({
        entityRef: ENTITY,
        environment: 'dev',
        limit: 5,
      });
      expect(history.items.map(d => d.servingAt)).toEqual([
        '2026-11-03T10:02:00.000Z',
        undefined,
      ]);
    },
  );

  it.each(ids)('lists drift and models in pages on %p', async databaseId => {
    const store = await createStore(databaseId as TestDatabaseId);
    for (const name of ['a', 'b', 'c']) {
      await store.replaceStatuses(`component:default/${name}`, name, [
        status('dev', name === 'b' ? 'drifted' : 'in-sync'),
      ]);
    }
    expect(await store.listDrift()).toEqual([
      {
        entityRef: 'component:default/b',
        environment: 'dev',
        drift: { state: 'drifted', reason: 'because' },
      },
    ]);
    const first = await store.listModels({ limit: 2 });
    expect(first).toEqual({
      entityRefs: ['component:default/a', 'component:default/b'],
      more: true,
    });
    const second = await store.listModels({
      limit: 2,
      after: 'component:default/b',
    });
    expect(second).toEqual({
      entityRefs: ['component:default/c'],
      more: false,
    });
  });

  it.each(ids)(
    'records history without rewriting it and measures time to serve on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      const deploy = {
        environment: 'production',
        version: '12',
        previousVersion: '11',
        commit: 'b'.repeat(40),
        author: 'ada',
        committedAt: '2026-11-01T10:00:00Z',
        kind: 'promotion' as const,
        pullRequest: {
          number: 7,
          url: 'https://github.com/acme/fraud-detector-config/pull/7',
          mergedBy: 'grace',
          reviewers: ['grace'],
        },
      };
      const rollback = {
        environment: 'production',
        version: '11',
        previousVersion: '12',
        commit: 'c'.repeat(40),
        author: 'grace',
        committedAt: '2026-11-02T10:00:00Z',
        kind: 'rollback' as const,
      };
      await store.recordDeployments(ENTITY, [deploy, rollback]);
      // Recording the same commit again changes nothing.
      await store.recordDeployments(ENTITY, [{ ...deploy, author: 'mallory' }]);

      const served = await store.markServing(
        ENTITY,
        'production',
        '11',
        '2026-11-02T10:03:30Z',
      );
      expect(served?.timeToServeSeconds).toBe(210);
      // An older deployment of a version that serves again is not the one
      // serving: only the latest deployment of the environment is marked.
      expect(
        await store.markServing(
          ENTITY,
          'production',
          '12',
          '2026-11-02T10:05:00Z',
        ),
      ).toBeUndefined();
      // Serving is recorded once: a later observation does not move it.
      expect(
        await store.markServing(
          ENTITY,
          'production',
          '11',
          '2026-11-02T11:00:00Z',
        ),
      ).toBeUndefined();

      const { items, total } = await store.listHistory({
        entityRef: ENTITY,
        environment: 'production',
        limit: 10,
      });
      expect(total).toBe(2);
      expect(items).toEqual([
        {
          ...rollback,
          committedAt: '2026-11-02T10:00:00.000Z',
          servingAt: '2026-11-02T10:03:30.000Z',
          timeToServeSeconds: 210,
        },
        { ...deploy, committedAt: '2026-11-01T10:00:00.000Z' },
      ]);

      const page = await store.listHistory({
        entityRef: ENTITY,
        limit: 1,
        offset: 1,
      });
      expect(page.items.map(d => d.commit)).toEqual([deploy.commit]);
      expect(page.total).toBe(2);
      // A page past the end still says how many there are.
      expect(
        await store.listHistory({ entityRef: ENTITY, limit: 10, offset: 5 }),
      ).toEqual({ items: [], total: 2 });
      expect(
        await store.listHistory({
          entityRef: 'component:default/none',
          limit: 10,
        }),
      ).toEqual({ items: [], total: 0 });
    },
  );

  it.each(ids)('opens and closes drift episodes on %p', async databaseId => {
    const store = await createStore(databaseId as TestDatabaseId);
    const opened = await store.openDriftEpisode({
      entityRef: ENTITY,
      environment: 'staging',
      startedAt: '2026-11-01T10:00:00Z',
      reason: 'live 11, Git declares 12',
    });
    expect(opened.created).toBe(true);
    const again = await store.openDriftEpisode({
      entityRef: ENTITY,
      environment: 'staging',
      startedAt: '2026-11-01T10:05:00Z',
      reason: 'still',
    });
    expect(again).toEqual({ episode: opened.episode, created: false });
    const closed = await store.closeDriftEpisode(
      ENTITY,
      'staging',
      '2026-11-01T11:00:00Z',
    );
    expect(closed?.endedAt).toBe('2026-11-01T11:00:00.000Z');
    expect(await store.getOpenDriftEpisode(ENTITY, 'staging')).toBeUndefined();
    expect(await store.listDriftEpisodes(ENTITY, 10)).toHaveLength(1);
  });

  it.each(ids)(
    'lists the open drift episodes of one model on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      const open = (entityRef: string, environment: string) =>
        store.openDriftEpisode({
          entityRef,
          environment,
          startedAt: '2026-11-01T10:00:00Z',
          reason: 'live 11, Git declares 12',
        });
      await open(ENTITY, 'dev');
      await open(ENTITY, 'production');
      await open(ENTITY, 'staging');
      await open('component:default/other-model', 'dev');
      await store.closeDriftEpisode(ENTITY, 'staging', '2026-11-01T11:00:00Z');
      const listed = await store.listOpenDriftEpisodes(ENTITY);
      expect(listed.map(e => e.environment).sort()).toEqual([
        'dev',
        'production',
      ]);
      expect(listed.every(e => e.entityRef === ENTITY && !e.endedAt)).toBe(
        true,
      );
      expect(
        await store.listOpenDriftEpisodes('component:default/none'),
      ).toEqual([]);
      const of = await store.listOpenDriftEpisodesOf([
        ENTITY,
        'component:default/other-model',
        'component:default/none',
      ]);
      expect([...of.keys()].sort()).toEqual(
        [ENTITY, 'component:default/other-model'].sort(),
      );
      expect(of.get(ENTITY)).toEqual(listed);
      expect(of.get('component:default/other-model')?.[0]).toMatchObject({
        environment: 'dev',
      });
    },
  );

  it.each(ids)('keeps cache values on %p', async databaseId => {
    const store = await createStore(databaseId as TestDatabaseId);
    expect(await store.getCacheValue('k')).toBeUndefined();
    await store.setCacheValue('k', { etag: 'W/"1"' });
    await store.setCacheValue('k', { etag: 'W/"2"' });
    expect(await store.getCacheValue('k')).toEqual({ etag: 'W/"2"' });
  });

  it.each(ids)('reads many cache values at once on %p', async databaseId => {
    const store = await createStore(databaseId as TestDatabaseId);
    const keys = Array.from({ length: 1203 }, (_, i) => `k${i}`);
    for (const key of keys.filter((_, i) => i % 100 === 7)) {
      await store.setCacheValue(key, { key });
    }
    const values = await store.getCacheValues<{ key: string }>([...keys, 'k7']);
    expect([...values.keys()].sort()).toEqual(
      keys.filter((_, i) => i % 100 === 7).sort(),
    );
    expect(values.get('k1107')).toEqual({ key: 'k1107' });
    expect(await store.getCacheValues([])).toEqual(new Map());
  });

  it.each(ids)(
    'writes many cache values at once, over several statements, the last of a repeated key standing, on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await store.setCacheValue('k5', { old: true });
      const entries: Array<{ key: string; value: { i: number | string } }> =
        Array.from({ length: 700 }, (_, i) => ({ key: `k${i}`, value: { i } }));
      entries.push({ key: 'k5', value: { i: 'again' } });
      await store.setCacheValues(entries);
      const values = await store.getCacheValues<{ i: number | string }>(
        entries.map(e => e.key),
      );
      expect(values.size).toBe(700);
      expect(values.get('k699')).toEqual({ i: 699 });
      expect(values.get('k5')).toEqual({ i: 'again' });
      await store.setCacheValues([]);
    },
  );
});
