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
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import express from 'express';
import request from 'supertest';
import { modelEntity } from '../__testUtils__/modelEntity';
import { DatabaseMlGitopsStore } from '../database/DatabaseMlGitopsStore';
import { createRouter } from './router';

/*
 * Hostile REST input: what someone who can reach /api/ml-gitops might send
 * instead of what the frontend sends. Each answer is a 400 (or 404) that
 * says what to fix, the process stays up, and nothing is polled.
 */
describe('createRouter: hostile queries and bodies', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let app: express.Express;
  const poller = { pollEntityRef: jest.fn(async () => true) };

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    const store = await DatabaseMlGitopsStore.create({
      database: { getClient: async () => knex },
    });
    const router = await createRouter({
      logger: mockServices.logger.mock(),
      httpAuth: mockServices.httpAuth(),
      auth: mockServices.auth(),
      permissions: mockServices.permissions(),
      catalog: catalogServiceMock({
        entities: [modelEntity('fraud-detector')],
      }),
      store,
      poller,
      environments: ['dev', 'staging', 'production'],
    });
    const middleware = MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    });
    app = express().use(router).use(middleware.error());
  });

  const REQUIRED =
    'entityRef is required, e.g. component:default/fraud-detector';
  const notRef = (v: string) =>
    `entityRef "${v}" is not an entity reference such as component:default/fraud-detector`;

  it.each([
    ['no entityRef at all', '', 400, REQUIRED],
    ['an empty entityRef', 'entityRef=', 400, REQUIRED],
    ['entityRef twice (an array)', 'entityRef=a&entityRef=b', 400, REQUIRED],
    ['entityRef as an object', 'entityRef[kind]=component', 400, REQUIRED],
    [
      'entityRef as a prototype key',
      'entityRef[__proto__][x]=1',
      400,
      REQUIRED,
    ],
    [
      'a kind without a name',
      'entityRef=component:',
      400,
      notRef('component:'),
    ],
    [
      'a namespace without a name',
      'entityRef=component:default/',
      400,
      notRef('component:default/'),
    ],
    ['a name of colons', 'entityRef=:::', 400, notRef(':::')],
    [
      'a name with a slash in it',
      'entityRef=component:a/b/c',
      404,
      'No entity component:a/b/c in the catalog',
    ],
    [
      'an unknown model',
      'entityRef=component:default/nope',
      404,
      'No entity component:default/nope in the catalog',
    ],
  ])('GET /v1/deployments with %s', async (_, query, status, message) => {
    const res = await request(app).get(`/v1/deployments?${query}`);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(message);
  });

  const history = 'entityRef=component:default/fraud-detector';
  it.each([
    ['limit 0', `${history}&limit=0`, 'limit must be at least 1'],
    ['a negative limit', `${history}&limit=-5`, 'limit must be at least 1'],
    ['a huge limit', `${history}&limit=100000`, 'limit must be at most 500'],
    [
      'a fractional limit',
      `${history}&limit=1.5`,
      'limit must be a whole number',
    ],
    ['a limit that is text', `${history}&limit=ten`, 'limit'],
    ['a limit of Infinity', `${history}&limit=Infinity`, 'limit'],
    [
      'a negative offset',
      `${history}&offset=-1`,
      'offset must not be negative',
    ],
    ['an offset that is text', `${history}&offset=x`, 'offset'],
    [
      'an unknown environment',
      `${history}&environment=prod%0Auction`,
      'environment',
    ],
    [
      'an environment of SQL',
      `${history}&environment=dev'%20OR%201=1--`,
      'environment',
    ],
    ['an empty environment', `${history}&environment=`, 'environment'],
    [
      'environment as an array',
      `${history}&environment=dev&environment=staging`,
      'environment',
    ],
  ])('GET /v1/history with %s', async (_, query, message) => {
    const res = await request(app).get(`/v1/history?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it.each([
    ['limit 0', 'limit=0', 'limit must be at least 1'],
    ['a huge limit', 'limit=501', 'limit must be at most 500'],
    ['a limit that is text', 'limit=all', 'limit'],
    [
      'a cursor it never gave',
      'cursor=component:default/fraud-detector',
      'cursor',
    ],
    [
      'a cursor of random base64',
      `cursor=${Buffer.from('{"after":"x"}').toString('base64url')}`,
      'cursor',
    ],
    ['a cursor as an array', 'cursor=a&cursor=b', 'cursor'],
    ['an overlong cursor', `cursor=${'A'.repeat(5000)}`, 'cursor'],
  ])('GET /v1/fleet with %s', async (_, query, message) => {
    const res = await request(app).get(`/v1/fleet?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it.each([
    ['no body', undefined, 400, REQUIRED],
    ['an empty object', {}, 400, REQUIRED],
    ['entityRef as a number', { entityRef: 42 }, 400, REQUIRED],
    [
      'entityRef as a list',
      { entityRef: ['component:default/fraud-detector'] },
      400,
      REQUIRED,
    ],
    ['entityRef null', { entityRef: null }, 400, REQUIRED],
    [
      'a name that is not a ref',
      { entityRef: 'component:default/' },
      400,
      notRef('component:default/'),
    ],
    [
      'an unknown model',
      { entityRef: 'component:default/ghost' },
      404,
      'No entity component:default/ghost in the catalog',
    ],
  ])('POST /v1/refresh with %s', async (_, body, status, message) => {
    const req = request(app).post('/v1/refresh');
    const res = await (body === undefined ? req : req.send(body));
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(message);
    expect(poller.pollEntityRef).not.toHaveBeenCalled();
  });

  it('refuses a refresh body larger than 16 KiB', async () => {
    const res = await request(app)
      .post('/v1/refresh')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ entityRef: 'x'.repeat(20_000) }));
    expect(res.status).toBe(413);
    expect(poller.pollEntityRef).not.toHaveBeenCalled();
  });

  it('refuses a refresh body that is not JSON', async () => {
    const res = await request(app)
      .post('/v1/refresh')
      .set('Content-Type', 'application/json')
      .send('{"entityRef": ');
    expect(res.status).toBe(400);
    expect(poller.pollEntityRef).not.toHaveBeenCalled();
  });
});
