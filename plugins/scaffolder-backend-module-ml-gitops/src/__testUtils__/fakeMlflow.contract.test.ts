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

/*
 * The msw fixture of MLflow the action tests use answers in MLflow's shapes:
 * each answer is measured against MLflow's REST contract
 * (@ml-gitops/plugin-ml-gitops-common/testUtils, from
 * mlflow/protos/model_registry.proto and service.proto).
 */
import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { mlflowResponseProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { setupServer } from 'msw/node';
import { fakeMlflow, MLFLOW_URL } from './setup';

const server = setupServer();
registerMswTestHooks(server);

const API = `${MLFLOW_URL}/api/2.0/mlflow`;

describe('fakeMlflow', () => {
  it.each([
    [
      'a READY version with tags and metrics',
      { version: '13', tags: { team: 'risk' }, metrics: { auc: 0.95 } },
    ],
    ['a bare version', { version: '13' }],
    [
      'a version whose registration failed',
      {
        version: '13',
        status: 'FAILED_REGISTRATION',
        statusMessage: 'upload failed',
      },
    ],
  ])('answers %s as MLflow does', async (_what, version) => {
    server.use(...fakeMlflow('fraud-detector', [version]));
    expect(
      await mlflowResponseProblems(
        'GET model-versions/get',
        await fetch(`${API}/model-versions/get?name=fraud-detector&version=13`),
      ),
    ).toEqual([]);
    expect(
      await mlflowResponseProblems(
        'GET runs/get',
        await fetch(`${API}/runs/get?run_id=run-13`),
      ),
    ).toEqual([]);
    expect(
      await mlflowResponseProblems(
        'GET model-versions/get',
        await fetch(`${API}/model-versions/get?name=fraud-detector&version=99`),
      ),
    ).toEqual([]);
  });
});
