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
import { ServiceUnavailableError } from '@backstage/errors';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { kubeflowContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { createRegistries } from './createRegistries';
import { KubeflowRegistry } from './KubeflowRegistry';

/*
 * A small Kubeflow Model Registry kept in memory, answering the REST API
 * v1alpha3 as kubeflow/model-registry api/openapi/model-registry.yaml
 * describes it: findRegisteredModel (GET /registered_model?name=),
 * findModelVersion (GET /model_version?name=&parentResourceId=),
 * getModelVersion (GET /model_versions/{id}), getModelVersionArtifacts (GET
 * /model_versions/{id}/artifacts) with RegisteredModel, ModelVersion,
 * ArtifactList and MetadataValue shapes; a miss is a 404 with the Error
 * schema, filled as ErrorResponse in internal/server/openapi/helpers.go does
 * (code = HTTP status text) with GetModelVersionByParams's message
 * (internal/core/model_version.go). Every answer is checked against the
 * slice of that description in -common's testUtils.
 */

const URL_ = 'https://registry.example.com';
const API = `${URL_}/api/model_registry/v1alpha3`;

type Property =
  | { metadataType: 'MetadataDoubleValue'; double_value: number }
  | { metadataType: 'MetadataIntValue'; int_value: string }
  | { metadataType: 'MetadataStringValue'; string_value: string };

type FakeVersion = {
  id: string;
  name: string;
  registeredModelId: string;
  state: 'LIVE' | 'ARCHIVED';
  author: string;
  customProperties: Record<string, Property>;
  artifacts: Array<{ uri?: string; modelFormatName?: string }>;
};

function fakeKubeflow() {
  const models = new Map([['fraud-detector', '1']]);
  const versions: FakeVersion[] = [
    {
      id: '7',
      name: '3',
      registeredModelId: '1',
      state: 'LIVE',
      author: 'bob',
      customProperties: {
        auc: { metadataType: 'MetadataDoubleValue', double_value: 0.94 },
        latency_p95_ms: { metadataType: 'MetadataIntValue', int_value: '31' },
        team: { metadataType: 'MetadataStringValue', string_value: 'risk' },
      },
      artifacts: [
        { uri: 's3://models/fraud-detector/3', modelFormatName: 'sklearn' },
      ],
    },
    {
      id: '8',
      name: '4',
      registeredModelId: '1',
      state: 'ARCHIVED',
      author: 'bob',
      customProperties: {},
      artifacts: [{ uri: 's3://models/fraud-detector/4' }],
    },
    {
      id: '9',
      name: '5',
      registeredModelId: '1',
      state: 'LIVE',
      author: 'carol',
      customProperties: {},
      artifacts: [{ modelFormatName: 'onnx' }],
    },
  ];
  const requests: string[] = [];
  const problems: string[] = [];
  const answer = (
    schema: Parameters<typeof kubeflowContractProblems>[0],
    body: object,
    status = 200,
  ) => {
    problems.push(...kubeflowContractProblems(schema, body));
    return HttpResponse.json(body, { status });
  };
  const times = {
    createTimeSinceEpoch: '1764979200000',
    lastUpdateTimeSinceEpoch: '1764979200000',
  };
  const versionBody = (v: FakeVersion) => ({
    id: v.id,
    name: v.name,
    registeredModelId: v.registeredModelId,
    state: v.state,
    author: v.author,
    customProperties: v.customProperties,
    ...times,
  });
  const notFound = (message: string) =>
    answer('Error', { code: 'Not Found', message }, 404);
  const handlers = [
    http.get(`${API}/registered_model`, ({ request }) => {
      const name = new URL(request.url).searchParams.get('name')!;
      requests.push(`registered_model ${name}`);
      const id = models.get(name);
      return id
        ? answer('RegisteredModel', { id, name, state: 'LIVE', ...times })
        : notFound(`no registered models found for name=${name}, externalId=`);
    }),
    http.get(`${API}/model_version`, ({ request }) => {
      const query = new URL(request.url).searchParams;
      const name = query.get('name')!;
      const parent = query.get('parentResourceId')!;
      requests.push(`model_version ${name} ${parent}`);
      const v = versions.find(
        x => x.name === name && x.registeredModelId === parent,
      );
      return v
        ? answer('ModelVersion', versionBody(v))
        : notFound(
            `no model versions found for name=${name}, parentResourceId=${parent}, externalId=`,
          );
    }),
    http.get(`${API}/model_versions/:id`, ({ params }) => {
      requests.push(`model_versions/${params.id}`);
      const v = versions.find(x => x.id === params.id);
      return v
        ? answer('ModelVersion', versionBody(v))
        : notFound(`no model version found for id ${params.id}`);
    }),
    http.get(`${API}/model_versions/:id/artifacts`, ({ params }) => {
      requests.push(`model_versions/${params.id}/artifacts`);
      const v = versions.find(x => x.id === params.id)!;
      const items = v.artifacts.map((a, i) => ({
        id: `${Number(v.id) * 10 + i}`,
        artifactType: 'model-artifact',
        name: `fraud-detector-${v.name}-${i}`,
        state: 'LIVE',
        ...a,
        customProperties: {},
        ...times,
      }));
      return answer('ArtifactList', {
        items,
        nextPageToken: '',
        pageSize: 100,
        size: items.length,
      });
    }),
  ];
  return { versions, requests, problems, handlers };
}

describe('KubeflowRegistry', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  const RECHECK_MS = 5 * 60_000;
  const fakes: Array<ReturnType<typeof fakeKubeflow>> = [];
  afterEach(() => {
    // Every answer of the fake registry matched the published contract.
    const problems = fakes.flatMap(f => f.problems);
    fakes.length = 0;
    if (problems.length > 0) {
      throw new Error(
        `The fake registry answered outside the contract:\n${problems.join(
          '\n',
        )}`,
      );
    }
  });

  function setup() {
    const fake = fakeKubeflow();
    fakes.push(fake);
    server.use(...fake.handlers);
    let now = Date.parse('2026-12-06T12:00:00Z');
    const registry = KubeflowRegistry.fromConfig(
      { name: 'kf', type: 'kubeflow', url: URL_, token: 't' },
      { now: () => now, recheckAfterMs: RECHECK_MS, random: () => 0.5 },
    );
    const read = async (version: string, model = 'fraud-detector') => {
      fake.requests.length = 0;
      const facts = await registry.getVersion(model, version);
      return { facts, requests: [...fake.requests] };
    };
    return {
      fake,
      registry,
      read,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('gives a live version with an artifact as READY, with its metrics, author and storage URI', async () => {
    const { read } = setup();
    const { facts, requests } = await read('3');
    expect(requests).toEqual([
      'registered_model fraud-detector',
      'model_version 3 1',
      'model_versions/7/artifacts',
    ]);
    expect(facts).toEqual({
      exists: true,
      status: 'READY',
      stage: 'LIVE',
      aliases: [],
      metrics: { auc: 0.94, latency_p95_ms: 31 },
      createdAt: '2025-12-06T00:00:00.000Z',
      author: 'bob',
      storageUri: 's3://models/fraud-detector/3',
      modelFormat: { name: 'sklearn' },
      observedAt: '2026-12-06T12:00:00.000Z',
    });
  });

  it('does not take an archived version, or one without an artifact uri, for READY', async () => {
    const { read } = setup();
    expect((await read('4')).facts).toMatchObject({
      exists: true,
      status: 'ARCHIVED',
      stage: 'ARCHIVED',
      storageUri: 's3://models/fraud-detector/4',
    });
    const noUri = (await read('5')).facts;
    expect(noUri).toMatchObject({
      exists: true,
      status: 'NO_MODEL_ARTIFACT',
      stage: 'LIVE',
      modelFormat: { name: 'onnx' },
    });
    expect(noUri.storageUri).toBeUndefined();
  });

  it('says a missing model or version does not exist', async () => {
    const { read } = setup();
    const noModel = await read('3', 'nope');
    expect(noModel.facts).toMatchObject({
      exists: false,
      aliases: [],
      metrics: {},
    });
    expect(noModel.requests).toEqual(['registered_model nope']);
    await read('3');
    const noVersion = await read('99');
    expect(noVersion.facts.exists).toBe(false);
    // The registered model's id is kept.
    expect(noVersion.requests).toEqual(['model_version 99 1']);
  });

  it('reads the rejection markers from custom properties at the next recheck', async () => {
    const { fake, read, advance } = setup();
    expect((await read('3')).facts.rejected).toBeUndefined();
    fake.versions[0].customProperties = {
      ...fake.versions[0].customProperties,
      validation_status: {
        metadataType: 'MetadataStringValue',
        string_value: 'rejected',
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
        string_value: '2026-12-06T12:01:00Z',
      },
    };
    advance(RECHECK_MS / 2 - 1);
    expect((await read('3')).facts.rejected).toBeUndefined();
    advance(1);
    const again = await read('3');
    expect(again.requests).toEqual(['model_versions/7']);
    expect(again.facts.rejected).toEqual({
      reason: 'p95 latency doubled',
      by: 'user:default/alice',
      at: '2026-12-06T12:01:00Z',
    });
  });

  it('reads a ready version once per recheck period with one request, and an unsettled one in full after a minute', async () => {
    const { fake, read, advance } = setup();
    expect((await read('3')).requests).toHaveLength(3);
    expect((await read('5')).requests).toHaveLength(2);
    advance(30_000);
    expect((await read('3')).requests).toEqual([]);
    expect((await read('5')).requests).toEqual([]);
    advance(30_000);
    // Unsettled: version and artifacts again (the model id is kept).
    expect((await read('5')).requests).toEqual([
      'model_version 5 1',
      'model_versions/9/artifacts',
    ]);
    // Settled, at half the period (random 0.5): one request.
    advance(RECHECK_MS / 2 - 60_000);
    expect((await read('3')).requests).toEqual(['model_versions/7']);
    // Archived meanwhile: seen at the next recheck, then read in full.
    fake.versions[0].state = 'ARCHIVED';
    advance(RECHECK_MS - 1);
    expect((await read('3')).requests).toEqual([]);
    advance(1);
    const archived = await read('3');
    expect(archived.requests).toEqual(['model_versions/7']);
    expect(archived.facts.status).toBe('ARCHIVED');
    advance(60_000);
    expect((await read('3')).requests).toEqual([
      'model_version 3 1',
      'model_versions/7/artifacts',
    ]);
  });

  it('shares one read between concurrent callers', async () => {
    const { fake, registry } = setup();
    await Promise.all([
      registry.getVersion('fraud-detector', '3'),
      registry.getVersion('fraud-detector', '3'),
    ]);
    expect(fake.requests).toHaveLength(3);
  });

  it.each([
    [
      401,
      HttpResponse.text('Unauthorized', { status: 401 }),
      /answered 401 on GET registered_model: the token in mlGitops\.registries\[kf\] is not accepted/,
    ],
    [
      404,
      HttpResponse.text('404 page not found', { status: 404 }),
      /has no registered_model endpoint/,
    ],
    [
      500,
      HttpResponse.json(
        { code: 'Internal Server Error', message: 'db down' },
        { status: 500 },
      ),
      /failed on GET registered_model \(500: db down\)/,
    ],
    [200, HttpResponse.text('not json'), /that is not JSON/],
  ])(
    'fails with the registry named on a %i and asks again next time',
    async (_status, response, message) => {
      const { fake, registry } = setup();
      server.use(http.get(`${API}/registered_model`, () => response.clone()));
      const error = await registry
        .getVersion('fraud-detector', '3')
        .catch(e => e);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error.message).toMatch(
        /^Registry "kf": Kubeflow Model Registry at https:\/\/registry\.example\.com /,
      );
      expect(error.message).toMatch(message);
      server.resetHandlers(...fake.handlers);
      await expect(
        registry.getVersion('fraud-detector', '3'),
      ).resolves.toMatchObject({ exists: true, status: 'READY' });
    },
  );

  it('is built by createRegistries from type kubeflow, with its own timeout', async () => {
    const fake = fakeKubeflow();
    server.use(
      http.get(`${API}/registered_model`, async () => {
        await delay(300);
        return HttpResponse.json({ id: '1', name: 'fraud-detector' });
      }),
      ...fake.handlers,
    );
    const registries = createRegistries(
      [
        {
          name: 'kf',
          type: 'kubeflow',
          url: URL_,
          token: 't',
          timeoutMs: 50,
        },
      ],
      [],
      { timeoutMs: 10_000 },
    );
    await expect(
      registries.get('kf')!.getVersion('fraud-detector', '3'),
    ).rejects.toThrow(/did not answer GET registered_model within 0\.05s/);
    expect(() =>
      createRegistries([{ name: 'x', type: 'sagemaker', url: URL_ }], []),
    ).toThrow(/type "sagemaker" is not supported: use "mlflow" or "kubeflow"/);
  });
});
