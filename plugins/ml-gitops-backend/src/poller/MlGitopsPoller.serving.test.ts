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
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ArgoCdSource } from '../providers/argocd/ArgoCdSource';
import {
  apiGroup,
  inferenceService,
  KUBE,
  kubeList,
  kubeStatus,
} from '../providers/canary/__testUtils__/fixtures';
import { KubernetesClusterClient } from '../providers/kubernetes/KubernetesClusters';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import {
  argoCdApplication,
  argoCdListAnswer,
  argoCdVersionHandler,
} from '../__testUtils__/argoCd';
import { modelEntity } from '../__testUtils__/modelEntity';
import { pollerBasics } from '../__testUtils__/pollerBasics';
import { MlGitopsPoller } from './MlGitopsPoller';

/*
 * "Live" means the model really serves: a rollback whose predictor
 * crash-loops is neither in sync nor served; its time to serve counts from
 * the merge to the moment the InferenceService is Ready with the model
 * loaded and all its traffic. InferenceServices as KServe writes them
 * (fixtures checked against the CRD), Applications as Argo CD answers.
 */

const ARGOCD = 'https://argocd.example.com';
const REF = 'component:default/churn-predictor';
const entity = modelEntity('churn-predictor', 'group:default/growth-ml');

/** When the rollback was merged. */
const MERGED = '2026-11-28T09:58:00Z';

type Isvc = ReturnType<typeof inferenceService>;

function production(
  options: Parameters<typeof inferenceService>[0] = {},
): Isvc {
  return inferenceService({
    name: 'churn-predictor',
    environment: 'production',
    version: '7',
    traffic: [
      {
        revisionName: 'churn-predictor-predictor-00004',
        percent: 100,
        latestRevision: true,
      },
    ],
    ...options,
  });
}

/** The rollback's new revision crash-loops; the old one keeps the traffic. */
const crashLooping = production({
  latestCreated: 'churn-predictor-predictor-00005',
  latestReady: 'churn-predictor-predictor-00004',
  conditions: [
    {
      type: 'PredictorReady',
      status: 'False',
      reason: 'RevisionFailed',
      message:
        'Revision "churn-predictor-predictor-00005" failed with message: Back-off restarting failed container.',
    },
    { type: 'Ready', status: 'False', reason: 'RevisionFailed' },
  ],
  conditionsAt: '2026-11-28T09:59:00Z',
  modelStatus: {
    states: { activeModelState: 'Loaded', targetModelState: 'FailedToLoad' },
    transitionStatus: 'BlockedByFailedLoad',
    lastFailureInfo: {
      reason: 'ModelLoadFailed',
      message: 'OSError: libgomp.so.1: cannot open shared object file',
      modelRevisionName: 'churn-predictor-predictor-00005',
      time: '2026-11-28T09:59:10Z',
      exitCode: 1,
    },
  },
});

describe('MlGitopsPoller: live means the model serves', () => {
  const server = setupServer(argoCdVersionHandler(ARGOCD));
  registerMswTestHooks(server);
  registerContractChecks(server);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup(options: { serving?: boolean } = {}) {
    const repo = new FakeGithubRepo('acme', 'churn-predictor-config');
    const heads: Record<string, string> = {};
    for (const branch of ['dev', 'staging', 'production']) {
      heads[branch] = repo.commit({
        branch,
        parents: [],
        message: 'Deploy 7',
        login: 'grace',
        date: '2026-11-20T10:00:00Z',
        files: { 'deploy/model.yaml': manifest('7', 'churn-predictor') },
      });
    }
    const broken = repo.commit({
      branch: 'production',
      message: 'Promote 8 to production',
      login: 'grace',
      date: '2026-11-27T08:00:00Z',
      files: { 'deploy/model.yaml': manifest('8', 'churn-predictor') },
    });
    heads.production = repo.commit({
      branch: 'production',
      message: `Revert "Promote 8 to production"\n\nThis reverts commit ${broken}.`,
      login: 'ada',
      date: MERGED,
      files: { 'deploy/model.yaml': manifest('7', 'churn-predictor') },
    });

    const state: { production: Isvc; health: string; kubeDown: boolean } = {
      production: crashLooping,
      health: 'Healthy',
      kubeDown: false,
    };
    server.use(
      ...repo.handlers(),
      http.get(`${ARGOCD}/api/v1/applications`, ({ request }) =>
        argoCdListAnswer(
          request,
          Object.keys(heads).map(env =>
            argoCdApplication({
              model: 'churn-predictor',
              environment: env,
              revision: heads[env],
              healthStatus: env === 'production' ? state.health : 'Healthy',
              operation: {
                phase: 'Succeeded',
                startedAt: '2026-11-28T09:58:10Z',
                finishedAt: '2026-11-28T09:58:30Z',
              },
            }),
          ),
        ),
      ),
      http.get(`${KUBE}/apis/serving.kserve.io`, () =>
        HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
      ),
      http.get(`${KUBE}/apis/serving.kserve.io/v1beta1/inferenceservices`, () =>
        state.kubeDown
          ? HttpResponse.json(
              kubeStatus(
                503,
                'ServiceUnavailable',
                'the server is currently unable to handle the request',
              ),
              { status: 503 },
            )
          : HttpResponse.json(
              kubeList('InferenceService', 'serving.kserve.io/v1beta1', [
                inferenceService({
                  name: 'churn-predictor',
                  environment: 'dev',
                  version: '7',
                }),
                inferenceService({
                  name: 'churn-predictor',
                  environment: 'staging',
                  version: '7',
                }),
                state.production,
              ]),
            ),
      ),
    );

    const knex = await databases.init('SQLITE_3');
    const { store, mlConfig, git, history, logger } = await pollerBasics(knex, {
      integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
      mlGitops: {
        argocd: { instances: [{ name: 'main', url: ARGOCD, token: 't' }] },
      },
    });
    const clusters = [
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        token: 'cluster-token',
        skipTLSVerify: false,
      }),
    ];
    let now = new Date('2026-11-28T10:00:00Z');
    const notifications = {
      send: jest.fn(async (_notification: NotificationSendOptions) => {}),
    };
    const poller = new MlGitopsPoller({
      logger,
      auth: mockServices.auth(),
      catalog: catalogServiceMock({ entities: [entity] }),
      store,
      git,
      history,
      sources: [ArgoCdSource.fromConfig(mlConfig.argocd[0], { logger })],
      registries: new Map(),
      ...(options.serving === false
        ? {}
        : { servingVersions: new ServingVersions(clusters) }),
      config: mlConfig,
      notifications,
      now: () => now,
    });
    const productionStatus = async () =>
      (await store.getStatuses(REF)).find(s => s.status.name === 'production')!
        .status;
    const rollback = async () =>
      (
        await store.listHistory({
          entityRef: REF,
          environment: 'production',
          limit: 1,
        })
      ).items[0];
    return {
      store,
      poller,
      state,
      notifications,
      productionStatus,
      rollback,
      at: (iso: string) => {
        now = new Date(iso);
      },
    };
  }

  it('does not count a rollback as served while its predictor crash-loops, then times it to Ready', async () => {
    const t = await setup();
    await t.poller.pollAll();

    let status = await t.productionStatus();
    expect(status.live?.version).toBe('7');
    expect(status.live?.syncStatus).toBe('Synced');
    expect(status.live?.serving).toEqual({
      state: 'failed',
      since: '2026-11-28T09:59:10.000Z',
      failure: {
        reason: 'ModelLoadFailed',
        message:
          'OSError: libgomp.so.1: cannot open shared object file (exit code 1)',
      },
      readyRevision: 'churn-predictor-predictor-00004',
      basis: 'model-status',
      cluster: 'prod-eu',
      namespace: 'ml-production',
      name: 'churn-predictor',
    });
    expect(status.drift.state).toBe('progressing');
    expect(status.drift.reason).toMatch(
      /^the predictor fails: ModelLoadFailed: OSError: libgomp\.so\.1/,
    );
    let rollback = await t.rollback();
    expect(rollback).toMatchObject({ kind: 'rollback', version: '7' });
    expect(rollback.servingAt).toBeUndefined();

    // Past the grace period, still failing: drifted, still not served.
    t.at('2026-11-28T10:06:00Z');
    await t.poller.pollAll();
    status = await t.productionStatus();
    expect(status.drift.state).toBe('drifted');
    expect(status.drift.reason).toContain('the predictor fails');
    expect((await t.rollback()).servingAt).toBeUndefined();

    // Fixed: Ready since 10:07, the model loaded, all the traffic.
    t.state.production = production({
      latestCreated: 'churn-predictor-predictor-00006',
      latestReady: 'churn-predictor-predictor-00006',
      traffic: [
        {
          revisionName: 'churn-predictor-predictor-00006',
          percent: 100,
          latestRevision: true,
        },
      ],
      conditionsAt: '2026-11-28T10:07:00Z',
    });
    t.at('2026-11-28T10:08:00Z');
    await t.poller.pollAll();
    status = await t.productionStatus();
    expect(status.drift.state).toBe('in-sync');
    expect(status.live?.serving).toMatchObject({
      state: 'serving',
      trafficPercent: 100,
      readyRevision: 'churn-predictor-predictor-00006',
      storageUri: 'models:/churn-predictor/7',
    });
    rollback = await t.rollback();
    expect(rollback.servingAt).toBe('2026-11-28T10:07:00.000Z');
    expect(rollback.timeToServeSeconds).toBe(9 * 60);
    // Nine minutes is past the rollback target of five: the owners hear.
    expect(
      t.notifications.send.mock.calls.some(([n]) =>
        n.payload.title.includes(
          'the rollback in production missed its target',
        ),
      ),
    ).toBe(true);
  });

  it('times a version that stayed Ready through the rollout from when it was seen serving', async () => {
    const t = await setup();
    // Ready since before the merge: the transition says nothing of the rollback.
    t.state.production = production({ conditionsAt: '2026-11-27T09:00:00Z' });
    t.at('2026-11-28T10:01:00Z');
    await t.poller.pollAll();
    const rollback = await t.rollback();
    expect(rollback.servingAt).toBe('2026-11-28T10:01:00.000Z');
    expect(rollback.timeToServeSeconds).toBe(3 * 60);
  });

  it('never counts an application Argo CD reports Degraded as serving', async () => {
    const t = await setup();
    t.state.production = production({ conditionsAt: '2026-11-28T09:59:30Z' });
    t.state.health = 'Degraded';
    await t.poller.pollAll();
    let status = await t.productionStatus();
    expect(status.live?.serving).toMatchObject({
      state: 'failed',
      failure: {
        reason: 'Degraded',
        message:
          'Argo CD reports the health of churn-predictor-production Degraded',
      },
    });
    expect(status.live?.serving).not.toHaveProperty('storageUri');
    expect(status.drift.state).toBe('progressing');
    expect((await t.rollback()).servingAt).toBeUndefined();

    t.state.health = 'Healthy';
    t.at('2026-11-28T10:02:00Z');
    await t.poller.pollAll();
    status = await t.productionStatus();
    expect(status.drift.state).toBe('in-sync');
    // Ready since 09:59:30, but seen Degraded at 10:00: served when seen.
    expect((await t.rollback()).servingAt).toBe('2026-11-28T10:02:00.000Z');
  });

  it('falls back to the Ready condition where KServe reports no model status', async () => {
    const t = await setup();
    t.state.production = production({
      modelStatus: null,
      conditionsAt: '2026-11-28T09:59:45Z',
    });
    await t.poller.pollAll();
    const status = await t.productionStatus();
    expect(status.live?.serving).toMatchObject({
      state: 'serving',
      basis: 'ready-condition',
    });
    expect(status.drift.state).toBe('in-sync');
    expect((await t.rollback()).servingAt).toBe('2026-11-28T09:59:45.000Z');
  });

  it('keeps the last serving state while the cluster cannot be read', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.state.kubeDown = true;
    t.at('2026-11-28T10:01:00Z');
    await t.poller.pollAll();
    const status = await t.productionStatus();
    expect(status.live?.serving?.state).toBe('failed');
    expect(status.drift.state).toBe('progressing');
    expect((await t.rollback()).servingAt).toBeUndefined();
  });

  it('without serving objects, the sync and the version decide as before, but Degraded waits', async () => {
    const t = await setup({ serving: false });
    t.state.health = 'Degraded';
    await t.poller.pollAll();
    let status = await t.productionStatus();
    expect(status.live?.serving).toBeUndefined();
    expect(status.drift.state).toBe('in-sync');
    expect((await t.rollback()).servingAt).toBeUndefined();

    t.state.health = 'Healthy';
    t.at('2026-11-28T10:03:00Z');
    await t.poller.pollAll();
    status = await t.productionStatus();
    expect(status.drift.state).toBe('in-sync');
    // Argo CD's sync ended at 09:58:30, but it was seen Degraded at 10:00.
    expect((await t.rollback()).servingAt).toBe('2026-11-28T10:03:00.000Z');
  });
});
