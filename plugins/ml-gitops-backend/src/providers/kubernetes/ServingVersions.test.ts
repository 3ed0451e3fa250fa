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
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  kubeContractProblems,
  registerContractChecks,
} from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import {
  apiGroup,
  asListedAfterApply,
  inferenceService,
  KUBE,
  kubeList,
  kubeStatus,
} from '../canary/__testUtils__/fixtures';
import { KubeObject, KubernetesClusterClient } from './KubernetesClusters';
import { servingStatus } from './inferenceServiceStatus';
import {
  readInferenceService,
  servingFieldsOf,
  showsCanary,
} from './inferenceServiceReading';
import { inferenceServiceCanary } from '../canary/canaryCandidates';
import { ServingVersions } from './ServingVersions';

/*
 * InferenceServices in the states KServe writes (shapes from
 * kserve/kserve pkg/apis/serving/v1beta1/inference_service_status.go and the
 * CRD's status schema, which every fixture here is checked against; values
 * our own).
 */

const OBJECT = {
  cluster: 'prod-eu',
  namespace: 'ml-staging',
  name: 'recsys-ranker',
};

/** Knative's traffic of a predictor whose latest revision takes it all. */
const ALL_TRAFFIC = [
  {
    revisionName: 'recsys-ranker-predictor-00004',
    percent: 100,
    latestRevision: true,
  },
];

/**
 * A predictor whose new revision's model container crash-loops: Knative
 * marks the revision failed, KServe's PropagateModelStatus sets FailedToLoad
 * with the container's last termination; the old revision keeps the traffic.
 */
const crashLooping = inferenceService({
  version: '6',
  latestCreated: 'recsys-ranker-predictor-00005',
  latestReady: 'recsys-ranker-predictor-00004',
  traffic: ALL_TRAFFIC,
  conditions: [
    { type: 'IngressReady', status: 'True' },
    {
      type: 'PredictorConfigurationReady',
      status: 'False',
      reason: 'RevisionFailed',
      message:
        'Revision "recsys-ranker-predictor-00005" failed with message: Container failed with: ValueError: model file not found.',
    },
    {
      type: 'PredictorReady',
      status: 'False',
      reason: 'RevisionFailed',
      message:
        'Revision "recsys-ranker-predictor-00005" failed with message: Container failed with: ValueError: model file not found.',
      lastTransitionTime: '2026-11-27T10:02:00Z',
    },
    { type: 'PredictorRouteReady', status: 'True' },
    {
      type: 'Ready',
      status: 'False',
      reason: 'RevisionFailed',
      lastTransitionTime: '2026-11-27T10:02:00Z',
    },
  ],
  modelStatus: {
    states: { activeModelState: 'Loaded', targetModelState: 'FailedToLoad' },
    transitionStatus: 'BlockedByFailedLoad',
    lastFailureInfo: {
      location: 'recsys-ranker-predictor-00005-deployment-7d9f8c6b5-x2x9q',
      reason: 'ModelLoadFailed',
      message: 'ValueError: model file model.joblib not found in /mnt/models',
      modelRevisionName: 'recsys-ranker-predictor-00005',
      time: '2026-11-27T10:01:30Z',
      exitCode: 1,
    },
    copies: { failedCopies: 1, totalCopies: 1 },
  },
});

const canaryAt10 = inferenceService({
  version: '6',
  canaryTrafficPercent: 10,
  latestCreated: 'recsys-ranker-predictor-00005',
  latestReady: 'recsys-ranker-predictor-00005',
  traffic: [
    {
      revisionName: 'recsys-ranker-predictor-00005',
      percent: 10,
      latestRevision: true,
      tag: 'latest',
    },
    {
      revisionName: 'recsys-ranker-predictor-00004',
      percent: 90,
      latestRevision: false,
      tag: 'prev',
    },
  ],
});

/** A new revision on its way: the storage initializer still downloads. */
const rollingOut = inferenceService({
  version: '6',
  latestCreated: 'recsys-ranker-predictor-00005',
  latestReady: 'recsys-ranker-predictor-00004',
  traffic: ALL_TRAFFIC,
  conditions: [
    { type: 'IngressReady', status: 'True' },
    { type: 'PredictorConfigurationReady', status: 'Unknown' },
    {
      type: 'PredictorReady',
      status: 'Unknown',
      reason: 'RevisionMissing',
      message:
        'Configuration "recsys-ranker-predictor" is waiting for a Revision to become ready.',
    },
    {
      type: 'Ready',
      status: 'Unknown',
      reason: 'RevisionMissing',
      lastTransitionTime: '2026-11-27T10:00:10Z',
    },
  ],
  modelStatus: {
    states: { activeModelState: 'Loaded', targetModelState: 'Loading' },
    transitionStatus: 'InProgress',
    copies: { failedCopies: 0, totalCopies: 1 },
  },
});

describe('servingStatus', () => {
  it.each([
    ['crash-looping', crashLooping],
    ['canary at 10%', canaryAt10],
    ['rolling out', rollingOut],
    ['older KServe', inferenceService({ modelStatus: null })],
    ['RawDeployment', inferenceService({ deploymentMode: 'RawDeployment' })],
  ])('fixture %s matches the InferenceService CRD', (_, item) => {
    expect(kubeContractProblems(item)).toEqual([]);
  });

  it('serves when Ready, loaded and taking all traffic', () => {
    expect(
      servingStatus(inferenceService({ traffic: ALL_TRAFFIC }), 'prod-eu'),
    ).toEqual({
      ...OBJECT,
      state: 'serving',
      since: '2026-11-27T09:05:00.000Z',
      readyRevision: 'recsys-ranker-predictor-00004',
      trafficPercent: 100,
      storageUri: 'models:/recsys-ranker/5',
      basis: 'model-status',
    });
  });

  it('fails while the predictor crash-loops, quoting lastFailureInfo', () => {
    expect(servingStatus(crashLooping, 'prod-eu')).toEqual({
      ...OBJECT,
      state: 'failed',
      since: '2026-11-27T10:01:30.000Z',
      failure: {
        reason: 'ModelLoadFailed',
        message:
          'ValueError: model file model.joblib not found in /mnt/models (exit code 1)',
      },
      readyRevision: 'recsys-ranker-predictor-00004',
      basis: 'model-status',
    });
  });

  it('serves a canary that holds its share of the traffic', () => {
    expect(servingStatus(canaryAt10, 'prod-eu')).toMatchObject({
      state: 'serving',
      trafficPercent: 10,
      readyRevision: 'recsys-ranker-predictor-00005',
    });
  });

  it('is rolling out while the canary has not got its share yet', () => {
    const item = inferenceService({
      canaryTrafficPercent: 10,
      latestCreated: 'recsys-ranker-predictor-00005',
      latestReady: 'recsys-ranker-predictor-00005',
      traffic: [
        {
          revisionName: 'recsys-ranker-predictor-00005',
          percent: 0,
          latestRevision: true,
          tag: 'latest',
        },
        {
          revisionName: 'recsys-ranker-predictor-00004',
          percent: 100,
          latestRevision: false,
          tag: 'prev',
        },
      ],
    });
    expect(servingStatus(item, 'prod-eu')).toMatchObject({
      state: 'rolling-out',
      trafficPercent: 0,
      message: 'its revision takes 0% of the traffic, 10% expected',
    });
  });

  it('does not serve a canary pinned to 0%', () => {
    const item = inferenceService({
      canaryTrafficPercent: 0,
      traffic: [
        {
          revisionName: 'recsys-ranker-predictor-00004',
          percent: 0,
          latestRevision: true,
        },
        {
          revisionName: 'recsys-ranker-predictor-00003',
          percent: 100,
          latestRevision: false,
        },
      ],
    });
    expect(servingStatus(item, 'prod-eu')).toMatchObject({
      state: 'not-ready',
      trafficPercent: 0,
      failure: { reason: 'NoTraffic' },
    });
  });

  it('is rolling out while the new revision loads, saying what it waits for', () => {
    expect(servingStatus(rollingOut, 'prod-eu')).toEqual({
      ...OBJECT,
      state: 'rolling-out',
      since: '2026-11-27T10:00:10.000Z',
      message:
        'revision recsys-ranker-predictor-00005 is not ready yet, the model is Loading, Ready is Unknown (RevisionMissing)',
      readyRevision: 'recsys-ranker-predictor-00004',
      basis: 'model-status',
    });
  });

  it('falls back to the Ready condition without modelStatus, and says so', () => {
    expect(
      servingStatus(
        inferenceService({ modelStatus: null, traffic: ALL_TRAFFIC }),
        'prod-eu',
      ),
    ).toMatchObject({ state: 'serving', basis: 'ready-condition' });
    const failing = servingStatus(
      inferenceService({
        modelStatus: null,
        latestCreated: 'recsys-ranker-predictor-00005',
        conditions: [
          {
            type: 'PredictorReady',
            status: 'False',
            reason: 'RevisionFailed',
            message: 'Revision "recsys-ranker-predictor-00005" failed',
          },
          { type: 'Ready', status: 'False', reason: 'RevisionFailed' },
        ],
      }),
      'prod-eu',
    );
    expect(failing).toMatchObject({
      state: 'failed',
      basis: 'ready-condition',
      failure: {
        reason: 'RevisionFailed',
        message: 'Revision "recsys-ranker-predictor-00005" failed',
      },
    });
  });

  it('decides by Ready and the loaded model in RawDeployment mode, without traffic', () => {
    const raw = (modelStatus?: Record<string, unknown>) =>
      servingStatus(
        inferenceService({
          deploymentMode: 'RawDeployment',
          latestCreated: '3',
          latestReady: '2',
          ...(modelStatus ? { modelStatus } : {}),
        }),
        'prod-eu',
      );
    const served = raw();
    expect(served).toMatchObject({ state: 'serving', basis: 'model-status' });
    expect(served).not.toHaveProperty('trafficPercent');
    expect(
      raw({
        states: { activeModelState: 'Loaded', targetModelState: 'Loading' },
        transitionStatus: 'InProgress',
      }),
    ).toMatchObject({ state: 'rolling-out', message: 'the model is Loading' });
  });

  it('serves again after a recovery, though KServe keeps lastFailureInfo', () => {
    const recovered = inferenceService({
      traffic: ALL_TRAFFIC,
      modelStatus: {
        states: { activeModelState: 'Loaded', targetModelState: 'Loaded' },
        transitionStatus: 'UpToDate',
        lastFailureInfo: {
          reason: 'ModelLoadFailed',
          message: 'an old failure',
          time: '2026-11-20T10:00:00Z',
        },
      },
    });
    const status = servingStatus(recovered, 'prod-eu');
    expect(status.state).toBe('serving');
    expect(status).not.toHaveProperty('failure');
  });

  it('serves while scaled to zero (target Pending, latest revision ready)', () => {
    const scaledToZero = inferenceService({
      traffic: ALL_TRAFFIC,
      modelStatus: {
        states: { activeModelState: 'Loaded', targetModelState: 'Pending' },
        transitionStatus: 'InProgress',
      },
    });
    expect(servingStatus(scaledToZero, 'prod-eu').state).toBe('serving');
  });

  it('is not ready when Ready is False for another reason', () => {
    const item = inferenceService({
      traffic: ALL_TRAFFIC,
      conditions: [
        {
          type: 'IngressReady',
          status: 'False',
          reason: 'IngressNotConfigured',
          message: 'Ingress has not yet been reconciled.',
        },
        { type: 'PredictorReady', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'IngressNotConfigured' },
      ],
    });
    expect(servingStatus(item, 'prod-eu')).toMatchObject({
      state: 'not-ready',
      failure: {
        reason: 'IngressNotConfigured',
        message: 'Ingress has not yet been reconciled.',
      },
    });
  });

  it('is unknown before the controller writes a status, and survives junk', () => {
    expect(
      servingStatus(inferenceService({ noStatus: true }), 'prod-eu').state,
    ).toBe('unknown');
    const junk = {
      metadata: { name: 'x', namespace: 'ml-dev' },
      status: {
        conditions: [{ type: 'Ready', status: 7 }, 'nonsense'],
        components: { predictor: { traffic: 'all' } },
        modelStatus: { states: [], transitionStatus: 3 },
      },
    } as unknown as KubeObject;
    expect(servingStatus(junk, 'prod-eu').state).toBe('rolling-out');
  });
});

describe('servingFieldsOf', () => {
  /** An older spec: the model under its framework's field. */
  const frameworkField = (() => {
    const item = inferenceService({ name: 'churn', version: '2' });
    return {
      ...item,
      spec: {
        predictor: {
          sklearn: { storageUri: 's3://models/churn/2', runtimeVersion: '1.3' },
        },
      },
    };
  })();
  const variants: Array<[string, Parameters<typeof asListedAfterApply>[0]]> = [
    ['serving', inferenceService({ traffic: ALL_TRAFFIC })],
    ['crash-looping', crashLooping],
    ['a canary at 10 %', canaryAt10],
    ['rolling out', rollingOut],
    ['older KServe', inferenceService({ modelStatus: null })],
    ['RawDeployment', inferenceService({ deploymentMode: 'RawDeployment' })],
    ['Standard', inferenceService({ deploymentMode: 'Standard' })],
    ['no status yet', inferenceService({ noStatus: true })],
    ['a framework field', frameworkField],
  ];

  it.each(variants)('reads %s as the whole object listed does', (_, item) => {
    const listed = asListedAfterApply(item) as unknown as KubeObject;
    const kept = servingFieldsOf(listed);
    expect(readInferenceService(kept)).toEqual(readInferenceService(listed));
    expect(servingStatus(kept, 'prod-eu')).toEqual(
      servingStatus(listed, 'prod-eu'),
    );
    expect(showsCanary(kept)).toBe(showsCanary(listed));
    const observedAt = '2026-11-27T10:05:00.000Z';
    expect(inferenceServiceCanary(kept, 'prod-eu', observedAt)).toEqual(
      inferenceServiceCanary(listed, 'prod-eu', observedAt),
    );
    expect(ServingVersions.keyOf(kept)).toBe(ServingVersions.keyOf(listed));
  });

  it('leaves out the managed fields, the last applied manifest and the rest of the spec', () => {
    const listed = asListedAfterApply(
      inferenceService({ deploymentMode: 'RawDeployment' }),
    ) as unknown as KubeObject;
    const kept = servingFieldsOf(listed);
    expect(kept.metadata).toEqual({
      name: 'recsys-ranker',
      namespace: 'ml-staging',
      uid: 'uid-recsys-ranker-staging',
      resourceVersion: listed.metadata.resourceVersion,
      generation: 5,
      creationTimestamp: '2026-10-01T08:00:00Z',
      labels: listed.metadata.labels,
      annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' },
    });
    expect(kept.spec).toEqual({
      predictor: { model: { storageUri: 'models:/recsys-ranker/5' } },
    });
    expect(kept.status).toBe(listed.status);
    expect(JSON.stringify(kept).length).toBeLessThan(
      JSON.stringify(listed).length / 2,
    );
  });
});

describe('ServingVersions', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  registerContractChecks(server);

  function serve(services: unknown[] | Response, kserve = true) {
    server.use(
      http.get(`${KUBE}/apis/serving.kserve.io`, () =>
        kserve
          ? HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1'))
          : HttpResponse.json(
              kubeStatus(
                404,
                'NotFound',
                'the server could not find the requested resource',
              ),
              { status: 404 },
            ),
      ),
      http.get(
        `${KUBE}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        ({ request }) => {
          expect(new URL(request.url).searchParams.get('labelSelector')).toBe(
            'ml-gitops/model,ml-gitops/model-version',
          );
          return services instanceof Response
            ? services
            : HttpResponse.json(
                kubeList(
                  'InferenceService',
                  'serving.kserve.io/v1beta1',
                  services,
                ),
              );
        },
      ),
    );
  }

  const reader = () =>
    new ServingVersions([
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        token: 'cluster-token',
        skipTLSVerify: false,
      }),
    ]);

  it('reads the version and whether it serves, by model and environment', async () => {
    serve([
      crashLooping,
      inferenceService({ name: 'fraud-detector', environment: 'dev' }),
    ]);
    const result = await reader().read();
    const staging = ServingVersions.key('recsys-ranker', 'staging');
    const dev = ServingVersions.key('fraud-detector', 'dev');
    expect(result.failures).toEqual([]);
    expect(result.versions.get(staging)).toBe('6');
    expect(result.serving.get(staging)).toMatchObject({
      state: 'failed',
      failure: { reason: 'ModelLoadFailed' },
    });
    expect(result.serving.get(dev)).toMatchObject({
      state: 'serving',
      cluster: 'prod-eu',
      namespace: 'ml-dev',
      name: 'fraud-detector',
    });
  });

  it('judges an InferenceService again only when its resource version changed', async () => {
    const at = (item: ReturnType<typeof inferenceService>, rv: string) => ({
      ...item,
      metadata: { ...item.metadata, resourceVersion: rv },
    });
    const fraud = inferenceService({
      name: 'fraud-detector',
      environment: 'dev',
    });
    const staging = ServingVersions.key('recsys-ranker', 'staging');
    const dev = ServingVersions.key('fraud-detector', 'dev');
    const versions = reader();
    serve([at(inferenceService({ version: '6' }), '10'), at(fraud, '11')]);
    const first = await versions.read();
    expect(first.serving.get(staging)?.state).toBe('serving');

    // The staging object was written (its new revision crash-loops): a new
    // resource version; the dev object is listed as it was.
    serve([at(crashLooping, '12'), at(fraud, '11')]);
    const second = await versions.read();
    expect(second.serving.get(staging)).toMatchObject({
      state: 'failed',
      failure: { reason: 'ModelLoadFailed' },
    });
    expect(second.serving.get(dev)).toBe(first.serving.get(dev));
    // The object listed at the same version is the one kept from the first
    // list (its new copy is dropped); the written one is the new copy.
    const listed = (r: typeof first, name: string) =>
      r.inferenceServices.get('prod-eu')!.find(o => o.metadata.name === name);
    expect(listed(second, 'fraud-detector')).toBe(
      listed(first, 'fraud-detector'),
    );
    expect(listed(second, 'recsys-ranker')).not.toBe(
      listed(first, 'recsys-ranker'),
    );
    expect(listed(second, 'recsys-ranker')?.metadata.resourceVersion).toBe(
      '12',
    );

    // Without a resource version, always judged.
    serve([crashLooping, fraud]);
    const third = await versions.read();
    expect(third.serving.get(dev)).not.toBe(first.serving.get(dev));
    expect(third.serving.get(dev)).toEqual(first.serving.get(dev));
    expect(listed(third, 'fraud-detector')).not.toBe(
      listed(first, 'fraud-detector'),
    );
  });

  it('keeps only the fields it reads of each object listed', async () => {
    const listed = asListedAfterApply(inferenceService({ version: '6' }));
    serve([listed]);
    const result = await reader().read();
    const [kept] = result.inferenceServices.get('prod-eu')!;
    expect(kept).toEqual(servingFieldsOf(listed as unknown as KubeObject));
    expect(kept.metadata).not.toHaveProperty('managedFields');
    expect(
      result.versions.get(ServingVersions.key('recsys-ranker', 'staging')),
    ).toBe('6');
  });

  it('parses only the objects whose text changed since the last list', async () => {
    const at = (item: ReturnType<typeof inferenceService>, rv: string) =>
      asListedAfterApply({
        ...item,
        metadata: { ...item.metadata, resourceVersion: rv },
      });
    const fraud = at(
      inferenceService({ name: 'fraud-detector', environment: 'dev' }),
      '11',
    );
    const versions = reader();
    serve([at(inferenceService({ version: '6' }), '10'), fraud]);
    const first = await versions.read();

    serve([at(crashLooping, '12'), fraud]);
    const parse = jest.spyOn(JSON, 'parse');
    let second: typeof first;
    let parsed: string[];
    try {
      second = await versions.read();
      parsed = parse.mock.calls
        .map(([text]) => text)
        .filter(text =>
          text.startsWith(
            '{"apiVersion":"serving.kserve.io/v1beta1","kind":"InferenceService",',
          ),
        );
    } finally {
      parse.mockRestore();
    }
    // The written object only; the other one is handed over as kept.
    expect(parsed).toHaveLength(1);
    expect(JSON.parse(parsed[0]).metadata.resourceVersion).toBe('12');
    const listed = (r: typeof first, name: string) =>
      r.inferenceServices.get('prod-eu')!.find(o => o.metadata.name === name);
    expect(listed(second, 'fraud-detector')).toBe(
      listed(first, 'fraud-detector'),
    );
    expect(listed(second, 'recsys-ranker')).toEqual(
      servingFieldsOf(at(crashLooping, '12') as unknown as KubeObject),
    );
    expect(
      second.serving.get(ServingVersions.key('recsys-ranker', 'staging')),
    ).toMatchObject({ state: 'failed' });
  });

  it('shows the one that does not serve when two objects carry a model and environment', async () => {
    serve([inferenceService({ version: '6' }), crashLooping]);
    const { serving } = await reader().read();
    expect(
      serving.get(ServingVersions.key('recsys-ranker', 'staging'))?.state,
    ).toBe('failed');
  });

  it('finds no serving object, and no error, on a cluster without KServe', async () => {
    serve([], false);
    const result = await reader().read();
    expect(result.failures).toEqual([]);
    expect(result.serving.size).toBe(0);
  });

  it('reports a cluster that refuses the list', async () => {
    serve(
      HttpResponse.json(
        kubeStatus(
          403,
          'Forbidden',
          'inferenceservices.serving.kserve.io is forbidden: User "system:serviceaccount:backstage:ml-gitops" cannot list resource "inferenceservices"',
        ),
        { status: 403 },
      ),
    );
    const result = await reader().read();
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0].cluster).toBe('prod-eu');
    expect(result.serving.size).toBe(0);
  });
});
