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

import { ConfigReader } from '@backstage/config';
import { loadConfig, loadConfigSchema } from '@backstage/config-loader';
import { ScmIntegrations } from '@backstage/integration';
import type { JsonObject } from '@backstage/types';
import path from 'node:path';
import { readMlGitopsConfig } from './config';

// The config schemas as a backend that installs the plugin and the
// scaffolder module collects them: from those two packages and everything
// they depend on (so @ml-gitops/plugin-ml-gitops-node's too), merged into one.
const packagePaths = [
  path.resolve(__dirname, '../package.json'),
  path.resolve(
    __dirname,
    '../../scaffolder-backend-module-ml-gitops/package.json',
  ),
];

// What a backend's own packages require of every configuration.
const backendBasics = {
  app: { baseUrl: 'http://localhost:3000' },
  backend: {
    baseUrl: 'http://localhost:7007',
    database: { client: 'better-sqlite3', connection: ':memory:' },
  },
};

const mlGitops = {
  environments: ['dev', 'staging', 'production'],
  allowedOwners: ['acme'],
  argocd: {
    instances: [
      { name: 'main', url: 'https://argocd.example.com', token: 'argo-token' },
      {
        name: 'edge',
        url: 'https://argocd.edge.example.com',
        username: 'ml-gitops',
        password: 'argo-password',
      },
    ],
  },
  registries: [
    {
      name: 'mlflow-default',
      type: 'mlflow',
      url: 'https://mlflow.example.com',
      token: 'mlflow-token',
    },
    {
      name: 'mlflow-basic',
      type: 'mlflow',
      url: 'https://mlflow-basic.example.com',
      username: 'reader',
      password: 'mlflow-password',
    },
  ],
  sealedSecrets: {
    certificateUrl: 'https://sealed-secrets.example.com/v1/cert.pem',
  },
  driftGracePeriod: { minutes: 5 },
};

const SHARED_KEYS = ['environments', 'allowedOwners', 'argocd', 'registries'];

describe('the mlGitops config schema', () => {
  let schema: Awaited<ReturnType<typeof loadConfigSchema>>;

  beforeAll(async () => {
    schema = await loadConfigSchema({ dependencies: [], packagePaths });
  }, 60_000);

  it('declares each key the backend and the actions share once, in -node', () => {
    const { schemas } = schema.serialize() as {
      schemas: Array<{ packageName: string; value: JsonObject }>;
    };
    const declaring = (key: string) =>
      schemas
        .filter(({ value }) => {
          const mlGitopsSchema = (value.properties as JsonObject | undefined)
            ?.mlGitops as JsonObject | undefined;
          return Boolean(
            (mlGitopsSchema?.properties as JsonObject | undefined)?.[key],
          );
        })
        .map(({ packageName }) => packageName);

    for (const key of SHARED_KEYS) {
      expect({ key, packages: declaring(key) }).toEqual({
        key,
        packages: ['@ml-gitops/plugin-ml-gitops-node'],
      });
    }
    expect(declaring('driftGracePeriod')).toEqual([
      '@ml-gitops/plugin-ml-gitops-backend',
    ]);
    expect(declaring('sealedSecrets')).toEqual([
      '@ml-gitops/plugin-scaffolder-backend-module-ml-gitops',
    ]);
  });

  it('accepts a full configuration and keeps its credentials secret', () => {
    const [secrets] = schema.process(
      [{ context: 'app-config.yaml', data: { ...backendBasics, mlGitops } }],
      { visibility: ['secret'] },
    );
    expect(secrets.data.mlGitops).toEqual({
      argocd: {
        instances: [{ token: 'argo-token' }, { password: 'argo-password' }],
      },
      registries: [{ token: 'mlflow-token' }, { password: 'mlflow-password' }],
    });

    // The frontend receives none of it.
    const [frontend] = schema.process(
      [{ context: 'app-config.yaml', data: { ...backendBasics, mlGitops } }],
      { visibility: ['frontend'] },
    );
    expect(frontend.data).not.toHaveProperty('mlGitops');
  });

  it('refuses a shared key of the wrong type, naming where', () => {
    const check = (shared: JsonObject) => () =>
      schema.process([
        {
          context: 'app-config.yaml',
          data: { ...backendBasics, mlGitops: shared },
        },
      ]);
    expect(check({ environments: 'dev' })).toThrow(
      'Config must be array { type=array } at /mlGitops/environments',
    );
    expect(
      check({ registries: [{ name: 'mlflow-default', url: 'https://m' }] }),
    ).toThrow(
      "Config must have required property 'type' { missingProperty=type } at /mlGitops/registries/0",
    );
    expect(check({ argocd: { instances: [{ name: 'main' }] } })).toThrow(
      "Config must have required property 'url' { missingProperty=url } at /mlGitops/argocd/instances/0",
    );
    expect(check({ allowedOwners: [{ owner: 'acme' }] })).toThrow(
      'at /mlGitops/allowedOwners/0',
    );
  });

  it("accepts the demo's config on the sandbox, with its GitLab host and Kubeflow registry", async () => {
    const root = path.resolve(__dirname, '../../..');
    const { appConfigs } = await loadConfig({
      configRoot: root,
      configTargets: ['app-config.yaml', 'app-config.sandbox.yaml'].map(f => ({
        path: path.join(root, f),
      })),
    });
    const processed = schema.process([
      ...appConfigs,
      { context: 'backend', data: backendBasics },
    ]);
    const config = ConfigReader.fromConfigs(processed);

    expect(
      ScmIntegrations.fromConfig(config).gitlab.byHost('localhost:7015')
        ?.config,
    ).toMatchObject({
      host: 'localhost:7015',
      apiBaseUrl: 'http://localhost:7015/api/v4',
      baseUrl: 'http://localhost:7015',
    });
    expect(readMlGitopsConfig(config).registries).toEqual([
      expect.objectContaining({
        name: 'mlflow-default',
        type: 'mlflow',
        url: 'http://localhost:7013',
      }),
      expect.objectContaining({
        name: 'kubeflow-default',
        type: 'kubeflow',
        url: 'http://localhost:7016',
        token: 'sandbox-kubeflow-token',
      }),
    ]);
  });
});
