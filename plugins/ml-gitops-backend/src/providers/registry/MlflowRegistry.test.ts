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
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { mlflowContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { MlflowRegistry } from './MlflowRegistry';

const MLFLOW = 'https://mlflow.example.com';
const GET_VERSION = `${MLFLOW}/api/2.0/mlflow/model-versions/get`;
const GET_RUN = `${MLFLOW}/api/2.0/mlflow/runs/get`;

/** A model version as MLflow 2.x serves it from model-versions/get. */
function modelVersion(version: string, extra: object = {}) {
  return {
    model_version: {
      name: 'fraud-detector',
      version,
      creation_timestamp: 1727776800000,
      last_updated_timestamp: 1727776800000,
      current_stage: 'None',
      description: '',
      source: `mlflow-artifacts:/1/run-${version}/artifacts/model`,
      status: 'READY',
      ...extra,
    },
  };
}

/**
 * What MLflow's basic-auth app (`mlflow server --app-name basic-auth`)
 * answers a request without valid Basic credentials, a bearer token
 * included: `make_basic_auth_response` in mlflow/server/auth/__init__.py.
 */
function basicAuthChallenge() {
  return new HttpResponse(
    'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
    {
      status: 401,
      headers: {
        'Content-Type': 'text/html; charset=utf-8',
        'WWW-Authenticate': 'Basic realm="mlflow"',
      },
    },
  );
}

function registry(options: { timeoutMs?: number; now?: () => number } = {}) {
  return MlflowRegistry.fromConfig(
    { name: 'mlflow-default', type: 'mlflow', url: MLFLOW, token: 'tok' },
    options,
  );
}

describe('MlflowRegistry', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  it("uses fixtures that follow MLflow's REST contract", () => {
    for (const body of [
      modelVersion('12'),
      modelVersion('12', { run_id: 'abc123', aliases: ['champion'] }),
      modelVersion('14', { status: 'PENDING_REGISTRATION' }),
    ]) {
      expect(mlflowContractProblems('GET model-versions/get', body)).toEqual(
        [],
      );
    }
  });

  it('reads a version without run, aliases or stage as existing with no metrics', async () => {
    server.use(
      http.get(GET_VERSION, () =>
        HttpResponse.json({
          model_version: {
            name: 'fraud-detector',
            version: '3',
            creation_timestamp: 1727776800000,
            status: 'READY',
          },
        }),
      ),
    );
    expect(await registry().getVersion('fraud-detector', '3')).toEqual({
      exists: true,
      status: 'READY',
      aliases: [],
      metrics: {},
      url: `${MLFLOW}/#/models/fraud-detector/versions/3`,
      // creation_timestamp, in milliseconds since the epoch.
      createdAt: '2024-10-01T10:00:00.000Z',
      observedAt: expect.any(String),
    });
  });

  it('reports a version MLflow does not know as not existing', async () => {
    server.use(
      http.get(GET_VERSION, () =>
        HttpResponse.json(
          {
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message:
              'Model Version (name=fraud-detector, version=99) not found',
          },
          { status: 404 },
        ),
      ),
    );
    expect(await registry().getVersion('fraud-detector', '99')).toEqual({
      exists: false,
      aliases: [],
      metrics: {},
      observedAt: expect.any(String),
    });
  });

  it.each([
    [
      'unreachable',
      () => HttpResponse.error(),
      /^Registry "mlflow-default": MLflow at https:\/\/mlflow\.example\.com is unreachable/,
    ],
    [
      'its basic-auth app, given a bearer token (make_basic_auth_response in mlflow/server/auth/__init__.py)',
      basicAuthChallenge,
      'Registry "mlflow-default": MLflow at https://mlflow.example.com answered 401: its basic-auth app needs username/password in mlGitops.registries[mlflow-default], not a bearer token',
    ],
    [
      'its basic-auth app, to a user without READ (make_forbidden_response in mlflow/server/auth/__init__.py)',
      () => new HttpResponse('Permission denied', { status: 403 }),
      'Registry "mlflow-default": MLflow at https://mlflow.example.com answered 403 on model-versions/get (Permission denied): give the token READ permission on the registered model, or change mlGitops.registries[mlflow-default]',
    ],
    [
      '500',
      () =>
        HttpResponse.json(
          { error_code: 'INTERNAL_ERROR', message: 'database is locked' },
          { status: 500 },
        ),
      'Registry "mlflow-default": MLflow at https://mlflow.example.com failed on model-versions/get (500 INTERNAL_ERROR: database is locked)',
    ],
    [
      'a page that is not JSON',
      () => HttpResponse.html('<html><body>MLflow is starting</body></html>'),
      'Registry "mlflow-default": MLflow at https://mlflow.example.com sent a response to model-versions/get that is not JSON',
    ],
    [
      'JSON of the wrong shape',
      () => HttpResponse.json({ model_version: { version: '12' } }),
      /^Registry "mlflow-default": MLflow at https:\/\/mlflow\.example\.com sent an unexpected model-versions\/get response/,
    ],
  ])('names the registry when MLflow is %s', async (_case, answer, message) => {
    server.use(http.get(GET_VERSION, answer));
    await expect(registry().getVersion('fraud-detector', '12')).rejects.toThrow(
      message,
    );
  });

  it('reads from the basic-auth app with username and password', async () => {
    server.use(
      http.get(GET_VERSION, ({ request }) =>
        request.headers.get('authorization') ===
        `Basic ${Buffer.from('svc-backstage:pw').toString('base64')}`
          ? HttpResponse.json(modelVersion('12'))
          : basicAuthChallenge(),
      ),
    );
    const basic = MlflowRegistry.fromConfig({
      name: 'mlflow-default',
      type: 'mlflow',
      url: MLFLOW,
      username: 'svc-backstage',
      password: 'pw',
    });
    await expect(
      basic.getVersion('fraud-detector', '12'),
    ).resolves.toMatchObject({ exists: true, status: 'READY' });
    await expect(registry().getVersion('fraud-detector', '12')).rejects.toThrow(
      'its basic-auth app needs username/password',
    );
  });

  it('fails when the run of the version cannot be read', async () => {
    server.use(
      http.get(GET_VERSION, () =>
        HttpResponse.json(modelVersion('12', { run_id: 'abc123' })),
      ),
      http.get(GET_RUN, () =>
        HttpResponse.json(
          { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'try later' },
          { status: 503 },
        ),
      ),
    );
    await expect(registry().getVersion('fraud-detector', '12')).rejects.toThrow(
      'Registry "mlflow-default": MLflow at https://mlflow.example.com failed on runs/get (503 TEMPORARILY_UNAVAILABLE: try later)',
    );
  });

  it('gives up after the request timeout', async () => {
    server.use(
      http.get(GET_VERSION, async () => {
        await delay(10_000);
        return HttpResponse.json(modelVersion('12'));
      }),
    );
    const started = Date.now();
    await expect(
      registry({ timeoutMs: 100 }).getVersion('fraud-detector', '12'),
    ).rejects.toThrow(
      'Registry "mlflow-default": MLflow at https://mlflow.example.com did not answer within 0.1s',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps a READY version until its recheck but never keeps a failure', async () => {
    let calls = 0;
    let down = true;
    server.use(
      http.get(GET_VERSION, () => {
        calls += 1;
        return down
          ? HttpResponse.json(
              { error_code: 'INTERNAL_ERROR', message: 'boom' },
              { status: 500 },
            )
          : HttpResponse.json(modelVersion('12', { aliases: ['champion'] }));
      }),
    );
    let now = 0;
    const r = MlflowRegistry.fromConfig(
      { name: 'mlflow-default', type: 'mlflow', url: MLFLOW, token: 'tok' },
      { now: () => now, recheckAfterMs: 300_000, random: () => 0.5 },
    );
    await expect(r.getVersion('fraud-detector', '12')).rejects.toThrow();
    down = false;
    // The failure was not cached: MLflow is asked again at once.
    await expect(r.getVersion('fraud-detector', '12')).resolves.toMatchObject({
      aliases: ['champion'],
    });
    await r.getVersion('fraud-detector', '12');
    expect(calls).toBe(2);
    // A READY version is first read again at a random share of
    // recheckAfter (here half), then every recheckAfter.
    now = 149_000;
    await r.getVersion('fraud-detector', '12');
    expect(calls).toBe(2);
    now = 150_000;
    await r.getVersion('fraud-detector', '12');
    expect(calls).toBe(3);
    now = 449_000;
    await r.getVersion('fraud-detector', '12');
    expect(calls).toBe(3);
    now = 450_000;
    await r.getVersion('fraud-detector', '12');
    expect(calls).toBe(4);
  });

  it('reads a version that is not READY again after a minute', async () => {
    let calls = 0;
    server.use(
      http.get(`${MLFLOW}/api/2.0/mlflow/model-versions/get`, () => {
        calls++;
        return HttpResponse.json(
          modelVersion('14', { status: 'PENDING_REGISTRATION' }),
        );
      }),
    );
    let now = 0;
    const r = registry({ now: () => now });
    await expect(r.getVersion('fraud-detector', '14')).resolves.toMatchObject({
      status: 'PENDING_REGISTRATION',
    });
    now = 29_000;
    await r.getVersion('fraud-detector', '14');
    expect(calls).toBe(1);
    now = 61_000;
    await r.getVersion('fraud-detector', '14');
    expect(calls).toBe(2);
  });
});
