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
import { createHmac } from 'node:crypto';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { modelEntity } from './__testUtils__/modelEntity';
import { mlGitopsPlugin } from './plugin';
import { MlGitopsPoller } from './poller/MlGitopsPoller';

const SECRET = 'webhook-secret-for-tests';

/**
 * The GitHub events module's two modules (signature check, routing to
 * `github.<event>`). Its default export is a feature loader that imports them
 * dynamically, which Jest cannot run without --experimental-vm-modules: load
 * them the way the loader does.
 */
function githubEventsModules(): BackendFeature[] {
  const dir = dirname(
    require.resolve(
      '@backstage/plugin-events-backend-module-github/package.json',
    ),
  );
  return [
    'dist/service/eventsModuleGithubWebhook.cjs.js',
    'dist/service/eventsModuleGithubEventRouter.cjs.js',
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
 * The webhook path as docs/configuration.md sets it up: GitHub posts to the
 * events backend's `/api/events/http/github`, events-backend-module-github
 * checks `X-Hub-Signature-256` against `events.modules.github.webhookSecret`
 * and routes the event to `github.push`, where this plugin polls the pushed
 * config repo. The plugin does not check signatures itself: an unsigned or
 * wrongly signed push must not reach it.
 */
describe('mlGitopsPlugin: GitHub push webhook', () => {
  const config = {
    integrations: { github: [{ host: 'github.com', token: 'test-token' }] },
    events: {
      http: { topics: ['github'] },
      modules: { github: { webhookSecret: SECRET } },
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
        ...githubEventsModules(),
        // One in-process event broker for all plugins, as the default
        // EventsService is (the test backend's mock is one per plugin).
        createServiceFactory({
          service: eventsServiceRef,
          deps: {},
          factory: () => events,
        }),
        mockServices.rootConfig.factory({ data: config }),
        catalogServiceMock.factory({
          entities: [modelEntity('fraud-detector')],
        }),
      ],
    });
    return server;
  }

  // GitHub's push payload (the fields that matter here), sent as GitHub
  // sends it: the signature is the HMAC-SHA256 of the raw body
  // (docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
  const body = JSON.stringify({
    ref: 'refs/heads/staging',
    repository: {
      html_url: 'https://github.com/acme/fraud-detector-config',
      clone_url: 'https://github.com/acme/fraud-detector-config.git',
    },
  });
  const sign = (secret: string) =>
    `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const post = (server: Awaited<ReturnType<typeof start>>) =>
    request(server)
      .post('/api/events/http/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'push');

  it('polls the config repo of a correctly signed push', async () => {
    const server = await start();
    const res = await post(server)
      .set('x-hub-signature-256', sign(SECRET))
      .send(body);
    expect(res.status).toBe(202);
    await eventually(() =>
      expect(pollRepository.mock.calls).toEqual([
        ['https://github.com/acme/fraud-detector-config'],
      ]),
    );
  });

  it('refuses an unsigned or wrongly signed push before it reaches the plugin', async () => {
    const server = await start();
    const unsigned = await post(server).send(body);
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toEqual({ message: 'invalid signature' });

    const wrong = await post(server)
      .set('x-hub-signature-256', sign('another-secret'))
      .send(body);
    expect(wrong.status).toBe(403);

    // A correctly signed push afterwards arrives: the two above were
    // refused, not merely slow.
    await post(server).set('x-hub-signature-256', sign(SECRET)).send(body);
    await eventually(() => expect(pollRepository).toHaveBeenCalledTimes(1));
  });
});
