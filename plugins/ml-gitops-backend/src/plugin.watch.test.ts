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
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  EnvironmentStatus,
  statusSignalKey,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { parseStreamFields, selectStreamFields } from 'sandbox';
import request from 'supertest';
import {
  argoCdApplication,
  ArgoCdAppInput,
  argoCdListAnswer,
  argoCdVersionHandler,
} from './__testUtils__/argoCd';
import { eventually, TestEventStream } from './__testUtils__/eventStreams';
import { modelEntity } from './__testUtils__/modelEntity';
import {
  apiGroup,
  inferenceService,
  KUBE,
  kubeList,
} from './providers/canary/__testUtils__/fixtures';
import { mlGitopsPlugin } from './plugin';
import { WATCH_TASK } from './poller/FleetWatches';

/*
 * The watches wired into the plugin: with the scheduled poll set to once an
 * hour, only Argo CD's application event stream and the cluster's
 * InferenceService watch can explain a status that changes. Applications
 * as Argo CD's API answers them (__testUtils__/argoCd), stream events as
 * its stream forwarder filters them (the sandbox's emulation of it),
 * InferenceServices as KServe writes them (fixtures checked against the
 * CRD), watch lines as kubernetes.io "API concepts" describes them.
 */

const ARGOCD = 'https://argocd.example.com';
const STREAM = `${ARGOCD}/api/v1/stream/applications`;
const ISVCS = `${KUBE}/apis/serving.kserve.io/v1beta1/inferenceservices`;
const REF = 'component:default/fraud-detector';
const entity = modelEntity('fraud-detector');

const baseConfig = {
  integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
  // Without the Kubernetes backend plugin, the config's clusters are read
  // directly.
  kubernetes: {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: [
          {
            name: 'prod-eu',
            url: KUBE,
            authProvider: 'serviceAccount',
            serviceAccountToken: 'sa-token',
          },
        ],
      },
    ],
  },
  mlGitops: {
    environments: ['dev', 'staging', 'production'],
    // One cycle at start, then none within the test.
    schedule: { frequency: { hours: 1 }, timeout: { minutes: 1 } },
    argocd: { instances: [{ name: 'main', url: ARGOCD, token: 'argo-token' }] },
  },
};

/** Version 12 declared a month and a half ago, on every branch. */
function configRepo() {
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
  return { repo, v12 };
}

/** One server-sent event of the stream, filtered by the request's `fields`. */
function sse(
  streamRequest: Request,
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  application: unknown,
) {
  const fields = parseStreamFields(
    new URL(streamRequest.url).searchParams.get('fields'),
  );
  return `data: ${JSON.stringify(
    selectStreamFields({ type, application }, fields),
  )} \n\n`;
}

/** One line of a Kubernetes watch. */
const watchLine = (type: string, object: unknown) =>
  `${JSON.stringify({ type, object })}\n`;

/** A KServe object at a resource version, as the API server holds it. */
function isvc(
  options: Parameters<typeof inferenceService>[0],
  resourceVersion: string,
) {
  const object = inferenceService({ name: 'fraud-detector', ...options });
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

// A backend start and a poll cycle each, on a loaded CI machine.
jest.setTimeout(60_000);

describe('mlGitopsPlugin: the watches between polls', () => {
  const server = setupServer(argoCdVersionHandler(ARGOCD));
  // Requests to the test backend itself (the API, the Kubernetes plugin's
  // absent routes) go through.
  beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());

  async function start(configOverride: JsonObject = {}) {
    const { repo, v12 } = configRepo();
    const app = (input: Partial<ArgoCdAppInput> & { environment: string }) =>
      argoCdApplication({
        model: 'fraud-detector',
        revision: v12,
        operation: {
          phase: 'Succeeded',
          startedAt: '2026-10-20T10:01:00Z',
          finishedAt: '2026-10-20T10:02:00Z',
        },
        ...input,
      });
    const calls = { argoLists: 0, isvcLists: 0 };
    const streams: Array<{ request: Request; stream: TestEventStream }> = [];
    const kubeWatches: TestEventStream[] = [];
    const servedIsvcs = ['dev', 'staging', 'production'].map((environment, i) =>
      isvc({ environment, version: '12' }, String(700 + i)),
    );
    server.use(
      ...repo.handlers(),
      http.get(`${ARGOCD}/api/v1/applications`, ({ request: req }) => {
        calls.argoLists += 1;
        return argoCdListAnswer(
          req,
          ['dev', 'staging', 'production'].map(environment =>
            app({ environment }),
          ),
        );
      }),
      http.get(STREAM, ({ request: req }) => {
        const stream = new TestEventStream(req, 'text/event-stream');
        streams.push({ request: req, stream });
        return stream.response;
      }),
      http.get(`${KUBE}/apis/serving.kserve.io`, () =>
        HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
      ),
      http.get(`${KUBE}/apis/argoproj.io`, () =>
        HttpResponse.json({ message: 'not found' }, { status: 404 }),
      ),
      http.get(ISVCS, ({ request: req }) => {
        if (new URL(req.url).searchParams.get('watch') !== '1') {
          calls.isvcLists += 1;
          return HttpResponse.json({
            ...kubeList(
              'InferenceServiceList',
              'serving.kserve.io/v1beta1',
              servedIsvcs,
            ),
            metadata: { resourceVersion: '710' },
          });
        }
        const stream = new TestEventStream(
          req,
          'application/json;stream=watch',
        );
        kubeWatches.push(stream);
        return stream.response;
      }),
    );

    const published: string[] = [];
    let scheduler!: SchedulerService;
    const backend = await startTestBackend({
      features: [
        mlGitopsPlugin,
        mockServices.rootConfig.factory({
          data: {
            ...baseConfig,
            mlGitops: { ...baseConfig.mlGitops, ...configOverride },
          },
        }),
        mockServices.scheduler.factory(),
        // The plugin's scheduler, to run the watch task as a replica would.
        createBackendModule({
          pluginId: 'ml-gitops',
          moduleId: 'test-scheduler-handle',
          register(env) {
            env.registerInit({
              deps: { s: coreServices.scheduler },
              async init({ s }) {
                scheduler = s;
              },
            });
          },
        }),
        catalogServiceMock.factory({ entities: [entity] }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({
            publish: async (signal: { message: unknown }) => {
              published.push(
                ...((signal.message as { keys?: string[] }).keys ?? [
                  'no keys',
                ]),
              );
            },
          }),
        }),
      ],
    });
    const status = async (environment: string): Promise<EnvironmentStatus> => {
      const res = await request(backend.server).get(
        `/api/ml-gitops/v1/deployments?entityRef=${REF}`,
      );
      expect(res.status).toBe(200);
      return (res.body.environments as EnvironmentStatus[]).find(
        e => e.name === environment,
      )!;
    };
    /** Waits until a signal for the model is published after `count` others. */
    const signalled = (count: number) =>
      eventually(
        () => published.slice(count).includes(statusSignalKey(REF)),
        'a signal for the model',
        10_000,
      );
    return {
      backend,
      scheduler,
      repo,
      v12,
      app,
      calls,
      streams,
      kubeWatches,
      published,
      status,
      signalled,
    };
  }

  /**
   * Starts the watches and waits until both are connected; `held` ends
   * when the watch task's run ends.
   */
  async function watch(
    t: Awaited<ReturnType<typeof start>>,
  ): Promise<{ held: Promise<void> }> {
    const held = t.scheduler.triggerTask(WATCH_TASK.id);
    await eventually(
      () => t.streams.length === 1 && t.kubeWatches.length === 1,
      'the Argo CD stream and the InferenceService watch',
      10_000,
    );
    return { held };
  }

  it('stores and signals a MODIFIED Application without listing Argo CD again', async () => {
    const t = await start();
    try {
      // The startup cycle listed once and found production in sync.
      expect(t.calls.argoLists).toBe(1);
      expect((await t.status('production')).drift.state).toBe('in-sync');
      await watch(t);
      const gitCalls = t.repo.calls.length;
      const signals = t.published.length;

      // Someone changes production by hand: Argo CD sees it OutOfSync at
      // the declared revision.
      const { request: req, stream } = t.streams[0];
      stream.write(
        sse(
          req,
          'MODIFIED',
          t.app({ environment: 'production', syncStatus: 'OutOfSync' }),
        ),
      );
      await t.signalled(signals);

      const production = await t.status('production');
      expect(production.live?.syncStatus).toBe('OutOfSync');
      // The declaring commit and the last sync are long past the grace
      // period: drifted at once.
      expect(production.drift.state).toBe('drifted');
      expect((await t.status('staging')).drift.state).toBe('in-sync');
      // No list of Argo CD or the cluster, and nothing asked of Git: its
      // branch heads are the ones the cycle read.
      expect(t.calls.argoLists).toBe(1);
      expect(t.calls.isvcLists).toBe(2); // the cycle's, and the watch's start
      expect(t.repo.calls.slice(gitCalls)).toEqual([]);
      // One signal for the one model changed.
      expect(t.published.slice(signals)).toEqual([statusSignalKey(REF)]);
    } finally {
      await t.backend.stop();
    }
  });

  it('makes an environment missing when its Application is deleted', async () => {
    const t = await start();
    try {
      await watch(t);
      const signals = t.published.length;
      const { request: req, stream } = t.streams[0];
      // The deletion of another Application of that name from elsewhere
      // (a different application) changes nothing; this one's does.
      stream.write(
        sse(req, 'DELETED', t.app({ environment: 'staging' })) +
          sse(req, 'DELETED', {
            ...t.app({ environment: 'dev' }),
            metadata: {
              ...t.app({ environment: 'dev' }).metadata,
              name: 'some-other-app',
            },
          }),
      );
      await t.signalled(signals);
      expect((await t.status('staging')).drift.state).toBe('missing');
      expect((await t.status('dev')).drift.state).toBe('in-sync');
      expect(t.calls.argoLists).toBe(1);
    } finally {
      await t.backend.stop();
    }
  });

  it('shows a failing predictor the InferenceService watch reports', async () => {
    const t = await start();
    try {
      expect((await t.status('production')).live?.serving?.state).toBe(
        'serving',
      );
      await watch(t);
      const signals = t.published.length;
      t.kubeWatches[0].write(
        watchLine(
          'MODIFIED',
          isvc(
            {
              environment: 'production',
              version: '12',
              latestCreated: 'fraud-detector-predictor-00005',
              latestReady: 'fraud-detector-predictor-00004',
              conditions: [
                {
                  type: 'PredictorReady',
                  status: 'False',
                  reason: 'RevisionFailed',
                  message:
                    'Revision "fraud-detector-predictor-00005" failed with message: Back-off restarting failed container.',
                },
                { type: 'Ready', status: 'False', reason: 'RevisionFailed' },
              ],
              // The new revision's model cannot load (KServe's ModelStatus).
              modelStatus: {
                states: {
                  activeModelState: 'Loaded',
                  targetModelState: 'FailedToLoad',
                },
                transitionStatus: 'BlockedByFailedLoad',
                lastFailureInfo: {
                  reason: 'ModelLoadFailed',
                  message:
                    'OSError: libgomp.so.1: cannot open shared object file',
                  modelRevisionName: 'fraud-detector-predictor-00005',
                  time: '2026-11-28T09:59:10Z',
                  exitCode: 1,
                },
              },
            },
            '720',
          ),
        ),
      );
      await t.signalled(signals);
      const production = await t.status('production');
      expect(production.live?.serving).toMatchObject({
        state: 'failed',
        failure: { reason: 'ModelLoadFailed' },
      });
      expect(production.drift.state).not.toBe('in-sync');
      expect(production.drift.reason).toMatch(/the predictor fails/);
      expect((await t.status('staging')).live?.serving?.state).toBe('serving');
      expect(t.calls.isvcLists).toBe(2);
    } finally {
      await t.backend.stop();
    }
  });

  it('closes the watches when the backend shuts down', async () => {
    const t = await start();
    const { held } = await watch(t);
    await t.backend.stop();
    // The watch task's run ends, and both connections are closed.
    await expect(held).resolves.toBeUndefined();
    await eventually(
      () => t.streams[0].stream.closed && t.kubeWatches[0].closed,
      'the connections to close',
    );
  });

  it('starts no watch with watch.enabled: false', async () => {
    const t = await start({ watch: { enabled: false } });
    try {
      expect(t.calls.argoLists).toBe(1);
      expect(
        (await t.scheduler.getScheduledTasks()).map(task => task.id),
      ).not.toContain(WATCH_TASK.id);
      await expect(t.scheduler.triggerTask(WATCH_TASK.id)).rejects.toThrow(
        NotFoundError,
      );
      expect(t.streams).toHaveLength(0);
      expect(t.kubeWatches).toHaveLength(0);
    } finally {
      await t.backend.stop();
    }
  });
});
