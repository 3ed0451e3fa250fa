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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { parseModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { checkRegistry } from './registryChecks';

const MLFLOW = 'https://mlflow.example.com';

const manifestText = `model_name: fraud-detector
model_version: "12"
registry: mlflow-default
serving: { runtime: kserve, replicas: 2 }
gates:
  metrics:
    auc: { min: 0.92 }
`;

describe('checkRegistry', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  it('reports the gate as unknown, never passed, and blocks when MLflow cannot be read', async () => {
    server.use(
      http.get(`${MLFLOW}/api/2.0/mlflow/model-versions/get`, () =>
        HttpResponse.json(
          { error_code: 'INTERNAL_ERROR', message: 'database is locked' },
          { status: 500 },
        ),
      ),
    );
    const parsed = parseModelManifest(manifestText, {
      path: 'deploy/model.yaml',
    });
    if (!parsed.ok) throw new Error('the test manifest does not parse');
    const facts = await checkRegistry(
      {
        environments: ['dev', 'staging', 'production'],
        registries: [{ name: 'mlflow-default', type: 'mlflow', url: MLFLOW }],
      },
      { model: 'fraud-detector', version: '12', manifest: parsed.manifest },
    );
    expect(facts.gate.outcome).toBe('unknown');
    expect(facts.blockers).toEqual([
      expect.stringMatching(
        /^the registry could not be checked: MLflow at https:\/\/mlflow\.example\.com failed on model-versions\/get \(500 INTERNAL_ERROR: database is locked\)/,
      ),
    ]);
  });
});
