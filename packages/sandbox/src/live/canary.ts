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
 * Canary analyses of the seeded deployments, shaped as the API server returns
 * them: Argo Rollouts AnalysisRuns (argoproj.io/v1alpha1, with the labels
 * and annotation the Rollout controller sets, plus the ml-gitops labels a
 * chart puts in analysisRunMetadata) and the Serverless canary split of a
 * KServe InferenceService (spec.predictor.canaryTrafficPercent,
 * status.components.predictor revisions and Knative traffic targets).
 */

import { stableHex, stableUid } from '../seed/data';
import { predictorRevisionName } from './predictor';
import type { KubeObject } from './objects';
import type { LiveDeployment, World } from './World';

export type AnalysisPhase =
  | 'Pending'
  | 'Running'
  | 'Successful'
  | 'Failed'
  | 'Error'
  | 'Inconclusive';

export const ANALYSIS_PHASES: AnalysisPhase[] = [
  'Pending',
  'Running',
  'Successful',
  'Failed',
  'Error',
  'Inconclusive',
];

export type SandboxCanary =
  | { kind: 'argo-rollouts'; phase: AnalysisPhase }
  | {
      kind: 'kserve';
      /** the canary revision's share of the traffic, 0-100 */
      trafficPercent: number;
      /** the canary revision does not become ready */
      failed?: boolean;
    };

/** The seed: fraud-detector staging passed, churn-predictor dev failed, recsys-ranker dev splits traffic. */
export const SEED_CANARIES: Record<string, SandboxCanary> = {
  'fraud-detector/staging': { kind: 'argo-rollouts', phase: 'Successful' },
  'churn-predictor/dev': { kind: 'argo-rollouts', phase: 'Failed' },
  'recsys-ranker/dev': { kind: 'kserve', trafficPercent: 20 },
};

const state = new WeakMap<World, Map<string, SandboxCanary>>();

/** The canaries of a world, seeded on first use (a reset builds a new world). */
export function canariesOf(world: World): Map<string, SandboxCanary> {
  let canaries = state.get(world);
  if (!canaries) {
    canaries = new Map(Object.entries(SEED_CANARIES));
    state.set(world, canaries);
  }
  return canaries;
}

export function canaryOf(
  world: World,
  d: LiveDeployment,
): SandboxCanary | undefined {
  return canariesOf(world).get(`${d.model.name}/${d.env}`);
}

/** Sets (or with undefined removes) the canary of a deployment. */
export function setCanary(
  world: World,
  d: LiveDeployment,
  canary: SandboxCanary | undefined,
) {
  const key = `${d.model.name}/${d.env}`;
  if (canary) canariesOf(world).set(key, canary);
  else canariesOf(world).delete(key);
  d.resourceVersion = world.nextResourceVersion();
}

function addMinutes(iso: string, minutes: number) {
  return new Date(Date.parse(iso) + minutes * 60_000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
}

const MESSAGES: Partial<Record<AnalysisPhase, string>> = {
  Failed:
    'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
  Error:
    'Metric "error-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)',
  Inconclusive:
    'Metric "error-rate" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)',
};

/** The AnalysisRun of a deployment's latest rollout, when it has one. */
export function analysisRunObjects(w: World, d: LiveDeployment): KubeObject[] {
  const canary = canaryOf(w, d);
  if (canary?.kind !== 'argo-rollouts') return [];
  const ns = w.namespace(d.env);
  const version = w.liveVersion(d);
  const rollout = `${d.model.name}-predictor`;
  const hash = stableHex(`${ns}/${rollout}/${version}`, 10).replace(/^\d/, 'c');
  const revision = String(d.history.length || 1);
  const name = `${rollout}-${hash}-${revision}-1`;
  const started = d.history[d.history.length - 1]?.deployedAt ?? d.reconciledAt;
  const phase = canary.phase;
  const done = !['Pending', 'Running'].includes(phase);
  let measured = 2;
  if (phase === 'Pending') measured = 0;
  else if (done) measured = 5;
  const errorValues = ['0.004', '0.006', '0.031', '0.044', '0.005'];
  const failing = phase === 'Failed' ? [2, 3] : [];
  const measurements = Array.from({ length: measured }, (_, i) => {
    let measurePhase = 'Successful';
    if (phase === 'Error') measurePhase = 'Error';
    else if (phase === 'Inconclusive' && i === measured - 1) {
      measurePhase = 'Inconclusive';
    } else if (failing.includes(i)) measurePhase = 'Failed';
    return {
      phase: measurePhase,
      startedAt: addMinutes(started, i + 1),
      finishedAt: addMinutes(started, i + 1),
      ...(measurePhase === 'Error'
        ? {
            message:
              'Post "http://prometheus.monitoring:9090/api/v1/query": dial tcp 10.96.0.40:9090: connect: connection refused',
          }
        : { value: `[${errorValues[i]}]` }),
    };
  });
  // A run that has not concluded has a metric still pending or running.
  const metricPhase: AnalysisPhase =
    done || phase === 'Pending' ? phase : 'Running';
  const count = (p: string) => measurements.filter(m => m.phase === p).length;
  return [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: {
        name,
        namespace: ns,
        uid: stableUid(`${ns}/${name}`),
        resourceVersion: String(d.resourceVersion),
        generation: measured + 1,
        creationTimestamp: started,
        labels: {
          'rollout-type': 'Step',
          'step-index': '1',
          'rollouts-pod-template-hash': hash,
          app: `isvc.${d.model.name}-predictor`,
          'ml-gitops/model': d.model.name,
          'ml-gitops/environment': d.env,
          'ml-gitops/model-version': version,
        },
        annotations: { 'rollout.argoproj.io/revision': revision },
        ownerReferences: [
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Rollout',
            name: rollout,
            uid: stableUid(`${ns}/${rollout}/rollout`),
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        args: [
          {
            name: 'service-name',
            value: `${rollout}-canary.${ns}.svc.cluster.local`,
          },
        ],
        metrics: [
          {
            name: 'error-rate',
            interval: '1m',
            count: 5,
            failureLimit: 1,
            successCondition: 'result[0] <= 0.01',
            provider: {
              prometheus: {
                address: 'http://prometheus.monitoring:9090',
                query: `sum(rate(http_requests_total{service="{{args.service-name}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{{args.service-name}}"}[1m]))`,
              },
            },
          },
        ],
      },
      status: {
        phase,
        ...(MESSAGES[phase] ? { message: MESSAGES[phase] } : {}),
        ...(phase === 'Pending' ? {} : { startedAt: started }),
        ...(done ? { completedAt: addMinutes(started, measured) } : {}),
        runSummary: {
          count: 1,
          ...(metricPhase === 'Successful' ? { successful: 1 } : {}),
          ...(metricPhase === 'Failed' ? { failed: 1 } : {}),
          ...(metricPhase === 'Inconclusive' ? { inconclusive: 1 } : {}),
          ...(metricPhase === 'Error' ? { error: 1 } : {}),
        },
        metricResults: [
          {
            name: 'error-rate',
            phase: metricPhase,
            count: measured,
            successful: count('Successful'),
            failed: count('Failed'),
            inconclusive: count('Inconclusive'),
            error: count('Error'),
            consecutiveError: count('Error'),
            ...(MESSAGES[phase] && phase === 'Error'
              ? {
                  message: (() => {
                    const last = measurements[measured - 1];
                    return last && 'message' in last ? last.message : undefined;
                  })(),
                }
              : {}),
            measurements,
          },
        ],
      },
    },
  ];
}

/**
 * Gives an InferenceService the canary split of its deployment, as KServe
 * reports it in Serverless mode (Knative revisions and traffic targets,
 * kserve/kserve pkg/apis/serving/v1beta1/inference_service_status.go
 * `PropagateStatus`): the latest revision takes canaryTrafficPercent once
 * it is ready, the previously rolled-out one the rest; while the latest is
 * not ready (rolling out, or failed to) the previous one keeps all of it.
 * At 100 (a promotion) the latest revision is the rolled-out one. The
 * conditions and modelStatus come from objects.ts.
 */
export function applyInferenceServiceCanary(
  w: World,
  d: LiveDeployment,
  isvc: KubeObject,
  predictor: { p: { revision: number }; phase: string; neverReady: boolean },
): KubeObject {
  const canary = canaryOf(w, d);
  if (canary?.kind !== 'kserve') return isvc;
  const name = isvc.metadata.name;
  const ns = isvc.metadata.namespace;
  const n = Math.max(2, predictor.p.revision);
  const revision = (i: number) => predictorRevisionName(name, i);
  const percent = Math.max(0, Math.min(100, Math.round(canary.trafficPercent)));
  const predictorStatus = isvc.status?.components?.predictor ?? {};
  const ready =
    predictor.phase === 'ready' ||
    (predictor.phase === 'failed' && !predictor.neverReady);
  const traffic = ready
    ? [
        {
          tag: 'latest',
          revisionName: revision(n),
          latestRevision: true,
          percent,
          url: `http://latest-${name}-predictor-${ns}.example.com`,
        },
        ...(percent < 100
          ? [
              {
                tag: 'prev',
                revisionName: revision(n - 1),
                latestRevision: false,
                percent: 100 - percent,
                url: `http://prev-${name}-predictor-${ns}.example.com`,
              },
            ]
          : []),
      ]
    : [
        {
          revisionName: revision(n - 1),
          latestRevision: true,
          percent: 100,
        },
      ];
  return {
    ...isvc,
    metadata: {
      ...isvc.metadata,
      annotations: {
        ...isvc.metadata.annotations,
        'serving.kserve.io/deploymentMode': 'Serverless',
        'serving.kserve.io/enable-tag-routing': 'true',
      },
    },
    spec: {
      ...isvc.spec,
      predictor: {
        ...isvc.spec?.predictor,
        canaryTrafficPercent: percent,
      },
    },
    status: {
      ...isvc.status,
      components: {
        ...isvc.status?.components,
        predictor: {
          ...predictorStatus,
          latestCreatedRevision: revision(n),
          latestReadyRevision: ready ? revision(n) : revision(n - 1),
          latestRolledoutRevision:
            ready && percent === 100 ? revision(n) : revision(n - 1),
          previousRolledoutRevision: revision(n - 2 > 0 ? n - 2 : 1),
          traffic,
        },
      },
    },
  };
}
