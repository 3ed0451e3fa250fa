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
  AuthorizePermissionRequest,
  AuthorizeResult,
  isResourcePermission,
  QueryPermissionRequest,
} from '@backstage/plugin-permission-common';
import {
  Deployment,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import express from 'express';
import request from 'supertest';
import { modelEntity } from '../__testUtils__/modelEntity';
import { DatabaseMlGitopsStore } from '../database/DatabaseMlGitopsStore';
import { historyProgressKey } from '../database/MlGitopsStore';
import { POLL_HEALTH_KEY, StoredPollHealth } from '../poller/PollHealth';
import { createRouter } from './router';

const ALLOWED = 'component:default/fraud-detector';
const DENIED = 'component:default/churn-predictor';
const ENVIRONMENTS = ['dev', 'staging', 'production'];

/**
 * A permission policy that decides per resource, as a conditional policy
 * (e.g. "owners only") does once the permission backend has applied its
 * conditions to each entity: ALLOW for the fraud detector, DENY for the churn
 * predictor. Every request is recorded, so the tests can see what the router
 * asked.
 */
class PerEntityPermissions implements PermissionsService {
  readonly asked: { name: string; resourceRef?: string }[][] = [];

  async authorize(requests: AuthorizePermissionRequest[]) {
    this.asked.push(
      requests.map(r => ({
        name: r.permission.name,
        resourceRef: 'resourceRef' in r ? r.resourceRef : undefined,
      })),
    );
    return requests.map(r => ({
      result:
        isResourcePermission(r.permission) &&
        'resourceRef' in r &&
        r.resourceRef === ALLOWED
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    })) as Awaited<ReturnType<PermissionsService['authorize']>>;
  }

  async authorizeConditional(requests: QueryPermissionRequest[]) {
    // As a conditional policy answers for the permission as such: the
    // conditions are applied per entity (the router asks `authorize` with
    // each entity ref, and the permission backend has the catalog apply
    // them).
    return requests.map(r => ({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['group:default/fraud'] },
      },
      permission: r.permission,
    })) as Awaited<ReturnType<PermissionsService['authorizeConditional']>>;
  }
}

function status(name: string, version: string): EnvironmentStatus {
  return {
    name,
    declared: {
      version,
      commit: version.repeat(40).slice(0, 40),
      author: 'ada',
      committedAt: '2026-11-01T10:00:00.000Z',
    },
    live: null,
    registry: null,
    drift: { state: 'drifted', since: '2026-11-01T10:10:00.000Z', reason: 'x' },
  };
}

function deployment(version: string): Deployment {
  return {
    environment: 'production',
    version,
    commit: version.repeat(40).slice(0, 40),
    author: 'ada',
    committedAt: '2026-11-01T10:00:00.000Z',
    kind: 'deploy',
  };
}

describe('createRouter: read permission per entity', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup() {
    const knex = await databases.init('SQLITE_3');
    const store = await DatabaseMlGitopsStore.create({
      database: { getClient: async () => knex },
    });
    // Both models are polled and drifted in every environment; each has a
    // recorded production deployment.
    await store.replaceStatuses(
      ALLOWED,
      'fraud-detector',
      ENVIRONMENTS.map(e => status(e, '7')),
    );
    await store.replaceStatuses(
      DENIED,
      'churn-predictor',
      ENVIRONMENTS.map(e => status(e, '3')),
    );
    await store.recordDeployments(ALLOWED, [deployment('7')]);
    await store.recordDeployments(DENIED, [deployment('3')]);

    const permissions = new PerEntityPermissions();
    const poller = { pollEntityRef: jest.fn(async () => true) };
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
      poller,
      environments: ENVIRONMENTS,
    });
    const middleware = MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    });
    const app = express().use(router).use(middleware.error());
    return { app, permissions, poller, store };
  }

  const readAsked = (resourceRef: string) => ({
    name: 'ml-gitops.deployment.read',
    resourceRef,
  });

  it('serves the deployments of the allowed model and refuses the denied one', async () => {
    const { app, permissions } = await setup();

    const allowed = await request(app).get(
      `/v1/deployments?entityRef=${ALLOWED}`,
    );
    expect(allowed.status).toBe(200);
    expect(allowed.body.model).toBe('fraud-detector');

    const denied = await request(app).get(
      `/v1/deployments?entityRef=${DENIED}`,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe(
      `You are not allowed to read the deployments of ${DENIED}`,
    );
    expect(denied.body.environments).toBeUndefined();
    expect(permissions.asked).toEqual([
      [readAsked(ALLOWED)],
      [readAsked(DENIED)],
    ]);
  });

  it("reuses the poll's health it read for 2 s for a model's observedAt, and reads it anew for /v1/health", async () => {
    const { app, store } = await setup();
    const health = (startedAt: string): StoredPollHealth => ({
      cycle: {
        lastCompleted: {
          startedAt,
          finishedAt: startedAt,
          durationMs: 0,
          models: 2,
          failedModels: 0,
        },
      },
      sources: {},
      failedModels: {},
    });
    const observedAt = async () =>
      (await request(app).get(`/v1/deployments?entityRef=${ALLOWED}`)).body
        .observedAt;
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(Date.parse('2026-11-01T10:00:00Z'));
      await store.setCacheValue(
        POLL_HEALTH_KEY,
        health('2026-11-01T09:59:00Z'),
      );
      expect(await observedAt()).toBe('2026-11-01T09:59:00Z');

      // The next cycle ends: a view within 2 s shows the one before.
      await store.setCacheValue(
        POLL_HEALTH_KEY,
        health('2026-11-01T10:00:00Z'),
      );
      now.mockReturnValue(Date.parse('2026-11-01T10:00:01.999Z'));
      expect(await observedAt()).toBe('2026-11-01T09:59:00Z');
      const read = await request(app).get('/v1/health');
      expect(read.body.cycle.lastCompleted.startedAt).toBe(
        '2026-11-01T10:00:00Z',
      );

      now.mockReturnValue(Date.parse('2026-11-01T10:00:02Z'));
      expect(await observedAt()).toBe('2026-11-01T10:00:00Z');
    } finally {
      now.mockRestore();
    }
  });

  it('serves the history of the allowed model and refuses the denied one', async () => {
    const { app, permissions } = await setup();

    const allowed = await request(app).get(`/v1/history?entityRef=${ALLOWED}`);
    expect(allowed.status).toBe(200);
    expect(allowed.body.items.map((d: Deployment) => d.version)).toEqual(['7']);

    const denied = await request(app).get(`/v1/history?entityRef=${DENIED}`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe(
      `You are not allowed to read the deployments of ${DENIED}`,
    );
    expect(denied.body.items).toBeUndefined();
    expect(permissions.asked).toEqual([
      [readAsked(ALLOWED)],
      [readAsked(DENIED)],
    ]);
  });

  it('says which environments of the history still have older deployments to come', async () => {
    const { app, store } = await setup();
    // As the poller stores it while it reads production's older history.
    await store.setCacheValue(historyProgressKey(ALLOWED), ['production']);

    const all = await request(app).get(`/v1/history?entityRef=${ALLOWED}`);
    expect(all.body.readingOlderHistory).toEqual(['production']);
    const production = await request(app).get(
      `/v1/history?entityRef=${ALLOWED}&environment=production`,
    );
    expect(production.body.readingOlderHistory).toEqual(['production']);
    const dev = await request(app).get(
      `/v1/history?entityRef=${ALLOWED}&environment=dev`,
    );
    expect(dev.status).toBe(200);
    expect(dev.body).not.toHaveProperty('readingOlderHistory');

    await store.setCacheValue(historyProgressKey(ALLOWED), []);
    const done = await request(app).get(`/v1/history?entityRef=${ALLOWED}`);
    expect(done.body).not.toHaveProperty('readingOlderHistory');
  });

  it('lists drift of the allowed model only, asking once for the whole list', async () => {
    const { app, permissions } = await setup();

    const res = await request(app).get('/v1/drift');
    expect(res.status).toBe(200);
    expect(
      res.body.items.map(
        (i: { entityRef: string; environment: string }) =>
          `${i.entityRef} ${i.environment}`,
      ),
    ).toEqual(ENVIRONMENTS.map(e => `${ALLOWED} ${e}`));
    // One batched request, one decision per entity.
    expect(permissions.asked).toHaveLength(1);
    expect(permissions.asked[0]).toEqual(
      expect.arrayContaining([readAsked(ALLOWED), readAsked(DENIED)]),
    );
    expect(permissions.asked[0]).toHaveLength(2);
  });

  it('lists the allowed model in the fleet and leaves the denied one out', async () => {
    const { app, permissions } = await setup();

    const res = await request(app).get('/v1/fleet');
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((i: { entityRef: string }) => i.entityRef),
    ).toEqual([ALLOWED]);
    expect(res.body.items[0].environments).toHaveLength(3);
    expect(permissions.asked).toHaveLength(1);
    expect(permissions.asked[0]).toEqual(
      expect.arrayContaining([readAsked(ALLOWED), readAsked(DENIED)]),
    );
  });

  it('pages the fleet by the store, not by what the caller may read', async () => {
    const { app } = await setup();

    // Page 1 holds only the denied model (refs sort churn < fraud): it is
    // empty for this caller, but the cursor leads on to the allowed one.
    const first = await request(app).get('/v1/fleet?limit=1');
    expect(first.body).toEqual({ items: [], nextCursor: expect.any(String) });
    // The cursor does not name the model the caller may not read.
    const cursor: string = first.body.nextCursor;
    expect(cursor).not.toContain('churn');
    expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain(
      'churn',
    );
    const second = await request(app).get(
      `/v1/fleet?limit=1&cursor=${encodeURIComponent(cursor)}`,
    );
    expect(
      second.body.items.map((i: { entityRef: string }) => i.entityRef),
    ).toEqual([ALLOWED]);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it('refuses a cursor it did not give, such as an entity ref', async () => {
    const { app } = await setup();
    for (const forged of [
      DENIED,
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      const res = await request(app).get(
        `/v1/fleet?limit=1&cursor=${encodeURIComponent(forged)}`,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        'cursor is not a cursor this API gave; start again without it',
      );
    }
  });

  it('refreshes the allowed model and refuses to poll the denied one', async () => {
    const { app, permissions, poller } = await setup();

    const allowed = await request(app)
      .post('/v1/refresh')
      .send({ entityRef: ALLOWED });
    expect(allowed.status).toBe(202);
    const denied = await request(app)
      .post('/v1/refresh')
      .send({ entityRef: DENIED });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toBe(
      `You are not allowed to refresh the deployments of ${DENIED}`,
    );
    expect(poller.pollEntityRef.mock.calls).toEqual([[ALLOWED]]);
    expect(permissions.asked).toEqual([
      [{ name: 'ml-gitops.deployment.refresh', resourceRef: ALLOWED }],
      [{ name: 'ml-gitops.deployment.refresh', resourceRef: DENIED }],
    ]);
  });
});
