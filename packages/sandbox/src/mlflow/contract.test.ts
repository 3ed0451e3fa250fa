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
 * Every answer of the MLflow emulator that the product reads, measured
 * against MLflow's REST contract (mlflowRestContract.json in
 * @ml-gitops/plugin-ml-gitops-common/testUtils, written from
 * mlflow/protos/model_registry.proto and service.proto).
 */

import {
  MLFLOW_CONTRACT_ENDPOINTS,
  mlflowResponseProblems,
} from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { useSandbox } from '../__testUtils__/useSandbox';

jest.setTimeout(60_000);

const sandbox = useSandbox({ drift: false });

const get = (path: string) =>
  fetch(`${sandbox().urls.mlflow}/api/2.0/mlflow/${path}`);

describe("the MLflow emulator follows MLflow's REST contract", () => {
  it('describes every endpoint the product reads', () => {
    expect(MLFLOW_CONTRACT_ENDPOINTS.sort()).toEqual([
      'DELETE model-versions/delete-tag',
      'GET model-versions/get',
      'GET model-versions/get-download-uri',
      'GET model-versions/search',
      'GET registered-models/alias',
      'GET registered-models/get',
      'GET registered-models/search',
      'GET runs/get',
      'POST model-versions/set-tag',
    ]);
  });

  it.each([
    ['GET registered-models/get', 'registered-models/get?name=fraud-detector'],
    ['GET registered-models/search', 'registered-models/search'],
    ['GET registered-models/search', 'registered-models/search?max_results=1'],
    [
      'GET registered-models/alias',
      'registered-models/alias?name=fraud-detector&alias=champion',
    ],
    [
      'GET model-versions/get',
      'model-versions/get?name=fraud-detector&version=12',
    ],
    [
      'GET model-versions/search',
      `model-versions/search?filter=${encodeURIComponent(
        "name='fraud-detector'",
      )}&max_results=2`,
    ],
    [
      'GET model-versions/search',
      `model-versions/search?filter=${encodeURIComponent("name='nothing'")}`,
    ],
    [
      'GET model-versions/get',
      'model-versions/get?name=fraud-detector&version=999',
    ],
    [
      'GET model-versions/get',
      'model-versions/get?name=fraud-detector&version=x',
    ],
    [
      'GET model-versions/get-download-uri',
      'model-versions/get-download-uri?name=fraud-detector&version=12',
    ],
    [
      'GET model-versions/get-download-uri',
      'model-versions/get-download-uri?name=fraud-detector&version=999',
    ],
    ['GET registered-models/get', 'registered-models/get?name=nope'],
    ['GET model-versions/search', 'model-versions/search?max_results=0'],
  ])('%s: /%s', async (endpoint, path) => {
    expect(await mlflowResponseProblems(endpoint, await get(path))).toEqual([]);
  });

  it('GET runs/get: the training run of a seeded version', async () => {
    const { model_version } = await get(
      'model-versions/get?name=fraud-detector&version=12',
    ).then(r => r.json());
    expect(
      await mlflowResponseProblems(
        'GET runs/get',
        await get(`runs/get?run_id=${model_version.run_id}`),
      ),
    ).toEqual([]);
  });

  it('a version registered through the API, pending and failed', async () => {
    sandbox().setMlflowRegistration('pending');
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${sandbox().urls.mlflow}/api/2.0/mlflow/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(r => r.json());
      const { run } = await post('runs/create', { experiment_id: '0' });
      await post('runs/log-metric', {
        run_id: run.info.run_id,
        key: 'auc',
        value: 0.93,
        timestamp: 1,
      });
      const { model_version } = await post('model-versions/create', {
        name: 'fraud-detector',
        source: `mlflow-artifacts:/0/${run.info.run_id}/artifacts/model`,
        run_id: run.info.run_id,
      });
      const path = `model-versions/get?name=fraud-detector&version=${model_version.version}`;
      expect(
        await mlflowResponseProblems('GET model-versions/get', await get(path)),
      ).toEqual([]);
      sandbox().completeMlflowRegistration(
        'fraud-detector',
        model_version.version,
        'FAILED_REGISTRATION',
        'upload failed',
      );
      expect(
        await mlflowResponseProblems('GET model-versions/get', await get(path)),
      ).toEqual([]);
      expect(
        await mlflowResponseProblems(
          'GET runs/get',
          await get(`runs/get?run_id=${run.info.run_id}`),
        ),
      ).toEqual([]);
    } finally {
      sandbox().setMlflowRegistration('ready');
    }
  });
});
