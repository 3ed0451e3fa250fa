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
 * The Kubeflow Model Registry emulator answers as the registry's REST
 * service does; each rule names its source in KubeflowApi.ts. These tests
 * drive it over HTTP.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KUBEFLOW_MODELS } from '../seed/kubeflowData';
import { KUBEFLOW_API_BASE, KubeflowApi } from './KubeflowApi';
import { KubeflowStore } from './KubeflowStore';

const TOKEN = 'test-token';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(s => new Promise(resolve => s.close(resolve))),
  );
});

/** The emulator on a free port over `store` (default: the seed). */
async function serve(store = KubeflowStore.seed()) {
  const api = new KubeflowApi(store, TOKEN);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    api.handle(req as any, res, url).catch(e => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const base = `http://127.0.0.1:${
    (server.address() as AddressInfo).port
  }${KUBEFLOW_API_BASE}`;
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = TOKEN,
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  return { store, call, get: (path: string) => call('GET', path) };
}

describe('the Kubeflow Model Registry emulator', () => {
  it('refuses requests without the bearer token, with the spec Error body', async () => {
    const { call } = await serve();
    const none = await call('GET', '/registered_models', undefined, null);
    expect(none.status).toBe(401);
    expect(none.json).toEqual({
      code: 'Unauthorized',
      message: expect.stringContaining('bearer token is required'),
    });
    const wrong = await call('GET', '/registered_models', undefined, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toBe('the bearer token is not valid');
  });

  it('finds the seeded model by name, and 404s an unknown one', async () => {
    const { get } = await serve();
    const found = await get('/registered_model?name=demand-forecaster');
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({
      id: '1',
      name: 'demand-forecaster',
      state: 'LIVE',
      owner: 'grace@example.com',
      customProperties: {
        team: {
          metadataType: 'MetadataStringValue',
          string_value: 'growth-ml',
        },
      },
    });
    expect(found.json.createTimeSinceEpoch).toMatch(/^\d+$/);

    const missing = await get('/registered_model?name=nope');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      code: 'Not Found',
      message: 'no registered models found for name=nope, externalId=',
    });
    const noParams = await get('/registered_model');
    expect(noParams.status).toBe(400);
    expect(noParams.json.code).toBe('Bad Request');
  });

  it('seeds demand-forecaster: 1 archived below its gates, 2 and 3 live and passing', async () => {
    const { get } = await serve();
    const { json } = await get('/registered_models/1/versions');
    expect(json.items.map((v: any) => [v.name, v.state])).toEqual([
      ['1', 'ARCHIVED'],
      ['2', 'LIVE'],
      ['3', 'LIVE'],
    ]);
    const gates = KUBEFLOW_MODELS[0].gates;
    const passes = (v: any) =>
      v.customProperties.auc.double_value >= gates.auc.min &&
      v.customProperties.latency_p95_ms.double_value <=
        gates.latency_p95_ms.max;
    expect(json.items.map(passes)).toEqual([false, true, true]);
    expect(json.items[2].customProperties).toMatchObject({
      accuracy: { metadataType: 'MetadataDoubleValue', double_value: 0.89 },
      training_rows: { metadataType: 'MetadataIntValue', int_value: '410000' },
      validated: { metadataType: 'MetadataBoolValue', bool_value: true },
    });
    const artifacts = await get(
      `/model_versions/${json.items[1].id}/artifacts?artifactType=model-artifact`,
    );
    expect(artifacts.json).toMatchObject({
      items: [
        {
          artifactType: 'model-artifact',
          uri: 's3://models/demand-forecaster/2',
          modelFormatName: 'sklearn',
          modelFormatVersion: '1',
          state: 'LIVE',
        },
      ],
      nextPageToken: '',
      size: 1,
    });
  });

  it('finds a version by name within its model', async () => {
    const { get } = await serve();
    const v = await get('/model_version?name=2&parentResourceId=1');
    expect(v.status).toBe(200);
    expect(v.json).toMatchObject({ name: '2', registeredModelId: '1' });
    expect((await get(`/model_versions/${v.json.id}`)).json).toEqual(v.json);
    const missing = await get('/model_version?name=9&parentResourceId=1');
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe(
      'no model versions found for name=9, parentResourceId=1, externalId=',
    );
    expect((await get('/model_versions/999')).json).toEqual({
      code: 'Not Found',
      message: 'model version by id not found: 999',
    });
    const badId = await get('/model_versions/abc');
    expect(badId.status).toBe(400);
    expect((await get('/model_version?name=2&parentResourceId=x')).status).toBe(
      400,
    );
  });

  it('pages with pageSize and nextPageToken, in orderBy and sortOrder order', async () => {
    const store = new KubeflowStore();
    for (let i = 1; i <= 5; i++) {
      store.registerVersion({
        model: 'm',
        version: `v${i}`,
        // registered in reverse, so CREATE_TIME order is not id order
        registeredAt: 1_700_000_000_000 - i * 1000,
      });
    }
    const { get } = await serve(store);
    const names = async (query: string) => {
      const seen: string[] = [];
      let token = '';
      for (let i = 0; i < 10; i++) {
        const { status, json } = await get(
          `/registered_models/1/versions?pageSize=2&${query}${
            token ? `&nextPageToken=${encodeURIComponent(token)}` : ''
          }`,
        );
        expect(status).toBe(200);
        expect(json.pageSize).toBe(2);
        expect(json.size).toBe(json.items.length);
        seen.push(...json.items.map((v: any) => v.name));
        token = json.nextPageToken;
        if (!token) break;
      }
      return seen;
    };
    expect(await names('')).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(await names('sortOrder=DESC')).toEqual([
      'v5',
      'v4',
      'v3',
      'v2',
      'v1',
    ]);
    expect(await names('orderBy=CREATE_TIME')).toEqual([
      'v5',
      'v4',
      'v3',
      'v2',
      'v1',
    ]);
    const all = await get('/registered_models/1/versions');
    expect(all.json).toMatchObject({ size: 5, pageSize: 0, nextPageToken: '' });

    for (const bad of [
      'pageSize=0',
      'pageSize=x',
      'orderBy=NAME',
      'sortOrder=UP',
      'nextPageToken=%25%25',
      `filterQuery=${encodeURIComponent("name='v1'")}`,
    ]) {
      const res = await get(`/registered_models/1/versions?${bad}`);
      expect([bad, res.status, res.json.code]).toEqual([
        bad,
        400,
        'Bad Request',
      ]);
    }
  });

  it('creates models, versions and artifacts as a pipeline registers them', async () => {
    const { call, get } = await serve(new KubeflowStore());
    const model = await call('POST', '/registered_models', {
      name: 'm',
      owner: 'ada@example.com',
    });
    expect(model.status).toBe(201);
    expect(model.json).toMatchObject({ id: '1', name: 'm', state: 'LIVE' });
    expect(
      (await call('POST', '/registered_models', { name: 'm' })).json,
    ).toEqual({
      code: 'Conflict',
      message: 'registered model with name m already exists',
    });
    expect((await call('POST', '/registered_models', {})).status).toBe(400);

    const v1 = await call('POST', '/model_versions', {
      name: '1',
      registeredModelId: '1',
      customProperties: {
        auc: { metadataType: 'MetadataDoubleValue', double_value: 0.9 },
      },
    });
    expect(v1.status).toBe(201);
    // models and versions share one id sequence
    expect(v1.json).toMatchObject({ id: '2', registeredModelId: '1' });
    const v2 = await call('POST', '/registered_models/1/versions', {
      name: '2',
    });
    expect(v2.status).toBe(201);
    expect(
      (await call('POST', '/registered_models/1/versions', { name: '2' }))
        .status,
    ).toBe(409);
    expect(
      (
        await call('POST', '/model_versions', {
          name: '3',
          registeredModelId: '77',
        })
      ).status,
    ).toBe(422);

    const artifact = await call(
      'POST',
      `/model_versions/${v2.json.id}/artifacts`,
      {
        artifactType: 'model-artifact',
        uri: 's3://models/m/2',
        modelFormatName: 'onnx',
        modelFormatVersion: '1',
      },
    );
    expect(artifact.status).toBe(201);
    expect(artifact.json).toMatchObject({ id: '1', state: 'UNKNOWN' });
    // an existing artifact is associated, not copied
    const linked = await call(
      'POST',
      `/model_versions/${v1.json.id}/artifacts`,
      {
        id: artifact.json.id,
      },
    );
    expect(linked.status).toBe(200);
    expect(
      (await get(`/model_versions/${v1.json.id}/artifacts`)).json.items,
    ).toEqual([artifact.json]);
    expect(
      (
        await call('POST', `/model_versions/${v1.json.id}/artifacts`, {
          artifactType: 'doc-artifact',
        })
      ).status,
    ).toBe(400);
  });

  it('PATCHes a version: custom properties replaced as a whole, every value checked first', async () => {
    const { call, get } = await serve();
    const v = (await get('/model_version?name=3&parentResourceId=1')).json;
    const patched = await call('PATCH', `/model_versions/${v.id}`, {
      customProperties: {
        auc: { metadataType: 'MetadataDoubleValue', double_value: 0.95 },
        rejected: { metadataType: 'MetadataStringValue', string_value: 'yes' },
      },
      state: 'ARCHIVED',
    });
    expect(patched.status).toBe(200);
    expect(patched.json.customProperties).toEqual({
      auc: { metadataType: 'MetadataDoubleValue', double_value: 0.95 },
      rejected: { metadataType: 'MetadataStringValue', string_value: 'yes' },
    });
    expect(patched.json.state).toBe('ARCHIVED');
    expect(Number(patched.json.lastUpdateTimeSinceEpoch)).toBeGreaterThan(
      Number(v.lastUpdateTimeSinceEpoch),
    );

    for (const bad of [
      { n: { metadataType: 'MetadataIntValue', int_value: 5 } },
      { n: { metadataType: 'MetadataIntValue', int_value: '99999999999' } },
      { n: { metadataType: 'MetadataDoubleValue', double_value: '0.5' } },
      { n: { metadataType: 'MetadataBoolValue', bool_value: true, x: 1 } },
      { n: { metadataType: 'MetadataFloatValue', float_value: 1 } },
    ]) {
      const res = await call('PATCH', `/model_versions/${v.id}`, {
        customProperties: bad,
        description: 'not applied',
      });
      expect(res.status).toBe(400);
      expect(res.json.message).toMatch(/^customProperties\.n: /);
    }
    const after = (await get(`/model_versions/${v.id}`)).json;
    expect(after.description).not.toBe('not applied');
    expect(
      (await call('PATCH', `/model_versions/${v.id}`, { name: 'x' })).status,
    ).toBe(400);
    expect((await call('PATCH', '/model_versions/999', {})).status).toBe(404);
  });

  it('answers Go’s plain 404 for a path it does not serve', async () => {
    const { get } = await serve();
    const res = await get('/inference_services');
    expect(res.status).toBe(404);
    expect(res.text).toBe('404 page not found\n');
  });
});
