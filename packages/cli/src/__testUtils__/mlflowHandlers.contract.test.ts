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
 * The msw fixture of MLflow the CLI tests use answers in MLflow's shapes:
 * each answer is measured against MLflow's REST contract
 * (@ml-gitops/plugin-ml-gitops-common/testUtils, from
 * mlflow/protos/model_registry.proto and service.proto).
 */
import { mlflowResponseProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { setupServer } from 'msw/node';
import { mlflowHandlers, mlflowVersion, REGISTRY } from './helpers';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const API = `${REGISTRY}/api/2.0/mlflow`;

describe('mlflowHandlers', () => {
  it('answers every endpoint the CLI reads as MLflow does', async () => {
    server.use(
      ...mlflowHandlers({
        versions: {
          '12': mlflowVersion('12', { current_stage: 'Production' }),
          '13': mlflowVersion('13', {
            status: 'FAILED_REGISTRATION',
            status_message: 'upload failed',
            tags: [{ key: 'validation_status', value: 'rejected' }],
          }),
          '14': mlflowVersion('14'),
        },
        metrics: { 'run-13': { auc: 0.95 } },
      }),
    );
    const answers: Array<[string, string]> = [
      [
        'GET model-versions/get',
        'model-versions/get?name=fraud-detector&version=13',
      ],
      [
        'GET model-versions/get',
        'model-versions/get?name=fraud-detector&version=99',
      ],
      [
        'GET registered-models/get',
        'registered-models/get?name=fraud-detector',
      ],
      ['GET registered-models/get', 'registered-models/get?name=nope'],
      [
        'GET model-versions/search',
        `model-versions/search?filter=${encodeURIComponent(
          "name='fraud-detector'",
        )}&max_results=2`,
      ],
      [
        'GET model-versions/get-download-uri',
        'model-versions/get-download-uri?name=fraud-detector&version=13',
      ],
      [
        'GET model-versions/get-download-uri',
        'model-versions/get-download-uri?name=fraud-detector&version=99',
      ],
      ['GET runs/get', 'runs/get?run_id=run-13'],
      ['GET runs/get', 'runs/get?run_id=run-99'],
    ];
    for (const [endpoint, path] of answers) {
      expect({
        path,
        problems: await mlflowResponseProblems(
          endpoint,
          await fetch(`${API}/${path}`),
        ),
      }).toEqual({ path, problems: [] });
    }
  });
});
