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
import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from 'sandbox';
import { eventually } from './__testUtils__/eventStreams';
import { modelEntity } from './__testUtils__/modelEntity';
import { mlGitopsPlugin } from './plugin';
import { MlGitopsPoller } from './poller/MlGitopsPoller';

jest.setTimeout(120_000);

const SECRET = 'gitlab-webhook-secret-for-tests';
const PROJECT = 'ml-platform/demand-forecaster-config';
const REF = 'component:default/demand-forecaster';

/** As in plugin.gitlabWebhook.test.ts: the GitLab events module's two modules. */
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

/**
 * A merge on a GitLab config repo reaching the backend at once: the
 * sandbox's GitLab sends its push webhook to the backend's
 * `/api/events/http/gitlab`, the events backend with the GitLab module
 * checks the token and publishes `gitlab.push`, and the plugin finds the
 * model annotated with the pushed project and polls it.
 */
describe('mlGitopsPlugin: push webhooks of the sandbox GitLab', () => {
  let sandbox: Sandbox;
  let backendUrl: string;
  let pollRepository: jest.SpyInstance;

  beforeAll(async () => {
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      log: () => {},
    });
    const gitlab = new URL(sandbox.urls.gitlab);
    const entity = modelEntity('demand-forecaster');
    entity.metadata.annotations![
      'ml-gitops/config-repo'
    ] = `${sandbox.urls.gitlab}/${PROJECT}`;
    const events = mockServices.events();
    const backend = await startTestBackend({
      features: [
        mlGitopsPlugin,
        eventsPlugin,
        ...gitlabEventsModules(),
        // One in-process event broker for all plugins, as the default
        // EventsService is.
        createServiceFactory({
          service: eventsServiceRef,
          deps: {},
          factory: () => events,
        }),
        mockServices.rootConfig.factory({
          data: {
            integrations: {
              gitlab: [
                {
                  host: gitlab.host,
                  baseUrl: sandbox.urls.gitlab,
                  apiBaseUrl: `${sandbox.urls.gitlab}/api/v4`,
                  token: SANDBOX_CREDENTIALS.gitlab.token,
                },
              ],
            },
            events: {
              http: { topics: ['gitlab'] },
              modules: { gitlab: { webhookSecret: SECRET } },
            },
            mlGitops: {
              environments: ['dev', 'staging', 'production'],
              // Keep the scheduled poll out of this test.
              schedule: {
                frequency: { hours: 1 },
                timeout: { minutes: 1 },
                initialDelay: { hours: 1 },
              },
            },
          },
        }),
        catalogServiceMock.factory({ entities: [entity] }),
      ],
    });
    backendUrl = `http://127.0.0.1:${backend.server.port()}`;
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  beforeEach(() => {
    pollRepository = jest.spyOn(MlGitopsPoller.prototype, 'pollRepository');
  });
  afterEach(() => pollRepository.mockRestore());

  /** Commits a manifest to the dev branch through GitLab's API: one push. */
  async function pushToDev(version: string) {
    const res = await fetch(
      `${sandbox.urls.gitlab}/api/v4/projects/${encodeURIComponent(
        PROJECT,
      )}/repository/commits`,
      {
        method: 'POST',
        headers: {
          'private-token': SANDBOX_CREDENTIALS.gitlab.token,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          branch: 'dev',
          commit_message: `Deploy demand-forecaster ${version} to dev`,
          actions: [
            {
              action: 'update',
              file_path: 'deploy/model.yaml',
              content: `model_version: "${version}"\n`,
            },
          ],
        }),
      },
    );
    expect(res.status).toBe(201);
    await sandbox.webhooksIdle();
    return sandbox.gitlabWebhookDeliveries().slice(-1)[0];
  }

  it('refuses a hook with another token, and polls nothing', async () => {
    sandbox.setGitlabWebhook({
      url: `${backendUrl}/api/events/http/gitlab`,
      secret: 'another-secret',
    });
    const delivery = await pushToDev('4');
    expect(delivery).toMatchObject({ event: 'Push Hook', status: 403 });
    // Give a wrongly published event the time it would need to arrive.
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(pollRepository).not.toHaveBeenCalled();
  });

  it('polls the model of the pushed project at once with the right token', async () => {
    sandbox.setGitlabWebhook({
      url: `${backendUrl}/api/events/http/gitlab`,
      secret: SECRET,
    });
    const delivery = await pushToDev('5');
    expect(delivery).toMatchObject({ event: 'Push Hook', status: 202 });
    await eventually(
      () => pollRepository.mock.calls.length > 0,
      'the poll of the pushed project',
    );
    expect(pollRepository.mock.calls).toEqual([
      [`${sandbox.urls.gitlab}/${PROJECT}`],
    ]);
    // The index matched the project's web_url to the annotated model.
    await expect(pollRepository.mock.results[0].value).resolves.toEqual([REF]);
  });
});
