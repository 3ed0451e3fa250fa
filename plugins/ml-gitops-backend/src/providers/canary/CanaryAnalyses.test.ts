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
import { KubernetesClusterClient } from '../kubernetes/KubernetesClusters';
import { CanaryAnalyses } from './CanaryAnalyses';
import {
  analysisPhase,
  analysisRunCanary,
  inferenceServiceCanary,
} from './canaryCandidates';
import {
  analysisRun,
  apiGroup,
  inferenceService,
  KUBE,
  kubeList,
  kubeStatus,
} from './__testUtils__/fixtures';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const NOW = new Date('2026-11-28T10:00:00Z');
const OBSERVED = NOW.toISOString();

const failedRun = analysisRun({
  name: 'churn-predictor-predictor-6c9d8f7b5-4-1',
  version: '8',
  revision: '4',
  phase: 'Failed',
  message:
    'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
  completedAt: '2026-11-27T09:04:02Z',
  metrics: [
    {
      name: 'error-rate',
      phase: 'Failed',
      values: [
        {
          phase: 'Successful',
          value: '[0.004]',
          finishedAt: '2026-11-27T09:01:02Z',
        },
        {
          phase: 'Failed',
          value: '[0.031]',
          finishedAt: '2026-11-27T09:02:02Z',
        },
        {
          phase: 'Failed',
          value: '[0.044]',
          finishedAt: '2026-11-27T09:03:02Z',
        },
      ],
    },
    {
      name: 'latency-p95',
      phase: 'Successful',
      values: [
        {
          phase: 'Successful',
          value: '41.5',
          finishedAt: '2026-11-27T09:03:02Z',
        },
      ],
    },
  ],
});

const canaryIsvc = inferenceService({
  canaryTrafficPercent: 20,
  version: '5',
  traffic: [
    {
      revisionName: 'recsys-ranker-predictor-00004',
      percent: 20,
      latestRevision: true,
      tag: 'latest',
    },
    {
      revisionName: 'recsys-ranker-predictor-00003',
      percent: 80,
      latestRevision: false,
      tag: 'prev',
    },
  ],
});

function client(name = 'prod-eu') {
  return KubernetesClusterClient.create({
    name,
    url: KUBE,
    token: 'cluster-token',
    skipTLSVerify: false,
  });
}

describe('AnalysisRun mapping', () => {
  it.each([
    [undefined, 'pending', undefined],
    ['Pending', 'pending', 'Pending'],
    ['Running', 'running', 'Running'],
    ['Successful', 'successful', 'Successful'],
    ['Failed', 'failed', 'Failed'],
    ['Error', 'failed', 'Error'],
    ['Inconclusive', 'inconclusive', 'Inconclusive'],
    ['Paused', 'inconclusive', 'Paused'],
  ])('maps phase %s to %s', (source, phase, sourcePhase) => {
    expect(analysisPhase(source)).toEqual({
      phase,
      ...(sourcePhase ? { sourcePhase } : {}),
    });
  });

  it('maps a failed run with its metrics, latest values, times and version', () => {
    expect(analysisRunCanary(failedRun, 'prod-eu', OBSERVED)).toEqual({
      model: 'churn-predictor',
      environment: 'dev',
      revision: 4,
      createdAt: Date.parse('2026-11-27T09:00:00Z'),
      canary: {
        kind: 'argo-rollouts',
        name: 'churn-predictor-predictor-6c9d8f7b5-4-1',
        namespace: 'ml-dev',
        cluster: 'prod-eu',
        phase: 'failed',
        sourcePhase: 'Failed',
        version: '8',
        message:
          'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
        startedAt: '2026-11-27T09:00:01.000Z',
        finishedAt: '2026-11-27T09:04:02.000Z',
        metrics: [
          { name: 'error-rate', phase: 'failed', value: '[0.044]' },
          { name: 'latency-p95', phase: 'successful', value: '41.5' },
        ],
        observedAt: OBSERVED,
      },
    });
  });

  it('takes the end of a completed run from its last measurement before Argo Rollouts 1.7', () => {
    const old = analysisRun({
      name: 'old',
      phase: 'Successful',
      metrics: [
        {
          name: 'error-rate',
          phase: 'Successful',
          values: [
            { phase: 'Successful', finishedAt: '2026-11-27T09:01:00Z' },
            { phase: 'Successful', finishedAt: '2026-11-27T09:02:00Z' },
          ],
        },
      ],
    });
    const mapped = analysisRunCanary(old, 'c', OBSERVED)!.canary;
    expect(mapped.finishedAt).toBe('2026-11-27T09:02:00.000Z');
    expect(mapped.metrics).toEqual([
      { name: 'error-rate', phase: 'successful' },
    ]);
    const running = analysisRun({ name: 'r', phase: 'Running', metrics: [] });
    expect(
      analysisRunCanary(running, 'c', OBSERVED)!.canary,
    ).not.toHaveProperty('finishedAt');
  });

  it('ignores runs without the model or environment label', () => {
    expect(
      analysisRunCanary(analysisRun({ name: 'x', model: '' }), 'c', OBSERVED),
    ).toBeUndefined();
    expect(
      analysisRunCanary(
        analysisRun({ name: 'x', environment: '' }),
        'c',
        OBSERVED,
      ),
    ).toBeUndefined();
  });

  it('survives malformed status fields', () => {
    const broken = {
      ...analysisRun({ name: 'broken' }),
      status: {
        phase: 42,
        message: ['not', 'a', 'string'],
        startedAt: 'yesterday',
        metricResults: { name: 'not-a-list' },
      },
    };
    expect(analysisRunCanary(broken as any, 'c', OBSERVED)!.canary).toEqual({
      kind: 'argo-rollouts',
      name: 'broken',
      namespace: 'ml-dev',
      cluster: 'c',
      phase: 'inconclusive',
      sourcePhase: '42',
      observedAt: OBSERVED,
    });
  });
});

describe('InferenceService canary mapping', () => {
  it('maps a running traffic split', () => {
    expect(inferenceServiceCanary(canaryIsvc, 'prod-eu', OBSERVED)).toEqual({
      model: 'recsys-ranker',
      environment: 'staging',
      createdAt: Date.parse('2026-10-01T08:00:00Z'),
      canary: {
        kind: 'kserve',
        name: 'recsys-ranker',
        namespace: 'ml-staging',
        cluster: 'prod-eu',
        phase: 'running',
        trafficPercent: 20,
        version: '5',
        revision: 'recsys-ranker-predictor-00004',
        observedAt: OBSERVED,
      },
    });
  });

  it('has no canary without canaryTrafficPercent and without a split', () => {
    expect(
      inferenceServiceCanary(
        inferenceService({
          rolledOut: 'recsys-ranker-predictor-00004',
          traffic: [
            {
              revisionName: 'recsys-ranker-predictor-00004',
              percent: 100,
              latestRevision: true,
            },
          ],
        }),
        'c',
        OBSERVED,
      ),
    ).toBeUndefined();
  });

  it('is successful once the canary revision is rolled out to all traffic', () => {
    const promoted = inferenceService({
      canaryTrafficPercent: 100,
      rolledOut: 'recsys-ranker-predictor-00004',
      traffic: [
        {
          revisionName: 'recsys-ranker-predictor-00004',
          percent: 100,
          latestRevision: true,
        },
      ],
    });
    expect(
      inferenceServiceCanary(promoted, 'c', OBSERVED)!.canary,
    ).toMatchObject({ phase: 'successful', trafficPercent: 100 });
  });

  it('fails when the canary revision does not become ready, with the condition', () => {
    const failing = inferenceService({
      canaryTrafficPercent: 10,
      latestCreated: 'recsys-ranker-predictor-00005',
      latestReady: 'recsys-ranker-predictor-00004',
      rolledOut: 'recsys-ranker-predictor-00004',
      traffic: [
        {
          revisionName: 'recsys-ranker-predictor-00004',
          percent: 100,
          latestRevision: true,
        },
      ],
      conditions: [
        {
          type: 'PredictorConfigurationReady',
          status: 'False',
          reason: 'RevisionFailed',
          message:
            'Revision "recsys-ranker-predictor-00005" failed with message: Container failed with: model load error.',
        },
        { type: 'PredictorReady', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
    });
    expect(
      inferenceServiceCanary(failing, 'c', OBSERVED)!.canary,
    ).toMatchObject({
      phase: 'failed',
      sourcePhase: 'RevisionFailed',
      revision: 'recsys-ranker-predictor-00005',
      message:
        'Revision "recsys-ranker-predictor-00005" failed with message: Container failed with: model load error.',
    });
    const starting = inferenceService({
      canaryTrafficPercent: 10,
      latestCreated: 'recsys-ranker-predictor-00005',
      latestReady: 'recsys-ranker-predictor-00004',
      traffic: [],
      conditions: [{ type: 'PredictorConfigurationReady', status: 'Unknown' }],
    });
    expect(
      inferenceServiceCanary(starting, 'c', OBSERVED)!.canary,
    ).toMatchObject({
      phase: 'pending',
      revision: 'recsys-ranker-predictor-00005',
    });
  });

  it('counts a canary pinned to 0% as rolled back', () => {
    const rolledBack = inferenceService({
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
          tag: 'prev',
        },
      ],
    });
    expect(
      inferenceServiceCanary(rolledBack, 'c', OBSERVED)!.canary,
    ).toMatchObject({
      phase: 'failed',
      sourcePhase: 'RolledBack',
      trafficPercent: 0,
      message:
        'canaryTrafficPercent is 0: the traffic went back to recsys-ranker-predictor-00003',
    });
  });

  it('has no canary in RawDeployment mode, where KServe ignores canaryTrafficPercent', () => {
    const byAnnotation = inferenceService({
      canaryTrafficPercent: 30,
      deploymentMode: 'RawDeployment',
    });
    expect(inferenceServiceCanary(byAnnotation, 'c', OBSERVED)).toBeUndefined();
    const byStatus = inferenceService({
      canaryTrafficPercent: 30,
      deploymentMode: 'Standard',
    });
    expect(byStatus.metadata.annotations).toBeUndefined();
    expect(inferenceServiceCanary(byStatus, 'c', OBSERVED)).toBeUndefined();
  });
});

describe('CanaryAnalyses', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  const contracts = registerContractChecks(server);

  function serve(options: {
    runs?: unknown[] | Response;
    services?: unknown[] | Response;
    rollouts?: boolean;
    kserve?: boolean;
  }) {
    const calls: string[] = [];
    server.use(
      http.get(`${KUBE}/apis/argoproj.io`, () =>
        options.rollouts === false
          ? HttpResponse.json(
              kubeStatus(
                404,
                'NotFound',
                'the server could not find the requested resource',
              ),
              { status: 404 },
            )
          : HttpResponse.json(apiGroup('argoproj.io', 'v1alpha1')),
      ),
      http.get(`${KUBE}/apis/serving.kserve.io`, () =>
        options.kserve === false
          ? HttpResponse.json(
              kubeStatus(
                404,
                'NotFound',
                'the server could not find the requested resource',
              ),
              { status: 404 },
            )
          : HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
      ),
      http.get(
        `${KUBE}/apis/argoproj.io/v1alpha1/analysisruns`,
        ({ request }) => {
          const url = new URL(request.url);
          calls.push(`analysisruns?${url.searchParams.get('labelSelector')}`);
          expect(request.headers.get('authorization')).toBe(
            'Bearer cluster-token',
          );
          if (options.runs instanceof Response) return options.runs;
          return HttpResponse.json(
            kubeList('AnalysisRun', 'argoproj.io/v1alpha1', options.runs ?? []),
          );
        },
      ),
      http.get(
        `${KUBE}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        ({ request }) => {
          const url = new URL(request.url);
          calls.push(
            `inferenceservices?${url.searchParams.get('labelSelector')}`,
          );
          if (options.services instanceof Response) return options.services;
          return HttpResponse.json(
            kubeList(
              'InferenceService',
              'serving.kserve.io/v1beta1',
              options.services ?? [],
            ),
          );
        },
      ),
    );
    return calls;
  }

  it('reads AnalysisRuns and InferenceService canaries with one list call per kind', async () => {
    const calls = serve({
      runs: [
        // an older revision's failure is history
        analysisRun({
          name: 'churn-predictor-predictor-5b7c6d9f4-3-1',
          revision: '3',
          version: '7',
          phase: 'Failed',
          createdAt: '2026-11-20T09:00:00Z',
        }),
        // the newest revision: a step run succeeded, a background run goes on
        analysisRun({
          name: 'churn-predictor-predictor-6c9d8f7b5-4-1',
          revision: '4',
          version: '8',
          phase: 'Successful',
        }),
        analysisRun({
          name: 'churn-predictor-predictor-6c9d8f7b5-4',
          revision: '4',
          version: '8',
          rolloutType: 'Background',
          phase: 'Running',
        }),
        analysisRun({
          name: 'fraud-detector-predictor-7f8e9d6c5-2-2',
          model: 'fraud-detector',
          environment: 'staging',
          namespace: 'ml-staging',
          revision: '2',
          phase: 'Successful',
        }),
      ],
      services: [
        canaryIsvc,
        inferenceService({ name: 'no-canary', traffic: [] }),
      ],
    });
    const result = await new CanaryAnalyses([client()], {
      now: () => NOW,
    }).read();
    expect(result.failures).toEqual([]);
    expect(calls.sort()).toEqual([
      'analysisruns?ml-gitops/model,ml-gitops/environment',
      'inferenceservices?ml-gitops/model,ml-gitops/environment',
    ]);
    expect([...result.byKey.keys()].sort()).toEqual(
      [
        CanaryAnalyses.key('churn-predictor', 'dev'),
        CanaryAnalyses.key('fraud-detector', 'staging'),
        CanaryAnalyses.key('recsys-ranker', 'staging'),
      ].sort(),
    );
    expect(
      result.byKey.get(CanaryAnalyses.key('churn-predictor', 'dev')),
    ).toMatchObject({
      name: 'churn-predictor-predictor-6c9d8f7b5-4',
      phase: 'running',
      version: '8',
    });
    expect(
      result.byKey.get(CanaryAnalyses.key('recsys-ranker', 'staging')),
    ).toMatchObject({ kind: 'kserve', phase: 'running', trafficPercent: 20 });
  });

  it('reuses the InferenceServices the serving versions listed', async () => {
    const calls = serve({ runs: [] });
    const result = await new CanaryAnalyses([client(), client('other')], {
      now: () => NOW,
    }).read(Promise.resolve(new Map([['prod-eu', [canaryIsvc]]])));
    expect(calls).toEqual([
      'analysisruns?ml-gitops/model,ml-gitops/environment',
      'analysisruns?ml-gitops/model,ml-gitops/environment',
    ]);
    expect(
      result.byKey.get(CanaryAnalyses.key('recsys-ranker', 'staging'))?.phase,
    ).toBe('running');
    // the other cluster's InferenceServices were not read: its canaries are unknown
    expect(result.failures.map(f => [f.cluster, f.error.message])).toEqual([
      ['other', 'the InferenceServices of cluster other could not be read'],
    ]);
  });

  it('finds nothing, and no error, on a cluster without the CRDs', async () => {
    const calls = serve({ rollouts: false, kserve: false });
    const result = await new CanaryAnalyses([client()]).read();
    expect(result).toEqual({
      byKey: new Map(),
      failures: [],
      // Kept for the watch: the cluster answered, with no AnalysisRun.
      analysisRuns: new Map([['prod-eu', []]]),
    });
    expect(calls).toEqual([]);
  });

  it('finds nothing when argoproj.io is served (Argo CD) but AnalysisRuns are not', async () => {
    serve({
      runs: HttpResponse.json(
        kubeStatus(
          404,
          'NotFound',
          'the server could not find the requested resource',
        ),
        { status: 404 },
      ),
      kserve: false,
    });
    const result = await new CanaryAnalyses([client()]).read();
    expect(result).toEqual({
      byKey: new Map(),
      failures: [],
      // Kept for the watch: the cluster answered, with no AnalysisRun.
      analysisRuns: new Map([['prod-eu', []]]),
    });
  });

  it('reports a forbidden list with what to fix, and keeps the other kind', async () => {
    serve({
      runs: HttpResponse.json(
        kubeStatus(
          403,
          'Forbidden',
          'analysisruns.argoproj.io is forbidden: User "system:serviceaccount:backstage:ml-gitops" cannot list resource "analysisruns" in API group "argoproj.io" at the cluster scope',
        ),
        { status: 403 },
      ),
      services: [canaryIsvc],
    });
    const result = await new CanaryAnalyses([client()]).read();
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0].cluster).toBe('prod-eu');
    expect(result.failures[0].error.message).toMatch(
      /answered 403 to \/apis\/argoproj.io\/v1alpha1\/analysisruns: analysisruns.argoproj.io is forbidden.*check the serviceAccountToken/,
    );
    expect(result.byKey.size).toBe(1);
  });

  it('reports an answer that is not a list, and skips malformed items', async () => {
    contracts.deliberatelyBroken();
    serve({
      runs: new HttpResponse('<html>502 Bad Gateway</html>', {
        status: 200,
        headers: { 'content-type': 'text/html' },
      }) as unknown as Response,
      services: [
        { metadata: { name: 'no-labels' } },
        { ...canaryIsvc, spec: 'nonsense', status: { components: 7 } },
        null,
        canaryIsvc,
      ],
    });
    const result = await new CanaryAnalyses([client()], {
      now: () => NOW,
    }).read();
    expect(result.failures.map(f => f.error.message)).toEqual([
      expect.stringMatching(/prod-eu.*analysisruns/),
    ]);
    expect([...result.byKey.values()]).toEqual([
      expect.objectContaining({ name: 'recsys-ranker', phase: 'running' }),
    ]);
  });
});
