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
import { Entity } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { GithubConfigRepoWriter } from '@ml-gitops/plugin-ml-gitops-node';
import {
  GitBackedRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { Knex } from 'knex';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { AutoRollback } from '../autoRollback/AutoRollback';
import { AutoRollbackStore } from '../database/AutoRollbackStore';
import { ArgoCdSource } from '../providers/argocd/ArgoCdSource';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import {
  analysisRun,
  apiGroup,
  KUBE,
  kubeList,
} from '../providers/canary/__testUtils__/fixtures';
import { KubernetesClusterClient } from '../providers/kubernetes/KubernetesClusters';
import {
  argoCdApplication,
  argoCdListAnswer,
  argoCdVersionHandler,
} from '../__testUtils__/argoCd';
import { modelEntity } from '../__testUtils__/modelEntity';
import { pollerBasics } from '../__testUtils__/pollerBasics';
import { MlGitopsPoller } from './MlGitopsPoller';

/*
 * The automatic rollback end to end inside the backend: the poller reads a
 * failed production canary analysis (Argo Rollouts AnalysisRun) of the
 * version Git declares, and the backend opens the rollback pull request
 * itself through the shared rollback core, against a real Git repository
 * on disk that GitHub's API (msw) answers for.
 */

const ARGOCD = 'https://argocd.example.com';
const REF = 'component:default/fraud-detector';
const MODEL = 'deploy/model.yaml';
const SCOPE = `ml-gitops:auto-rollback:${REF}:production:`;

jest.setTimeout(120_000);

function annotated(value?: string): Entity {
  const entity = modelEntity('fraud-detector', 'group:default/fraud-team');
  if (value !== undefined) {
    entity.metadata.annotations!['ml-gitops/auto-rollback'] = value;
  }
  return entity;
}

describe('MlGitopsPoller with the automatic rollback', () => {
  const server = setupServer(argoCdVersionHandler(ARGOCD));
  registerMswTestHooks(server);
  registerContractChecks(server);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  let repo: GitBackedRepo;
  afterEach(() => repo.cleanup());

  /** production: 11, then 12 promoted an hour before the first poll. */
  async function world(options: { entity?: Entity; canary?: string } = {}) {
    repo = new GitBackedRepo('acme', 'fraud-detector-config', 'dev');
    for (const branch of ['dev', 'staging', 'production']) {
      repo.git('checkout', '--quiet', '--orphan', branch);
      repo.commit(
        'Initial config',
        { [MODEL]: manifest('11') },
        { date: '2026-11-20T10:00:00Z' },
      );
    }
    const promoted = repo.commit(
      'Promote fraud-detector to production: 11 → 12',
      { [MODEL]: manifest('12') },
      { date: '2026-11-28T09:00:00Z' },
    );
    repo.pushAll();
    const canary = { phase: options.canary ?? 'Failed' };

    server.use(
      ...repo.handlers(),
      http.get(`${ARGOCD}/api/v1/applications`, ({ request }) =>
        argoCdListAnswer(
          request,
          ['dev', 'staging', 'production'].map(env =>
            argoCdApplication({
              model: 'fraud-detector',
              environment: env,
              revision: repo.branches().get(env)!,
              operation: {
                phase: 'Succeeded',
                startedAt: '2026-11-28T09:01:00Z',
                finishedAt: '2026-11-28T09:01:30Z',
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
      http.get(`${KUBE}/apis/serving.kserve.io/v1beta1/inferenceservices`, () =>
        HttpResponse.json(
          kubeList('InferenceService', 'serving.kserve.io/v1beta1', []),
        ),
      ),
      http.get(`${KUBE}/apis/argoproj.io/v1alpha1/analysisruns`, () =>
        HttpResponse.json(
          kubeList('AnalysisRun', 'argoproj.io/v1alpha1', [
            analysisRun({
              name: 'fraud-detector-predictor-6c9d8f7b5-4-1',
              model: 'fraud-detector',
              environment: 'production',
              namespace: 'ml-production',
              version: '12',
              phase: canary.phase,
              message:
                'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
              completedAt: '2026-11-28T09:20:00Z',
              metrics: [
                {
                  name: 'error-rate',
                  phase: canary.phase,
                  values: [
                    {
                      phase: canary.phase,
                      value: '[0.044]',
                      finishedAt: '2026-11-28T09:19:00Z',
                    },
                  ],
                },
              ],
            }),
          ]),
        ),
      ),
    );
    const knex = await databases.init('SQLITE_3');
    return {
      knex,
      promoted,
      canary,
      entity: options.entity ?? annotated('true'),
    };
  }

  /** A backend: its poller and automatic rollback on `knex`, as plugin.ts wires them. */
  async function backend(
    w: { knex: Knex; entity: Entity },
    clock: { now: Date },
  ) {
    const configData = {
      integrations: { github: [{ host: 'github.com', token: 'app-token' }] },
      mlGitops: {
        argocd: { instances: [{ name: 'main', url: ARGOCD, token: 't' }] },
      },
    };
    const { store, config, mlConfig, git, history, logger } =
      await pollerBasics(w.knex, configData);
    const clusters = [
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        token: 'cluster-token',
        skipTLSVerify: false,
      }),
    ];
    const notifications = {
      send: jest.fn(async (_notification: NotificationSendOptions) => {}),
    };
    const autoRollback = new AutoRollback({
      config: mlConfig,
      incidents: await AutoRollbackStore.create({
        database: { getClient: async () => w.knex },
      }),
      deploymentOf: async (entityRef, environment, commit) =>
        (
          await store.listHistory({ entityRef, environment, limit: 5 })
        ).items.find(d => d.commit === commit),
      writer: GithubConfigRepoWriter.fromIntegrations({
        integrations: ScmIntegrations.fromConfig(config),
      }),
      logger,
      notifications,
      now: () => clock.now,
      remoteUrl: () => repo.bare,
    });
    const poller = new MlGitopsPoller({
      logger,
      auth: mockServices.auth(),
      catalog: catalogServiceMock({ entities: [w.entity] }),
      store,
      git,
      history,
      sources: [ArgoCdSource.fromConfig(mlConfig.argocd[0], { logger })],
      registries: new Map(),
      canaryAnalyses: new CanaryAnalyses(clusters, { now: () => clock.now }),
      config: mlConfig,
      notifications,
      autoRollback,
      now: () => clock.now,
    });
    return { poller, notifications, logger, store };
  }

  const autoNotes = (notifications: { send: jest.Mock }) =>
    notifications.send.mock.calls
      .map(([n]) => n as NotificationSendOptions)
      .filter(n => n.payload.scope?.startsWith(SCOPE));

  it('opens exactly one rollback pull request for a failed production canary, across cycles and a restart', async () => {
    const w = await world();
    const clock = { now: new Date('2026-11-28T10:00:00Z') };
    const first = await backend(w, clock);
    for (let cycle = 0; cycle < 3; cycle++) {
      await first.poller.pollAll();
      clock.now = new Date(clock.now.getTime() + 30_000);
    }

    expect(repo.fake.opened).toHaveLength(1);
    const [pull] = repo.fake.opened;
    expect(pull).toMatchObject({
      number: 101,
      title: 'Roll back fraud-detector in production: 12 → 11',
      head: 'ml-gitops/rollback/production/11',
      base: 'production',
      labels: ['ml-gitops/rollback'],
    });
    expect(pull.state ?? 'open').toBe('open');
    expect(pull.body).toContain(
      '**Reason:** Automatic rollback: canary analysis fraud-detector-predictor-6c9d8f7b5-4-1 of version 12 failed: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
    );
    expect(pull.body).toContain(
      `Opened automatically by ML GitOps for ${REF}: its canary analysis failed. Merging stays a human decision.`,
    );
    // A git revert of the promotion, made as ML GitOps on top of production,
    // which itself is untouched: merging stays with people.
    expect(repo.show('ml-gitops/rollback/production/11', MODEL)).toBe(
      manifest('11'),
    );
    expect(
      repo.remoteGit(
        'log',
        '-1',
        '--format=%an|%P',
        'ml-gitops/rollback/production/11',
      ),
    ).toBe(`ML GitOps|${w.promoted}`);
    expect(repo.branches().get('production')).toBe(w.promoted);

    const notes = autoNotes(first.notifications);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toEqual({
      recipients: { type: 'entity', entityRef: REF },
      payload: expect.objectContaining({
        title:
          'fraud-detector: automatic rollback of production proposed (12 → 11)',
        severity: 'high',
        link: 'https://github.com/acme/fraud-detector-config/pull/101',
        scope: `${SCOPE}${w.promoted}`,
      }),
    });

    // A restart: a new backend on the same database polls again.
    const second = await backend(w, clock);
    await second.poller.pollAll();
    clock.now = new Date(clock.now.getTime() + 30_000);
    await second.poller.pollAll();
    expect(repo.fake.opened).toHaveLength(1);
    expect(autoNotes(second.notifications)).toEqual([]);

    // Even without the database's record (a new database), the open pull
    // request on the Git host holds it back, and a new look comes later.
    await w.knex('ml_gitops_auto_rollbacks').delete();
    const third = await backend(w, clock);
    await third.poller.pollAll();
    clock.now = new Date(clock.now.getTime() + 11 * 60_000);
    await third.poller.pollAll();
    expect(repo.fake.opened).toHaveLength(1);
    expect(third.logger.info).toHaveBeenCalledWith(
      'Not rolling back component:default/fraud-detector in production automatically: rollback pull request #101 is open (https://github.com/acme/fraud-detector-config/pull/101)',
    );
  });

  it('opens nothing for a model without the annotation, or annotated "false", or while the canary runs', async () => {
    for (const [entity, phase] of [
      [annotated(), 'Failed'],
      [annotated('false'), 'Failed'],
      [annotated('true'), 'Running'],
    ] as const) {
      const w = await world({ entity, canary: phase });
      const clock = { now: new Date('2026-11-28T10:00:00Z') };
      const b = await backend(w, clock);
      await b.poller.pollAll();
      expect(repo.fake.opened).toEqual([]);
      expect(autoNotes(b.notifications)).toEqual([]);
      repo.cleanup();
    }
    repo = new GitBackedRepo('acme', 'unused', 'dev');
  });

  it('warns once about an annotation it cannot read', async () => {
    const w = await world({ entity: annotated('yes') });
    const clock = { now: new Date('2026-11-28T10:00:00Z') };
    const b = await backend(w, clock);
    await b.poller.pollAll();
    await b.poller.pollAll();
    expect(repo.fake.opened).toEqual([]);
    expect(
      b.logger.warn.mock.calls.filter(([m]) => /auto-rollback/.test(m)),
    ).toEqual([
      [
        'Automatic rollback is off for component:default/fraud-detector: the annotation ml-gitops/auto-rollback is "yes"; write "true" or "false"',
      ],
    ]);
  });
});
