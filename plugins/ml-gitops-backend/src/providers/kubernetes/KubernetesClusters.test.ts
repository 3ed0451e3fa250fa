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
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { fleetTurns } from '../../lib/turns';
import { bodyThatBreaksOff } from '../../__testUtils__/eventStreams';
import { FluxSource } from '../flux/FluxSource';
import {
  KubeObject,
  KubernetesClusterClient,
  withoutWriteRecords,
} from './KubernetesClusters';
import { ServingVersions } from './ServingVersions';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const EU = 'https://prod-eu.example.com';
const US = 'https://prod-us.example.com';

/** The APIGroup document a Kubernetes API server serves for a group. */
function apiGroup(group: string, version: string) {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: [{ groupVersion: `${group}/${version}`, version }],
    preferredVersion: { groupVersion: `${group}/${version}`, version },
  };
}

/** A metav1.Status, as the API server answers errors. */
function status(code: number, reason: string, message: string) {
  return HttpResponse.json(
    {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    },
    { status: code },
  );
}

function inferenceService(
  name: string,
  environment: string,
  version: string,
): object {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: 'models',
      labels: {
        'ml-gitops/model': 'fraud-detector',
        'ml-gitops/environment': environment,
        'ml-gitops/model-version': version,
      },
    },
    spec: { predictor: { model: { modelFormat: { name: 'mlflow' } } } },
  };
}

function client(url: string, name: string, timeoutMs?: number) {
  return KubernetesClusterClient.create(
    { name, url, token: 'sa-token', skipTLSVerify: false },
    { timeoutMs },
  );
}

describe('KubernetesClusterClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  registerContractChecks(server);

  it.each([
    [
      401,
      'Unauthorized',
      'Unauthorized',
      'Cluster "prod-eu" answered 401 to /apis/serving.kserve.io/v1beta1/inferenceservices: Unauthorized; check the serviceAccountToken of this cluster in the kubernetes config and its RBAC',
    ],
    [
      403,
      'Forbidden',
      'inferenceservices.serving.kserve.io is forbidden: User "system:serviceaccount:backstage:backstage" cannot list resource "inferenceservices" in API group "serving.kserve.io" at the cluster scope',
      'Cluster "prod-eu" answered 403 to /apis/serving.kserve.io/v1beta1/inferenceservices: inferenceservices.serving.kserve.io is forbidden: User "system:serviceaccount:backstage:backstage" cannot list resource "inferenceservices" in API group "serving.kserve.io" at the cluster scope; check the serviceAccountToken',
    ],
    [
      500,
      'InternalError',
      'Internal error occurred: etcdserver: request timed out',
      'Cluster "prod-eu" answered 500 to /apis/serving.kserve.io/v1beta1/inferenceservices: Internal error occurred: etcdserver: request timed out',
    ],
  ])(
    'names the cluster and the fix when a list is answered %i',
    async (code, reason, message, expected) => {
      server.use(
        http.get(`${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`, () =>
          status(code, reason, message),
        ),
      );
      await expect(
        client(EU, 'prod-eu').list(
          'serving.kserve.io',
          'v1beta1',
          'inferenceservices',
          'ml-gitops/model',
        ),
      ).rejects.toThrow(expected);
    },
  );

  it('reads a large list in chunks, following metadata.continue', async () => {
    const all = Array.from({ length: 1203 }, (_, i) =>
      inferenceService(`model-${i}`, 'dev', '1'),
    );
    const asked: Array<{ limit: string | null; token: string | null }> = [];
    server.use(
      http.get(
        `${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        ({ request }) => {
          const q = new URL(request.url).searchParams;
          asked.push({ limit: q.get('limit'), token: q.get('continue') });
          const start = Number(q.get('continue') ?? 0);
          const limit = Number(q.get('limit'));
          const next = start + limit;
          return HttpResponse.json({
            kind: 'InferenceServiceList',
            apiVersion: 'serving.kserve.io/v1beta1',
            metadata: {
              resourceVersion: '4711',
              ...(next < all.length
                ? {
                    continue: String(next),
                    remainingItemCount: all.length - next,
                  }
                : {}),
            },
            items: all.slice(start, next),
          });
        },
      ),
    );
    const items = await client(EU, 'prod-eu').list(
      'serving.kserve.io',
      'v1beta1',
      'inferenceservices',
      'ml-gitops/model',
    );
    expect(items).toHaveLength(1203);
    expect(items[1202].metadata.name).toBe('model-1202');
    expect(asked).toEqual([
      { limit: '500', token: null },
      { limit: '500', token: '500' },
      { limit: '500', token: '1000' },
    ]);
  });

  it("parses a list's items one by one in the fleet's turns of the event loop", async () => {
    const all = Array.from({ length: 1203 }, (_, i) =>
      inferenceService(`model-${i}`, 'dev', '1'),
    );
    server.use(
      http.get(
        `${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        ({ request }) => {
          const start = Number(
            new URL(request.url).searchParams.get('continue') ?? 0,
          );
          const next = start + 500;
          return HttpResponse.json({
            kind: 'InferenceServiceList',
            apiVersion: 'serving.kserve.io/v1beta1',
            metadata: {
              resourceVersion: '4711',
              ...(next < all.length ? { continue: String(next) } : {}),
            },
            items: all.slice(start, next),
          });
        },
      ),
    );
    // The fleet's shared slice is always used up: every item waits for a
    // turn, none is parsed with another in one task (a chunk of 500 real
    // objects is megabytes of JSON).
    const due = jest.spyOn(fleetTurns, 'due').mockReturnValue(true);
    const turn = jest.spyOn(fleetTurns, 'turn');
    try {
      const items = await client(EU, 'prod-eu').list(
        'serving.kserve.io',
        'v1beta1',
        'inferenceservices',
        'ml-gitops/model',
      );
      expect(items).toEqual(all);
      expect(turn.mock.calls.length).toBeGreaterThanOrEqual(all.length);
    } finally {
      due.mockRestore();
      turn.mockRestore();
    }
  });

  it('starts a chunked list again once when its continue token expired (410)', async () => {
    let calls = 0;
    let expiredOnce = false;
    server.use(
      http.get(
        `${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        ({ request }) => {
          calls++;
          const token = new URL(request.url).searchParams.get('continue');
          if (token && !expiredOnce) {
            expiredOnce = true;
            return status(
              410,
              'Expired',
              'The provided continue parameter is too old to display a consistent list result.',
            );
          }
          return HttpResponse.json({
            kind: 'InferenceServiceList',
            apiVersion: 'serving.kserve.io/v1beta1',
            metadata: token ? {} : { continue: 'next' },
            items: [inferenceService(token ? 'b' : 'a', 'dev', '1')],
          });
        },
      ),
    );
    const items = await client(EU, 'prod-eu').list(
      'serving.kserve.io',
      'v1beta1',
      'inferenceservices',
      'ml-gitops/model',
    );
    // a, (410), a again, b: nothing counted twice.
    expect(items.map(i => i.metadata.name)).toEqual(['a', 'b']);
    expect(calls).toBe(4);
  });

  it('treats a resource the cluster does not serve (404) as empty', async () => {
    server.use(
      http.get(`${EU}/apis/serving.kserve.io`, () =>
        status(
          404,
          'NotFound',
          'the server could not find the requested resource',
        ),
      ),
      http.get(`${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`, () =>
        status(
          404,
          'NotFound',
          'the server could not find the requested resource',
        ),
      ),
    );
    const c = client(EU, 'prod-eu');
    await expect(c.preferredVersion('serving.kserve.io')).resolves.toBe(
      undefined,
    );
    await expect(
      c.list('serving.kserve.io', 'v1beta1', 'inferenceservices', 'x'),
    ).resolves.toEqual([]);
  });

  it('gives up after the request timeout', async () => {
    server.use(
      http.get(`${EU}/apis/serving.kserve.io`, async () => {
        await delay(10_000);
        return HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1'));
      }),
    );
    const started = Date.now();
    await expect(
      client(EU, 'prod-eu', 100).preferredVersion('serving.kserve.io'),
    ).rejects.toThrow(
      `Cluster "prod-eu" at ${EU} did not answer /apis/serving.kserve.io within 0.1 s (mlGitops.requestTimeout)`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses an answer that is not JSON', async () => {
    server.use(
      http.get(`${EU}/apis/serving.kserve.io`, () =>
        HttpResponse.text('<html><body>502 Bad Gateway</body></html>'),
      ),
    );
    await expect(
      client(EU, 'prod-eu').preferredVersion('serving.kserve.io'),
    ).rejects.toThrow(
      'Cluster "prod-eu" answered /apis/serving.kserve.io with something that is not JSON ("<html><body>502 Bad Gateway</body></html>"); check the url of this cluster in the kubernetes config',
    );
  });

  it('refuses a list that is not JSON, or whose body breaks off, naming the cluster', async () => {
    server.use(
      http.get(`${EU}/apis/serving.kserve.io`, () =>
        HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
      ),
      http.get(`${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`, () =>
        HttpResponse.text('<html><body>502 Bad Gateway</body></html>'),
      ),
    );
    const list = () =>
      client(EU, 'prod-eu').list(
        'serving.kserve.io',
        'v1beta1',
        'inferenceservices',
        'ml-gitops/model',
      );
    await expect(list()).rejects.toThrow(
      'Cluster "prod-eu" answered /apis/serving.kserve.io/v1beta1/inferenceservices with something that is not JSON ("<html><body>502 Bad Gateway</body></html>"); check the url of this cluster in the kubernetes config',
    );

    const half = `{"kind":"InferenceServiceList","metadata":{"resourceVersion":"9"},"items":[${JSON.stringify(
      inferenceService('fraud-detector-dev', 'dev', '12'),
    )},`;
    server.use(
      http.get(
        `${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        () =>
          new HttpResponse(bodyThatBreaksOff(half), {
            headers: { 'content-type': 'application/json' },
          }),
      ),
    );
    await expect(list()).rejects.toThrow(
      /^Cluster "prod-eu" answered \/apis\/serving.kserve.io\/v1beta1\/inferenceservices with a broken body: /,
    );
  });

  it('refuses a list whose items is not an array, and skips objects without a name', async () => {
    server.use(
      http.get(`${EU}/apis/serving.kserve.io/v1beta1/inferenceservices`, () =>
        HttpResponse.json({ kind: 'InferenceServiceList', items: 'none' }),
      ),
      http.get(`${US}/apis/serving.kserve.io/v1beta1/inferenceservices`, () =>
        HttpResponse.json({
          kind: 'InferenceServiceList',
          apiVersion: 'serving.kserve.io/v1beta1',
          metadata: { resourceVersion: '1' },
          items: [
            { kind: 'InferenceService', metadata: { namespace: 'models' } },
            null,
            inferenceService('fraud-detector-dev', 'dev', '12'),
          ],
        }),
      ),
    );
    await expect(
      client(EU, 'prod-eu').list(
        'serving.kserve.io',
        'v1beta1',
        'inferenceservices',
        'x',
      ),
    ).rejects.toThrow(
      'Cluster "prod-eu" answered /apis/serving.kserve.io/v1beta1/inferenceservices with a list whose items is not an array',
    );
    const items = await client(US, 'prod-us').list(
      'serving.kserve.io',
      'v1beta1',
      'inferenceservices',
      'x',
    );
    expect(items.map(i => i.metadata.name)).toEqual(['fraud-detector-dev']);
  });
});

describe('ServingVersions', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  registerContractChecks(server);

  it('reads the versions of the healthy cluster and reports the failing one', async () => {
    server.use(
      http.get(`${EU}/apis/serving.kserve.io`, () =>
        status(401, 'Unauthorized', 'Unauthorized'),
      ),
      http.get(`${US}/apis/serving.kserve.io`, () =>
        HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
      ),
      http.get(
        `${US}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        ({ request }) => {
          expect(new URL(request.url).searchParams.get('labelSelector')).toBe(
            'ml-gitops/model,ml-gitops/model-version',
          );
          return HttpResponse.json({
            kind: 'InferenceServiceList',
            apiVersion: 'serving.kserve.io/v1beta1',
            metadata: { resourceVersion: '7' },
            items: [
              inferenceService('fraud-detector-prod', 'production', '11'),
            ],
          });
        },
      ),
    );
    const result = await new ServingVersions([
      client(EU, 'prod-eu'),
      client(US, 'prod-us'),
    ]).read();
    expect([...result.versions.values()]).toEqual(['11']);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0].cluster).toBe('prod-eu');
    expect(result.failures[0].error.message).toMatch(
      /^Cluster "prod-eu" answered 401 to \/apis\/serving\.kserve\.io: Unauthorized; check the serviceAccountToken/,
    );
  });
});

describe('FluxSource faults', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  const contracts = registerContractChecks(server);

  it('reads a Kustomization that has no status yet as Unknown', async () => {
    // The second Kustomization breaks its CRD's schema on purpose.
    contracts.deliberatelyBroken();
    server.use(
      http.get(`${EU}/apis/kustomize.toolkit.fluxcd.io`, () =>
        HttpResponse.json(apiGroup('kustomize.toolkit.fluxcd.io', 'v1')),
      ),
      http.get(`${EU}/apis/helm.toolkit.fluxcd.io`, () =>
        status(
          404,
          'NotFound',
          'the server could not find the requested resource',
        ),
      ),
      http.get(`${EU}/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations`, () =>
        HttpResponse.json({
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'KustomizationList',
          metadata: {},
          items: [
            {
              metadata: {
                name: 'fraud-detector-dev',
                namespace: 'flux-system',
                labels: {
                  'ml-gitops/model': 'fraud-detector',
                  'ml-gitops/environment': 'dev',
                },
              },
              spec: {
                interval: '5m',
                path: './deploy',
                prune: true,
                sourceRef: { kind: 'GitRepository', name: 'fraud-detector' },
              },
            },
            {
              metadata: {
                name: 'fraud-detector-staging',
                namespace: 'flux-system',
                labels: {
                  'ml-gitops/model': 'fraud-detector',
                  'ml-gitops/environment': 'staging',
                },
              },
              // Odd values a half-upgraded controller could write.
              status: {
                conditions: [
                  null,
                  {
                    type: 'Ready',
                    status: 'True',
                    lastTransitionTime: 'yesterday',
                  },
                ],
                lastAppliedRevision: 42,
              },
            },
          ],
        }),
      ),
    );
    const source = new FluxSource(
      client(EU, 'prod-eu'),
      mockServices.logger.mock(),
    );
    const observations = await source.listObservations();
    expect(observations).toEqual([
      {
        model: 'fraud-detector',
        environment: 'dev',
        source: 'flux',
        instance: 'prod-eu',
        application: 'flux-system/fraud-detector-dev',
        syncStatus: 'Unknown',
        healthStatus: 'Unknown',
        revision: '',
        operationRunning: false,
      },
      {
        model: 'fraud-detector',
        environment: 'staging',
        source: 'flux',
        instance: 'prod-eu',
        application: 'flux-system/fraud-detector-staging',
        syncStatus: 'Ready',
        healthStatus: 'Healthy',
        revision: '',
        operationRunning: false,
      },
    ]);
  });

  it('fails with the cluster named when the Flux API answers 403', async () => {
    server.use(
      http.get(`${EU}/apis/kustomize.toolkit.fluxcd.io`, () =>
        status(
          403,
          'Forbidden',
          'forbidden: User "system:anonymous" cannot get path "/apis/kustomize.toolkit.fluxcd.io"',
        ),
      ),
    );
    const source = new FluxSource(
      client(EU, 'prod-eu'),
      mockServices.logger.mock(),
    );
    await expect(source.listObservations()).rejects.toThrow(
      'Cluster "prod-eu" answered 403 to /apis/kustomize.toolkit.fluxcd.io: forbidden: User "system:anonymous" cannot get path "/apis/kustomize.toolkit.fluxcd.io"; check the serviceAccountToken',
    );
  });
});

describe('withoutWriteRecords', () => {
  it('leaves out the managed fields and the last applied manifest, nothing else', () => {
    const object = inferenceService(
      'fraud-detector-dev',
      'dev',
      '12',
    ) as KubeObject;
    // Neither: the object itself, not a copy.
    expect(withoutWriteRecords(object)).toBe(object);
    const written = {
      ...object,
      metadata: {
        ...object.metadata,
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration':
            '{"kind":"InferenceService"}\n',
          'serving.kserve.io/deploymentMode': 'RawDeployment',
        },
        managedFields: [{ manager: 'argocd-controller', operation: 'Update' }],
      },
    };
    expect(withoutWriteRecords(written)).toEqual({
      ...object,
      metadata: {
        ...object.metadata,
        annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' },
      },
    });
    // What was listed is not changed.
    expect(written.metadata.managedFields).toHaveLength(1);
  });
});
