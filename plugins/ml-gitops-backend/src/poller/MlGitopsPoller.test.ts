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

import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { statusSignalKey } from '@ml-gitops/plugin-ml-gitops-common';
import { changeRecordBlock } from '@ml-gitops/plugin-ml-gitops-node';
import {
  mockServices,
  registerMswTestHooks,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { ArgoCdSource } from '../providers/argocd/ArgoCdSource';
import { MlflowRegistry } from '../providers/registry/MlflowRegistry';
import { ModelPoller } from './ModelPoller';
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
const MLFLOW = 'https://mlflow.example.com';
const NOW = new Date('2026-11-28T00:00:00Z');

/** A config repo with a realistic history: deploys, promotions, a rollback. */
function fraudDetectorRepo() {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  const path = 'deploy/model.yaml';
  const c1 = repo.commit({
    branch: 'dev',
    message: 'Deploy 11',
    login: 'ada',
    date: '2026-09-01T10:00:00Z',
    files: { [path]: manifest('11') },
  });
  const c2 = repo.commit({
    branch: 'dev',
    message: 'Merge pull request #3 from acme/deploy-12\n\nDeploy 12',
    login: 'grace',
    date: '2026-10-01T10:00:00Z',
    files: { [path]: manifest('12') },
  });
  repo.pulls.push({
    number: 3,
    mergeCommit: c2,
    base: 'dev',
    head: 'deploy-12',
    mergedAt: '2026-10-01T10:00:00Z',
    mergedBy: 'grace',
    approvers: ['grace'],
    // Opened by ada, merged by grace: the deployment is ada's.
    user: 'ada',
  });
  const c3 = repo.commit({
    branch: 'dev',
    message: 'Tune the chart',
    login: 'ada',
    date: '2026-10-02T10:00:00Z',
    files: { 'deploy/chart/values.yaml': 'replicas: 3\n' },
  });

  const s1 = repo.commit({
    branch: 'staging',
    parents: [c1],
    message: 'Merge pull request #1 from acme/dev',
    login: 'ada',
    date: '2026-09-02T10:00:00Z',
    files: {},
  });
  repo.pulls.push({
    number: 1,
    mergeCommit: s1,
    base: 'staging',
    head: 'dev',
    mergedAt: '2026-09-02T10:00:00Z',
    mergedBy: 'ada',
    approvers: [],
  });
  const s2 = repo.commit({
    branch: 'staging',
    parents: [s1, c2],
    message: 'Merge pull request #4 from acme/dev\n\nPromote 12',
    login: 'grace',
    date: '2026-10-03T10:00:00Z',
    files: { [path]: manifest('12') },
  });
  repo.pulls.push({
    number: 4,
    mergeCommit: s2,
    base: 'staging',
    head: 'dev',
    mergedAt: '2026-10-03T10:00:00Z',
    mergedBy: 'grace',
    approvers: ['linus'],
  });

  const p1 = repo.commit({
    branch: 'production',
    parents: [s1],
    message: 'Merge pull request #2 from acme/staging',
    login: 'ada',
    date: '2026-09-03T10:00:00Z',
    files: {},
  });
  repo.pulls.push({
    number: 2,
    mergeCommit: p1,
    base: 'production',
    head: 'staging',
    mergedAt: '2026-09-03T10:00:00Z',
    mergedBy: 'ada',
    approvers: ['grace'],
  });
  const p2 = repo.commit({
    branch: 'production',
    parents: [p1, s2],
    message: 'Merge pull request #5 from acme/staging',
    login: 'grace',
    date: '2026-10-05T10:00:00Z',
    files: { [path]: manifest('12') },
  });
  repo.pulls.push({
    number: 5,
    mergeCommit: p2,
    base: 'production',
    head: 'staging',
    mergedAt: '2026-10-05T10:00:00Z',
    mergedBy: 'grace',
    approvers: ['ada', 'linus'],
  });
  const p3 = repo.commit({
    branch: 'production',
    message: `Revert "Merge pull request #5 from acme/staging"\n\nThis reverts commit ${p2}.`,
    login: 'linus',
    date: '2026-10-06T10:00:00Z',
    files: { [path]: manifest('11') },
  });
  return { repo, c1, c2, c3, s1, s2, p1, p2, p3 };
}

function argoApp(
  name: string,
  env: string,
  sync: string,
  revision: string,
  finishedAt: string,
  health = 'Healthy',
) {
  return argoCdApplication({
    name,
    model: 'fraud-detector',
    environment: env,
    syncStatus: sync,
    healthStatus: health,
    revision,
    operation: { phase: 'Succeeded', startedAt: finishedAt, finishedAt },
  });
}

describe('MlGitopsPoller', () => {
  const server = setupServer(argoCdVersionHandler(ARGOCD));
  registerMswTestHooks(server);
  registerContractChecks(server);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup(
    entities: Entity[] = [
      modelEntity('fraud-detector', 'group:default/fraud-ml'),
      modelEntity('churn-predictor', 'group:default/fraud-ml'),
    ],
    extraConfig: Record<string, unknown> = {},
  ) {
    const fixture = fraudDetectorRepo();
    const argoCalls: string[] = [];
    let argoDown = false;
    const apps = [
      argoApp(
        'fraud-detector-dev',
        'dev',
        'Synced',
        fixture.c3,
        '2026-10-02T10:01:30Z',
      ),
      argoApp(
        'fraud-detector-staging',
        'staging',
        'Synced',
        fixture.s2,
        '2026-10-03T10:02:00Z',
      ),
      // Production still runs 12 although Git rolled back to 11.
      argoApp(
        'fraud-detector-production',
        'production',
        'OutOfSync',
        fixture.p2,
        '2026-10-05T10:03:00Z',
      ),
    ];
    server.use(
      ...fixture.repo.handlers(),
      http.get(
        'https://api.github.com/repos/acme/churn-predictor-config/branches',
        () =>
          HttpResponse.json(
            {
              message: 'Not Found',
              documentation_url: 'https://docs.github.com/rest',
            },
            { status: 404 },
          ),
      ),
      http.get(`${ARGOCD}/api/v1/applications`, ({ request }) => {
        argoCalls.push(new URL(request.url).search);
        if (request.headers.get('authorization') !== 'Bearer argo-token') {
          return HttpResponse.json(
            { error: 'invalid session', code: 16, message: 'invalid session' },
            { status: 401 },
          );
        }
        if (argoDown) {
          return HttpResponse.json(
            { error: 'boom', code: 13, message: 'internal error' },
            { status: 500 },
          );
        }
        return argoCdListAnswer(request, apps);
      }),
      http.get(`${ARGOCD}/api/v1/applications/:name`, ({ params }) => {
        argoCalls.push(`refresh:${params.name}`);
        return HttpResponse.json(
          apps.find(a => a.metadata.name === params.name),
        );
      }),
      http.get(`${MLFLOW}/api/2.0/mlflow/model-versions/get`, ({ request }) => {
        const version = new URL(request.url).searchParams.get('version');
        if (version !== '11' && version !== '12') {
          return HttpResponse.json(
            {
              error_code: 'RESOURCE_DOES_NOT_EXIST',
              message: `Model Version (name=fraud-detector, version=${version}) not found`,
            },
            { status: 404 },
          );
        }
        return HttpResponse.json({
          model_version: {
            name: 'fraud-detector',
            version,
            creation_timestamp: 1727776800000,
            last_updated_timestamp: 1727776800000,
            current_stage: 'None',
            source: `models:/m-${version}`,
            run_id: `run-${version}`,
            status: 'READY',
            aliases: version === '12' ? ['champion'] : [],
            tags: [],
          },
        });
      }),
      http.get(`${MLFLOW}/api/2.0/mlflow/runs/get`, ({ request }) => {
        const runId = new URL(request.url).searchParams.get('run_id');
        const auc = runId === 'run-12' ? 0.95 : 0.91;
        return HttpResponse.json({
          run: {
            info: {
              run_id: runId,
              run_uuid: runId,
              experiment_id: '1',
              status: 'FINISHED',
              lifecycle_stage: 'active',
            },
            data: {
              metrics: [
                { key: 'auc', value: auc, timestamp: 1727776800000, step: 0 },
              ],
              params: [],
              tags: [],
            },
          },
        });
      }),
    );

    const knex = await databases.init('SQLITE_3');
    const { store, mlConfig, git, history, logger } = await pollerBasics(knex, {
      integrations: { github: [{ host: 'github.com', token: 'gh-token' }] },
      mlGitops: {
        argocd: {
          instances: [{ name: 'main', url: ARGOCD, token: 'argo-token' }],
        },
        registries: [{ name: 'mlflow-default', type: 'mlflow', url: MLFLOW }],
        ...extraConfig,
      },
    });
    const notifications = { send: jest.fn(async () => {}) };
    const signals = { publish: jest.fn(async () => {}) };
    const source = ArgoCdSource.fromConfig(mlConfig.argocd[0], { logger });
    const poller = new MlGitopsPoller({
      logger,
      auth: mockServices.auth(),
      catalog: catalogServiceMock.mock({
        queryEntities: async () => ({
          items: entities,
          totalItems: entities.length,
          pageInfo: {},
        }),
        getEntitiesByRefs: async ({ entityRefs }) => ({
          items: entityRefs.map(ref =>
            entities.find(e => stringifyEntityRef(e) === ref),
          ),
        }),
        getEntityByRef: async ref =>
          String(ref) === 'component:default/fraud-detector'
            ? modelEntity('fraud-detector', 'group:default/fraud-ml')
            : undefined,
      }),
      store,
      git,
      history,
      sources: [source],
      registries: new Map([
        ['mlflow-default', MlflowRegistry.fromConfig(mlConfig.registries[0])],
      ]),
      config: mlConfig,
      notifications,
      signals,
      now: () => NOW,
    });
    return {
      ...fixture,
      source,
      store,
      poller,
      logger,
      notifications,
      signals,
      argoCalls,
      apps,
      setArgoDown: (down: boolean) => {
        argoDown = down;
      },
    };
  }

  const FRAUD = 'component:default/fraud-detector';

  it('computes declared and live state, history, gates and drift per environment', async () => {
    const t = await setup();
    await t.poller.pollAll();

    const statuses = (await t.store.getStatuses(FRAUD)).map(s => s.status);
    expect(statuses.map(s => s.name)).toEqual(['dev', 'staging', 'production']);
    const [dev, staging, production] = statuses;

    // dev: the head is a chart change; the declaring commit is the deploy of 12.
    expect(dev.declared).toEqual({
      version: '12',
      commit: t.c2,
      author: 'ada',
      committedAt: '2026-10-01T10:00:00.000Z',
      pullRequest: {
        number: 3,
        url: 'https://github.com/acme/fraud-detector-config/pull/3',
        mergedBy: 'grace',
        reviewers: ['grace'],
      },
    });
    expect(dev.live).toMatchObject({
      version: '12',
      revision: t.c3,
      source: 'argocd',
      instance: 'main',
      application: 'fraud-detector-dev',
      syncStatus: 'Synced',
      healthStatus: 'Healthy',
    });
    expect(dev.drift.state).toBe('in-sync');
    expect(dev.registry).toEqual({
      version: '12',
      exists: true,
      status: 'READY',
      aliases: ['champion'],
      stage: 'None',
      metrics: { auc: 0.95 },
      gate: 'passed',
      thresholds: { auc: { min: 0.92 } },
      runUrl: 'https://mlflow.example.com/#/models/fraud-detector/versions/12',
      // MLflow's creation_timestamp of the version, the start of its lead time.
      registeredAt: '2024-10-01T10:00:00.000Z',
    });
    expect(dev.live?.url).toBe(
      'https://argocd.example.com/applications/argocd/fraud-detector-dev',
    );

    expect(staging.drift.state).toBe('in-sync');

    // production rolled back to 11 in Git but still serves 12.
    expect(production.declared?.version).toBe('11');
    expect(production.live?.version).toBe('12');
    expect(production.drift.state).toBe('drifted');
    expect(production.drift.reason).toMatch(
      /live version 12 differs from the declared version 11/,
    );
    expect(production.registry?.gate).toBe('failed');

    const prodHistory = await t.store.listHistory({
      entityRef: FRAUD,
      environment: 'production',
      limit: 10,
    });
    // The first-parent history of production: the repo's first commit set
    // 11, the merge of PR #5 promoted 12, the revert rolled back to 11.
    expect(
      prodHistory.items.map(d => [
        d.kind,
        d.previousVersion,
        d.version,
        d.commit,
      ]),
    ).toEqual([
      ['rollback', '12', '11', t.p3],
      ['promotion', '11', '12', t.p2],
      ['deploy', undefined, '11', t.c1],
    ]);
    expect(prodHistory.items[1].pullRequest).toEqual({
      number: 5,
      url: 'https://github.com/acme/fraud-detector-config/pull/5',
      mergedBy: 'grace',
      reviewers: ['ada', 'linus'],
    });
    const stagingHistory = await t.store.listHistory({
      entityRef: FRAUD,
      environment: 'staging',
      limit: 10,
    });
    expect(stagingHistory.items[0]).toMatchObject({
      kind: 'promotion',
      version: '12',
      previousVersion: '11',
    });

    // Time to serve: from the merge to the end of Argo CD's sync.
    const devHistory = await t.store.listHistory({
      entityRef: FRAUD,
      environment: 'dev',
      limit: 10,
    });
    expect(devHistory.items[0]).toMatchObject({
      commit: t.c2,
      kind: 'deploy',
      servingAt: '2026-10-02T10:01:30.000Z',
    });
    expect(devHistory.items[0].timeToServeSeconds).toBe(86490);

    // A drift episode is opened and the owners are notified once.
    expect(
      await t.store.getOpenDriftEpisode(FRAUD, 'production'),
    ).toBeDefined();
    expect(t.notifications.send).toHaveBeenCalledTimes(1);
    expect(t.notifications.send).toHaveBeenCalledWith(
      expect.objectContaining({
        recipients: { type: 'entity', entityRef: FRAUD },
        payload: expect.objectContaining({
          severity: 'high',
          title: 'fraud-detector: production has drifted from Git',
        }),
      }),
    );
    expect(t.signals.publish).toHaveBeenCalledWith(
      expect.objectContaining({
        channel: 'ml-gitops:status',
        // one signal for the models written together
        message: { keys: expect.arrayContaining([statusSignalKey(FRAUD)]) },
      }),
    );

    // One list call for the whole Argo CD instance, with the label selector.
    expect(t.argoCalls).toHaveLength(1);
    expect(new URLSearchParams(t.argoCalls[0]).get('selector')).toBe(
      'ml-gitops/model',
    );
  });

  it('keeps with each declared deployment what it read after the merge, once, for the audit', async () => {
    const t = await setup();
    await t.poller.pollAll();
    const events = async () =>
      (
        await t.store.listDeploymentEvents({
          from: '2000-01-01T00:00:00.000Z',
          to: '2100-01-01T00:00:00.000Z',
          entityRef: FRAUD,
          limit: 100,
        })
      ).map(row => row.event);
    const first = await events();
    const dev = first.find(e => e.commit === t.c2);
    expect(dev?.checks).toEqual({
      checkedAt: expect.any(String),
      registry: {
        exists: true,
        gate: 'passed',
        metrics: { auc: 0.95 },
        thresholds: { auc: { min: 0.92 } },
        registeredAt: '2024-10-01T10:00:00.000Z',
      },
    });
    // The rollback declared in production: its version fails the gate.
    const rollback = first.find(e => e.commit === t.p3);
    expect(rollback?.checks?.registry?.gate).toBe('failed');
    // Deployments no longer declared were never read after their merge.
    expect(first.find(e => e.commit === t.p2)?.checks).toBeUndefined();

    await t.poller.pollAll();
    expect(await events()).toEqual(first);
  });

  it("keeps the checks and marks serving when the read of a model's newest deployments fails", async () => {
    const t = await setup();
    const latest = jest
      .spyOn(t.store, 'latestDeploymentsOf')
      .mockRejectedValue(new Error('connection reset'));
    await t.poller.pollAll();
    expect(latest).toHaveBeenCalled();
    const events = await t.store.listDeploymentEvents({
      from: '2000-01-01T00:00:00.000Z',
      to: '2100-01-01T00:00:00.000Z',
      entityRef: FRAUD,
      limit: 100,
    });
    const dev = events.find(e => e.event.commit === t.c2)?.event;
    expect(dev?.checks?.registry?.gate).toBe('passed');
    expect(dev?.servingAt).toEqual(expect.any(String));
    const statuses = await t.store.getStatuses(FRAUD);
    expect(statuses.map(s => s.status.name).sort()).toEqual([
      'dev',
      'production',
      'staging',
    ]);
  });

  it('costs one batched GraphQL query for the branch heads of unchanged config repos', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.repo.calls.length = 0;
    await t.poller.pollAll();
    expect(t.repo.calls).toEqual(['graphql']);
    expect(t.notifications.send).toHaveBeenCalledTimes(1);
  });

  it('reads branch heads with one conditional REST request per repo where the host has no GraphQL API', async () => {
    const t = await setup();
    let graphqlCalls = 0;
    server.use(
      http.post('https://api.github.com/graphql', () => {
        graphqlCalls++;
        return HttpResponse.json(
          {
            message: 'Not Found',
            documentation_url: 'https://docs.github.com/graphql',
          },
          { status: 404 },
        );
      }),
    );
    await t.poller.pollAll();
    const dev = (await t.store.getStatuses(FRAUD)).find(
      s => s.status.name === 'dev',
    )!.status;
    expect(dev.declared?.version).toBe('12');
    t.repo.calls.length = 0;
    await t.poller.pollAll();
    // Answered 304; the endpoint that said 404 is not asked again.
    expect(t.repo.calls).toEqual(['branches']);
    expect(graphqlCalls).toBe(1);
  });

  it('warns once per rate-limit window when few GitHub GraphQL points are left', async () => {
    const t = await setup();
    // GitHub's answer to the branch-head query, with 150 points left.
    server.use(
      http.post('https://api.github.com/graphql', () =>
        HttpResponse.json({
          data: {
            r0: Object.fromEntries(
              ['dev', 'staging', 'production'].map((branch, j) => [
                `b${j}`,
                { target: { oid: t.repo.branches.get(branch) } },
              ]),
            ),
            rateLimit: {
              cost: 1,
              remaining: 150,
              resetAt: '2026-11-28T01:00:00Z',
            },
          },
        }),
      ),
    );
    await t.poller.pollAll();
    await t.poller.pollAll();
    const warnings = t.logger.warn.mock.calls
      .map(([message]) => String(message))
      .filter(message => message.includes('GraphQL'));
    expect(warnings).toEqual([
      'GitHub GraphQL on github.com has 150 points left until 2026-11-28T01:00:00Z; branch heads are read in queries of 100 repos (1 point each) every cycle. Lengthen mlGitops.schedule or give the integration a token with a higher limit.',
    ]);
    // The heads came from the query: the model is polled as usual.
    const dev = (await t.store.getStatuses(FRAUD)).find(
      s => s.status.name === 'dev',
    )!.status;
    expect(dev.declared?.version).toBe('12');
  });

  it('reads branch heads through REST while GraphQL is rate limited, and warns once', async () => {
    const t = await setup();
    let graphqlCalls = 0;
    // GitHub's answer once the GraphQL points are spent: 200, RATE_LIMITED.
    server.use(
      http.post('https://api.github.com/graphql', () => {
        graphqlCalls++;
        return HttpResponse.json(
          {
            errors: [
              {
                type: 'RATE_LIMITED',
                message: 'API rate limit already exceeded for user ID 1.',
              },
            ],
          },
          {
            headers: {
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset': String(
                Date.parse('2030-11-28T01:00:00Z') / 1000,
              ),
            },
          },
        );
      }),
    );
    await t.poller.pollAll();
    t.repo.calls.length = 0;
    await t.poller.pollAll();
    // The second cycle does not ask GraphQL again: REST only.
    expect(graphqlCalls).toBe(1);
    expect(t.repo.calls).toEqual(['branches']);
    const warnings = t.logger.warn.mock.calls
      .map(([message]) => String(message))
      .filter(message => message.includes('GraphQL'));
    expect(warnings).toEqual([
      'GitHub GraphQL on github.com refused branch heads for its primary rate limit (Reading the branch heads of 2 repo(s) on github.com through GraphQL was refused: API rate limit already exceeded for user ID 1.); they are read through REST until 2030-11-28T01:00:00.000Z. Lengthen mlGitops.schedule or give the integration a token with a higher limit.',
    ]);
    const dev = (await t.store.getStatuses(FRAUD)).find(
      s => s.status.name === 'dev',
    )!.status;
    expect(dev.declared?.version).toBe('12');
  });

  it('sends no request for an entity whose manifest-path would leave its config repo', async () => {
    // The attack: `..` collapses in the API URL, so this annotation would
    // have the server GET /user/repos with its token.
    const hostile = modelEntity('churn-predictor', 'group:default/fraud-ml');
    hostile.metadata.annotations!['ml-gitops/manifest-path'] =
      '../../../../user/repos.yaml';
    const t = await setup([
      modelEntity('fraud-detector', 'group:default/fraud-ml'),
      hostile,
    ]);
    const requested: string[] = [];
    const record = ({ request }: { request: Request }) => {
      requested.push(request.url);
    };
    server.events.on('request:start', record);
    try {
      await t.poller.pollAll();
    } finally {
      server.events.removeListener('request:start', record);
    }
    expect(requested.filter(u => u.includes('churn-predictor'))).toEqual([]);
    expect(requested.filter(u => /user\/repos|\.\./.test(u))).toEqual([]);
    const churn = await t.store.getStatuses(
      'component:default/churn-predictor',
    );
    expect(churn.map(s => s.status.drift.state)).toEqual([
      'unknown',
      'unknown',
      'unknown',
    ]);
    expect(churn[0].status.drift.reason).toContain(
      'The entity\'s annotations are not usable: ml-gitops/manifest-path "../../../../user/repos.yaml" is not a path inside the config repo',
    );
    // The other model is polled as usual.
    const dev = (await t.store.getStatuses(FRAUD)).find(
      s => s.status.name === 'dev',
    )!.status;
    expect(dev.declared?.version).toBe('12');
  });

  it("reads the models' config repos and registry facts while the fleet's lists are read", async () => {
    const t = await setup();
    // Argo CD answers its list only once the registry was asked (or after
    // 3 s): a cycle that waited for the list before reading any model
    // would keep it waiting.
    let registryAsked!: () => void;
    const asked = new Promise<void>(resolve => {
      registryAsked = resolve;
    });
    let askedFirst: boolean | undefined;
    server.use(
      http.get(`${MLFLOW}/api/2.0/mlflow/model-versions/get`, () => {
        registryAsked();
        return undefined;
      }),
      http.get(`${ARGOCD}/api/v1/applications`, async () => {
        let timer: NodeJS.Timeout | undefined;
        askedFirst = await Promise.race([
          asked.then(() => true),
          new Promise<boolean>(resolve => {
            timer = setTimeout(resolve, 3_000, false);
          }),
        ]);
        clearTimeout(timer);
        return undefined;
      }),
    );
    await t.poller.pollAll();
    expect(askedFirst).toBe(true);
    // And the statuses are resolved against that list all the same.
    const prod = (await t.store.getStatuses(FRAUD)).find(
      s => s.status.name === 'production',
    )!.status;
    expect(prod.live?.version).toBe('12');
    expect(prod.drift.state).toBe('drifted');
  });

  it('reads a model again when a poll resolved it after it was read', async () => {
    const t = await setup();
    await t.poller.pollAll();
    // The cycle's two passes, by hand: a model read, then a push resolves it.
    const models = (t.poller as unknown as { models: ModelPoller }).models;
    const entity = modelEntity('fraud-detector', 'group:default/fraud-ml');
    const read = await models.prepare(entity, new Map());
    expect(models.preparedBefore(read)).toBe(false);
    await t.poller.pollEntityRef(FRAUD);
    expect(models.preparedBefore(read)).toBe(true);
    expect(models.preparedBefore(await models.prepare(entity, new Map()))).toBe(
      false,
    );
  });

  it('reads a pushed repo alone with a REST request, not a fleet query', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.repo.calls.length = 0;
    await t.poller.pollRepository(
      'https://github.com/acme/fraud-detector-config',
    );
    expect(t.repo.calls[0]).toBe('branches');
    expect(t.repo.calls).not.toContain('graphql');
  });

  it('writes and signals nothing for an unchanged model, yet reports when its source last answered', async () => {
    const t = await setup();
    // The first poll of each model asks for its open drift episodes once,
    // not once per environment.
    const listEpisodes = jest.spyOn(t.store, 'listOpenDriftEpisodesOf');
    const getEpisode = jest.spyOn(t.store, 'getOpenDriftEpisode');
    // Likewise its environments' newest deployments (for their checks and
    // time to serve): one read a model, which marking serving reuses.
    const latest = jest.spyOn(t.store, 'latestDeploymentsOf');
    const marked = jest.spyOn(t.store, 'markServing');
    // And what is stored of the models' history progress: one read for the
    // fleet, none a model.
    const oneValue = jest.spyOn(t.store, 'getCacheValue');
    const manyValues = jest.spyOn(t.store, 'getCacheValues');
    await t.poller.pollAll();
    const progressKey = (key: string) => key.startsWith('history:');
    expect(oneValue.mock.calls.map(([key]) => key).filter(progressKey)).toEqual(
      [],
    );
    expect(
      manyValues.mock.calls.filter(([keys]) => keys.some(progressKey)),
    ).toHaveLength(1);
    oneValue.mockRestore();
    manyValues.mockRestore();
    const asked = listEpisodes.mock.calls.flatMap(([refs]) => refs);
    expect(asked).toContain(FRAUD);
    expect(new Set(asked).size).toBe(asked.length);
    expect(getEpisode).not.toHaveBeenCalled();
    const latestOf = latest.mock.calls.flatMap(([refs]) => refs);
    expect(latestOf).toContain(FRAUD);
    expect(new Set(latestOf).size).toBe(latestOf.length);
    expect(marked).toHaveBeenCalled();
    for (const call of marked.mock.calls) {
      expect(call[4]).toEqual({ latest: expect.anything() });
    }
    expect(
      (await t.store.listHistory({ entityRef: FRAUD, limit: 10 })).items.some(
        d => d.servingAt !== undefined,
      ),
    ).toBe(true);
    listEpisodes.mockClear();
    latest.mockRestore();
    marked.mockRestore();
    const first = await t.store.getStatuses(FRAUD);
    const published = t.signals.publish.mock.calls.length;
    // both models were written together: one signal names both
    expect(published).toBe(1);
    expect(t.signals.publish).toHaveBeenCalledWith(
      expect.objectContaining({
        message: { keys: [expect.any(String), expect.any(String)] },
      }),
    );
    const writes = jest.spyOn(t.store, 'writeStatuses');
    const serving = jest.spyOn(t.store, 'markServing');
    const latestSteady = jest.spyOn(t.store, 'latestDeploymentsOf');
    const episodes = jest.spyOn(t.store, 'getOpenDriftEpisode');
    const since = jest.spyOn(t.store, 'listStatusesSince');

    await t.poller.pollAll();
    // The rows this poller wrote are newer than the cursor's margin, but
    // its snapshot holds them as written: none is parsed again.
    expect(since).toHaveBeenCalledTimes(1);
    expect((await since.mock.results[0].value).items).toEqual([]);
    expect(writes).not.toHaveBeenCalled();
    expect(serving).not.toHaveBeenCalled();
    expect(latestSteady).not.toHaveBeenCalled();
    expect(episodes).not.toHaveBeenCalled();
    expect(listEpisodes).not.toHaveBeenCalled();
    expect(t.signals.publish).toHaveBeenCalledTimes(published);
    const second = await t.store.getStatuses(FRAUD);
    expect(second.map(s => s.updatedAt)).toEqual(first.map(s => s.updatedAt));
    // The stored live values follow their Argo CD instance's last answer.
    expect(second.map(s => s.observedFrom)).toEqual([
      'argocd:main',
      'argocd:main',
      'argocd:main',
    ]);

    // Argo CD fails: the state changes in substance and is written once.
    t.setArgoDown(true);
    await t.poller.pollAll();
    expect(writes).toHaveBeenCalledTimes(1);
    expect(t.signals.publish).toHaveBeenCalledTimes(published + 1);
    const failing = await t.store.getStatuses(FRAUD);
    expect(failing[0].status.drift.state).toBe('unknown');
    expect(failing[0].status.live?.observedAt).toBe(
      second[0].status.live?.observedAt,
    );
    expect(failing[0].observedFrom).toBeUndefined();
  });

  it('reads only the new commits when a branch moves, and asks Argo CD to refresh', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.repo.calls.length = 0;
    const c4 = t.repo.commit({
      branch: 'dev',
      message: 'Deploy 13',
      login: 'ada',
      date: '2026-11-27T23:58:00Z',
      files: { 'deploy/model.yaml': manifest('13') },
    });
    await t.poller.pollAll();
    // The branch heads, then the new head commit and its manifest read
    // ahead in one GraphQL query: no commit is read through REST, and none
    // before the last head seen is read at all.
    expect(t.repo.calls.filter(c => c.startsWith('graphql'))).toEqual([
      'graphql',
      'graphql-objects',
    ]);
    expect(t.repo.calls.filter(c => c.startsWith('commit:'))).toEqual([]);
    const dev = (await t.store.getStatuses(FRAUD))[0].status;
    expect(dev.declared).toMatchObject({
      version: '13',
      commit: c4,
      author: 'ada',
    });
    // Argo CD still runs 12, but the change is two minutes old: progressing.
    expect(dev.drift.state).toBe('progressing');
    expect(t.argoCalls).toContain('refresh:fraud-detector-dev');
  });

  it('polls the models of a config repo at once when the Git host reports a push', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.repo.commit({
      branch: 'dev',
      message: 'Deploy 13',
      login: 'ada',
      date: '2026-11-27T23:59:00Z',
      files: { 'deploy/model.yaml': manifest('13') },
    });
    const polled = await t.poller.pollRepository(
      'https://github.com/ACME/fraud-detector-config.git',
    );
    expect(polled).toEqual([FRAUD]);
    const dev = (await t.store.getStatuses(FRAUD))[0].status;
    expect(dev.declared?.version).toBe('13');
    expect(
      await t.poller.pollRepository('https://github.com/acme/unrelated'),
    ).toEqual([]);
  });

  // The scheduled poll is a global task: another replica may hold it for
  // good, and this one must still act on what reaches it.
  it('polls the models of a pushed repo on a replica that never ran the scheduled poll', async () => {
    const t = await setup();
    const polled = await t.poller.pollRepository(
      'https://github.com/acme/fraud-detector-config',
    );
    expect(polled).toEqual([FRAUD]);
    expect(await t.store.getStatuses(FRAUD)).toHaveLength(3);
  });

  it('resolves what a watch reports on a replica that never ran the scheduled poll', async () => {
    const t = await setup();
    await t.poller.prepareWatches();
    const observations = await t.source.listObservations();
    const production = observations.find(
      o => o.model === 'fraud-detector' && o.environment === 'production',
    )!;
    t.poller.sourceChanged(t.source, {
      observations: [{ ...production, syncStatus: 'Synced' }],
      removed: [],
      complete: false,
    });
    await t.poller.settleWatched();
    const statuses = await t.store.getStatuses(FRAUD);
    expect(statuses.map(s => s.status.name).sort()).toEqual([
      'dev',
      'production',
      'staging',
    ]);
    expect(
      statuses.find(s => s.status.name === 'production')?.status.live
        ?.syncStatus,
    ).toBe('Synced');
    expect(t.signals.publish).toHaveBeenCalled();
  });

  it('folds a burst of refreshes of one model into one poll now and one at the end of the interval', async () => {
    const t = await setup(undefined, {
      refreshMinInterval: { milliseconds: 300 },
    });
    const lists = () => t.argoCalls.filter(c => c.startsWith('?')).length;
    const burst = await Promise.all([
      t.poller.pollEntityRef(FRAUD),
      t.poller.pollEntityRef(FRAUD),
      t.poller.pollEntityRef(FRAUD),
      t.poller.pollEntityRef(FRAUD),
    ]);
    expect(burst).toEqual([true, true, true, true]);
    // The first ran at once; the other three shared one trailing poll.
    expect(lists()).toBe(2);
    const refreshes = t.argoCalls.filter(c => c.startsWith('refresh:'));
    expect(refreshes).toHaveLength(2 * 3);
  });

  it('reads the fleet once for a push to a repo of several models', async () => {
    const shadow = modelEntity(
      'fraud-detector-shadow',
      'group:default/fraud-ml',
    );
    shadow.metadata.annotations!['ml-gitops/config-repo'] =
      'https://github.com/acme/fraud-detector-config';
    shadow.metadata.annotations!['ml-gitops/model'] = 'fraud-detector';
    const t = await setup([
      modelEntity('fraud-detector', 'group:default/fraud-ml'),
      shadow,
    ]);
    await t.poller.pollAll();
    const before = t.argoCalls.filter(c => c.startsWith('?')).length;
    const polled = await t.poller.pollRepository(
      'https://github.com/acme/fraud-detector-config',
    );
    expect(polled).toHaveLength(2);
    // Within refreshMinInterval of the cycle: its Argo CD list is reused.
    expect(t.argoCalls.filter(c => c.startsWith('?')).length).toBe(before);
  });

  it('shows the freeze of a branch with the commit that wrote it, and a rejected version', async () => {
    const t = await setup();
    const frozen = `${manifest(
      '11',
    )}freeze:\n  reason: incident 4711\n  until: "2026-12-24T00:00:00Z"\n`;
    const freezing = t.repo.commit({
      branch: 'production',
      message: 'Freeze production',
      login: 'linus',
      date: '2026-11-20T09:00:00Z',
      files: { 'deploy/model.yaml': frozen },
    });
    t.repo.commit({
      branch: 'production',
      message: 'Tune the chart',
      login: 'ada',
      date: '2026-11-21T09:00:00Z',
      files: { 'deploy/chart/values.yaml': 'replicas: 4\n' },
    });
    // A freeze whose until has passed (NOW is 2026-11-28) does not hold.
    t.repo.commit({
      branch: 'staging',
      message: 'An old freeze',
      login: 'ada',
      date: '2026-11-01T09:00:00Z',
      files: {
        'deploy/model.yaml': `${manifest(
          '12',
        )}freeze: { reason: past, until: "2026-11-02T00:00:00Z" }\n`,
      },
    });
    // Version 11 (production's) was rejected by the rollback that left it.
    server.use(
      http.get(`${MLFLOW}/api/2.0/mlflow/model-versions/get`, ({ request }) => {
        const version = new URL(request.url).searchParams.get('version');
        return HttpResponse.json({
          model_version: {
            name: 'fraud-detector',
            version,
            creation_timestamp: 1727776800000,
            current_stage: 'None',
            run_id: `run-${version}`,
            status: 'READY',
            ...(version === '11'
              ? {
                  tags: [
                    { key: 'validation_status', value: 'rejected' },
                    {
                      key: 'ml-gitops.rejected_reason',
                      value: 'p95 latency doubled',
                    },
                    {
                      key: 'ml-gitops.rejected_by',
                      value: 'user:default/alice',
                    },
                    {
                      key: 'ml-gitops.rejected_at',
                      value: '2026-11-25T07:00:00Z',
                    },
                  ],
                }
              : {}),
          },
        });
      }),
    );
    await t.poller.pollAll();

    const [dev, staging, production] = (await t.store.getStatuses(FRAUD)).map(
      s => s.status,
    );
    expect(production.freeze).toEqual({
      reason: 'incident 4711',
      until: '2026-12-24T00:00:00Z',
      setBy: 'linus',
      setAt: '2026-11-20T09:00:00.000Z',
      commit: freezing,
    });
    expect(staging.freeze).toBeUndefined();
    expect(dev.freeze).toBeUndefined();
    expect(production.registry?.rejected).toEqual({
      reason: 'p95 latency doubled',
      by: 'user:default/alice',
      at: '2026-11-25T07:00:00Z',
    });
    expect(staging.registry?.rejected).toBeUndefined();

    // A pull request that lifts the freeze: gone at the next poll.
    t.repo.commit({
      branch: 'production',
      message: 'Unfreeze production',
      login: 'linus',
      date: '2026-11-27T09:00:00Z',
      files: { 'deploy/model.yaml': manifest('11') },
    });
    await t.poller.pollAll();
    const after = (await t.store.getStatuses(FRAUD)).map(s => s.status);
    expect(after[2].freeze).toBeUndefined();
  });

  it('recognises a rollback merged as a pull request', async () => {
    const t = await setup();
    await t.poller.pollAll();
    // The rollback PR's head is a revert commit; the merge brings it in.
    const revert = t.repo.commit({
      branch: 'rollback-staging',
      parents: [t.s2],
      message: `Revert "Promote 12"\n\nThis reverts commit ${t.s2}.`,
      login: 'linus',
      date: '2026-11-27T23:50:00Z',
      files: { 'deploy/model.yaml': manifest('11') },
    });
    const merge = t.repo.commit({
      branch: 'staging',
      parents: [t.s2, revert],
      message: 'Merge pull request #12 from acme/rollback-staging',
      login: 'grace',
      date: '2026-11-27T23:55:00Z',
      files: { 'deploy/model.yaml': manifest('11') },
    });
    t.repo.pulls.push({
      number: 12,
      mergeCommit: merge,
      base: 'staging',
      head: 'rollback-staging',
      mergedAt: '2026-11-27T23:55:00Z',
      mergedBy: 'grace',
      approvers: ['ada'],
      user: 'linus',
      body: `Rolls back.\n\n${changeRecordBlock({
        kind: 'rollback',
        environment: 'staging',
        from: '12',
        to: '11',
        reason: 'AUC dropped on live traffic',
      })}`,
    });
    const sentBefore = t.notifications.send.mock.calls.length;
    await t.poller.pollAll();
    const history = await t.store.listHistory({
      entityRef: FRAUD,
      environment: 'staging',
      limit: 1,
    });
    expect(history.items[0]).toMatchObject({
      kind: 'rollback',
      version: '11',
      previousVersion: '12',
      commit: merge,
      author: 'linus',
      reason: 'AUC dropped on live traffic',
      pullRequest: { number: 12, mergedBy: 'grace', reviewers: ['ada'] },
    });
    // The owners hear of it once, with the reason.
    const rolledBack = t.notifications.send.mock.calls
      .slice(sentBefore)
      .map(([n]: any[]) => n.payload)
      .filter((p: any) => p.scope.startsWith('ml-gitops:rollback-merged:'));
    expect(rolledBack).toEqual([
      expect.objectContaining({
        title: 'fraud-detector rolled back in staging: 12 → 11',
        description:
          'linus rolled staging back to version 11 (#12). Reason: AUC dropped on live traffic.',
      }),
    ]);
    await t.poller.pollAll();
    expect(
      t.notifications.send.mock.calls.filter(([n]: any[]) =>
        n.payload.scope.startsWith('ml-gitops:rollback-merged:'),
      ),
    ).toHaveLength(1);
  });

  it('closes the drift episode and tells the owners once when the environment is back in line, and when a rollback missed its target', async () => {
    const t = await setup();
    await t.poller.pollAll();
    expect(t.notifications.send).toHaveBeenCalledTimes(1);

    // Argo CD syncs production to the rollback.
    t.apps[2] = argoApp(
      'fraud-detector-production',
      'production',
      'Synced',
      t.p3,
      '2026-11-27T23:59:00Z',
    );
    await t.poller.pollAll();
    await t.poller.pollAll();

    const production = (await t.store.getStatuses(FRAUD))[2].status;
    expect(production.drift.state).toBe('in-sync');
    expect(
      await t.store.getOpenDriftEpisode(FRAUD, 'production'),
    ).toBeUndefined();
    const [episode] = await t.store.listDriftEpisodes(FRAUD, 10);
    expect(episode.endedAt).toBe(NOW.toISOString());
    // The rollback served long after its merge: it missed the 5 min target.
    expect(t.notifications.send).toHaveBeenCalledTimes(3);
    expect(t.notifications.send).toHaveBeenNthCalledWith(
      2,
      expect.objectContaining({
        payload: expect.objectContaining({
          title: 'fraud-detector: the rollback in production missed its target',
          description: expect.stringMatching(
            /^Version 11 \([0-9a-f]{7}\) served 1261 h 59 min after the merge; the target is 5 min\.$/,
          ),
          severity: 'high',
        }),
      }),
    );
    expect(t.notifications.send).toHaveBeenLastCalledWith(
      expect.objectContaining({
        payload: expect.objectContaining({
          title: 'fraud-detector: production is back in line with Git',
          scope: `ml-gitops:drift:${FRAUD}:production`,
        }),
      }),
    );
  });

  it('isolates failing sources: their environments are unknown, last good values stay, other models go on', async () => {
    const t = await setup();
    await t.poller.pollAll();
    t.setArgoDown(true);
    await t.poller.pollAll();

    const [dev] = (await t.store.getStatuses(FRAUD)).map(s => s.status);
    expect(dev.drift.state).toBe('unknown');
    expect(dev.drift.reason).toMatch(
      /argocd:main failing since 2026-11-28T00:00:00.000Z: Argo CD "main" answered 500/,
    );
    expect(dev.live?.version).toBe('12');
    expect(dev.declared?.version).toBe('12');

    const churn = (
      await t.store.getStatuses('component:default/churn-predictor')
    ).map(s => s.status);
    expect(churn).toHaveLength(3);
    expect(churn[0].drift.state).toBe('unknown');
    expect(churn[0].drift.reason).toMatch(
      /git failing since .*Could not resolve to a Repository with the name .acme\/churn-predictor-config.*Check the ml-gitops\/config-repo annotation/,
    );
  });
});
