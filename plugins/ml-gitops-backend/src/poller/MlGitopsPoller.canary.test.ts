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
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ArgoCdSource } from '../providers/argocd/ArgoCdSource';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import {
  analysisRun,
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
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const ARGOCD = 'https://argocd.example.com';
const REF = 'component:default/churn-predictor';

const entity = modelEntity('churn-predictor', 'group:default/growth-ml');

describe('MlGitopsPoller with canary analyses', () => {
  const server = setupServer(argoCdVersionHandler(ARGOCD));
  registerMswTestHooks(server);
  registerContractChecks(server);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup() {
    const repo = new FakeGithubRepo('acme', 'churn-predictor-config');
    const heads: Record<string, string> = {};
    const versions = { dev: '8', staging: '7', production: '7' };
    for (const [branch, version] of Object.entries(versions)) {
      heads[branch] = repo.commit({
        branch,
        parents: [],
        message: `Deploy ${version}`,
        login: 'grace',
        date: '2026-11-20T10:00:00Z',
        files: {
          'deploy/model.yaml': manifest(version, 'churn-predictor'),
        },
      });
    }
    const calls: string[] = [];
    const state = { runsDown: false };
    const isvc = (environment: string, canary?: boolean) => {
      const base = inferenceService({
        name: 'churn-predictor',
        environment,
        version: versions[environment as keyof typeof versions],
        ...(canary
          ? {
              canaryTrafficPercent: 25,
              latestCreated: 'churn-predictor-predictor-00006',
              latestReady: 'churn-predictor-predictor-00006',
              rolledOut: 'churn-predictor-predictor-00005',
              traffic: [
                {
                  revisionName: 'churn-predictor-predictor-00006',
                  percent: 25,
                  latestRevision: true,
                },
                {
                  revisionName: 'churn-predictor-predictor-00005',
                  percent: 75,
                  latestRevision: false,
                  tag: 'prev',
                },
              ],
            }
          : { traffic: [] }),
      });
      return base;
    };
    server.use(
      ...repo.handlers(),
      http.get(`${ARGOCD}/api/v1/applications`, ({ request }) =>
        argoCdListAnswer(
          request,
          Object.keys(versions).map(env =>
            argoCdApplication({
              model: 'churn-predictor',
              environment: env,
              revision: heads[env],
              operation: {
                phase: 'Succeeded',
                startedAt: '2026-11-20T10:01:00Z',
                finishedAt: '2026-11-20T10:01:30Z',
              },
            }),
          ),
        ),
      ),
      http.get(`${KUBE}/apis/:group`, ({ params }) =>
        HttpResponse.json(
          apiGroup(
            String(params.group),
            params.group === 'argoproj.io' ? 'v1alpha1' : 'v1beta1',
          ),
        ),
      ),
      http.get(
        `${KUBE}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        () => {
          calls.push('inferenceservices');
          return HttpResponse.json(
            kubeList('InferenceService', 'serving.kserve.io/v1beta1', [
              isvc('dev'),
              isvc('staging', true),
              isvc('production'),
            ]),
          );
        },
      ),
      http.get(`${KUBE}/apis/argoproj.io/v1alpha1/analysisruns`, () => {
        calls.push('analysisruns');
        if (state.runsDown) {
          return HttpResponse.json(
            kubeStatus(
              503,
              'ServiceUnavailable',
              'the server is currently unable to handle the request',
            ),
            { status: 503 },
          );
        }
        return HttpResponse.json(
          kubeList('AnalysisRun', 'argoproj.io/v1alpha1', [
            analysisRun({
              name: 'churn-predictor-predictor-6c9d8f7b5-4-1',
              version: '8',
              phase: 'Failed',
              message:
                'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
              completedAt: '2026-11-20T10:09:00Z',
              metrics: [
                {
                  name: 'error-rate',
                  phase: 'Failed',
                  values: [
                    {
                      phase: 'Failed',
                      value: '[0.044]',
                      finishedAt: '2026-11-20T10:08:00Z',
                    },
                  ],
                },
              ],
            }),
          ]),
        );
      }),
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
      servingVersions: new ServingVersions(clusters),
      canaryAnalyses: new CanaryAnalyses(clusters, { now: () => now }),
      config: mlConfig,
      notifications,
      now: () => now,
    });
    return {
      store,
      poller,
      notifications,
      logger,
      calls,
      state,
      advance: (minutes: number) => {
        now = new Date(now.getTime() + minutes * 60_000);
      },
    };
  }

  it('stores the canary of each environment with its status, one list call per kind', async () => {
    const t = await setup();
    await t.poller.pollAll();
    expect(t.calls.sort()).toEqual(['analysisruns', 'inferenceservices']);

    const [dev, staging, production] = (await t.store.getStatuses(REF)).map(
      s => s.status,
    );
    expect(dev.canary).toEqual({
      kind: 'argo-rollouts',
      name: 'churn-predictor-predictor-6c9d8f7b5-4-1',
      namespace: 'ml-dev',
      cluster: 'prod-eu',
      phase: 'failed',
      sourcePhase: 'Failed',
      version: '8',
      message:
        'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
      startedAt: '2026-11-27T09:00:01.000Z',
      finishedAt: '2026-11-20T10:09:00.000Z',
      metrics: [{ name: 'error-rate', phase: 'failed', value: '[0.044]' }],
      observedAt: '2026-11-28T10:00:00.000Z',
    });
    expect(staging.canary).toEqual({
      kind: 'kserve',
      name: 'churn-predictor',
      namespace: 'ml-staging',
      cluster: 'prod-eu',
      phase: 'running',
      trafficPercent: 25,
      version: '7',
      revision: 'churn-predictor-predictor-00006',
      observedAt: '2026-11-28T10:00:00.000Z',
    });
    expect(production.canary).toBeNull();
    // the live version still comes from the same InferenceServices
    expect(dev.live?.version).toBe('8');
    expect(staging.live?.version).toBe('7');
  });

  it('tells the owners once that a canary analysis failed', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.advance(1);
    await t.poller.pollAll();
    // Kept while the cluster cannot be read: no news either.
    t.state.runsDown = true;
    t.advance(1);
    await t.poller.pollAll();
    const canary = t.notifications.send.mock.calls.filter(([n]) =>
      n.payload.scope?.startsWith('ml-gitops:canary:'),
    );
    expect(canary).toHaveLength(1);
    expect(canary[0][0]).toEqual({
      recipients: { type: 'entity', entityRef: REF },
      payload: expect.objectContaining({
        title: 'churn-predictor: the canary analysis in dev failed',
        description:
          'AnalysisRun ml-dev/churn-predictor-predictor-6c9d8f7b5-4-1 on cluster prod-eu (version 8) failed: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1). Promotion from dev is refused until an analysis succeeds.',
        severity: 'high',
        link: '/ml-gitops?entity=component%3Adefault%2Fchurn-predictor',
        scope:
          'ml-gitops:canary:component:default/churn-predictor:dev:argo-rollouts:ml-dev/churn-predictor-predictor-6c9d8f7b5-4-1::failed',
      }),
    });
  });

  it('keeps the last known analysis while the cluster cannot be read', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.state.runsDown = true;
    t.advance(5);
    await t.poller.pollAll();
    const [dev, staging] = (await t.store.getStatuses(REF)).map(s => s.status);
    expect(dev.canary).toMatchObject({
      phase: 'failed',
      observedAt: '2026-11-28T10:00:00.000Z',
    });
    expect(staging.canary).toMatchObject({
      phase: 'running',
      observedAt: '2026-11-28T10:05:00.000Z',
    });
    expect(t.logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Reading canary analyses on cluster prod-eu failed: Cluster "prod-eu" answered 503/,
      ),
    );

    t.state.runsDown = false;
    t.advance(5);
    await t.poller.pollAll();
    const [again] = (await t.store.getStatuses(REF)).map(s => s.status);
    expect(again.canary?.observedAt).toBe('2026-11-28T10:10:00.000Z');
  });
});
