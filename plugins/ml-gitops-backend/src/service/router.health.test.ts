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

import { PermissionsService } from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  EnvironmentStatus,
  HealthResponse,
} from '@ml-gitops/plugin-ml-gitops-common';
import express from 'express';
import request from 'supertest';
import { modelEntity } from '../__testUtils__/modelEntity';
import { DatabaseMlGitopsStore } from '../database/DatabaseMlGitopsStore';
import { PollHealth } from '../poller/PollHealth';
import { createRouter } from './router';

const FRAUD = 'component:default/fraud-detector';
const CHURN = 'component:default/churn-predictor';
const ENVIRONMENTS = ['dev', 'staging', 'production'];
const T0 = Date.parse('2026-11-28T12:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function status(name: string): EnvironmentStatus {
  return {
    name,
    declared: null,
    live: null,
    registry: null,
    drift: { state: 'missing' },
  };
}

/**
 * A policy whose answer to the read permission without a resource is set
 * by the test: ALLOW (e.g. an admin), CONDITIONAL (owners only: they may
 * read some models) or DENY. Per-entity requests are allowed.
 */
class ReadPolicy implements PermissionsService {
  readonly conditional: string[] = [];
  constructor(public result: AuthorizeResult) {}

  async authorize(requests: { permission: unknown }[]) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW })) as Awaited<
      ReturnType<PermissionsService['authorize']>
    >;
  }

  async authorizeConditional(
    requests: { permission: { name: string } }[],
  ): Promise<PolicyDecision[]> {
    this.conditional.push(...requests.map(r => r.permission.name));
    return requests.map(() =>
      this.result === AuthorizeResult.CONDITIONAL
        ? {
            result: AuthorizeResult.CONDITIONAL,
            pluginId: 'catalog',
            resourceType: 'catalog-entity',
            conditions: {
              rule: 'IS_ENTITY_OWNER',
              resourceType: 'catalog-entity',
              params: { claims: ['group:default/ml'] },
            },
          }
        : { result: this.result as AuthorizeResult.ALLOW },
    ) as PolicyDecision[];
  }
}

describe('createRouter: poller health and staleness', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup(
    options: { result?: AuthorizeResult; cycles?: boolean } = {},
  ) {
    const knex = await databases.init('SQLITE_3');
    const store = await DatabaseMlGitopsStore.create({
      database: { getClient: async () => knex },
    });
    for (const [ref, model] of [
      [FRAUD, 'fraud-detector'],
      [CHURN, 'churn-predictor'],
    ]) {
      await store.replaceStatuses(ref, model, ENVIRONMENTS.map(status));
    }
    if (options.cycles !== false) {
      // Two cycles as the poller records them: in the second the Argo CD
      // instance fails and the churn predictor's poll throws.
      const health = new PollHealth();
      health.succeeded('argocd:main', 'argocd', at(0));
      health.gitRead(
        'github.com',
        'https://github.com/acme/a',
        undefined,
        at(1),
      );
      await health.finishCycle(store, {
        startedAt: at(0),
        finishedAt: at(2),
        models: 2,
        failedModels: [],
        polledRepos: new Map([['https://github.com/acme/a', 'github.com']]),
        expected: new Set(['argocd:main']),
      });
      health.failed(
        'argocd:main',
        'argocd',
        { message: 'Argo CD "main" answered 503', since: at(30) },
        at(30),
      );
      await health.finishCycle(store, {
        startedAt: at(30),
        finishedAt: at(33),
        models: 2,
        failedModels: [CHURN],
        polledRepos: new Map(),
        expected: new Set(['argocd:main']),
      });
    }
    const permissions = new ReadPolicy(
      options.result ?? AuthorizeResult.CONDITIONAL,
    );
    let now = T0 + 40_000;
    const router = await createRouter({
      logger: mockServices.logger.mock(),
      httpAuth: mockServices.httpAuth(),
      auth: mockServices.auth(),
      permissions,
      catalog: catalogServiceMock({
        entities: [
          modelEntity('fraud-detector'),
          modelEntity('churn-predictor'),
        ],
      }),
      store,
      poller: { pollEntityRef: jest.fn(async () => true) },
      environments: ENVIRONMENTS,
      staleAfterMs: 90_000,
      now: () => new Date(now),
    });
    const middleware = MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    });
    const app = express().use(router).use(middleware.error());
    return {
      app,
      permissions,
      setNow: (seconds: number) => {
        now = T0 + seconds * 1000;
      },
    };
  }

  it('reports the last cycle and each source, with failures, to whoever may read some model', async () => {
    const { app, permissions } = await setup();
    const res = await request(app).get('/v1/health');
    expect(res.status).toBe(200);
    const body = res.body as HealthResponse;
    expect(body).toEqual({
      checkedAt: at(40),
      status: 'degraded',
      staleAfterSeconds: 90,
      cycle: {
        lastCompleted: {
          startedAt: at(30),
          finishedAt: at(33),
          durationMs: 3000,
          models: 2,
          failedModels: 1,
        },
      },
      sources: [
        {
          name: 'argocd:main',
          kind: 'argocd',
          lastSuccessAt: at(0),
          failure: { message: 'Argo CD "main" answered 503', since: at(30) },
        },
      ],
    });
    expect(permissions.conditional).toEqual(['ml-gitops.deployment.read']);
  });

  it('refuses the health to a caller the policy denies every model', async () => {
    const { app } = await setup({ result: AuthorizeResult.DENY });
    const res = await request(app).get('/v1/health');
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(
      /not allowed to read the deployments of any model \(ml-gitops\.deployment\.read\)/,
    );
    expect(res.body.sources).toBeUndefined();
  });

  it('reports the poller stale when no cycle finished within staleAfter, or none ever did', async () => {
    const running = await setup({ result: AuthorizeResult.ALLOW });
    running.setNow(33 + 91);
    expect((await request(running.app).get('/v1/health')).body.status).toBe(
      'stale',
    );
    const never = await setup({ cycles: false });
    const res = await request(never.app).get('/v1/health');
    expect(res.body).toMatchObject({ status: 'stale', cycle: {}, sources: [] });
  });

  it('says in every deployments answer when the model was last polled and when data turns stale', async () => {
    const { app } = await setup();
    const fraud = await request(app).get(`/v1/deployments?entityRef=${FRAUD}`);
    expect(fraud.body).toMatchObject({
      observedAt: at(30),
      staleAfterSeconds: 90,
    });
    // Its poll failed in the last cycle: the cycle before polled it.
    const churn = await request(app).get(`/v1/deployments?entityRef=${CHURN}`);
    expect(churn.body).toMatchObject({
      observedAt: at(0),
      staleAfterSeconds: 90,
    });
    const fleet = await request(app).get('/v1/fleet');
    expect(
      fleet.body.items.map((i: { entityRef: string; observedAt: string }) => [
        i.entityRef,
        i.observedAt,
      ]),
    ).toEqual([
      [CHURN, at(0)],
      [FRAUD, at(30)],
    ]);
  });
});
