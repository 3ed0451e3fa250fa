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

import { InputError, NotAllowedError } from '@backstage/errors';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { kubeflowContractProblems } from '../../testUtils';
import { createRegistryClient } from '../createRegistryClient';
import { KubeflowRegistryClient } from './KubeflowRegistryClient';

/*
 * Payloads as kubeflow/model-registry api/openapi/model-registry.yaml
 * (v1alpha3) describes them: RegisteredModel, ModelVersion, ArtifactList,
 * the Error schema, and ModelVersionUpdate for the PATCH of
 * /model_versions/{id} (operation updateModelVersion), each measured
 * against the published schema.
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
  customProperties: {},
  createTimeSinceEpoch: '1764240000000',
  lastUpdateTimeSinceEpoch: '1764240000000',
};

type Version = {
  id: string;
  name: string;
  registeredModelId: string;
  state: string;
  author: string;
  createTimeSinceEpoch: string;
  lastUpdateTimeSinceEpoch: string;
  customProperties: Record<string, Record<string, unknown>>;
};

function version(overrides: Partial<Version> = {}): Version {
  return {
    id: '7',
    name: '3',
    registeredModelId: '1',
    state: 'LIVE',
    author: 'bob',
    createTimeSinceEpoch: '1764243600000',
    lastUpdateTimeSinceEpoch: '1764247200000',
    customProperties: {
      auc: { metadataType: 'MetadataDoubleValue', double_value: 0.94 },
      team: { metadataType: 'MetadataStringValue', string_value: 'risk' },
    },
    ...overrides,
  };
}

function artifacts(uri?: string) {
  const items = [
    {
      id: '11',
      artifactType: 'model-artifact',
      name: 'fraud-detector-3',
      ...(uri ? { uri } : {}),
      state: 'LIVE',
      modelFormatName: 'ONNX',
      modelFormatVersion: '1',
      customProperties: {},
    },
  ];
  return { items, nextPageToken: '', pageSize: 100, size: items.length };
}

/** A registry holding `stored`; a PATCH replaces its custom properties. */
function registry(
  stored: Version,
  options: {
    uri?: string;
    patches?: unknown[];
    /** Answers a PATCH without changing anything (a server that merges). */
    merging?: boolean;
    patchStatus?: number;
  } = {},
) {
  server.use(
    http.get(`${API}/registered_model`, ({ request }) =>
      new URL(request.url).searchParams.get('name') === MODEL.name
        ? HttpResponse.json(MODEL)
        : HttpResponse.json(
            { code: 'Not Found', message: 'no registered models found' },
            { status: 404 },
          ),
    ),
    http.get(`${API}/model_version`, ({ request }) =>
      new URL(request.url).searchParams.get('name') === stored.name
        ? HttpResponse.json(stored)
        : HttpResponse.json(
            { code: 'Not Found', message: 'no model versions found' },
            { status: 404 },
          ),
    ),
    http.get(`${API}/model_versions/7`, () => HttpResponse.json(stored)),
    http.get(`${API}/model_versions/7/artifacts`, () =>
      HttpResponse.json(artifacts(options.uri)),
    ),
    http.patch(`${API}/model_versions/7`, async ({ request }) => {
      if (options.patchStatus) {
        return HttpResponse.json(
          { code: 'Forbidden', message: 'update denied' },
          { status: options.patchStatus },
        );
      }
      const body = (await request.json()) as {
        customProperties: Version['customProperties'];
      };
      options.patches?.push(body);
      if (!options.merging) stored.customProperties = body.customProperties;
      return HttpResponse.json(stored);
    }),
  );
}

const client = () =>
  createRegistryClient({
    type: 'kubeflow',
    baseUrl: BASE,
    token: 't',
    credentialsHint: 'mlGitops.registries[kf]',
  });

describe('KubeflowRegistryClient', () => {
  it('is built for type kubeflow, and refuses a username and password', () => {
    expect(client()).toBeInstanceOf(KubeflowRegistryClient);
    expect(() =>
      createRegistryClient({
        type: 'kubeflow',
        baseUrl: BASE,
        username: 'u',
        password: 'p',
      }),
    ).toThrow(InputError);
    expect(() =>
      createRegistryClient({ type: 'sagemaker', baseUrl: BASE }),
    ).toThrow(
      'The registry type "sagemaker" is not built in: use mlflow or kubeflow',
    );
  });

  it('reads the facts of a LIVE version with a model artifact: ready, no aliases, metrics and tags from custom properties', async () => {
    registry(version(), { uri: 's3://models/fraud/3' });
    const c = client();
    const v = await c.getVersion('fraud-detector', '3');
    expect(v).toEqual({
      model: 'fraud-detector',
      version: '3',
      status: 'LIVE',
      ready: true,
      aliases: [],
      supportsAliases: false,
      tags: { team: 'risk' },
      blockers: [],
      storageUri: 's3://models/fraud/3',
      modelFormat: { name: 'ONNX', version: '1' },
      author: 'bob',
      createdAt: '2025-11-27T11:40:00.000Z',
      metrics: { auc: 0.94 },
    });
    await expect(c.getMetrics(v!)).resolves.toEqual({
      ok: true,
      metrics: { auc: 0.94 },
      source: { kind: 'custom-properties' },
    });
    await expect(
      c.resolveServingArtifact('fraud-detector', '3'),
    ).resolves.toEqual({
      ok: true,
      storageUri: 's3://models/fraud/3',
      registryUri: 's3://models/fraud/3',
    });
    await expect(c.resolveModelFormat('fraud-detector', '3')).resolves.toEqual({
      format: 'onnx',
      flavors: [],
    });
    await expect(c.getVersion('fraud-detector', '4')).resolves.toBeUndefined();
    await expect(c.getVersion('churn', '3')).resolves.toBeUndefined();
  });

  it('blocks an ARCHIVED version (forceable) and one without a model artifact uri (not forceable)', async () => {
    registry(version({ state: 'ARCHIVED' }));
    const v = await client().getVersion('fraud-detector', '3');
    expect(v?.ready).toBe(false);
    expect(v?.blockers.map(b => [b.kind, b.forceable])).toEqual([
      ['archived', true],
      ['no-artifact', false],
    ]);
    await expect(
      client().resolveServingArtifact('fraud-detector', '3'),
    ).resolves.toMatchObject({
      ok: false,
      problem: `fraud-detector version 3 has no model artifact with a uri in the Kubeflow Model Registry at ${BASE}`,
    });
  });

  it('rejects with one PATCH of the whole custom property map, valid as a ModelVersionUpdate, and un-rejects', async () => {
    const stored = version();
    const patches: unknown[] = [];
    registry(stored, { uri: 's3://m', patches });
    const c = client();
    await c.rejectVersion('fraud-detector', '3', {
      reason: 'Leaks PII',
      by: 'user:default/alice',
      at: '2026-12-06T07:00:00Z',
    });
    expect(patches).toHaveLength(1);
    expect(kubeflowContractProblems('ModelVersionUpdate', patches[0])).toEqual(
      [],
    );
    // The check can fail: a value without its metadataType is refused.
    expect(
      kubeflowContractProblems('ModelVersionUpdate', {
        customProperties: { x: { string_value: 'y' } },
      }),
    ).not.toEqual([]);
    const rejected = await c.getVersion('fraud-detector', '3');
    expect(rejected?.rejection).toEqual({
      reason: 'Leaks PII',
      by: 'user:default/alice',
      at: '2026-12-06T07:00:00Z',
    });
    expect(rejected?.blockers.map(b => [b.kind, b.forceable])).toEqual([
      ['rejected', false],
    ]);
    expect(rejected?.blockers[0].message).toBe(
      'fraud-detector version 3 is rejected: "Leaks PII" (by user:default/alice, 2026-12-06T07:00:00Z); un-reject it with ml-gitops:version:unreject (or delete its validation_status custom property in the registry) before deploying it',
    );

    await c.unrejectVersion('fraud-detector', '3');
    expect(stored.customProperties).toEqual(version().customProperties);
    // Nothing to clear: no second PATCH.
    await c.unrejectVersion('fraud-detector', '3');
    expect(patches).toHaveLength(2);
  });

  it('refuses a rejection without a reason before asking the registry', async () => {
    await expect(
      client().rejectVersion('fraud-detector', '3', {
        reason: ' ',
        by: 'user:default/alice',
      }),
    ).rejects.toThrow(
      'Rejecting fraud-detector version 3 needs a reason: say why it must not be deployed again',
    );
  });

  it('says so when the registry keeps a removed marker, and names write access on a 403', async () => {
    registry(
      version({
        customProperties: {
          validation_status: {
            metadataType: 'MetadataStringValue',
            string_value: 'rejected',
          },
        },
      }),
      { uri: 's3://m', merging: true },
    );
    await expect(
      client().unrejectVersion('fraud-detector', '3'),
    ).rejects.toThrow(
      /kept the custom properties validation_status of model version 7 after a PATCH without them/,
    );

    registry(version(), { uri: 's3://m', patchStatus: 403 });
    const error = await client()
      .rejectVersion('fraud-detector', '3', {
        reason: 'r',
        by: 'user:default/alice',
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(NotAllowedError);
    expect(error.message).toBe(
      `Kubeflow Model Registry at ${BASE} answered 403 on PATCH model_versions/7 (update denied): give the identity of the token in mlGitops.registries[kf] write access to the model registry, which rejecting a version needs (e.g. RBAC update on its service in the registry's namespace)`,
    );
  });

  it('lists the versions of a model newest first, across pages, and undefined for a model that is not registered', async () => {
    registry(version());
    const page = (names: string[], nextPageToken: string) => ({
      items: names.map((name, i) =>
        version({
          id: String(20 + Number(name)),
          name,
          createTimeSinceEpoch: String(1764240000000 + Number(name) * 1000 + i),
        }),
      ),
      nextPageToken,
      pageSize: 2,
      size: names.length,
    });
    const pages: Record<string, ReturnType<typeof page>> = {
      '': page(['1', '2'], 'MjI6MjI='),
      'MjI6MjI=': page(['3'], ''),
    };
    for (const p of Object.values(pages)) {
      // Items as ModelVersion; the paging fields as the spec's BaseResourceList.
      for (const item of p.items) {
        expect(kubeflowContractProblems('ModelVersion', item)).toEqual([]);
      }
      expect(
        kubeflowContractProblems('ArtifactList', { ...p, items: [] }),
      ).toEqual([]);
    }
    server.use(
      http.get(`${API}/registered_models/1/versions`, ({ request }) =>
        HttpResponse.json(
          pages[new URL(request.url).searchParams.get('nextPageToken') ?? ''],
        ),
      ),
    );
    await expect(client().listVersions!('fraud-detector')).resolves.toEqual([
      '3',
      '2',
      '1',
    ]);
    await expect(client().listVersions!('churn')).resolves.toBeUndefined();
  });

  it('refuses to reject a version the registry does not have', async () => {
    registry(version());
    await expect(
      client().rejectVersion('fraud-detector', '9', {
        reason: 'r',
        by: 'user:default/alice',
      }),
    ).rejects.toThrow(
      `fraud-detector version 9 does not exist in the Kubeflow Model Registry at ${BASE}`,
    );
  });
});
