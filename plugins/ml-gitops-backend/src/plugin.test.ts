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

import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import request from 'supertest';
import { modelEntity } from './__testUtils__/modelEntity';
import { mlGitopsPlugin } from './plugin';

const fraudDetector = modelEntity('fraud-detector', 'fraud-ml');

const website: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'website', namespace: 'default' },
  spec: { type: 'website', owner: 'web', lifecycle: 'production' },
};

const config = {
  integrations: { github: [{ host: 'github.com', token: 'test-token' }] },
  mlGitops: {
    environments: ['dev', 'staging', 'production'],
    // Keep the scheduled poll out of these HTTP tests.
    schedule: {
      frequency: { hours: 1 },
      timeout: { minutes: 1 },
      initialDelay: { hours: 1 },
    },
  },
};

describe('mlGitopsPlugin', () => {
  // GitHub answers the refresh's poll; requests to the test backend itself
  // go through.
  const github = setupServer(
    http.get('https://api.github.com/*', () =>
      HttpResponse.json({ message: 'Not Found' }, { status: 404 }),
    ),
  );
  beforeAll(() => github.listen({ onUnhandledRequest: 'bypass' }));
  afterAll(() => github.close());

  async function start(
    result:
      | AuthorizeResult.ALLOW
      | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
  ) {
    const { server: httpServer } = await startTestBackend({
      features: [
        mlGitopsPlugin,
        mockServices.rootConfig.factory({ data: config }),
        mockServices.permissions.factory({ result }),
        catalogServiceMock.factory({ entities: [fraudDetector, website] }),
      ],
    });
    return httpServer;
  }

  it('answers for a model that has not been polled yet, in promotion order', async () => {
    const app = await start();
    const res = await request(app).get(
      '/api/ml-gitops/v1/deployments?entityRef=component:default/fraud-detector',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      entityRef: 'component:default/fraud-detector',
      model: 'fraud-detector',
      environments: ['dev', 'staging', 'production'].map(name => ({
        name,
        declared: null,
        live: null,
        registry: null,
        drift: {
          state: 'unknown',
          reason: 'Not polled yet: the first poll of this model is pending',
        },
      })),
      // Three poll periods: the schedule of this test polls every hour.
      staleAfterSeconds: 3 * 3600,
    });
  });

  it('says what is wrong with a bad request', async () => {
    const app = await start();

    const missing = await request(app).get('/api/ml-gitops/v1/deployments');
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/entityRef is required/);

    const bad = await request(app).get(
      '/api/ml-gitops/v1/deployments?entityRef=component:',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/not an entity reference/);

    const unknown = await request(app).get(
      '/api/ml-gitops/v1/deployments?entityRef=component:default/nope',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(
      'No entity component:default/nope in the catalog',
    );

    const notAModel = await request(app).get(
      '/api/ml-gitops/v1/deployments?entityRef=component:default/website',
    );
    expect(notAModel.status).toBe(404);
    expect(notAModel.body.error.message).toMatch(
      /add the annotation\(s\) ml-gitops\/model, ml-gitops\/config-repo/,
    );

    const limit = await request(app).get(
      '/api/ml-gitops/v1/history?entityRef=component:default/fraud-detector&limit=0',
    );
    expect(limit.status).toBe(400);
    expect(limit.body.error.message).toMatch(/limit: limit must be at least 1/);

    const env = await request(app).get(
      '/api/ml-gitops/v1/history?entityRef=component:default/fraud-detector&environment=qa',
    );
    expect(env.status).toBe(400);
    expect(env.body.error.message).toMatch(
      /Unknown environment "qa"; the environments are dev, staging, production/,
    );
  });

  it('serves empty history, drift and fleet before the first poll', async () => {
    const app = await start();
    const history = await request(app).get(
      '/api/ml-gitops/v1/history?entityRef=component:default/fraud-detector&environment=production',
    );
    expect(history.status).toBe(200);
    expect(history.body).toEqual({ items: [], total: 0 });
    expect((await request(app).get('/api/ml-gitops/v1/drift')).body).toEqual({
      items: [],
    });
    expect((await request(app).get('/api/ml-gitops/v1/fleet')).body).toEqual({
      items: [],
    });
  });

  it('accepts a refresh of a model and refuses one of an unknown entity', async () => {
    const app = await start();
    const accepted = await request(app)
      .post('/api/ml-gitops/v1/refresh')
      .send({ entityRef: 'component:default/fraud-detector' });
    expect(accepted.status).toBe(202);

    const unknown = await request(app)
      .post('/api/ml-gitops/v1/refresh')
      .send({ entityRef: 'component:default/nope' });
    expect(unknown.status).toBe(404);
  });

  it('refuses callers without permission', async () => {
    const app = await start(AuthorizeResult.DENY);
    const res = await request(app).get(
      '/api/ml-gitops/v1/deployments?entityRef=component:default/fraud-detector',
    );
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(
      /not allowed to read the deployments of component:default\/fraud-detector/,
    );
    const refresh = await request(app)
      .post('/api/ml-gitops/v1/refresh')
      .send({ entityRef: 'component:default/fraud-detector' });
    expect(refresh.status).toBe(403);
  });
});
