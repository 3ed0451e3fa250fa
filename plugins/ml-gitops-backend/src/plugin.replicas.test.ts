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
  coreServices,
  createBackendModule,
  createServiceFactory,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import knexFactory, { Knex } from 'knex';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import {
  argoCdApplication,
  argoCdListAnswer,
  argoCdVersionHandler,
} from './__testUtils__/argoCd';
import { modelEntity } from './__testUtils__/modelEntity';
import { mlGitopsPlugin } from './plugin';

/**
 * Two backend replicas on one PostgreSQL database, each with its own
 * connection pool and the real Backstage scheduler: the poll is a `global`
 * task, so each cycle runs on one replica only. Every cycle lists Argo CD
 * and the config repo's branches once, and a drift is announced once.
 */

const ARGOCD = 'https://argocd.example.com';
const FRAUD = 'component:default/fraud-detector';

const entity = modelEntity('fraud-detector');

const config = {
  integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
  mlGitops: {
    environments: ['dev', 'staging', 'production'],
    // One cycle at start, then only when triggered: cycles are countable.
    // A `scope: local` in the config must not make each replica poll.
    schedule: {
      frequency: { hours: 1 },
      timeout: { minutes: 1 },
      scope: 'local',
    },
    argocd: { instances: [{ name: 'main', url: ARGOCD, token: 'argo-token' }] },
    // Polling alone: a replica that holds the watches but not the poll
    // reads the fleet once before watching (by design; see
    // plugin.replicas.watch.test.ts), a list these counts would race with.
    watch: { enabled: false },
  },
};

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const postgres = databases.eachSupportedId().length > 0;

/** A production that runs 11 although Git declared 12 a month ago. */
function fixture() {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  const path = 'deploy/model.yaml';
  const v11 = repo.commit({
    branch: 'dev',
    message: 'Deploy 11',
    login: 'ada',
    date: '2026-10-01T10:00:00Z',
    files: { [path]: manifest('11') },
  });
  const v12 = repo.commit({
    branch: 'dev',
    message: 'Deploy 12',
    login: 'ada',
    date: '2026-10-20T10:00:00Z',
    files: { [path]: manifest('12') },
  });
  repo.branches.set('staging', v12);
  repo.branches.set('production', v12);
  const app = (environment: string, sync: string, revision: string) =>
    argoCdApplication({
      model: 'fraud-detector',
      environment,
      syncStatus: sync,
      revision,
      operation: {
        phase: 'Succeeded',
        startedAt: '2026-10-20T10:01:00Z',
        finishedAt: '2026-10-20T10:02:00Z',
      },
    });
  return {
    repo,
    apps: [
      app('dev', 'Synced', v12),
      app('staging', 'Synced', v12),
      app('production', 'OutOfSync', v11),
    ],
  };
}

(postgres ? describe : describe.skip)(
  'two backend replicas on one PostgreSQL database',
  () => {
    const server = setupServer(argoCdVersionHandler(ARGOCD));
    beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
    afterAll(() => server.close());
    afterEach(() => server.resetHandlers());

    const extraClients: Knex[] = [];
    afterAll(async () => {
      await Promise.all(extraClients.map(k => k.destroy()));
    });

    it('polls once per cycle and announces a drift once', async () => {
      const { repo, apps } = fixture();
      let argoLists = 0;
      server.use(
        ...repo.handlers(),
        http.get(`${ARGOCD}/api/v1/applications`, ({ request }) => {
          argoLists += 1;
          return argoCdListAnswer(request, apps);
        }),
      );
      // Branch heads: one GraphQL query per cycle (REST where it is missing).
      const branchLists = () =>
        repo.calls.filter(c => c === 'graphql' || c === 'branches').length;

      const knexA = await databases.init('POSTGRES_15');
      // The second replica has its own pool to the same database.
      const knexB = knexFactory(knexA.client.config);
      extraClients.push(knexB);

      const send = jest.fn(async () => {});
      const schedulers: SchedulerService[] = [];
      const replica = (knex: Knex) =>
        startTestBackend({
          features: [
            mlGitopsPlugin,
            mockServices.rootConfig.factory({ data: config }),
            mockServices.database.factory({ knex }),
            schedulerServiceFactory,
            catalogServiceMock.factory({ entities: [entity] }),
            createServiceFactory({
              service: notificationService,
              deps: {},
              factory: () => ({ send }),
            }),
            createServiceFactory({
              service: signalsServiceRef,
              deps: {},
              factory: () => ({ publish: async () => {} }),
            }),
            createBackendModule({
              pluginId: 'ml-gitops',
              moduleId: 'test-scheduler-handle',
              register(env) {
                env.registerInit({
                  deps: { scheduler: coreServices.scheduler },
                  async init({ scheduler }) {
                    schedulers.push(scheduler);
                  },
                });
              },
            }),
          ],
        });
      // Started at the same moment, as a deployment does: both migrate the
      // fresh database, one after the other under the advisory lock.
      const backends = await Promise.all([replica(knexA), replica(knexB)]);

      /** Waits until `count()` reaches `n`. */
      const reach = async (count: () => number, n: number) => {
        const deadline = Date.now() + 20_000;
        while (count() < n) {
          if (Date.now() > deadline) {
            throw new Error(`expected ${n}, stayed at ${count()}`);
          }
          await new Promise(resolve => setTimeout(resolve, 50));
        }
      };
      /** Runs one more cycle from the given replica's scheduler. */
      const cycle = async (scheduler: SchedulerService, n: number) => {
        // The previous cycle may still be finishing: then the scheduler
        // refuses the trigger with a ConflictError, and it is tried again.
        const deadline = Date.now() + 20_000;
        for (;;) {
          try {
            await scheduler.triggerTask('ml-gitops-poll');
            break;
          } catch (error) {
            if (!(error instanceof ConflictError) || Date.now() > deadline) {
              throw error;
            }
            await new Promise(resolve => setTimeout(resolve, 100));
          }
        }
        await reach(() => argoLists, n);
      };
      /**
       * Waits until no source was called for longer than the scheduler's
       * work check (5 s), so any run a second replica would add has happened.
       */
      const settle = async () => {
        let last = argoLists;
        let since = Date.now();
        while (Date.now() - since < 6_000) {
          await new Promise(resolve => setTimeout(resolve, 200));
          if (argoLists !== last) {
            last = argoLists;
            since = Date.now();
          }
        }
      };
      const stored = async () =>
        knexA('ml_gitops_environment_status')
          .where({ entity_ref: FRAUD, environment: 'production' })
          .first();

      try {
        // Cycle 1 runs at start, on one of the two replicas, and finds the
        // drift.
        await reach(() => argoLists, 1);
        await reach(() => send.mock.calls.length, 1);
        expect(schedulers).toHaveLength(2);
        await settle();
        expect(argoLists).toBe(1);
        expect(branchLists()).toBe(1);

        // Cycles 2 and 3, triggered from each replica in turn.
        await cycle(schedulers[1], 2);
        await cycle(schedulers[0], 3);
        await settle();

        // Each source was listed once per cycle, never once per replica.
        expect(argoLists).toBe(3);
        expect(branchLists()).toBe(3);
        // The drift was announced once, to the owners, by one replica.
        expect(send).toHaveBeenCalledTimes(1);
        expect(send).toHaveBeenCalledWith(
          expect.objectContaining({
            recipients: { type: 'entity', entityRef: FRAUD },
            payload: expect.objectContaining({
              title: 'fraud-detector: production has drifted from Git',
            }),
          }),
        );
        expect(JSON.parse((await stored()).status).drift.state).toBe('drifted');
        expect(
          await knexA('ml_gitops_drift_episodes').where({
            entity_ref: FRAUD,
          }),
        ).toHaveLength(1);
      } finally {
        await Promise.all(backends.map(b => b.stop()));
      }
    }, 120_000);
  },
);

if (!postgres) {
  it('runs the replica test against PostgreSQL where it is required', () => {
    // scripts/test.sh provides PostgreSQL and sets ML_GITOPS_REQUIRE_POSTGRES.
    expect(process.env.ML_GITOPS_REQUIRE_POSTGRES).toBeFalsy();
  });
}
