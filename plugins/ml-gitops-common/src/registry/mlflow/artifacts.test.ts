/**
 * @jest-environment node
 */
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

import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MlflowClient } from './MlflowClient';
import {
  DEFAULT_MODEL_FORMAT,
  kserveStorageUriOf,
  mlmodelFlavors,
  resolveModelFormat,
  resolveServingArtifact,
} from './artifacts';
import { mlflowContractProblems } from '../../testUtils';

const BASE = 'https://mlflow.example.com';
const API = `${BASE}/api/2.0/mlflow`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const client = () =>
  MlflowClient.create({ baseUrl: BASE, token: 't', timeoutMs: 500 });

/**
 * An MLmodel file as mlflow.sklearn.log_model writes it (Model.to_yaml in
 * mlflow/models/model.py: artifact_path, flavors with python_function and
 * the framework's own, mlflow_version, model_uuid, run_id, utc_time_created).
 */
const SKLEARN_MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.9
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.1
mlflow_version: 2.16.0
model_size_bytes: 1290
model_uuid: 5c3e0a4fd3a44f7c9b1c7e2f7f1a6e21
run_id: 0a1b2c3d4e5f
utc_time_created: '2024-09-01 10:00:00.000000'
`;

/** get-download-uri answering `uri`, checked against MLflow's contract. */
function downloadUri(uri: string) {
  const body = { artifact_uri: uri };
  expect(
    mlflowContractProblems('GET model-versions/get-download-uri', body),
  ).toEqual([]);
  return http.get(`${API}/model-versions/get-download-uri`, ({ request }) => {
    const q = new URL(request.url).searchParams;
    expect(request.headers.get('authorization')).toBe('Bearer t');
    return q.get('name') === 'fraud-detector' && q.get('version') === '12'
      ? HttpResponse.json(body)
      : HttpResponse.json(
          {
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message: `Model Version (name=${q.get('name')}, version=${q.get(
              'version',
            )}) not found`,
          },
          { status: 404 },
        );
  });
}

describe('kserveStorageUriOf', () => {
  it.each([
    ['s3://ml/1/abc/artifacts/model', 's3://ml/1/abc/artifacts/model'],
    ['gs://ml/1/abc/artifacts/model', 'gs://ml/1/abc/artifacts/model'],
    ['hdfs://nn:8020/ml/1/model', 'hdfs://nn:8020/ml/1/model'],
    [
      'wasbs://models@acme.blob.core.windows.net/1/abc/artifacts/model',
      'https://acme.blob.core.windows.net/models/1/abc/artifacts/model',
    ],
    [
      'abfss://models@acme.dfs.core.windows.net/1/abc/artifacts/model',
      'https://acme.blob.core.windows.net/models/1/abc/artifacts/model',
    ],
    [
      'https://acme.blob.core.windows.net/models/1/model',
      'https://acme.blob.core.windows.net/models/1/model',
    ],
    [
      'https://files.example.com/fraud-12.tar.gz',
      'https://files.example.com/fraud-12.tar.gz',
    ],
  ])('maps %s to %s', (from, to) => {
    expect(kserveStorageUriOf(from)).toEqual({ ok: true, uri: to });
  });

  it.each([
    [
      'mlflow-artifacts:/1/abc/artifacts/model',
      /artifact proxy/,
      /--no-serve-artifacts/,
    ],
    ['models:/m-0123', /no storage location/, /runs:\/<run id>\/model/],
    ['dbfs:/databricks/mlflow/1/model', /file system/, /object store/],
    ['/srv/mlruns/1/abc/artifacts/model', /file system/, /object store/],
    ['file:///srv/mlruns/1/model', /file system/, /object store/],
    [
      'https://mlflow.example.com/api/2.0/mlflow-artifacts/artifacts/1/model',
      /single file/,
      /object store/,
    ],
    ['ftp://files/model', /ftp:\/\/, which KServe/, /object store/],
    ['s3://key:secret@bucket/model', /credentials/, /object store/],
    [
      'wasbs://acme.blob.core.windows.net/model',
      /<container>@<account>/,
      /object store/,
    ],
  ])('refuses %s with what to configure', (uri, problem, fix) => {
    const mapped = kserveStorageUriOf(uri);
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.problem).toMatch(problem);
    expect(!mapped.ok && mapped.fix).toMatch(fix);
  });
});

describe('resolveServingArtifact', () => {
  it("takes the registry's download URI", async () => {
    server.use(downloadUri('s3://ml/3/run-12/artifacts/model'));
    await expect(
      resolveServingArtifact(client(), 'fraud-detector', '12'),
    ).resolves.toEqual({
      ok: true,
      storageUri: 's3://ml/3/run-12/artifacts/model',
      registryUri: 's3://ml/3/run-12/artifacts/model',
    });
  });

  it('resolves runs:/ through the run and its artifact_uri', async () => {
    const run = {
      info: {
        run_id: 'run-12',
        run_uuid: 'run-12',
        experiment_id: '3',
        status: 'FINISHED',
        lifecycle_stage: 'active',
        artifact_uri: 'gs://ml/3/run-12/artifacts/',
      },
    };
    expect(mlflowContractProblems('GET runs/get', { run })).toEqual([]);
    server.use(
      downloadUri('runs:/run-12/model'),
      http.get(`${API}/runs/get`, ({ request }) =>
        new URL(request.url).searchParams.get('run_id') === 'run-12'
          ? HttpResponse.json({ run })
          : HttpResponse.json(
              { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no run' },
              { status: 404 },
            ),
      ),
    );
    await expect(
      resolveServingArtifact(client(), 'fraud-detector', '12'),
    ).resolves.toEqual({
      ok: true,
      storageUri: 'gs://ml/3/run-12/artifacts/model',
      registryUri: 'runs:/run-12/model',
    });
  });

  it('refuses a runs:/ URI whose run is gone, naming the run', async () => {
    server.use(
      downloadUri('runs:/run-gone/model'),
      http.get(`${API}/runs/get`, () =>
        HttpResponse.json(
          {
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message: "Run 'run-gone' not found",
          },
          { status: 404 },
        ),
      ),
    );
    const resolved = await resolveServingArtifact(
      client(),
      'fraud-detector',
      '12',
    );
    expect(resolved).toEqual({
      ok: false,
      registryUri: 'runs:/run-gone/model',
      problem:
        'fraud-detector version 12 is stored in run run-gone (runs:/run-gone/model), but MLflow has no such run',
      fix: 'Register the version again from a run that exists',
    });
  });

  it('refuses the artifact proxy, naming the version and the URI', async () => {
    server.use(downloadUri('mlflow-artifacts:/3/run-12/artifacts/model'));
    const resolved = await resolveServingArtifact(
      client(),
      'fraud-detector',
      '12',
    );
    expect(resolved?.ok).toBe(false);
    expect(resolved?.ok === false && resolved.problem).toBe(
      "fraud-detector version 12: the artifact location mlflow-artifacts:/3/run-12/artifacts/model is served by the MLflow tracking server's artifact proxy, which KServe cannot read",
    );
  });

  it('is undefined for a version that does not exist', async () => {
    server.use(downloadUri('s3://x/y'));
    await expect(
      resolveServingArtifact(client(), 'fraud-detector', '99'),
    ).resolves.toBeUndefined();
  });

  it('throws when MLflow fails', async () => {
    server.use(
      http.get(`${API}/model-versions/get-download-uri`, () =>
        HttpResponse.json(
          { error_code: 'INTERNAL_ERROR', message: 'db down' },
          { status: 500 },
        ),
      ),
    );
    await expect(
      resolveServingArtifact(client(), 'fraud-detector', '12'),
    ).rejects.toThrow(
      /failed on model-versions\/get-download-uri \(500 INTERNAL_ERROR: db down\)/,
    );
  });
});

describe('resolveModelFormat', () => {
  const mlmodel = (answer: () => Response | Promise<Response>) =>
    http.get(`${BASE}/model-versions/get-artifact`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      expect([q.get('name'), q.get('version'), q.get('path')]).toEqual([
        'fraud-detector',
        '12',
        'MLmodel',
      ]);
      return answer();
    });

  it('reads the flavor from the MLmodel file', async () => {
    expect(mlmodelFlavors(SKLEARN_MLMODEL)).toEqual([
      'python_function',
      'sklearn',
    ]);
    server.use(mlmodel(() => new HttpResponse(SKLEARN_MLMODEL)));
    await expect(
      resolveModelFormat(client(), 'fraud-detector', '12'),
    ).resolves.toEqual({
      format: 'sklearn',
      flavors: ['python_function', 'sklearn'],
    });
  });

  it('serves a python_function-only model with the mlflow format', async () => {
    server.use(
      mlmodel(
        () =>
          new HttpResponse(
            'flavors:\n  python_function:\n    loader_module: custom\n',
          ),
      ),
    );
    await expect(
      resolveModelFormat(client(), 'fraud-detector', '12'),
    ).resolves.toEqual({ format: 'mlflow', flavors: ['python_function'] });
  });

  it('falls back to the documented default and says why', async () => {
    server.use(
      mlmodel(() =>
        HttpResponse.json(
          { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no file' },
          { status: 404 },
        ),
      ),
    );
    await expect(
      resolveModelFormat(client(), 'fraud-detector', '12'),
    ).resolves.toEqual({
      format: DEFAULT_MODEL_FORMAT,
      flavors: [],
      note: 'MLflow has no MLmodel file for fraud-detector version 12',
    });

    server.use(mlmodel(() => new HttpResponse('flavors: [a, b]\n')));
    expect(
      (await resolveModelFormat(client(), 'fraud-detector', '12')).note,
    ).toBe('the MLmodel file of fraud-detector version 12 has no flavors');

    server.use(mlmodel(() => new HttpResponse('flavors:\n  h2o: {}\n')));
    await expect(
      resolveModelFormat(client(), 'fraud-detector', '12'),
    ).resolves.toEqual({
      format: 'mlflow',
      flavors: ['h2o'],
      note: 'no KServe model format is known for the flavors h2o',
    });

    server.use(
      mlmodel(() => new HttpResponse('Permission denied', { status: 403 })),
    );
    expect(
      (await resolveModelFormat(client(), 'fraud-detector', '12')).note,
    ).toMatch(/could not be read \(MLflow at .* answered 403 reading MLmodel/);
  });
});
