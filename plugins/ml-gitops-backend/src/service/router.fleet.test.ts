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

import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  createPermissionIntegrationRouter,
  createPermissionRule,
  ServerPermissionClient,
} from '@backstage/plugin-permission-node';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import express from 'express';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { z } from 'zod/v3';
import { DatabaseMlGitopsStore } from '../database/DatabaseMlGitopsStore';
import { createRouter } from './router';

const ENVIRONMENTS = ['dev', 'staging', 'production'];
/** `GET /v1/fleet`'s largest page: the router refuses a larger `limit` (400). */
const MAX_PAGE = 500;
const OWNER = 'group:default/ml';

/** Long names, as catalogs have them: they make each permission item larger. */
const refOf = (i: number) =>
  `component:default/model-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`;
const ownerOf = (i: number) => (i % 2 === 0 ? OWNER : 'group:default/other');

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
 * The catalog's `IS_ENTITY_OWNER` rule in small: the owner of each test
 * entity is known by its ref.
 */
const isEntityOwner = createPermissionRule({
  name: 'IS_ENTITY_OWNER',
  description: 'Allow entities owned by one of the claims',
  resourceType: 'catalog-entity',
  paramsSchema: z.object({ claims: z.array(z.string()) }),
  apply: (resource: { ref: string; owner: string }, { claims }) =>
    claims.includes(resource.owner),
  toQuery: () => ({}),
});

/**
 * The permission backend and the catalog as seen from a plugin, over HTTP:
 * the real `ServerPermissionClient` posts to `/api/permission/authorize`,
 * answered as @backstage/plugin-permission-backend's
 * `src/service/router.ts` answers (its body parsed by `express.json()`
 * without a limit of its own, so body-parser's 100 kB; a conditional
 * decision of the policy is sent on for all items of the request at once
 * to the plugin's apply-conditions endpoint), and that endpoint is the real
 * `createPermissionIntegrationRouter` of @backstage/plugin-permission-node
 * (the catalog's), with the same limit.
 */
async function startPermissionBackend(policy: PolicyDecision) {
  const app = express();
  const bodies: number[] = [];
  let base = '';
  app.post(
    '/api/permission/authorize',
    express.json(),
    async (req, res, next) => {
      try {
        bodies.push(Number(req.headers['content-length']));
        const items: Array<{ id: string; resourceRef?: string }> =
          req.body.items;
        if (policy.result !== AuthorizeResult.CONDITIONAL) {
          res.json({ items: items.map(i => ({ id: i.id, ...policy })) });
          return;
        }
        const withRef = items.filter(i => i.resourceRef);
        const applied = new Map<string, string>();
        if (withRef.length > 0) {
          const response = await fetch(
            `${base}/api/catalog/.well-known/backstage/permissions/apply-conditions`,
            {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                items: withRef.map(i => ({
                  id: i.id,
                  resourceRef: i.resourceRef,
                  ...policy,
                })),
              }),
            },
          );
          if (!response.ok) {
            res.status(response.status).json(await response.json());
            return;
          }
          const body = await response.json();
          for (const item of body.items) applied.set(item.id, item.result);
        }
        res.json({
          items: items.map(i =>
            i.resourceRef
              ? { id: i.id, result: applied.get(i.id) }
              : { id: i.id, ...policy },
          ),
        });
      } catch (error) {
        next(error);
      }
    },
  );
  app.use(
    '/api/catalog',
    createPermissionIntegrationRouter({
      resourceType: 'catalog-entity',
      rules: [isEntityOwner],
      getResources: async refs =>
        refs.map(ref => ({
          ref,
          owner: ownerOf(Number(/model-(\d+)/.exec(ref)![1])),
        })),
    }),
  );
  app.use(
    MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    }).error(),
  );
  const server = app.listen(0);
  await new Promise(resolve => server.once('listening', resolve));
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  const permissions = ServerPermissionClient.fromConfig(
    new ConfigReader({ permission: { enabled: true } }),
    {
      auth: mockServices.auth(),
      discovery: {
        getBaseUrl: async id => `${base}/api/${id}`,
        getExternalBaseUrl: async id => `${base}/api/${id}`,
      },
    },
  );
  return { permissions, bodies, close: () => server.close() };
}

describe('GET /v1/fleet at its largest page, through the permission backend', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup(policy: PolicyDecision) {
    const knex = await databases.init('SQLITE_3');
    const store = await DatabaseMlGitopsStore.create({
      database: { getClient: async () => knex },
    });
    await store.writeStatuses(
      Array.from({ length: MAX_PAGE }, (_, i) => ({
        entityRef: refOf(i),
        model: `model-${i}`,
        statuses: ENVIRONMENTS.map(e => ({ status: status(e) })),
      })),
    );
    const backend = await startPermissionBackend(policy);
    const router = await createRouter({
      logger: mockServices.logger.mock(),
      httpAuth: mockServices.httpAuth(),
      auth: mockServices.auth(),
      permissions: backend.permissions,
      catalog: catalogServiceMock({ entities: [] }),
      store,
      poller: { pollEntityRef: async () => true },
      environments: ENVIRONMENTS,
    });
    const middleware = MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    });
    const app = express().use(router).use(middleware.error());
    return { app, backend };
  }

  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('filters a page of 500 by an owners-only policy, in batches the permission backend accepts', async () => {
    const { app, backend } = await setup({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: [OWNER] },
      },
    });
    close = backend.close;

    const res = await request(app).get(`/v1/fleet?limit=${MAX_PAGE}`);
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((i: { entityRef: string }) => i.entityRef),
    ).toEqual(
      Array.from({ length: MAX_PAGE }, (_, i) => i)
        .filter(i => ownerOf(i) === OWNER)
        .map(refOf),
    );
    expect(res.body.nextCursor).toBeUndefined();
    // One question for the permission as such, then the entities in more
    // than one batch, each within the limit.
    expect(backend.bodies.length).toBeGreaterThan(2);
    expect(Math.max(...backend.bodies)).toBeLessThanOrEqual(100 * 1024);
  });

  it('asks nothing per entity when the policy allows every read', async () => {
    const { app, backend } = await setup({ result: AuthorizeResult.ALLOW });
    close = backend.close;

    const res = await request(app).get(`/v1/fleet?limit=${MAX_PAGE}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(MAX_PAGE);
    // The next page view of the same user within the read decisions' time
    // asks nothing.
    const again = await request(app).get(`/v1/fleet?limit=${MAX_PAGE}`);
    expect(again.body.items).toHaveLength(MAX_PAGE);
    expect(backend.bodies).toHaveLength(1);
  });
});
