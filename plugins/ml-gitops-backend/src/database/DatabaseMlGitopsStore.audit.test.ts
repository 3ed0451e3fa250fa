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
import {
  AuditEvent,
  Deployment,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { readEventPage } from '../service/auditEvents';
import { DatabaseMlGitopsStore } from './DatabaseMlGitopsStore';

/*
 * "As of" answers and the export, read from the store on SQLite and
 * PostgreSQL, at the boundaries that matter to an audit: before the first
 * observation, the instant of a merge, during a drift episode, after a
 * rollback.
 */

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const ids = databases.eachSupportedId();

const ENTITY = 'component:default/fraud-detector';
const OTHER = 'component:default/churn-predictor';
const ENVIRONMENTS = ['dev', 'staging', 'production'];

async function createStore(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  return DatabaseMlGitopsStore.create({
    database: { getClient: async () => knex },
  });
}

function deployment(
  version: string,
  committedAt: string,
  more: Partial<Deployment> = {},
): Deployment {
  return {
    environment: 'production',
    version,
    commit: `${version}`.padEnd(40, 'c'),
    author: 'ada',
    committedAt,
    kind: 'deploy',
    ...more,
  };
}

/**
 * The production history of the fraud detector, recorded as the poller
 * records it (each deployment, then its first serving):
 * - 10 merged Nov 1 (read from Git's past: never seen serving);
 * - 11 promoted Nov 2 10:00 through PR #7, serving from 10:03;
 * - drifted Nov 3 08:00 to 09:00;
 * - 12 deployed Nov 4 10:00, serving from 10:02;
 * - rolled back to 11 Nov 5 12:00 (latency regression), serving from 12:04.
 */
async function recordHistory(store: DatabaseMlGitopsStore) {
  await store.recordDeployments(ENTITY, [
    deployment('10', '2026-11-01T10:00:00.000Z'),
  ]);
  await store.recordDeployments(ENTITY, [
    deployment('11', '2026-11-02T10:00:00.000Z', {
      kind: 'promotion',
      previousVersion: '10',
      author: 'grace',
      pullRequest: {
        number: 7,
        url: 'https://github.com/acme/fraud-detector-config/pull/7',
        mergedBy: 'linus',
        reviewers: ['margaret'],
      },
    }),
  ]);
  await store.markServing(
    ENTITY,
    'production',
    '11',
    '2026-11-02T10:03:00.000Z',
  );
  await store.openDriftEpisode({
    entityRef: ENTITY,
    environment: 'production',
    startedAt: '2026-11-03T08:00:00.000Z',
    reason: 'live version 9 differs from the declared 11',
  });
  await store.closeDriftEpisode(
    ENTITY,
    'production',
    '2026-11-03T09:00:00.000Z',
  );
  await store.recordDeployments(ENTITY, [
    deployment('12', '2026-11-04T10:00:00.000Z', { previousVersion: '11' }),
  ]);
  await store.markServing(
    ENTITY,
    'production',
    '12',
    '2026-11-04T10:02:00.000Z',
  );
  await store.recordDeployments(ENTITY, [
    deployment('11', '2026-11-05T12:00:00.000Z', {
      commit: 'r'.repeat(40),
      kind: 'rollback',
      previousVersion: '12',
      reason: 'latency regression',
    }),
  ]);
  await store.markServing(
    ENTITY,
    'production',
    '11',
    '2026-11-05T12:04:00.000Z',
  );
}

async function productionAt(store: DatabaseMlGitopsStore, at: string) {
  const items = await store.getStateAt({
    entityRef: ENTITY,
    at,
    environments: ENVIRONMENTS,
  });
  return items.find(i => i.environment === 'production')!;
}

describe('DatabaseMlGitopsStore: as of', () => {
  it.each(ids)(
    'before the first recorded deployment nothing is certain on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      const item = await productionAt(store, '2026-10-31T00:00:00.000Z');
      expect(item).toEqual({
        entityRef: ENTITY,
        environment: 'production',
        declared: null,
        serving: null,
        certain: false,
        note: 'No deployment is recorded at or before 2026-10-31T00:00:00.000Z: the history read from Git starts at 2026-11-01T10:00:00.000Z. This is before the first observation of a serving version in this environment (2026-11-02T10:03:00.000Z).',
      });
    },
  );

  it.each(ids)(
    'before the first observation of serving, Git declared but serving is unknown on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      const item = await productionAt(store, '2026-11-01T12:00:00.000Z');
      expect(item.declared).toMatchObject({ version: '10', kind: 'deploy' });
      expect(item.serving).toBeNull();
      expect(item.certain).toBe(false);
      expect(item.note).toContain(
        'before the first observation of a serving version in this environment (2026-11-02T10:03:00.000Z)',
      );
    },
  );

  it.each(ids)(
    'at the instant of a merge Git declares the new version and the old one is shown serving, uncertain, on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);

      const justBefore = await productionAt(store, '2026-11-04T09:59:59.999Z');
      expect(justBefore.declared).toMatchObject({
        version: '11',
        kind: 'promotion',
        author: 'grace',
        committedAt: '2026-11-02T10:00:00.000Z',
        pullRequest: { number: 7, mergedBy: 'linus', reviewers: ['margaret'] },
      });
      expect(justBefore.serving).toEqual({
        version: '11',
        since: '2026-11-02T10:03:00.000Z',
      });
      expect(justBefore.certain).toBe(true);
      expect(justBefore.note).toBeUndefined();

      const atMerge = await productionAt(store, '2026-11-04T10:00:00.000Z');
      expect(atMerge.declared).toMatchObject({
        version: '12',
        commit: '12'.padEnd(40, 'c'),
        committedAt: '2026-11-04T10:00:00.000Z',
      });
      expect(atMerge.serving).toEqual({
        version: '11',
        since: '2026-11-02T10:03:00.000Z',
      });
      expect(atMerge.certain).toBe(false);
      expect(atMerge.note).toBe(
        'Version 12 was merged at 2026-11-04T10:00:00.000Z and was first seen serving at 2026-11-04T10:02:00.000Z. Version 11 is the last version seen serving before (from 2026-11-02T10:03:00.000Z); what served during the rollout is not recorded.',
      );

      const served = await productionAt(store, '2026-11-04T10:02:00.000Z');
      expect(served.serving).toEqual({
        version: '12',
        since: '2026-11-04T10:02:00.000Z',
      });
      expect(served.certain).toBe(true);
    },
  );

  it.each(ids)(
    'during a drift episode the serving version is unknown, and certain again at its end, on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);

      const during = await productionAt(store, '2026-11-03T08:30:00.000Z');
      expect(during.declared).toMatchObject({ version: '11' });
      expect(during.serving).toEqual({
        version: null,
        since: '2026-11-03T08:00:00.000Z',
      });
      expect(during.certain).toBe(false);
      expect(during.note).toBe(
        'Drifted from Git from 2026-11-03T08:00:00.000Z to 2026-11-03T09:00:00.000Z: live version 9 differs from the declared 11. The version serving during a drift episode is not recorded.',
      );

      const atStart = await productionAt(store, '2026-11-03T08:00:00.000Z');
      expect(atStart.certain).toBe(false);
      const atEnd = await productionAt(store, '2026-11-03T09:00:00.000Z');
      expect(atEnd.serving).toEqual({
        version: '11',
        since: '2026-11-02T10:03:00.000Z',
      });
      expect(atEnd.certain).toBe(true);
    },
  );

  it.each(ids)(
    'an open drift episode covers every later instant on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      await store.openDriftEpisode({
        entityRef: ENTITY,
        environment: 'production',
        startedAt: '2026-11-06T00:00:00.000Z',
        reason: 'out of sync',
      });
      const item = await productionAt(store, '2026-11-20T00:00:00.000Z');
      expect(item.certain).toBe(false);
      expect(item.note).toContain('(still open): out of sync');
    },
  );

  it.each(ids)(
    'after a rollback Git declares the version brought back, with its reason, serving once seen, on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);

      const rollingBack = await productionAt(store, '2026-11-05T12:02:00.000Z');
      expect(rollingBack.declared).toMatchObject({
        version: '11',
        kind: 'rollback',
        reason: 'latency regression',
      });
      expect(rollingBack.serving).toEqual({
        version: '12',
        since: '2026-11-04T10:02:00.000Z',
      });
      expect(rollingBack.certain).toBe(false);

      const after = await productionAt(store, '2026-11-05T13:00:00.000Z');
      expect(after).toEqual({
        entityRef: ENTITY,
        environment: 'production',
        declared: {
          version: '11',
          commit: 'r'.repeat(40),
          committedAt: '2026-11-05T12:00:00.000Z',
          author: 'ada',
          kind: 'rollback',
          reason: 'latency regression',
        },
        serving: { version: '11', since: '2026-11-05T12:04:00.000Z' },
        certain: true,
      });
    },
  );

  it.each(ids)(
    'answers every configured environment in order, then those with history only, on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      await store.recordDeployments(ENTITY, [
        deployment('3', '2026-11-01T00:00:00.000Z', { environment: 'qa' }),
      ]);
      const items = await store.getStateAt({
        entityRef: ENTITY,
        at: '2026-11-10T00:00:00.000Z',
        environments: ENVIRONMENTS,
      });
      expect(items.map(i => i.environment)).toEqual([
        'dev',
        'staging',
        'production',
        'qa',
      ]);
      expect(items[0]).toEqual({
        entityRef: ENTITY,
        environment: 'dev',
        declared: null,
        serving: null,
        certain: false,
        note: 'Nothing is recorded for this environment: no deployment was read from Git and no version was seen serving',
      });
      expect(items[3].declared?.version).toBe('3');
    },
  );

  it.each(ids)(
    'keeps the first checks of a deployment and shows them as of then on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      const commit = '12'.padEnd(40, 'c');
      const checks = {
        checkedAt: '2026-11-04T10:00:30.000Z',
        registry: {
          exists: true,
          gate: 'passed' as const,
          metrics: { auc: 0.95 },
          thresholds: { auc: { min: 0.92 } },
        },
        frozen: { reason: 'incident 4711' },
      };
      expect(
        await store.recordDeploymentChecks(
          ENTITY,
          'production',
          commit,
          checks,
        ),
      ).toBe(true);
      expect(
        await store.recordDeploymentChecks(ENTITY, 'production', commit, {
          ...checks,
          checkedAt: '2026-11-04T11:00:00.000Z',
        }),
      ).toBe(false);
      const item = await productionAt(store, '2026-11-04T12:00:00.000Z');
      expect(item.declared?.checks).toEqual(checks);
    },
  );
});

describe('DatabaseMlGitopsStore: audit export', () => {
  it.each(ids)(
    'lists models with a status or history only, by page, on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      const status: EnvironmentStatus = {
        name: 'dev',
        declared: null,
        live: null,
        registry: null,
        drift: { state: 'unknown' },
      };
      await store.replaceStatuses(OTHER, 'churn-predictor', [status]);
      await store.replaceStatuses(ENTITY, 'fraud-detector', [status]);
      // A model that left the catalog: history only.
      await store.recordDeployments('component:default/retired', [
        deployment('1', '2026-11-01T00:00:00.000Z'),
      ]);
      const first = await store.listAuditModels({ limit: 2 });
      expect(first).toEqual({ entityRefs: [OTHER, ENTITY], more: true });
      const second = await store.listAuditModels({ limit: 2, after: ENTITY });
      expect(second).toEqual({
        entityRefs: ['component:default/retired'],
        more: false,
      });
    },
  );

  it.each(ids)(
    'pages deployments and overlapping drift episodes in time order with keyset positions on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      // Two deployments of another model at the same instant as one of ours.
      await store.recordDeployments(OTHER, [
        deployment('5', '2026-11-04T10:00:00.000Z', { environment: 'dev' }),
        deployment('6', '2026-11-04T10:00:00.000Z', { environment: 'staging' }),
      ]);
      const scope = {
        from: '2026-11-02T00:00:00.000Z',
        to: '2026-11-05T12:00:00.000Z',
      };
      const seen: AuditEvent[] = [];
      let position = {};
      let pages = 0;
      for (;;) {
        const page = await readEventPage(store, scope, position, 2);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items);
        pages++;
        if (!page.next) break;
        position = page.next;
      }
      expect(pages).toBe(3);
      expect(
        seen.map(e =>
          e.type === 'deployment'
            ? `${e.at} ${e.entityRef} ${e.environment} ${e.version}`
            : `${e.at} drift ${e.endedAt}`,
        ),
      ).toEqual([
        `2026-11-02T10:00:00.000Z ${ENTITY} production 11`,
        '2026-11-03T08:00:00.000Z drift 2026-11-03T09:00:00.000Z',
        `2026-11-04T10:00:00.000Z ${ENTITY} production 12`,
        `2026-11-04T10:00:00.000Z ${OTHER} dev 5`,
        `2026-11-04T10:00:00.000Z ${OTHER} staging 6`,
      ]);
      const promotion = seen[0];
      expect(promotion).toMatchObject({
        type: 'deployment',
        kind: 'promotion',
        author: 'grace',
        pullRequest: { number: 7, reviewers: ['margaret'] },
        servingAt: '2026-11-02T10:03:00.000Z',
        timeToServeSeconds: 180,
      });

      // The rollback is at the range's end, which is exclusive; a range that
      // ends later has it, with its reason.
      const rollback = await store.listDeploymentEvents({
        ...scope,
        to: '2026-11-06T00:00:00.000Z',
        entityRef: ENTITY,
        after: { at: '2026-11-04T10:00:00.000Z', id: '999999' },
        limit: 10,
      });
      expect(rollback.map(r => r.event)).toEqual([
        expect.objectContaining({
          kind: 'rollback',
          reason: 'latency regression',
          timeToServeSeconds: 240,
        }),
      ]);
    },
  );

  it.each(ids)(
    'lists a drift episode that started before the range but overlaps it on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      const overlapping = await store.listDriftEvents({
        from: '2026-11-03T08:30:00.000Z',
        to: '2026-11-04T00:00:00.000Z',
        limit: 10,
      });
      expect(overlapping.map(r => r.event.startedAt)).toEqual([
        '2026-11-03T08:00:00.000Z',
      ]);
      const after = await store.listDriftEvents({
        from: '2026-11-03T09:00:01.000Z',
        to: '2026-11-04T00:00:00.000Z',
        limit: 10,
      });
      expect(after).toEqual([]);
    },
  );

  it.each(ids)(
    'lists drift episodes of one environment, newest first, on %p',
    async databaseId => {
      const store = await createStore(databaseId as TestDatabaseId);
      await recordHistory(store);
      await store.openDriftEpisode({
        entityRef: ENTITY,
        environment: 'staging',
        startedAt: '2026-11-06T00:00:00.000Z',
        reason: 'out of sync',
      });
      expect(
        (await store.listDriftEpisodes(ENTITY, 10)).map(e => e.environment),
      ).toEqual(['staging', 'production']);
      expect(await store.listDriftEpisodes(ENTITY, 10, 'production')).toEqual([
        expect.objectContaining({
          startedAt: '2026-11-03T08:00:00.000Z',
          endedAt: '2026-11-03T09:00:00.000Z',
        }),
      ]);
    },
  );
});
