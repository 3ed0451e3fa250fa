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
import { AutoRollbackStore } from './AutoRollbackStore';
import { DatabaseMlGitopsStore } from './DatabaseMlGitopsStore';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const ids = databases.eachSupportedId();

const KEY = {
  entityRef: 'component:default/fraud-detector',
  environment: 'production',
  declaredCommit: 'c0ffee',
};
const INCIDENT = {
  ...KEY,
  version: '12',
  trigger: 'canary-failed',
  reason: 'Automatic rollback: canary analysis fd-1 of version 12 failed',
};
const T0 = '2026-12-01T10:00:00.000Z';
const plus = (minutes: number) =>
  new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const stale = (now: string) =>
  new Date(Date.parse(now) - 10 * 60_000).toISOString();

/** Two replicas' stores on one database, migrated by the plugin's store. */
async function replicas(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  await DatabaseMlGitopsStore.create({
    database: { getClient: async () => knex },
  });
  const database = { getClient: async () => knex };
  return Promise.all([
    AutoRollbackStore.create({ database }),
    AutoRollbackStore.create({ database }),
  ]);
}

describe.each(ids)('AutoRollbackStore on %p', databaseId => {
  it('lets one of two replicas claim an incident, once', async () => {
    const [a, b] = await replicas(databaseId);
    const claims = await Promise.all([
      a.claim(INCIDENT, T0, stale(T0)),
      b.claim(INCIDENT, T0, stale(T0)),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await a.claim(INCIDENT, plus(1), stale(plus(1)))).toBe(false);
    expect(await a.get(KEY)).toMatchObject({
      ...INCIDENT,
      state: 'opening',
      attempts: 1,
      createdAt: T0,
    });
  });

  it('keeps an opened incident settled, with its pull request', async () => {
    const [a, b] = await replicas(databaseId);
    expect(await a.claim(INCIDENT, T0, stale(T0))).toBe(true);
    await a.finish(
      KEY,
      {
        state: 'opened',
        pullRequest: { number: 7, url: 'https://github.com/acme/r/pull/7' },
      },
      plus(1),
    );
    expect(await b.claim(INCIDENT, plus(60), stale(plus(60)))).toBe(false);
    expect(await b.get(KEY)).toMatchObject({
      state: 'opened',
      pullRequest: { number: 7, url: 'https://github.com/acme/r/pull/7' },
      updatedAt: plus(1),
    });
    expect((await b.get(KEY))?.retryAt).toBeUndefined();
  });

  it('retries a failed incident from its retry time, and one whose replica stopped', async () => {
    const [a, b] = await replicas(databaseId);
    expect(await a.claim(INCIDENT, T0, stale(T0))).toBe(true);
    await a.finish(
      KEY,
      { state: 'failed', detail: 'GitHub answered 502', retryAt: plus(5) },
      T0,
    );
    expect(await b.claim(INCIDENT, plus(4), stale(plus(4)))).toBe(false);
    expect(await b.claim(INCIDENT, plus(5), stale(plus(5)))).toBe(true);
    expect(await b.get(KEY)).toMatchObject({ state: 'opening', attempts: 2 });
    // b stops while opening: after ten minutes another attempt may begin.
    expect(await a.claim(INCIDENT, plus(14), stale(plus(14)))).toBe(false);
    expect(await a.claim(INCIDENT, plus(15), stale(plus(15)))).toBe(true);
    expect((await a.get(KEY))?.attempts).toBe(3);
  });

  it('never retries an incident without a candidate or skipped for good', async () => {
    const [a] = await replicas(databaseId);
    await a.claim(INCIDENT, T0, stale(T0));
    await a.finish(KEY, { state: 'no-candidate', detail: 'Nothing' }, T0);
    expect(await a.claim(INCIDENT, plus(600), stale(plus(600)))).toBe(false);
    const other = { ...INCIDENT, declaredCommit: 'beef' };
    await a.claim(other, T0, stale(T0));
    await a.finish(other, { state: 'skipped', detail: 'moved on' }, T0);
    expect(await a.claim(other, plus(600), stale(plus(600)))).toBe(false);
  });
});
