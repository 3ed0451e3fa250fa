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

import { createServiceFactory } from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { statusSignalKey } from '@ml-gitops/plugin-ml-gitops-common';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import knexFactory, { Knex } from 'knex';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { parseStreamFields, selectStreamFields } from 'sandbox';
import {
  argoCdApplication,
  argoCdListAnswer,
  argoCdVersionHandler,
} from './__testUtils__/argoCd';
import { eventually, TestEventStream } from './__testUtils__/eventStreams';
import { modelEntity } from './__testUtils__/modelEntity';
import { mlGitopsPlugin } from './plugin';

/**
 * Two backend replicas on one PostgreSQL database with the real Backstage
 * scheduler: the watches run on the replica that holds the `global` watch
 * task, never on both, so a change is resolved, stored, announced and
 * signalled once. When that replica stops, the other takes the task over
 * and watches from a fresh start. Whichever replica ran the first poll,
 * one of the two watchers never did, so each run checks that a watcher
 * resolves changes without having polled.
 */

const ARGOCD = 'https://argocd.example.com';
const STREAM = `${ARGOCD}/api/v1/stream/applications`;
const FRAUD = 'component:default/fraud-detector';
const entity = modelEntity('fraud-detector');

/** Each replica presents its own Argo CD token: the stream says who watches. */
const config = (token: string) => ({
  integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
  mlGitops: {
    environments: ['dev', 'staging', 'production'],
    schedule: { frequency: { hours: 1 }, timeout: { minutes: 1 } },
    argocd: { instances: [{ name: 'main', url: ARGOCD, token }] },
  },
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const postgres = databases.eachSupportedId().length > 0;

(postgres ? describe : describe.skip)(
  'two backend replicas watching on one PostgreSQL database',
  () => {
    const server = setupServer(argoCdVersionHandler(ARGOCD));
    beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
    afterAll(() => server.close());
    afterEach(() => server.resetHandlers());

    const extraClients: Knex[] = [];
    afterAll(async () => {
      await Promise.all(extraClients.map(k => k.destroy()));
    });

    it('watches on one replica at a time, and hands over when it stops', async () => {
      const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
      const v12 = repo.commit({
        branch: 'dev',
        message: 'Deploy 12',
        login: 'ada',
        date: '2026-10-20T10:00:00Z',
        files: { 'deploy/model.yaml': manifest('12') },
      });
      repo.branches.set('staging', v12);
      repo.branches.set('production', v12);
      const app = (environment: string, syncStatus = 'Synced') =>
        argoCdApplication({
          model: 'fraud-detector',
          environment,
          syncStatus,
          revision: v12,
          operation: {
            phase: 'Succeeded',
            startedAt: '2026-10-20T10:01:00Z',
            finishedAt: '2026-10-20T10:02:00Z',
          },
        });
      // What Argo CD lists, as the changes written to the streams leave it.
      const listed: Record<string, string> = {
        dev: 'Synced',
        staging: 'Synced',
        production: 'Synced',
      };
      const streams: Array<{
        token: string;
        request: Request;
        stream: TestEventStream;
      }> = [];
      /** One event on a stream, of the Application as Argo CD lists it. */
      const event = (at: number, type: string, environment: string) => {
        const { request, stream } = streams[at];
        const fields = parseStreamFields(
          new URL(request.url).searchParams.get('fields'),
        );
        stream.write(
          `data: ${JSON.stringify(
            selectStreamFields(
              { type, application: app(environment, listed[environment]) },
              fields,
            ),
          )} \n\n`,
        );
      };
      /** Argo CD reports a change on a stream, and lists it from then on. */
      const modify = (at: number, environment: string, syncStatus: string) => {
        listed[environment] = syncStatus;
        event(at, 'MODIFIED', environment);
      };
      server.use(
        ...repo.handlers(),
        http.get(`${ARGOCD}/api/v1/applications`, ({ request }) =>
          argoCdListAnswer(
            request,
            ['dev', 'staging', 'production'].map(e => app(e, listed[e])),
          ),
        ),
        http.get(STREAM, ({ request }) => {
          const stream = new TestEventStream(request, 'text/event-stream');
          streams.push({
            token: request.headers.get('authorization') ?? '',
            request,
            stream,
          });
          // Without a resourceVersion, Argo CD's stream starts with every
          // Application as ADDED (server/application/application.go Watch).
          if (!new URL(request.url).searchParams.has('resourceVersion')) {
            for (const environment of Object.keys(listed)) {
              event(streams.length - 1, 'ADDED', environment);
            }
          }
          return stream.response;
        }),
      );

      const knexA = await databases.init('POSTGRES_15');
      const knexB = knexFactory(knexA.client.config);
      extraClients.push(knexB);
      const send = jest.fn(async () => {});
      const published: string[] = [];
      const replica = (knex: Knex, token: string) =>
        startTestBackend({
          features: [
            mlGitopsPlugin,
            mockServices.rootConfig.factory({ data: config(token) }),
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
              factory: () => ({
                publish: async (signal: { message: unknown }) => {
                  published.push(
                    ...(signal.message as { keys: string[] }).keys,
                  );
                },
              }),
            }),
          ],
        });
      const backends = new Map([
        ['Bearer argo-a', await replica(knexA, 'argo-a')],
        ['Bearer argo-b', await replica(knexB, 'argo-b')],
      ]);
      const stored = async () =>
        JSON.parse(
          (
            await knexA('ml_gitops_environment_status')
              .where({ entity_ref: FRAUD, environment: 'production' })
              .first()
          ).status,
        );
      /**
       * Waits until no stream was opened for longer than the scheduler's
       * work check (5 s): any watch a second replica would start has started.
       */
      const settle = async () => {
        let last = streams.length;
        let since = Date.now();
        while (Date.now() - since < 7_000) {
          await new Promise(resolve => setTimeout(resolve, 200));
          if (streams.length !== last) {
            last = streams.length;
            since = Date.now();
          }
        }
      };

      try {
        await eventually(() => streams.length >= 1, 'a watch', 30_000);
        await settle();
        // One replica watches: one stream, with that replica's token.
        expect(streams).toHaveLength(1);
        const holder = streams[0].token;
        await eventually(
          () => published.includes(statusSignalKey(FRAUD)),
          'the first cycle',
          30_000,
        );
        expect((await stored()).drift.state).toBe('in-sync');

        // A change by hand: resolved, stored and announced once.
        const before = published.length;
        const { stream } = streams[0];
        modify(0, 'production', 'OutOfSync');
        await eventually(
          () => published.length > before,
          'the signal of the change',
          30_000,
        );
        expect((await stored()).drift.state).toBe('drifted');
        await settle();
        expect(published.slice(before)).toEqual([statusSignalKey(FRAUD)]);
        expect(send).toHaveBeenCalledTimes(1);

        // The holder stops: its stream closes, and the other replica
        // watches from a fresh start.
        await backends.get(holder)!.stop();
        backends.delete(holder);
        expect(stream.closed).toBe(true);
        await eventually(() => streams.length === 2, 'the hand-over', 30_000);
        expect(streams[1].token).not.toBe(holder);
        await settle();
        expect(streams).toHaveLength(2);

        // The replica watching now may never have run the scheduled poll
        // (a global task, held by whichever claimed it): it still resolves
        // what its watch reports.
        const handedOver = published.length;
        modify(1, 'production', 'Synced');
        await eventually(
          () => published.length > handedOver,
          'the signal of the change after the hand-over',
          30_000,
        );
        expect((await stored()).drift.state).toBe('in-sync');
      } finally {
        await Promise.all([...backends.values()].map(b => b.stop()));
      }
    }, 120_000);
  },
);

if (!postgres) {
  it('runs the watching replicas test against PostgreSQL where it is required', () => {
    // scripts/test.sh provides PostgreSQL and sets ML_GITOPS_REQUIRE_POSTGRES.
    expect(process.env.ML_GITOPS_REQUIRE_POSTGRES).toBeFalsy();
  });
}
