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
import { Entity } from '@backstage/catalog-model';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ArgoCdSource } from '../providers/argocd/ArgoCdSource';
import { createRegistries } from '../providers/registry/createRegistries';
import {
  argoCdApplication,
  argoCdListAnswer,
  argoCdVersionHandler,
} from '../__testUtils__/argoCd';
import { modelEntity } from '../__testUtils__/modelEntity';
import { pollerBasics } from '../__testUtils__/pollerBasics';
import { MlGitopsPoller } from './MlGitopsPoller';
import { PollHealth } from './PollHealth';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

/**
 * Faults of the outside systems, at the level of the poller: two Argo CD
 * instances (east runs fraud-detector, west runs churn-predictor) and one
 * MLflow, all in msw with the payloads the real systems send.
 */

const EAST = 'https://argocd-east.example.com';
const WEST = 'https://argocd-west.example.com';
const MLFLOW = 'https://mlflow.example.com';
const ENVIRONMENTS = ['dev', 'staging', 'production'];
const T0 = Date.parse('2026-11-28T00:00:00Z');
const FRAUD = 'component:default/fraud-detector';
const CHURN = 'component:default/churn-predictor';
const GITLAB = 'gitlab.example.com';
/** A host of an integration that no Git host of the plugin reads. */
const BITBUCKET = 'bitbucket.example.com';

/** A config repo whose three branches declare version 7 of the model. */
function configRepo(model: string) {
  const repo = new FakeGithubRepo('acme', `${model}-config`);
  const heads: Record<string, string> = {};
  let parent: string | undefined;
  ENVIRONMENTS.forEach((environment, i) => {
    heads[environment] = repo.commit({
      branch: environment,
      ...(parent ? { parents: [parent] } : {}),
      message:
        i === 0 ? 'Deploy 7' : `Merge pull request #${i} from acme/promote`,
      login: 'ada',
      date: `2026-11-2${i}T10:00:00Z`,
      files: i === 0 ? { 'deploy/model.yaml': manifest('7', model) } : {},
    });
    parent = heads[environment];
  });
  return { repo, heads };
}

/** An Argo CD Application synced at `revision`. */
function application(model: string, environment: string, revision: string) {
  return argoCdApplication({
    model,
    environment,
    project: 'ml',
    revision,
    operation: {
      phase: 'Succeeded',
      startedAt: '2026-11-27T10:00:00Z',
      finishedAt: '2026-11-27T10:01:00Z',
    },
  });
}

type Mode = 'up' | 'down' | 'slow' | 'unauthorized';

describe('MlGitopsPoller faults', () => {
  const server = setupServer(
    argoCdVersionHandler(EAST),
    argoCdVersionHandler(WEST),
  );
  registerMswTestHooks(server);
  registerContractChecks(server);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup(options: { extraEntities?: Entity[] } = {}) {
    const fraud = configRepo('fraud-detector');
    const churn = configRepo('churn-predictor');
    const modes: Record<'east' | 'west' | 'mlflow', Mode> = {
      east: 'up',
      west: 'up',
      mlflow: 'up',
    };
    const calls = { east: 0, west: 0 };
    /** The Applications each instance was asked to refresh, by name. */
    const refreshes: Record<'east' | 'west', string[]> = { east: [], west: [] };
    /** MLflow's ModelVersionStatus of every version (model_registry.proto). */
    const registration = { status: 'READY', message: '' };
    const argo = (
      name: 'east' | 'west',
      url: string,
      model: string,
      heads: Record<string, string>,
    ) => [
      http.get(`${url}/api/v1/applications`, async ({ request }) => {
        calls[name] += 1;
        if (request.headers.get('authorization') !== `Bearer ${name}-token`) {
          throw new Error('the token of the other instance was sent');
        }
        switch (modes[name]) {
          case 'down':
            return HttpResponse.json(
              {
                error:
                  'rpc error: code = Unavailable desc = connection refused',
                code: 14,
                message:
                  'rpc error: code = Unavailable desc = connection refused',
              },
              { status: 503 },
            );
          case 'slow':
            await delay(10_000);
            break;
          case 'unauthorized':
            return HttpResponse.json(
              {
                error:
                  'invalid session: token has invalid claims: token is expired',
                code: 16,
                message:
                  'invalid session: token has invalid claims: token is expired',
              },
              { status: 401 },
            );
          default:
        }
        return argoCdListAnswer(
          request,
          ENVIRONMENTS.map(e => application(model, e, heads[e])),
        );
      }),
      // The poller asks for a refresh when a branch moved: Argo CD's `Get`
      // with `?refresh=normal` answers the Application once its controller
      // has compared it with Git (server/application/application.go).
      http.get(
        `${url}/api/v1/applications/:application`,
        ({ params, request }) => {
          const application_ = String(params.application);
          const q = new URL(request.url).searchParams;
          if (q.get('refresh') === 'normal') {
            refreshes[name].push(application_);
          }
          const environment = ENVIRONMENTS.find(
            e => application_ === `${model}-${e}`,
          );
          if (modes[name] !== 'up' || !environment) {
            const message = `rpc error: code = NotFound desc = applications.argoproj.io "${application_}" not found`;
            return HttpResponse.json(
              { error: message, code: 5, message },
              { status: 404 },
            );
          }
          return HttpResponse.json(
            application(model, environment, heads[environment]),
          );
        },
      ),
    ];
    server.use(
      ...fraud.repo.handlers(),
      ...churn.repo.handlers(),
      ...argo('east', EAST, 'fraud-detector', fraud.heads),
      ...argo('west', WEST, 'churn-predictor', churn.heads),
      http.get(`${MLFLOW}/api/2.0/mlflow/model-versions/get`, ({ request }) => {
        if (modes.mlflow !== 'up') return HttpResponse.error();
        const q = new URL(request.url).searchParams;
        return HttpResponse.json({
          model_version: {
            name: q.get('name'),
            version: q.get('version'),
            creation_timestamp: 1732000000000,
            last_updated_timestamp: 1732000000000,
            current_stage: 'Production',
            source: 'mlflow-artifacts:/1/abc/artifacts/model',
            run_id: 'abc',
            status: registration.status,
            ...(registration.message
              ? { status_message: registration.message }
              : {}),
            aliases: ['champion'],
          },
        });
      }),
      http.get(`${MLFLOW}/api/2.0/mlflow/runs/get`, () =>
        HttpResponse.json({
          run: {
            info: { run_id: 'abc', experiment_id: '1', status: 'FINISHED' },
            data: {
              metrics: [{ key: 'auc', value: 0.95, timestamp: 1, step: 0 }],
            },
          },
        }),
      ),
    );

    const knex = await databases.init('SQLITE_3');
    const { store, mlConfig, git, history, logger } = await pollerBasics(knex, {
      integrations: {
        github: [{ host: 'github.com', token: 'gh-token' }],
        bitbucketServer: [{ host: BITBUCKET }],
        gitlab: [
          {
            host: GITLAB,
            apiBaseUrl: `https://${GITLAB}/api/v4`,
            token: 'gl-token',
          },
        ],
      },
      mlGitops: {
        // Short, so a 10 s answer is cut by the timeout and the test is fast.
        requestTimeout: { milliseconds: 300 },
        argocd: {
          instances: [
            { name: 'east', url: EAST, token: 'east-token' },
            { name: 'west', url: WEST, token: 'west-token' },
          ],
        },
        registries: [
          { name: 'mlflow-default', type: 'mlflow', url: MLFLOW },
          {
            name: 'kubeflow-default',
            type: 'kubeflow',
            url: 'https://kubeflow.example.com',
            token: 'kf-token',
          },
        ],
      },
    });
    let now = T0;
    const notifications = { send: jest.fn(async (_: unknown) => {}) };
    const registries = createRegistries(mlConfig.registries, [], {
      timeoutMs: mlConfig.requestTimeoutMs,
      now: () => now,
    });
    const poller = new MlGitopsPoller({
      logger,
      auth: mockServices.auth(),
      catalog: catalogServiceMock.mock({
        queryEntities: async () => {
          const items = [
            modelEntity('fraud-detector'),
            modelEntity('churn-predictor'),
            ...(options.extraEntities ?? []),
          ];
          return { items, totalItems: items.length, pageInfo: {} };
        },
      }),
      store,
      git,
      history,
      sources: mlConfig.argocd.map(instance =>
        ArgoCdSource.fromConfig(instance, {
          logger,
          timeoutMs: mlConfig.requestTimeoutMs,
        }),
      ),
      registries,
      config: mlConfig,
      notifications,
      now: () => new Date(now),
    });
    const statuses = async (entityRef: string) =>
      Object.fromEntries(
        (await store.getStatuses(entityRef)).map(s => [
          s.status.name,
          s.status,
        ]),
      ) as Record<string, EnvironmentStatus>;
    return {
      poller,
      store,
      notifications,
      churn,
      modes,
      registration,
      calls,
      refreshes,
      statuses,
      /** Polls at T0 + seconds. */
      pollAt: async (seconds: number) => {
        now = T0 + seconds * 1000;
        await poller.pollAll();
      },
    };
  }

  const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

  it('starts with every environment in sync and every gate passed', async () => {
    const t = await setup();
    await t.pollAt(0);
    for (const ref of [FRAUD, CHURN]) {
      const statuses = await t.statuses(ref);
      for (const environment of ENVIRONMENTS) {
        expect(statuses[environment].drift.state).toBe('in-sync');
        expect(statuses[environment].live?.observedAt).toBe(at(0));
        expect(statuses[environment].registry?.gate).toBe('passed');
      }
    }
    expect(t.calls).toEqual({ east: 1, west: 1 });
  });

  it.each([
    [
      'down',
      /^argocd:east failing since 2026-11-28T00:00:30\.000Z: Argo CD "east" answered 503 to \/api\/v1\/applications: rpc error: code = Unavailable desc = connection refused$/,
    ],
    [
      'slow',
      /^argocd:east failing since 2026-11-28T00:00:30\.000Z: Argo CD "east" at https:\/\/argocd-east\.example\.com did not answer \/api\/v1\/applications within 0\.3 s \(mlGitops\.requestTimeout\)$/,
    ],
    [
      'unauthorized',
      /^argocd:east failing since 2026-11-28T00:00:30\.000Z: Argo CD "east" answered 401 to \/api\/v1\/applications: invalid session: token has invalid claims: token is expired; check the token or credentials in mlGitops\.argocd\.instances$/,
    ],
  ] as const)(
    'with the east instance %s, west stays fresh and east environments are unknown since the first failure',
    async (mode, reason) => {
      const t = await setup();
      await t.pollAt(0);
      t.modes.east = mode;

      const started = Date.now();
      await t.pollAt(30);
      // A 10 s answer is cut by the 300 ms request timeout, not waited for.
      expect(Date.now() - started).toBeLessThan(5_000);
      await t.pollAt(60);

      const fraud = await t.statuses(FRAUD);
      const churn = await t.statuses(CHURN);
      for (const environment of ENVIRONMENTS) {
        // The other instance's environments are fresh.
        expect(churn[environment].drift.state).toBe('in-sync');
        expect(churn[environment].live?.observedAt).toBe(at(60));
        // The affected ones say which instance fails and since when …
        expect(fraud[environment].drift.state).toBe('unknown');
        expect(fraud[environment].drift.reason).toMatch(reason);
        // … and keep the last good values with their age.
        expect(fraud[environment].live).toMatchObject({
          version: '7',
          instance: 'east',
          syncStatus: 'Synced',
          observedAt: at(0),
        });
        expect(fraud[environment].declared?.version).toBe('7');
      }
      // Each instance was asked once per cycle.
      expect(t.calls).toEqual({ east: 3, west: 3 });

      // East recovers: its environments are fresh again.
      t.modes.east = 'up';
      await t.pollAt(90);
      const recovered = await t.statuses(FRAUD);
      expect(recovered.dev.drift.state).toBe('in-sync');
      expect(recovered.dev.live?.observedAt).toBe(at(90));
    },
  );

  it('polls the other models when a config repo is on a Git host it does not read, and names that host', async () => {
    const gitlabModel = modelEntity('demand-forecaster');
    gitlabModel.metadata.annotations![
      'ml-gitops/config-repo'
    ] = `https://${BITBUCKET}/ml-platform/demand-forecaster-config`;
    gitlabModel.metadata.annotations!['ml-gitops/registry'] =
      'kubeflow-default';
    const t = await setup({ extraEntities: [gitlabModel] });
    await t.pollAt(0);
    for (const ref of [FRAUD, CHURN]) {
      const statuses = await t.statuses(ref);
      for (const environment of ENVIRONMENTS) {
        expect(statuses[environment].drift.state).toBe('in-sync');
      }
    }
    const forecaster = await t.statuses('component:default/demand-forecaster');
    for (const environment of ENVIRONMENTS) {
      expect(forecaster[environment].declared).toBeNull();
      expect(forecaster[environment].drift).toMatchObject({
        state: 'unknown',
        reason: expect.stringContaining(
          `is on ${BITBUCKET}, a host of integrations.bitbucketServer`,
        ),
      });
    }
  });

  it('tells the owners once when an environment stays unknown longer than alerts.unknownAfter, and again only after it recovered', async () => {
    const t = await setup();
    const silent = () =>
      t.notifications.send.mock.calls
        .map(([n]) => n as { recipients: unknown; payload: any })
        .filter(n => n.payload.scope.startsWith('ml-gitops:silent:'));
    await t.pollAt(0);
    t.modes.east = 'down';
    // Unknown from 30 s on; the default alerts.unknownAfter is 30 minutes.
    await t.pollAt(30);
    await t.pollAt(30 + 29 * 60);
    expect(silent()).toHaveLength(0);

    await t.pollAt(30 + 30 * 60);
    expect(silent()).toHaveLength(3);
    const production = silent().find(n =>
      n.payload.scope.endsWith(':production'),
    )!;
    expect(production).toEqual({
      recipients: { type: 'entity', entityRef: FRAUD },
      payload: expect.objectContaining({
        title: 'fraud-detector: production has been unknown for 30 min',
        severity: 'high',
        scope: `ml-gitops:silent:${FRAUD}:production`,
      }),
    });
    expect(production.payload.description).toContain(
      'since 2026-11-28T00:00:30.000Z: argocd:east failing since 2026-11-28T00:00:30.000Z',
    );
    // The churn predictor, read from the west instance, is never silent.
    expect(silent().every(n => n.payload.scope.includes(FRAUD))).toBe(true);

    // Still unknown: nothing more, however long it lasts.
    await t.pollAt(30 + 60 * 60);
    await t.pollAt(30 + 120 * 60);
    expect(silent()).toHaveLength(3);

    // Observed again: the owners hear it once, in the same scope.
    t.modes.east = 'up';
    await t.pollAt(3 * 3600);
    await t.pollAt(3 * 3600 + 30);
    expect(silent()).toHaveLength(6);
    expect(silent()[5].payload).toMatchObject({
      title: 'fraud-detector: production is observed again',
      description: `It was unknown or missing from 2026-11-28T00:00:30.000Z to ${at(
        3 * 3600,
      )}. Now in-sync.`,
      scope: `ml-gitops:silent:${FRAUD}:production`,
    });

    // A new silence counts from its own start and alerts once more.
    t.modes.east = 'down';
    await t.pollAt(4 * 3600);
    await t.pollAt(4 * 3600 + 29 * 60);
    expect(silent()).toHaveLength(6);
    await t.pollAt(4 * 3600 + 30 * 60);
    expect(silent()).toHaveLength(9);
  });

  it('records each cycle and what each source answered for the health endpoint', async () => {
    const t = await setup();
    await t.pollAt(0);
    t.modes.east = 'down';
    t.modes.mlflow = 'down';
    // Past the registry's cache (five minutes for a READY version), so
    // MLflow is really asked.
    await t.pollAt(301);
    await t.pollAt(331);

    const health = PollHealth.toResponse(
      await PollHealth.read(t.store),
      90_000,
      new Date(T0 + 340_000),
    );
    expect(health.status).toBe('degraded');
    expect(health.cycle.lastCompleted).toMatchObject({
      startedAt: at(331),
      finishedAt: at(331),
      models: 2,
      failedModels: 0,
    });
    expect(health.cycle.failure).toBeUndefined();
    expect(health.sources).toEqual([
      {
        name: 'argocd:east',
        kind: 'argocd',
        lastSuccessAt: at(0),
        failure: {
          message: expect.stringContaining('Argo CD "east" answered 503'),
          since: at(301),
        },
      },
      { name: 'argocd:west', kind: 'argocd', lastSuccessAt: at(331) },
      { name: 'git:github.com', kind: 'git', lastSuccessAt: at(331) },
      {
        name: 'registry:mlflow-default',
        kind: 'registry',
        lastSuccessAt: at(0),
        failure: {
          message: expect.stringContaining('is unreachable'),
          since: at(301),
        },
      },
    ]);
    // A model's observation time is the start of the last cycle.
    expect(
      PollHealth.modelObservedAt(await PollHealth.read(t.store), FRAUD),
    ).toBe(at(331));

    // No cycle for longer than staleAfter: stale.
    expect(
      PollHealth.toResponse(
        await PollHealth.read(t.store),
        90_000,
        new Date(T0 + 331_000 + 91_000),
      ).status,
    ).toBe('stale');

    // Everything answers again.
    t.modes.east = 'up';
    t.modes.mlflow = 'up';
    await t.pollAt(361);
    const recovered = PollHealth.toResponse(
      await PollHealth.read(t.store),
      90_000,
      new Date(T0 + 370_000),
    );
    expect(recovered.status).toBe('ok');
    expect(recovered.sources.map(s => [s.name, s.lastSuccessAt])).toEqual([
      ['argocd:east', at(361)],
      ['argocd:west', at(361)],
      ['git:github.com', at(361)],
      ['registry:mlflow-default', at(361)],
    ]);
    expect(recovered.sources.some(s => s.failure)).toBe(false);
  });

  it('blames each environment on its own failing instance', async () => {
    const t = await setup();
    await t.pollAt(0);
    t.modes.east = 'down';
    await t.pollAt(30);
    t.modes.west = 'unauthorized';
    await t.pollAt(60);

    const fraud = await t.statuses(FRAUD);
    const churn = await t.statuses(CHURN);
    expect(fraud.production.drift.reason).toMatch(
      /^argocd:east failing since 2026-11-28T00:00:30\.000Z: Argo CD "east" answered 503/,
    );
    expect(fraud.production.drift.reason).not.toMatch(/west/);
    expect(churn.production.drift.reason).toMatch(
      /^argocd:west failing since 2026-11-28T00:01:00\.000Z: Argo CD "west" answered 401/,
    );
    expect(churn.production.drift.reason).not.toMatch(/east/);
  });

  it('makes gates unknown, never passed, while MLflow is unreachable', async () => {
    const t = await setup();
    await t.pollAt(0);
    t.modes.mlflow = 'down';
    // Past the registry's cache (at most five minutes for a READY version),
    // so MLflow is really asked.
    await t.pollAt(301);

    const fraud = await t.statuses(FRAUD);
    for (const environment of ENVIRONMENTS) {
      const registry = fraud[environment].registry!;
      expect(registry.gate).toBe('unknown');
      expect(registry.reason).toMatch(
        /^registry:mlflow-default failing since 2026-11-28T00:05:01\.000Z: Registry "mlflow-default": MLflow at https:\/\/mlflow\.example\.com is unreachable/,
      );
      // The last good facts of the same version stay visible.
      expect(registry).toMatchObject({
        version: '7',
        exists: true,
        metrics: { auc: 0.95 },
        thresholds: { auc: { min: 0.92 } },
      });
      // The registry does not decide drift.
      expect(fraud[environment].drift.state).toBe('in-sync');
    }

    t.modes.mlflow = 'up';
    await t.pollAt(331);
    const back = (await t.statuses(FRAUD)).dev.registry!;
    expect(back.gate).toBe('passed');
    expect(back.reason).toBeUndefined();
  });

  it.each(['PENDING_REGISTRATION', 'FAILED_REGISTRATION'])(
    'shows a %s version with its state and never passes its gate',
    async status => {
      const t = await setup();
      t.registration.status = status;
      t.registration.message = 'uploading artifacts';
      await t.pollAt(0);
      const fraud = await t.statuses(FRAUD);
      for (const environment of ENVIRONMENTS) {
        expect(fraud[environment].registry).toMatchObject({
          version: '7',
          exists: true,
          status,
          // The run's metrics meet the gate, but the version is not READY.
          metrics: { auc: 0.95 },
          gate: 'failed',
        });
      }
      // Registered at last: read again within a minute, READY and passed.
      t.registration.status = 'READY';
      await t.pollAt(61);
      expect((await t.statuses(FRAUD)).dev.registry).toMatchObject({
        status: 'READY',
        gate: 'passed',
      });
    },
  );

  it('keeps a failing registry failing since its first failure while other models read its cached answers', async () => {
    // READY answers stay cached exactly five minutes.
    jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const t = await setup();
      await t.pollAt(0);
      t.modes.mlflow = 'down';
      // A version MLflow was never asked for: churn must ask, fraud-detector
      // still answers from the registry's cache.
      t.churn.repo.commit({
        branch: 'dev',
        message: 'Deploy 8',
        login: 'ada',
        date: '2026-11-28T00:00:10Z',
        files: { 'deploy/model.yaml': manifest('8', 'churn-predictor') },
      });
      await t.pollAt(30);
      // the moved branch's Application was asked to refresh, on its own
      // instance only
      expect(t.refreshes).toEqual({ east: [], west: ['churn-predictor-dev'] });
      await t.pollAt(60);
      await t.pollAt(90);
      const churnDev = (await t.statuses(CHURN)).dev.registry!;
      expect(churnDev.gate).toBe('unknown');
      expect(churnDev.reason).toMatch(
        /^registry:mlflow-default failing since 2026-11-28T00:00:30\.000Z: /,
      );
      const fraudDev = (await t.statuses(FRAUD)).dev.registry!;
      expect(fraudDev.gate).toBe('passed');
      expect(fraudDev.reason).toBeUndefined();
    } finally {
      jest.restoreAllMocks();
    }
  });
});
