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
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import { kubeflowContractProblems } from '../../testUtils';
import { KubeflowClient } from './KubeflowClient';
import {
  isKubeflowVersionReady,
  kubeflowServingArtifact,
  kubeflowVersionRejection,
} from './versionFacts';

/*
 * Payloads shaped as kubeflow/model-registry api/openapi/model-registry.yaml
 * (v1alpha3) describes them: RegisteredModel, ModelVersion, ArtifactList of
 * ModelArtifact (discriminated by artifactType), MetadataValue
 * (discriminated by metadataType; int_value as a string), ids and
 * *TimeSinceEpoch as strings (int64), and the Error schema `{ code,
 * message }` that ErrorResponse in internal/server/openapi/helpers.go fills
 * with the HTTP status text.
 */

const BASE = 'https://registry.example.com';
const API = `${BASE}/api/model_registry/v1alpha3`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const MODEL = {
  id: '1',
  name: 'fraud-detector',
  state: 'LIVE',
  owner: 'alice',
  customProperties: {},
  createTimeSinceEpoch: '1764240000000',
  lastUpdateTimeSinceEpoch: '1764240000000',
};

const VERSION_3 = {
  id: '7',
  name: '3',
  registeredModelId: '1',
  state: 'LIVE',
  author: 'bob',
  createTimeSinceEpoch: '1764243600000',
  lastUpdateTimeSinceEpoch: '1764247200000',
  customProperties: {
    auc: { metadataType: 'MetadataDoubleValue', double_value: 0.94 },
    epochs: { metadataType: 'MetadataIntValue', int_value: '12' },
    team: { metadataType: 'MetadataStringValue', string_value: 'risk' },
    validated: { metadataType: 'MetadataBoolValue', bool_value: true },
    blob: {
      metadataType: 'MetadataStructValue',
      struct_value: 'eyJhIjoxfQ==',
    },
  },
};

const ARTIFACTS = {
  items: [
    {
      id: '11',
      artifactType: 'model-artifact',
      name: 'fraud-detector-3',
      uri: 's3://models/fraud-detector/3',
      state: 'LIVE',
      modelFormatName: 'sklearn',
      modelFormatVersion: '1',
      customProperties: {},
      createTimeSinceEpoch: '1764243600000',
      lastUpdateTimeSinceEpoch: '1764243600000',
    },
  ],
  nextPageToken: '',
  pageSize: 100,
  size: 1,
};

const notFound = (message: string) =>
  HttpResponse.json({ code: 'Not Found', message }, { status: 404 });

function client(options: { token?: string; timeoutMs?: number } = {}) {
  return KubeflowClient.create({
    baseUrl: `${BASE}/`,
    credentialsHint: 'mlGitops.registries[kf]',
    ...options,
  });
}

describe('KubeflowClient', () => {
  it('is tested with fixtures that match the published OpenAPI description', () => {
    expect(kubeflowContractProblems('RegisteredModel', MODEL)).toEqual([]);
    expect(kubeflowContractProblems('ModelVersion', VERSION_3)).toEqual([]);
    expect(kubeflowContractProblems('ArtifactList', ARTIFACTS)).toEqual([]);
    expect(
      kubeflowContractProblems('Error', {
        code: 'Not Found',
        message: 'no model versions found',
      }),
    ).toEqual([]);
    // The check can fail: an int64 id is sent as a string.
    expect(
      kubeflowContractProblems('ModelVersion', { ...VERSION_3, id: 7 }),
    ).toEqual([expect.stringMatching(/^\$\.id must be a string/)]);
  });

  it('finds a registered model by name, with the bearer token', async () => {
    const seen: string[] = [];
    server.use(
      http.get(`${API}/registered_model`, ({ request }) => {
        seen.push(
          `${new URL(request.url).searchParams.get(
            'name',
          )} ${request.headers.get('authorization')}`,
        );
        return HttpResponse.json(MODEL);
      }),
    );
    const model = await client({ token: 't0k' }).findRegisteredModel(
      'fraud-detector',
    );
    expect(seen).toEqual(['fraud-detector Bearer t0k']);
    expect(model).toEqual({
      id: '1',
      name: 'fraud-detector',
      state: 'LIVE',
      owner: 'alice',
      createdAt: '2025-11-27T10:40:00.000Z',
      properties: { metrics: {}, tags: {} },
    });
  });

  it('answers undefined for a model or version the registry does not have', async () => {
    server.use(
      http.get(`${API}/registered_model`, () =>
        notFound('no registered models found for name=nope, externalId='),
      ),
      http.get(`${API}/model_version`, () =>
        notFound('no model versions found for name=9, parentResourceId=1'),
      ),
    );
    await expect(client().findRegisteredModel('nope')).resolves.toBeUndefined();
    await expect(client().findModelVersion('1', '9')).resolves.toBeUndefined();
  });

  it('reads a version: state, author, times and custom properties as metrics and tags', async () => {
    server.use(
      http.get(`${API}/model_version`, ({ request }) => {
        const query = new URL(request.url).searchParams;
        return query.get('name') === '3' &&
          query.get('parentResourceId') === '1'
          ? HttpResponse.json(VERSION_3)
          : notFound('no model versions found');
      }),
    );
    const version = await client().findModelVersion('1', '3');
    expect(version).toEqual({
      id: '7',
      name: '3',
      registeredModelId: '1',
      state: 'LIVE',
      author: 'bob',
      createdAt: '2025-11-27T11:40:00.000Z',
      updatedAt: '2025-11-27T12:40:00.000Z',
      properties: {
        metrics: { auc: 0.94, epochs: 12 },
        tags: { team: 'risk', validated: 'true' },
      },
    });
    expect(kubeflowVersionRejection(version!)).toBeUndefined();
  });

  it('reads the rejection markers from string custom properties', async () => {
    server.use(
      http.get(`${API}/model_versions/7`, () =>
        HttpResponse.json({
          ...VERSION_3,
          customProperties: {
            validation_status: {
              metadataType: 'MetadataStringValue',
              string_value: 'Rejected',
            },
            'ml-gitops.rejected_reason': {
              metadataType: 'MetadataStringValue',
              string_value: 'p95 latency doubled',
            },
            'ml-gitops.rejected_by': {
              metadataType: 'MetadataStringValue',
              string_value: 'user:default/alice',
            },
            'ml-gitops.rejected_at': {
              metadataType: 'MetadataStringValue',
              string_value: '2026-12-06T07:00:00Z',
            },
          },
        }),
      ),
    );
    const version = await client().getModelVersion('7');
    expect(kubeflowVersionRejection(version!)).toEqual({
      reason: 'p95 latency doubled',
      by: 'user:default/alice',
      at: '2026-12-06T07:00:00Z',
    });
  });

  it('lists model artifacts across pages and picks the one with a uri', async () => {
    const pages: Array<string | null> = [];
    server.use(
      http.get(`${API}/model_versions/7/artifacts`, ({ request }) => {
        const query = new URL(request.url).searchParams;
        expect(query.get('artifactType')).toBe('model-artifact');
        pages.push(query.get('nextPageToken'));
        return query.get('nextPageToken')
          ? HttpResponse.json(ARTIFACTS)
          : HttpResponse.json({
              items: [
                {
                  id: '10',
                  artifactType: 'model-artifact',
                  name: 'placeholder',
                  state: 'PENDING',
                },
              ],
              nextPageToken: 'page2',
              pageSize: 1,
              size: 1,
            });
      }),
    );
    const artifacts = await client().listModelArtifacts('7');
    expect(pages).toEqual([null, 'page2']);
    expect(artifacts.map(a => a.id)).toEqual(['10', '11']);
    const artifact = kubeflowServingArtifact(artifacts);
    expect(artifact).toMatchObject({
      uri: 's3://models/fraud-detector/3',
      modelFormatName: 'sklearn',
      modelFormatVersion: '1',
    });
    expect(isKubeflowVersionReady({ state: 'LIVE' }, artifact)).toBe(true);
    expect(isKubeflowVersionReady({ state: 'ARCHIVED' }, artifact)).toBe(false);
    expect(isKubeflowVersionReady({ state: 'LIVE' }, artifacts[0])).toBe(false);
  });

  it('names the token key on a 401 and the access to grant on a 403', async () => {
    server.use(
      http.get(`${API}/registered_model`, () =>
        HttpResponse.text('Unauthorized', { status: 401 }),
      ),
    );
    await expect(client().findRegisteredModel('m')).rejects.toThrow(
      /registry\.example\.com answered 401.*needs a bearer token; set token in mlGitops\.registries\[kf\]/,
    );
    await expect(
      client({ token: 'old' }).findRegisteredModel('m'),
    ).rejects.toThrow(AuthenticationError);
    server.use(
      http.get(`${API}/registered_model`, () =>
        HttpResponse.text('RBAC: access denied', { status: 403 }),
      ),
    );
    await expect(
      client({ token: 't' }).findRegisteredModel('m'),
    ).rejects.toThrow(NotAllowedError);
  });

  it('takes a 404 without the registry error body for a wrong URL', async () => {
    server.use(
      http.get(`${API}/registered_model`, () =>
        HttpResponse.text('404 page not found', { status: 404 }),
      ),
    );
    await expect(client().findRegisteredModel('m')).rejects.toThrow(
      /has no registered_model endpoint \(404 on https:\/\/registry\.example\.com\/api\/model_registry\/v1alpha3\/registered_model\?name=m\)/,
    );
  });

  it('reports a 500 with its message, bad JSON and an unexpected shape', async () => {
    server.use(
      http.get(`${API}/registered_model`, () =>
        HttpResponse.json(
          { code: 'Internal Server Error', message: 'database is locked' },
          { status: 500 },
        ),
      ),
    );
    await expect(client().findRegisteredModel('m')).rejects.toThrow(
      /failed on GET registered_model \(500: database is locked\); try again/,
    );
    server.use(
      http.get(`${API}/registered_model`, () =>
        HttpResponse.text('<html>login</html>', {
          headers: { 'content-type': 'text/html' },
        }),
      ),
    );
    await expect(client().findRegisteredModel('m')).rejects.toThrow(
      /response to GET registered_model that is not JSON/,
    );
    server.use(
      http.get(`${API}/model_version`, () =>
        HttpResponse.json({ id: '7', name: '3' }),
      ),
    );
    await expect(client().findModelVersion('1', '3')).rejects.toThrow(
      /unexpected model_version response \(registeredModelId: /,
    );
  });

  it('gives up after the timeout and says so', async () => {
    server.use(
      http.get(`${API}/registered_model`, async () => {
        await delay(500);
        return HttpResponse.json(MODEL);
      }),
    );
    const error = await client({ timeoutMs: 50 })
      .findRegisteredModel('m')
      .catch(e => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.message).toMatch(
      /registry\.example\.com did not answer GET registered_model within 0\.05s/,
    );
  });
});
