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

import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import { MlflowClient } from './MlflowClient';
import { MlflowRequests } from './requests';
import { modelVersionBlockers } from './deployable';
import { MlflowApiModelVersion, MlflowApiRun } from './types';
import { mlflowContractProblems } from '../../testUtils';

const BASE = 'https://mlflow.example.com';
const API = `${BASE}/api/2.0/mlflow`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const VERSION_12: MlflowApiModelVersion = {
  name: 'fraud-detector',
  version: '12',
  creation_timestamp: 1764240000000,
  last_updated_timestamp: 1764243600000,
  current_stage: 'None',
  description: '',
  source: 'models:/m-abc',
  run_id: 'run-12',
  status: 'READY',
  tags: [{ key: 'validation_status', value: 'approved' }],
  run_link: '',
  aliases: ['champion'],
};

const RUN_12: MlflowApiRun = {
  info: {
    run_id: 'run-12',
    run_uuid: 'run-12',
    run_name: 'train-12',
    experiment_id: '3',
    status: 'FINISHED',
    lifecycle_stage: 'active',
  },
  data: {
    metrics: [
      { key: 'auc', value: 0.91, timestamp: 1, step: 0 },
      { key: 'auc', value: 0.95, timestamp: 2, step: 1 },
      { key: 'latency_p95_ms', value: 31, timestamp: 2, step: 0 },
      { key: 'loss', value: 'NaN', timestamp: 2, step: 0 },
    ],
    params: [{ key: 'lr', value: '0.1' }],
    tags: [{ key: 'mlflow.user', value: 'ada' }],
  },
};

const notFound = (message: string) =>
  HttpResponse.json(
    { error_code: 'RESOURCE_DOES_NOT_EXIST', message },
    { status: 404 },
  );

function client(token?: string) {
  return MlflowClient.create({ baseUrl: `${BASE}/`, token, timeoutMs: 500 });
}

describe('MlflowClient', () => {
  it("uses fixtures that follow MLflow's REST contract", () => {
    expect(
      mlflowContractProblems('GET model-versions/get', {
        model_version: VERSION_12,
      }),
    ).toEqual([]);
    expect(mlflowContractProblems('GET runs/get', { run: RUN_12 })).toEqual([]);
  });

  it('gets a model version and normalises it', async () => {
    server.use(
      http.get(`${API}/model-versions/get`, ({ request }) => {
        const url = new URL(request.url);
        if (
          url.searchParams.get('name') !== 'fraud-detector' ||
          url.searchParams.get('version') !== '12'
        ) {
          return notFound('nope');
        }
        return HttpResponse.json({ model_version: VERSION_12 });
      }),
    );
    await expect(
      client().getModelVersion('fraud-detector', '12'),
    ).resolves.toEqual({
      name: 'fraud-detector',
      version: '12',
      status: 'READY',
      stage: 'None',
      runId: 'run-12',
      source: 'models:/m-abc',
      createdAt: '2025-11-27T10:40:00.000Z',
      updatedAt: '2025-11-27T11:40:00.000Z',
      aliases: ['champion'],
      tags: { validation_status: 'approved' },
    });
  });

  it('resolves undefined for a version or model that does not exist', async () => {
    server.use(
      http.get(`${API}/model-versions/get`, () =>
        notFound('Model Version (name=fraud-detector, version=99) not found'),
      ),
      http.get(`${API}/registered-models/get`, () =>
        notFound('Registered Model with name=x not found'),
      ),
      http.get(`${API}/runs/get`, () => notFound('Run with id=x not found')),
    );
    await expect(
      client().getModelVersion('fraud-detector', '99'),
    ).resolves.toBeUndefined();
    await expect(client().getRegisteredModel('x')).resolves.toBeUndefined();
    await expect(client().getRun('x')).resolves.toBeUndefined();
  });

  it('gets a registered model with its aliases', async () => {
    server.use(
      http.get(`${API}/registered-models/get`, () =>
        HttpResponse.json({
          registered_model: {
            name: 'fraud-detector',
            creation_timestamp: 1764240000000,
            last_updated_timestamp: 1764240000000,
            latest_versions: [VERSION_12],
            tags: [{ key: 'team', value: 'risk' }],
            aliases: [{ alias: 'champion', version: '12' }],
          },
        }),
      ),
    );
    const model = await client().getRegisteredModel('fraud-detector');
    expect(model).toMatchObject({
      name: 'fraud-detector',
      aliases: { champion: '12' },
      tags: { team: 'risk' },
      latestVersions: [{ version: '12', status: 'READY' }],
    });
  });

  it('looks up a version by alias, and an unknown alias as undefined', async () => {
    server.use(
      http.get(`${API}/registered-models/alias`, ({ request }) => {
        const alias = new URL(request.url).searchParams.get('alias');
        if (alias === 'champion') {
          return HttpResponse.json({ model_version: VERSION_12 });
        }
        return HttpResponse.json(
          {
            error_code: 'INVALID_PARAMETER_VALUE',
            message: `Registered model alias ${alias} not found.`,
          },
          { status: 400 },
        );
      }),
    );
    await expect(
      client().getModelVersionByAlias('fraud-detector', 'champion'),
    ).resolves.toMatchObject({ version: '12' });
    await expect(
      client().getModelVersionByAlias('fraud-detector', 'production'),
    ).resolves.toBeUndefined();
  });

  it('gets a run with the latest value of each metric', async () => {
    server.use(
      http.get(`${API}/runs/get`, ({ request }) =>
        new URL(request.url).searchParams.get('run_id') === 'run-12'
          ? HttpResponse.json({ run: RUN_12 })
          : notFound('no run'),
      ),
    );
    const run = await client().getRun('run-12');
    expect(run).toEqual({
      runId: 'run-12',
      runName: 'train-12',
      experimentId: '3',
      status: 'FINISHED',
      lifecycleStage: 'active',
      metrics: { auc: 0.95, latency_p95_ms: 31, loss: NaN },
      params: { lr: '0.1' },
      tags: { 'mlflow.user': 'ada' },
    });
  });

  it('parses each kind of answer with one schema, made once, whatever the number of reads', async () => {
    // zod compiles an object schema on its first parse: a schema made per
    // read would be compiled per read.
    server.use(
      http.get(`${API}/model-versions/get`, () =>
        HttpResponse.json({ model_version: VERSION_12 }),
      ),
      http.get(`${API}/registered-models/alias`, () =>
        HttpResponse.json({ model_version: VERSION_12 }),
      ),
      http.get(`${API}/runs/get`, () => HttpResponse.json({ run: RUN_12 })),
    );
    const parse = jest.spyOn(MlflowRequests.prototype, 'parse');
    try {
      const mlflow = client();
      for (let i = 0; i < 3; i++) {
        await mlflow.getModelVersion('fraud-detector', '12');
        await mlflow.getModelVersionByAlias('fraud-detector', 'champion');
        await mlflow.getRun('run-12');
      }
      const schemas = (endpoint: string) =>
        new Set(parse.mock.calls.filter(c => c[2] === endpoint).map(c => c[0]));
      expect(parse).toHaveBeenCalledTimes(9);
      expect(schemas('model-versions/get').size).toBe(1);
      expect(schemas('runs/get').size).toBe(1);
      // a version by number and by alias: the same answer, the same schema
      expect([...schemas('registered-models/alias')]).toEqual([
        ...schemas('model-versions/get'),
      ]);
    } finally {
      parse.mockRestore();
    }
  });

  it('sends the token as a bearer token, and none without one', async () => {
    const seen: Array<string | null> = [];
    server.use(
      http.get(`${API}/model-versions/get`, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        return HttpResponse.json({ model_version: VERSION_12 });
      }),
    );
    await client('s3cret').getModelVersion('fraud-detector', '12');
    await client().getModelVersion('fraud-detector', '12');
    expect(seen).toEqual(['Bearer s3cret', null]);
  });

  it('searches model versions page by page, following next_page_token', async () => {
    // MLflow's page token is base64 of {"offset": n}
    // (SearchUtils.create_page_token in mlflow/utils/search_utils.py); the
    // last page carries none, and an empty page is {}.
    const all = Array.from({ length: 5 }, (_, i) => ({
      ...VERSION_12,
      version: String(i + 1),
    }));
    const asked: Array<Record<string, string>> = [];
    server.use(
      http.get(`${API}/model-versions/search`, ({ request }) => {
        const query = Object.fromEntries(new URL(request.url).searchParams);
        asked.push(query);
        const offset = query.page_token
          ? JSON.parse(Buffer.from(query.page_token, 'base64').toString())
              .offset
          : 0;
        const max = Number(query.max_results);
        const page = all.slice(offset, offset + max);
        return HttpResponse.json({
          ...(page.length ? { model_versions: page } : {}),
          ...(offset + max < all.length
            ? {
                next_page_token: Buffer.from(
                  JSON.stringify({ offset: offset + max }),
                ).toString('base64'),
              }
            : {}),
        });
      }),
    );
    const found = await client().searchModelVersions("name='fraud-detector'", {
      pageSize: 2,
    });
    expect(found.map(v => v.version)).toEqual(['1', '2', '3', '4', '5']);
    expect(asked).toEqual([
      { filter: "name='fraud-detector'", max_results: '2' },
      {
        filter: "name='fraud-detector'",
        max_results: '2',
        page_token: Buffer.from('{"offset": 2}'.replace(' ', '')).toString(
          'base64',
        ),
      },
      {
        filter: "name='fraud-detector'",
        max_results: '2',
        page_token: Buffer.from('{"offset":4}').toString('base64'),
      },
    ]);
    // A limit stops early and asks for no more than it needs.
    asked.length = 0;
    await expect(
      client().searchModelVersions("name='fraud-detector'", {
        pageSize: 2,
        limit: 3,
      }),
    ).resolves.toHaveLength(3);
    expect(asked.map(q => q.max_results)).toEqual(['2', '1']);
  });

  it('stops when MLflow repeats a page token', async () => {
    server.use(
      http.get(`${API}/model-versions/search`, () =>
        HttpResponse.json({
          model_versions: [VERSION_12],
          next_page_token: 'x',
        }),
      ),
    );
    await expect(
      client().searchModelVersions("name='fraud-detector'"),
    ).rejects.toThrow('sent the same next_page_token twice');
  });

  it('keeps a path prefix of the base URL', async () => {
    server.use(
      http.get(`${BASE}/mlflow/api/2.0/mlflow/model-versions/get`, () =>
        HttpResponse.json({ model_version: VERSION_12 }),
      ),
    );
    const prefixed = MlflowClient.create({ baseUrl: `${BASE}/mlflow` });
    await expect(
      prefixed.getModelVersion('fraud-detector', '12'),
    ).resolves.toBeDefined();
  });

  describe('failures', () => {
    it('401 is an AuthenticationError that says what to do', async () => {
      server.use(
        http.get(
          `${API}/model-versions/get`,
          () => new HttpResponse('Unauthorized', { status: 401 }),
        ),
      );
      const error = await client()
        .getModelVersion('m', '1')
        .catch(e => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toBe(
        'MLflow at https://mlflow.example.com answered 401: it needs credentials; set username/password, or a token',
      );
      await expect(client('bad').getModelVersion('m', '1')).rejects.toThrow(
        'the token is not accepted (invalid or expired)',
      );
    });

    describe("MLflow's basic-auth app", () => {
      // What `mlflow server --app-name basic-auth` answers without valid
      // Basic credentials, a bearer token included: make_basic_auth_response
      // in mlflow/server/auth/__init__.py (401, a plain-text body and a
      // Basic challenge); a user without permission gets
      // make_forbidden_response (403, "Permission denied").
      const USERS = { 'svc-backstage': 'pa:ss wörd' };
      beforeEach(() =>
        server.use(
          http.get(`${API}/:path+`, ({ request }) => {
            const header = request.headers.get('authorization') ?? '';
            const [scheme, data] = header.split(' ');
            let ok = false;
            if (scheme?.toLowerCase() === 'basic' && data) {
              const decoded = Buffer.from(data, 'base64').toString('utf8');
              const at = decoded.indexOf(':');
              ok =
                (USERS as Record<string, string>)[decoded.slice(0, at)] ===
                decoded.slice(at + 1);
            }
            if (!ok) {
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
            if (new URL(request.url).pathname.endsWith('/runs/get')) {
              return new HttpResponse('Permission denied', {
                status: 403,
                headers: { 'Content-Type': 'text/html; charset=utf-8' },
              });
            }
            return HttpResponse.json({ model_version: VERSION_12 });
          }),
        ),
      );
      const basic = (username: string, password: string) =>
        MlflowClient.create({
          baseUrl: BASE,
          username,
          password,
          credentialsHint: 'mlGitops.registries[mlflow-default]',
        });

      it('sends username and password as HTTP Basic credentials (UTF-8)', async () => {
        await expect(
          basic('svc-backstage', 'pa:ss wörd').getModelVersion(
            'fraud-detector',
            '12',
          ),
        ).resolves.toMatchObject({ version: '12' });
      });

      it('a bearer token gets a 401 that names the keys to set', async () => {
        const error = await MlflowClient.create({
          baseUrl: BASE,
          token: 's3cret',
          credentialsHint: 'mlGitops.registries[mlflow-default]',
        })
          .getModelVersion('m', '1')
          .catch(e => e);
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error.message).toBe(
          'MLflow at https://mlflow.example.com answered 401: its basic-auth app needs username/password in mlGitops.registries[mlflow-default], not a bearer token',
        );
        expect(error.message).not.toContain('s3cret');
      });

      it('a wrong password gets a 401 that says to check them, without the password', async () => {
        const error = await basic('svc-backstage', 'wrong-pw')
          .getModelVersion('m', '1')
          .catch(e => e);
        expect(error.message).toBe(
          'MLflow at https://mlflow.example.com answered 401: its basic-auth app did not accept the username and password in mlGitops.registries[mlflow-default]; check them',
        );
        expect(error.message).not.toContain('wrong-pw');
      });

      it('403 names the permission the user needs', async () => {
        const error = await basic('svc-backstage', 'pa:ss wörd')
          .getRun('run-12')
          .catch(e => e);
        expect(error).toBeInstanceOf(NotAllowedError);
        expect(error.message).toBe(
          'MLflow at https://mlflow.example.com answered 403 on runs/get (Permission denied): give the configured MLflow user READ permission on the registered model and on the experiment of its training run, or change mlGitops.registries[mlflow-default]',
        );
      });
    });

    it('refuses a token with a username, and half of username/password', () => {
      expect(() =>
        MlflowClient.create({
          baseUrl: BASE,
          token: 't',
          username: 'u',
          password: 'p',
        }),
      ).toThrow('either a token or a username and password, not both');
      expect(() =>
        MlflowClient.create({ baseUrl: BASE, username: 'u' }),
      ).toThrow('needs both a username and a password; only the username');
      expect(() =>
        MlflowClient.create({ baseUrl: BASE, password: 'p' }),
      ).toThrow('only the password is set');
      expect(() =>
        MlflowClient.create({ baseUrl: BASE, username: 'a:b', password: 'p' }),
      ).toThrow('must not contain ":"');
    });

    it('403 is a NotAllowedError', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () =>
          HttpResponse.json(
            { error_code: 'PERMISSION_DENIED', message: 'no' },
            { status: 403 },
          ),
        ),
      );
      await expect(client().getModelVersion('m', '1')).rejects.toBeInstanceOf(
        NotAllowedError,
      );
    });

    it("5xx is a ServiceUnavailableError with MLflow's message", async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () =>
          HttpResponse.json(
            { error_code: 'INTERNAL_ERROR', message: 'database is locked' },
            { status: 500 },
          ),
        ),
      );
      const error = await client()
        .getModelVersion('m', '1')
        .catch(e => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error.message).toContain(
        '(500 INTERNAL_ERROR: database is locked)',
      );
    });

    it('another 400 is an InputError', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () =>
          HttpResponse.json(
            { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad version' },
            { status: 400 },
          ),
        ),
      );
      await expect(client().getModelVersion('m', 'x')).rejects.toBeInstanceOf(
        InputError,
      );
    });

    it('an unreachable server is a ServiceUnavailableError', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, () => HttpResponse.error()),
      );
      const error = await client()
        .getModelVersion('m', '1')
        .catch(e => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error.message).toMatch(
        /^MLflow at https:\/\/mlflow.example.com is unreachable/,
      );
    });

    it('a slow server times out', async () => {
      server.use(
        http.get(`${API}/model-versions/get`, async () => {
          await delay(2000);
          return HttpResponse.json({ model_version: VERSION_12 });
        }),
      );
      await expect(client().getModelVersion('m', '1')).rejects.toThrow(
        'did not answer within 0.5s',
      );
    });

    it('something that is not MLflow is reported as such', async () => {
      server.use(
        http.get(
          `${API}/model-versions/get`,
          () => new HttpResponse('<html>login</html>', { status: 200 }),
        ),
        http.get(`${API}/runs/get`, () =>
          HttpResponse.json({ hello: 'world' }),
        ),
        http.get(
          `${API}/registered-models/get`,
          () => new HttpResponse('Not Found', { status: 404 }),
        ),
      );
      await expect(client().getModelVersion('m', '1')).rejects.toThrow(
        'is not JSON',
      );
      await expect(client().getRun('r')).rejects.toThrow(
        'unexpected runs/get response',
      );
      await expect(client().getRegisteredModel('m')).rejects.toThrow(
        'has no registered-models/get endpoint (404)',
      );
    });

    it('refuses invalid base URLs', () => {
      expect(() => MlflowClient.create({ baseUrl: 'mlflow' })).toThrow(
        InputError,
      );
      expect(() => MlflowClient.create({ baseUrl: 'ftp://x' })).toThrow(
        'http:// or https://',
      );
      expect(() => MlflowClient.create({ baseUrl: 'https://u:p@x' })).toThrow(
        'credentials',
      );
    });
  });
});

describe('modelVersionBlockers', () => {
  const base = {
    name: 'fraud-detector',
    version: '12',
    status: 'READY',
    aliases: [],
    tags: {},
  };

  it('accepts a READY version', () => {
    expect(modelVersionBlockers({ ...base, stage: 'Production' })).toEqual([]);
  });

  it('refuses a version that is not READY', () => {
    expect(
      modelVersionBlockers({
        ...base,
        status: 'FAILED_REGISTRATION',
        statusMessage: 'upload failed',
      }),
    ).toEqual([
      'fraud-detector version 12 is FAILED_REGISTRATION, not READY (upload failed): its registration failed; register the model again and use the new version',
    ]);
    expect(
      modelVersionBlockers({ ...base, status: 'PENDING_REGISTRATION' }),
    ).toEqual([
      'fraud-detector version 12 is PENDING_REGISTRATION, not READY: MLflow is still registering it; wait until it is READY and re-run',
    ]);
  });

  it('never takes a version without a status for READY', async () => {
    server.use(
      http.get(`${API}/model-versions/get`, () =>
        HttpResponse.json({
          model_version: { ...VERSION_12, status: undefined },
        }),
      ),
    );
    const version = await client().getModelVersion('fraud-detector', '12');
    expect(version?.status).toBe('');
    expect(modelVersionBlockers(version!)).toEqual([
      'fraud-detector version 12 is without a registration status, not READY',
    ]);
  });

  it('refuses an archived version', () => {
    expect(modelVersionBlockers({ ...base, stage: 'Archived' })).toEqual([
      'fraud-detector version 12 is in the Archived stage',
    ]);
  });

  it('refuses a version tagged validation_status=rejected', () => {
    expect(
      modelVersionBlockers({
        ...base,
        tags: { validation_status: 'Rejected' },
      }),
    ).toEqual([
      'fraud-detector version 12 is tagged validation_status=Rejected; un-reject it with ml-gitops:version:unreject (or delete its validation_status tag in the registry) before deploying it',
    ]);
  });
});
