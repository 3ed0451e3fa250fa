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
  mockServices,
  registerMswTestHooks,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { setupServer } from 'msw/node';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { historyProgressKey } from '../database/MlGitopsStore';
import { modelEntity } from '../__testUtils__/modelEntity';
import { pollerBasics } from '../__testUtils__/pollerBasics';
import { MlGitopsPoller } from './MlGitopsPoller';

const FRAUD = 'component:default/fraud-detector';
const MODEL = 'deploy/model.yaml';
/** Requests of the history walk, as the fake GitHub records them. */
const HISTORY_CALL = /^(commit|contents|pulls-of|pull|reviews):/;

/**
 * fraud-detector's config repo: dev and staging with one commit each,
 * production with 300 first-parent commits, every third one a deployment
 * pushed directly; commit 30 reverts 27 (a rollback, long ago).
 */
function longProductionRepo() {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  for (const branch of ['dev', 'staging']) {
    repo.commit({
      branch,
      message: 'Create config repo',
      login: 'ada',
      date: '2026-01-01T00:00:00Z',
      files: { [MODEL]: manifest('1') },
    });
  }
  for (let i = 0; i < 300; i++) {
    const deploys = i % 3 === 0;
    repo.commit({
      branch: 'production',
      message: i === 30 ? 'Revert "Deploy 10"' : `change ${i}`,
      login: 'ada',
      date: new Date(Date.UTC(2026, 0, 1) + i * 3600_000).toISOString(),
      files: deploys
        ? { [MODEL]: manifest(String(i === 30 ? 9 : i / 3 + 1)) }
        : { [`notes/${i}.md`]: `note ${i}` },
    });
  }
  return repo;
}

describe('MlGitopsPoller: older history', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  registerContractChecks(server);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('reads a 300-commit branch to its first commit over scheduled cycles, never more requests a cycle than the budget, and says so while it reads', async () => {
    const repo = longProductionRepo();
    server.use(...repo.handlers());
    const perCycle = 50;
    const knex = await databases.init('SQLITE_3');
    const { store, mlConfig, git, history, logger } = await pollerBasics(knex, {
      integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
      mlGitops: { historyBackfill: { requestsPerCycle: perCycle } },
    });
    const notifications = { send: jest.fn(async () => {}) };
    const poller = new MlGitopsPoller({
      logger,
      auth: mockServices.auth(),
      catalog: catalogServiceMock.mock({
        queryEntities: async () => {
          const items = [
            modelEntity('fraud-detector', 'group:default/fraud-ml'),
          ];
          return { items, totalItems: items.length, pageInfo: {} };
        },
      }),
      store,
      git,
      history,
      sources: [],
      registries: new Map(),
      config: mlConfig,
      notifications,
      now: () => new Date('2026-03-01T00:00:00Z'),
    });
    const historyCalls = () => repo.calls.filter(c => HISTORY_CALL.test(c));

    await poller.pollAll();
    // The first read: the newest 50 commits of production (and dev and
    // staging whole), then what the budget allows of the older history.
    const firstPage = await store.listHistory({
      entityRef: FRAUD,
      environment: 'production',
      limit: 200,
    });
    expect(firstPage.items[0].version).toBe('100');
    expect(await store.getCacheValue(historyProgressKey(FRAUD))).toEqual([
      'production',
    ]);

    let cycles = 1;
    while (
      ((await store.getCacheValue<string[]>(historyProgressKey(FRAUD))) ?? [])
        .length > 0
    ) {
      cycles += 1;
      expect(cycles).toBeLessThan(30);
      const before = historyCalls().length;
      await poller.pollAll();
      expect(historyCalls().length - before).toBeLessThanOrEqual(perCycle);
    }
    // About 2 requests a commit and 1 more a deployment: ~320 requests
    // for the 250 older commits, in cycles of 50.
    expect(cycles).toBeGreaterThanOrEqual(7);

    const { items, total } = await store.listHistory({
      entityRef: FRAUD,
      environment: 'production',
      limit: 200,
    });
    expect(total).toBe(100);
    expect(items.map(d => d.version)).toEqual(
      Array.from({ length: 100 }, (_, i) => (i === 89 ? '9' : String(100 - i))),
    );
    expect(items[89]).toMatchObject({
      kind: 'rollback',
      previousVersion: '10',
    });
    // Found in the past, the old rollback is no news for the owners.
    expect(notifications.send).not.toHaveBeenCalled();
    expect(await store.getCacheValue(historyProgressKey(FRAUD))).toEqual([]);

    // Read to the first commit: a cycle reads nothing more.
    const before = historyCalls().length;
    await poller.pollAll();
    expect(historyCalls().length).toBe(before);
  });
  it("declares a fleet met for the first time from its heads in one cycle, within the first reads' budget, and reads its history in later cycles", async () => {
    // Six models, each with 8 deployments on every branch.
    const names = Array.from({ length: 6 }, (_, i) => `model-${i}`);
    const repos = names.map(name => {
      const repo = new FakeGithubRepo('acme', `${name}-config`);
      for (const branch of ['dev', 'staging', 'production']) {
        for (let v = 1; v <= 8; v++) {
          repo.commit({
            branch,
            message: `Deploy ${v}`,
            login: 'ada',
            date: new Date(Date.UTC(2026, 0, v)).toISOString(),
            files: { [MODEL]: manifest(String(v)) },
          });
        }
      }
      return repo;
    });
    server.use(...repos.flatMap(r => r.handlers()));
    const firstReadsPerCycle = 40;
    const perCycle = 30;
    const knex = await databases.init('SQLITE_3');
    const { store, mlConfig, git, history, logger } = await pollerBasics(knex, {
      integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
      mlGitops: {
        historyBackfill: {
          requestsPerCycle: perCycle,
          firstReadRequestsPerCycle: firstReadsPerCycle,
        },
      },
    });
    const poller = new MlGitopsPoller({
      logger,
      auth: mockServices.auth(),
      catalog: catalogServiceMock.mock({
        queryEntities: async () => {
          const items = names.map(name =>
            modelEntity(name, 'group:default/ml'),
          );
          return { items, totalItems: items.length, pageInfo: {} };
        },
      }),
      store,
      git,
      history,
      sources: [],
      registries: new Map(),
      config: mlConfig,
      notifications: { send: jest.fn(async () => {}) },
      now: () => new Date('2026-03-01T00:00:00Z'),
    });
    const historyCalls = () =>
      repos.reduce(
        (n, r) => n + r.calls.filter(c => HISTORY_CALL.test(c)).length,
        0,
      );
    const refs = names.map(name => `component:default/${name}`);

    await poller.pollAll();
    // Every model declares the version of each branch's head at once.
    for (const ref of refs) {
      const statuses = (await store.getStatuses(ref)).map(s => s.status);
      expect(statuses.map(s => s.declared?.version)).toEqual(['8', '8', '8']);
    }
    // Reading 18 branches' newest commits whole costs far more than the
    // budgets: the branches beyond them cost at most their head commit and
    // manifest (REST where GraphQL does not answer them).
    const branchesAlone = 6 * 3 * 2;
    expect(historyCalls()).toBeLessThanOrEqual(
      firstReadsPerCycle + perCycle + branchesAlone,
    );
    const progress = async () =>
      (
        await Promise.all(
          refs.map(
            async ref =>
              (await store.getCacheValue<string[]>(historyProgressKey(ref))) ??
              [],
          ),
        )
      ).flat().length;
    expect(await progress()).toBeGreaterThan(0);

    let cycles = 1;
    while ((await progress()) > 0) {
      cycles += 1;
      expect(cycles).toBeLessThan(40);
      const before = historyCalls();
      await poller.pollAll();
      expect(historyCalls() - before).toBeLessThanOrEqual(perCycle);
    }
    // Then every branch's eight deployments are in the history, and the
    // declaring commit is the one that set the version.
    for (const ref of refs) {
      for (const environment of ['dev', 'staging', 'production']) {
        const { items } = await store.listHistory({
          entityRef: ref,
          environment,
          limit: 20,
        });
        expect(items.map(d => d.version)).toEqual([
          '8',
          '7',
          '6',
          '5',
          '4',
          '3',
          '2',
          '1',
        ]);
      }
      const statuses = (await store.getStatuses(ref)).map(s => s.status);
      for (const status of statuses) {
        const { items } = await store.listHistory({
          entityRef: ref,
          environment: status.name,
          limit: 1,
        });
        expect(status.declared?.commit).toBe(items[0].commit);
      }
      // What the backend read after each declared deployment is kept with
      // it for the audit, also where the deployment's row came with a later
      // cycle's history than its declaration.
      const events = await store.listDeploymentEvents({
        from: '2000-01-01T00:00:00.000Z',
        to: '2100-01-01T00:00:00.000Z',
        entityRef: ref,
        limit: 100,
      });
      for (const status of statuses) {
        const declared = events.find(
          e =>
            e.event.environment === status.name &&
            e.event.commit === status.declared?.commit,
        );
        expect({
          ref,
          environment: status.name,
          checks: declared?.event.checks,
        }).toEqual({
          ref,
          environment: status.name,
          checks: { checkedAt: expect.any(String), registry: null },
        });
      }
    }
  });
});
