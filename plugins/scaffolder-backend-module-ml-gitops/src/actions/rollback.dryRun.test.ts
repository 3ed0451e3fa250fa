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
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox, startSandbox } from 'sandbox';
import { fraudDetectorEntity } from '../__testUtils__/setup';
import { scaffolderModuleMlGitops } from '../module';

/*
 * The attack: `POST /api/scaffolder/v2/dry-run` with an inline rollback step
 * used to return the task workspace, which held a clone of the config repo
 * read with the server's Git credentials. The real scaffolder backend runs
 * the real action against the sandbox's Git host here, and nothing of the
 * repo may come back.
 */

jest.setTimeout(180_000);

let sandbox: Sandbox;
let tmp: string;
let baseUrl: string;
let stopBackend: () => Promise<void>;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-dry-run-'));
  sandbox = await startSandbox({
    ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
    dataDir: path.join(tmp, 'data'),
    reconcileIntervalSeconds: 3600,
    log: () => {},
  });
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      scaffolderModuleMlGitops,
      catalogServiceMock.factory({
        entities: [
          fraudDetectorEntity({
            'ml-gitops/config-repo': `${sandbox.urls.git}/acme/fraud-detector-config`,
          }),
        ],
      }),
      mockServices.rootConfig.factory({
        data: {
          integrations: {
            github: [
              {
                host: new URL(sandbox.urls.git).host,
                apiBaseUrl: sandbox.urls.gitApi,
                token: 'sandbox-github-token',
              },
            ],
          },
          mlGitops: {
            environments: ['dev', 'staging', 'production'],
            registries: [
              {
                name: 'mlflow-default',
                type: 'mlflow',
                url: sandbox.urls.mlflow,
              },
            ],
          },
        },
      }),
    ],
  });
  baseUrl = `http://localhost:${backend.server.port()}/api/scaffolder`;
  stopBackend = () => backend.stop();
}, 180_000);

afterAll(async () => {
  await stopBackend?.();
  await sandbox?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

it('returns no file of the config repo from a dry-run rollback', async () => {
  const response = await fetch(`${baseUrl}/v2/dry-run`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: mockCredentials.user.header(),
    },
    body: JSON.stringify({
      template: {
        apiVersion: 'scaffolder.backstage.io/v1beta3',
        kind: 'Template',
        metadata: { name: 'probe' },
        spec: {
          type: 'service',
          parameters: [],
          steps: [
            {
              id: 'rollback',
              name: 'Roll back production',
              action: 'ml-gitops:rollback',
              input: {
                entityRef: 'component:default/fraud-detector',
                environment: 'production',
                reason: 'false positives on card-not-present traffic',
              },
            },
          ],
        },
      },
      values: {},
      directoryContents: [],
    }),
  });
  const body = (await response.json()) as {
    log: Array<{ body: { message: string } }>;
    directoryContents: Array<{ path: string; base64Content: string }>;
  };
  expect(response.status).toBe(200);
  const log = body.log.map(l => l.body.message).join('\n');
  // The action ran: it cloned, found the last deployment, and stopped short.
  expect(log).toContain('Dry run: would push the rollback');
  expect(body.directoryContents).toEqual([]);
});
