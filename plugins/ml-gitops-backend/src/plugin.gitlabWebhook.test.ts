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
import eventsPlugin from '@backstage/plugin-events-backend';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  BackendFeature,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { modelEntity } from './__testUtils__/modelEntity';
import { mlGitopsPlugin } from './plugin';
import { MlGitopsPoller } from './poller/MlGitopsPoller';

const SECRET = 'gitlab-webhook-secret-for-tests';
const PROJECT =
  'https://gitlab.acme.corp/ml-platform/forecasting/demand-config';

/**
 * The GitLab events module's two modules (token check, routing to
 * `gitlab.<object_kind>`). Its default export is a feature loader that
 * imports them dynamically, which Jest cannot run without
 * --experimental-vm-modules: load them the way the loader does.
 */
function gitlabEventsModules(): BackendFeature[] {
  const dir = dirname(
    require.resolve(
      '@backstage/plugin-events-backend-module-gitlab/package.json',
    ),
  );
  return [
    'dist/service/eventsModuleGitlabWebhook.cjs.js',
    'dist/service/eventsModuleGitlabEventRouter.cjs.js',
  ].map(file => require(join(dir, file)).default);
}

/** Retries `check` until it passes: events are delivered asynchronously. */
async function eventually(check: () => void, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }
}

/**
 * The webhook path as docs/configuration.md sets it up for GitLab: a project
 * or group hook posts its push events to `/api/events/http/gitlab`,
 * events-backend-module-gitlab compares `X-Gitlab-Token` with
 * `events.modules.gitlab.webhookSecret` and routes the event by its
 * `object_kind` to `gitlab.push`, where this plugin polls the pushed project.
 */
describe('mlGitopsPlugin: GitLab push webhook', () => {
  const config = {
    integrations: {
      gitlab: [
        {
          host: 'gitlab.acme.corp',
          apiBaseUrl: 'https://gitlab.acme.corp/api/v4',
          token: 'test-token',
        },
      ],
    },
    events: {
      http: { topics: ['github', 'gitlab'] },
      modules: { gitlab: { webhookSecret: SECRET } },
    },
    mlGitops: {
      environments: ['dev', 'staging', 'production'],
      // Keep the scheduled poll out of these tests.
      schedule: {
        frequency: { hours: 1 },
        timeout: { minutes: 1 },
        initialDelay: { hours: 1 },
      },
    },
  };

  let pollRepository: jest.SpyInstance;
  beforeEach(() => {
    pollRepository = jest
      .spyOn(MlGitopsPoller.prototype, 'pollRepository')
      .mockResolvedValue([]);
  });
  afterEach(() => pollRepository.mockRestore());

  async function start() {
    const events = mockServices.events();
    const { server } = await startTestBackend({
      features: [
        mlGitopsPlugin,
        eventsPlugin,
        ...gitlabEventsModules(),
        // One in-process event broker for all plugins, as the default
        // EventsService is (the test backend's mock is one per plugin).
        createServiceFactory({
          service: eventsServiceRef,
          deps: {},
          factory: () => events,
        }),
        mockServices.rootConfig.factory({ data: config }),
        catalogServiceMock.factory({
          entities: [modelEntity('demand-forecaster')],
        }),
      ],
    });
    return server;
  }

  // GitLab's push event (the fields that matter here), with the headers a
  // project hook sends it with
  // (docs.gitlab.com/user/project/integrations/webhook_events#push-events,
  // docs.gitlab.com/user/project/integrations/webhooks#delivery-headers).
  const body = {
    object_kind: 'push',
    event_name: 'push',
    before: '1'.repeat(40),
    after: '2'.repeat(40),
    ref: 'refs/heads/production',
    checkout_sha: '2'.repeat(40),
    project_id: 3001,
    project: {
      id: 3001,
      web_url: PROJECT,
      git_http_url: `${PROJECT}.git`,
      path_with_namespace: 'ml-platform/forecasting/demand-config',
    },
    repository: { homepage: PROJECT, git_http_url: `${PROJECT}.git` },
  };
  const post = (server: Awaited<ReturnType<typeof start>>) =>
    request(server)
      .post('/api/events/http/gitlab')
      .set('content-type', 'application/json')
      .set('x-gitlab-event', 'Push Hook')
      .set('x-gitlab-instance', 'https://gitlab.acme.corp');

  it('polls the pushed project at once when the token is right', async () => {
    const server = await start();
    const res = await post(server).set('x-gitlab-token', SECRET).send(body);
    expect(res.status).toBe(202);
    await eventually(() =>
      expect(pollRepository.mock.calls).toEqual([[PROJECT]]),
    );
  });

  it('refuses a push without the token or with another one, and polls nothing', async () => {
    const server = await start();
    const missing = await post(server).send(body);
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ message: 'invalid token' });

    const wrong = await post(server)
      .set('x-gitlab-token', 'another-secret')
      .send(body);
    expect(wrong.status).toBe(403);

    // The right token afterwards arrives: the two above were refused, not
    // merely slow.
    await post(server).set('x-gitlab-token', SECRET).send(body);
    await eventually(() => expect(pollRepository).toHaveBeenCalledTimes(1));
    expect(pollRepository.mock.calls).toEqual([[PROJECT]]);
  });
});
