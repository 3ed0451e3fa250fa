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
 * The MLflow emulator answers as MLflow does; each rule names its source in
 * MlflowApi.ts. These tests drive it over HTTP, as the product does.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from '../sandbox';
import {
  MlflowClient,
  modelVersionRejectionBlocker,
  versionRejection,
} from '@ml-gitops/plugin-ml-gitops-common';
import { mlflowResponseProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { MlflowApi, MlflowBasicAuth, MlflowStore } from './MlflowApi';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(s => new Promise(resolve => s.close(resolve))),
  );
});

/** The emulator on a free port, with a store of `versions` versions of m. */
async function serve(
  options: { auth?: MlflowBasicAuth; versions?: number; models?: number } = {},
) {
  const store = new MlflowStore();
  for (let i = 0; i < (options.models ?? 1); i++) {
    const name = i === 0 ? 'm' : `model-${String(i).padStart(4, '0')}`;
    store.models.set(name, {
      name,
      creation_timestamp: 1,
      last_updated_timestamp: 1,
      description: '',
      user_id: '',
      tags: [],
      aliases: [],
    });
  }
  for (let v = 1; v <= (options.versions ?? 0); v++) {
    store.registerVersion({
      model: 'm',
      team: 't',
      version: String(v),
      userEmail: 'a@example.com',
      registeredAt: 1_700_000_000_000,
      experimentId: '1',
      stage: 'None',
      aliases: [],
      description: '',
      metrics: { auc: 0.9 },
    });
  }
  let base = '';
  const api = new MlflowApi(store, () => base, { auth: options.auth });
  const server = http.createServer((req, res) => {
    void api.handle(req as any, res, new URL(req.url!, base));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  const call = (
    path: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      body?: unknown;
    } = {},
  ) =>
    fetch(`${base}/api/2.0/mlflow/${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  return { store, api, call };
}

describe('basic auth, as `mlflow server --app-name basic-auth` answers', () => {
  const auth: MlflowBasicAuth = {
    users: [
      { username: 'writer', password: 'pw-w', permission: 'EDIT' },
      { username: 'reader', password: 'pw-r' },
      { username: 'nobody', password: 'pw-n', permission: 'NO_PERMISSIONS' },
    ],
  };

  it.each([
    ['no credentials', {}],
    ['a bearer token', { authorization: 'Bearer some-token' }],
    ['a wrong password', { authorization: basic('reader', 'nope') }],
    ['an unknown user', { authorization: basic('eve', 'pw-r') }],
  ])(
    'answers %s with 401, plain text and a Basic challenge',
    async (_what, headers) => {
      const { call } = await serve({ auth, versions: 1 });
      const response = await call('model-versions/get?name=m&version=1', {
        headers,
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        'Basic realm="mlflow"',
      );
      expect(response.headers.get('content-type')).toBe(
        'text/html; charset=utf-8',
      );
      expect(await response.text()).toBe(
        'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
      );
    },
  );

  it('lets a user read with READ (the default permission), and write only with EDIT', async () => {
    const { call } = await serve({ auth, versions: 1 });
    const read = await call('model-versions/get?name=m&version=1', {
      headers: { authorization: basic('reader', 'pw-r') },
    });
    expect(read.status).toBe(200);
    expect((await read.json()).model_version.version).toBe('1');

    const write = {
      name: 'm',
      source: 'mlflow-artifacts:/1/x/artifacts/model',
    };
    const refused = await call('model-versions/create', {
      method: 'POST',
      headers: { authorization: basic('reader', 'pw-r') },
      body: write,
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe('Permission denied');
    const created = await call('model-versions/create', {
      method: 'POST',
      headers: { authorization: basic('writer', 'pw-w') },
      body: write,
    });
    expect(created.status).toBe(200);
  });

  it('refuses everything to a user with NO_PERMISSIONS (403)', async () => {
    const { call } = await serve({ auth, versions: 1 });
    const response = await call('runs/get?run_id=x', {
      headers: { authorization: basic('nobody', 'pw-n') },
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('Permission denied');
  });

  it('is off unless switched on, and can be switched at runtime', async () => {
    const { api, call } = await serve({ versions: 1 });
    expect((await call('model-versions/get?name=m&version=1')).status).toBe(
      200,
    );
    api.setAuth(auth);
    expect((await call('model-versions/get?name=m&version=1')).status).toBe(
      401,
    );
  });
});

describe('artifact locations', () => {
  it('stores artifacts under the s3:// artifact root and answers the download URI', async () => {
    const { call, store } = await serve({ versions: 2 });
    const { model_version: v } = await call(
      'model-versions/get?name=m&version=2',
    ).then(r => r.json());
    expect(v.source).toMatch(
      /^s3:\/\/ml-gitops-sandbox-mlflow\/1\/[0-9a-f]{32}\/artifacts\/model$/,
    );
    expect(v).not.toHaveProperty('storage_location');
    const { run } = await call(`runs/get?run_id=${v.run_id}`).then(r =>
      r.json(),
    );
    expect(`${run.info.artifact_uri}/model`).toBe(v.source);
    const answer = await call(
      'model-versions/get-download-uri?name=m&version=2',
    );
    expect(
      await mlflowResponseProblems(
        'GET model-versions/get-download-uri',
        answer.clone(),
      ),
    ).toEqual([]);
    expect(await answer.json()).toEqual({ artifact_uri: v.source });
    expect(
      (await call('model-versions/get-download-uri?name=m&version=9')).status,
    ).toBe(404);
    expect(store.artifacts.get(`${v.source}/MLmodel`)).toMatch(/^flavors:$/m);
  });

  it('gives a version copied from models:/ the storage location of the original', async () => {
    const { call } = await serve({ versions: 1 });
    const original = await call(
      'model-versions/get-download-uri?name=m&version=1',
    ).then(r => r.json());
    const { model_version: copy } = await call('model-versions/create', {
      method: 'POST',
      body: { name: 'm', source: 'models:/m/1' },
    }).then(r => r.json());
    expect(copy.source).toBe('models:/m/1');
    expect(
      await call(
        `model-versions/get-download-uri?name=m&version=${copy.version}`,
      ).then(r => r.json()),
    ).toEqual(original);
  });

  it('serves the MLmodel file through /model-versions/get-artifact, also for a runs:/ source', async () => {
    const { call, store } = await serve({ versions: 1 });
    const base = (await call('model-versions/get?name=m&version=1')).url.split(
      '/api/',
    )[0];
    const file = (version: string, path = 'MLmodel') =>
      fetch(
        `${base}/model-versions/get-artifact?name=m&version=${version}&path=${path}`,
      );
    const seeded = await file('1');
    expect(seeded.status).toBe(200);
    expect(await seeded.text()).toMatch(/^ {2}sklearn:$/m);

    const { run } = await call('runs/create', {
      method: 'POST',
      body: { experiment_id: '4' },
    }).then(r => r.json());
    expect(run.info.artifact_uri).toBe(
      `s3://ml-gitops-sandbox-mlflow/4/${run.info.run_id}/artifacts`,
    );
    const { model_version: v } = await call('model-versions/create', {
      method: 'POST',
      body: {
        name: 'm',
        source: `runs:/${run.info.run_id}/model`,
        run_id: run.info.run_id,
      },
    }).then(r => r.json());
    const missing = await file(v.version);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    store.artifacts.set(
      `${run.info.artifact_uri}/model/MLmodel`,
      'flavors:\n  xgboost: {}\n',
    );
    expect(await (await file(v.version)).text()).toBe(
      'flavors:\n  xgboost: {}\n',
    );
    expect((await file(v.version, '../../etc/passwd')).status).toBe(400);
  });
});

describe('registration states (ModelVersionStatus)', () => {
  const create = (call: Awaited<ReturnType<typeof serve>>['call']) =>
    call('model-versions/create', {
      method: 'POST',
      body: { name: 'm', source: 'mlflow-artifacts:/1/x/artifacts/model' },
    }).then(r => r.json());
  const get = (call: Awaited<ReturnType<typeof serve>>['call'], v: string) =>
    call(`model-versions/get?name=m&version=${v}`)
      .then(r => r.json())
      .then(b => b.model_version);

  it('creates a version READY, as MLflow’s own store does', async () => {
    const { call } = await serve();
    const { model_version } = await create(call);
    expect(model_version.status).toBe('READY');
    expect(model_version).not.toHaveProperty('status_message');
  });

  it('creates a version PENDING_REGISTRATION in pending mode, which then becomes READY', async () => {
    const { store, call } = await serve();
    store.registrationMode = 'pending';
    const { model_version } = await create(call);
    expect(model_version).toMatchObject({
      version: '1',
      status: 'PENDING_REGISTRATION',
      status_message: 'Copying the model artifacts',
    });
    expect((await get(call, '1')).status).toBe('PENDING_REGISTRATION');

    store.completeRegistration('m', '1', 'READY');
    const ready = await get(call, '1');
    expect(ready.status).toBe('READY');
    expect(ready).not.toHaveProperty('status_message');
  });

  it('can end a pending registration FAILED_REGISTRATION with a message, and only a pending one', async () => {
    const { store, call } = await serve();
    store.registrationMode = 'pending';
    await create(call);
    store.completeRegistration(
      'm',
      '1',
      'FAILED_REGISTRATION',
      'upload failed',
    );
    expect(await get(call, '1')).toMatchObject({
      status: 'FAILED_REGISTRATION',
      status_message: 'upload failed',
    });
    expect(() => store.completeRegistration('m', '1', 'READY')).toThrow(
      'm version 1 is FAILED_REGISTRATION, not PENDING_REGISTRATION',
    );
  });
});

describe('pages: max_results and next_page_token', () => {
  const decode = (token: string) =>
    JSON.parse(Buffer.from(token, 'base64').toString());

  it('pages model-versions/search by max_results with base64 {"offset": n} tokens, none on the last page', async () => {
    const { call } = await serve({ versions: 5 });
    const seen: string[] = [];
    let token: string | undefined;
    const tokens: unknown[] = [];
    do {
      const body = await call(
        `model-versions/search?filter=${encodeURIComponent(
          "name='m'",
        )}&max_results=2${token ? `&page_token=${token}` : ''}`,
      ).then(r => r.json());
      seen.push(...body.model_versions.map((v: any) => v.version));
      token = body.next_page_token;
      if (token) tokens.push(decode(token));
    } while (token);
    expect(seen).toEqual(['5', '4', '3', '2', '1']);
    expect(tokens).toEqual([{ offset: 2 }, { offset: 4 }]);
  });

  it('answers model-versions/search with all 200 000 allowed by default, and refuses more', async () => {
    const { call } = await serve({ versions: 3 });
    const all = await call('model-versions/search').then(r => r.json());
    expect(all.model_versions).toHaveLength(3);
    expect(all).not.toHaveProperty('next_page_token');

    const over = await call('model-versions/search?max_results=200001');
    expect(over.status).toBe(400);
    expect(await over.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        "Invalid value \"200001\" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.",
    });
    const zero = await call('model-versions/search?max_results=0');
    expect(await zero.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        'Invalid value for max_results. It must be a positive integer, but got 0',
    });
  });

  it('pages registered-models/search: 100 by default, at most 1000', async () => {
    const { call } = await serve({ models: 150 });
    const first = await call('registered-models/search').then(r => r.json());
    expect(first.registered_models).toHaveLength(100);
    expect(decode(first.next_page_token)).toEqual({ offset: 100 });
    const second = await call(
      `registered-models/search?page_token=${first.next_page_token}`,
    ).then(r => r.json());
    expect(second.registered_models).toHaveLength(50);
    expect(second).not.toHaveProperty('next_page_token');
    expect(
      new Set(
        [...first.registered_models, ...second.registered_models].map(
          (m: any) => m.name,
        ),
      ).size,
    ).toBe(150);

    expect(
      (await call('registered-models/search?max_results=1000')).status,
    ).toBe(200);
    const over = await call('registered-models/search?max_results=1001');
    expect(over.status).toBe(400);
    expect((await over.json()).error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('leaves out an empty list, as protobuf JSON does', async () => {
    const { call } = await serve();
    const body = await call(
      `model-versions/search?filter=${encodeURIComponent("name='none'")}`,
    ).then(r => r.json());
    expect(body).toEqual({});
  });

  it.each([
    ['not base64', '!!!', 'Invalid page token, could not base64-decode'],
    [
      'not JSON',
      Buffer.from('nope').toString('base64'),
      "Invalid page token, decoded value=b'nope'",
    ],
    [
      'without an offset',
      Buffer.from('{"o":1}').toString('base64'),
      'Invalid page token, parsed value={"o":1}',
    ],
  ])('refuses a page token that is %s (400)', async (_what, token, message) => {
    const { call } = await serve({ versions: 1 });
    const response = await call(
      `model-versions/search?page_token=${encodeURIComponent(token)}`,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message,
    });
  });
});

describe('model version tags (set-tag, delete-tag)', () => {
  const tagsOf = async (
    call: Awaited<ReturnType<typeof serve>>['call'],
    version = '1',
  ) =>
    (await (await call(`model-versions/get?name=m&version=${version}`)).json())
      .model_version.tags;

  it('sets, overwrites and deletes tags, answering {} as MLflow does', async () => {
    const { call } = await serve({ versions: 1 });
    const set = (key: string, value: string) =>
      call('model-versions/set-tag', {
        method: 'POST',
        body: { name: 'm', version: '1', key, value },
      });
    const response = await set('validation_status', 'rejected');
    expect(response.status).toBe(200);
    expect(
      await mlflowResponseProblems('POST model-versions/set-tag', response),
    ).toEqual([]);
    await set('validation_status', 'REJECTED');
    await set('ml-gitops.rejected_reason', 'p95 doubled');
    expect(await tagsOf(call)).toEqual([
      { key: 'team', value: 't' },
      { key: 'validation_status', value: 'REJECTED' },
      { key: 'ml-gitops.rejected_reason', value: 'p95 doubled' },
    ]);
    const del = (key: string) =>
      call('model-versions/delete-tag', {
        method: 'DELETE',
        body: { name: 'm', version: '1', key },
      });
    const deleted = await del('validation_status');
    expect(
      await mlflowResponseProblems('DELETE model-versions/delete-tag', deleted),
    ).toEqual([]);
    // A tag that is not set: nothing to delete, no error.
    expect((await del('validation_status')).status).toBe(200);
    expect(await tagsOf(call)).toEqual([
      { key: 'team', value: 't' },
      { key: 'ml-gitops.rejected_reason', value: 'p95 doubled' },
    ]);
  });

  it('answers a missing version and bad keys and values as MLflow does', async () => {
    const { call } = await serve({ versions: 1 });
    const set = (body: Record<string, unknown>) =>
      call('model-versions/set-tag', { method: 'POST', body });
    const expectError = async (
      response: Response,
      status: number,
      error: { error_code: string; message: string },
    ) => {
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual(error);
    };
    await expectError(
      await set({ name: 'm', version: '9', key: 'k', value: 'v' }),
      404,
      {
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Model Version (name=m, version=9) not found',
      },
    );
    await expectError(
      await call('model-versions/delete-tag', {
        method: 'DELETE',
        body: { name: 'nope', version: '1', key: 'k' },
      }),
      404,
      {
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Model Version (name=nope, version=1) not found',
      },
    );
    await expectError(await set({ name: 'm', version: '1', key: 'k' }), 400, {
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        "Missing value for required parameter 'value'. See the API docs for more information about request parameters.",
    });
    await expectError(
      await set({ name: 'm', version: '1', key: '../k', value: 'v' }),
      400,
      {
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          'Invalid value "../k" for parameter \'key\' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
      },
    );
    await expectError(
      await set({ name: 'm', version: '1', key: 'k$', value: 'v' }),
      400,
      {
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          'Invalid value "k$" for parameter \'key\' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
      },
    );
    await expectError(
      await set({ name: 'm', version: '1', key: 'k', value: 'v'.repeat(5001) }),
      400,
      {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: "'value' exceeds the maximum length of 5000 characters",
      },
    );
    expect(await tagsOf(call)).toEqual([{ key: 'team', value: 't' }]);
  });

  it('needs EDIT to set a tag and MANAGE to delete one with basic auth', async () => {
    const { call } = await serve({
      versions: 1,
      auth: {
        users: [
          { username: 'reader', password: 'r' },
          { username: 'editor', password: 'e', permission: 'EDIT' },
          { username: 'manager', password: 'm', permission: 'MANAGE' },
        ],
      },
    });
    const tag = { name: 'm', version: '1', key: 'k', value: 'v' };
    const set = (user: string, password: string) =>
      call('model-versions/set-tag', {
        method: 'POST',
        headers: { authorization: basic(user, password) },
        body: tag,
      });
    const del = (user: string, password: string) =>
      call('model-versions/delete-tag', {
        method: 'DELETE',
        headers: { authorization: basic(user, password) },
        body: { name: 'm', version: '1', key: 'k' },
      });
    expect((await set('reader', 'r')).status).toBe(403);
    expect((await set('editor', 'e')).status).toBe(200);
    expect((await del('editor', 'e')).status).toBe(403);
    expect((await del('manager', 'm')).status).toBe(200);
  });

  it('is what MlflowClient rejects and un-rejects through', async () => {
    const { store, call } = await serve({ versions: 2 });
    const base = new URL(
      (await call('model-versions/get?name=m&version=1')).url,
    ).origin;
    const client = MlflowClient.create({ baseUrl: base });
    await client.rejectModelVersion('m', '2', {
      reason: 'p95 latency doubled',
      by: 'user:default/alice',
      at: '2026-12-06T07:00:00Z',
    });
    const rejected = await client.getModelVersion('m', '2');
    expect(modelVersionRejectionBlocker(rejected!)).toBe(
      'm version 2 is rejected: "p95 latency doubled" (by user:default/alice, 2026-12-06T07:00:00Z); un-reject it with ml-gitops:version:unreject (or delete its validation_status tag in the registry) before deploying it',
    );
    await client.unrejectModelVersion('m', '2');
    expect(versionRejection((await client.getModelVersion('m', '2'))!)).toBe(
      undefined,
    );
    expect(store.versions.find(v => v.version === '2')!.tags).toEqual([
      { key: 'team', value: 't' },
    ]);
    await expect(client.setModelVersionTag('m', '7', 'k', 'v')).rejects.toThrow(
      'm version 7 does not exist in MLflow',
    );
  });
});

describe('the sandbox switches', () => {
  jest.setTimeout(60_000);
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      log: () => {},
      drift: false,
    });
  });
  afterAll(() => sandbox?.stop());
  const admin = (path: string, body: unknown) =>
    fetch(`${sandbox.urls.admin}/_sandbox/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const search = (headers: Record<string, string> = {}) =>
    fetch(`${sandbox.urls.mlflow}/api/2.0/mlflow/registered-models/search`, {
      headers,
    });

  it('turns basic auth on and off, and keeps it across a reset', async () => {
    expect((await search()).status).toBe(200);
    expect((await admin('mlflow/basic-auth', { enabled: true })).status).toBe(
      200,
    );
    expect((await search()).status).toBe(401);
    const { username, password } = SANDBOX_CREDENTIALS.mlflow;
    expect(
      (await search({ authorization: basic(username, password) })).status,
    ).toBe(200);
    await admin('reset', {});
    expect((await search()).status).toBe(401);
    await admin('mlflow/basic-auth', { enabled: false });
    expect((await search()).status).toBe(200);
    expect((await admin('mlflow/basic-auth', { enabled: 'yes' })).status).toBe(
      400,
    );
  });

  it('registers versions pending and completes them through the controls', async () => {
    await admin('mlflow/registration', { mode: 'pending' });
    const created = await fetch(
      `${sandbox.urls.mlflow}/api/2.0/mlflow/model-versions/create`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'fraud-detector',
          source: 'mlflow-artifacts:/1/x/artifacts/model',
        }),
      },
    ).then(r => r.json());
    expect(created.model_version.status).toBe('PENDING_REGISTRATION');
    const version = created.model_version.version;
    const done = await admin('mlflow/registration/complete', {
      model: 'fraud-detector',
      version,
      status: 'READY',
    });
    expect(done.status).toBe(200);
    const again = await admin('mlflow/registration/complete', {
      model: 'fraud-detector',
      version,
      status: 'READY',
    });
    expect(again.status).toBe(409);
    await admin('mlflow/registration', { mode: 'ready' });
  });
});
