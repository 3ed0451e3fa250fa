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
 * Argo Rollouts AnalysisRuns and KServe InferenceServices shaped as the API
 * server returns them (argoproj.io/v1alpha1 AnalysisRun with the labels and
 * annotation the Rollout controller sets; serving.kserve.io/v1beta1
 * InferenceService in Serverless mode with Knative traffic targets). Tests only.
 */

import { createHash } from 'node:crypto';

export const KUBE = 'https://prod-eu.example.com';

export function analysisRun(options: {
  name: string;
  model?: string;
  environment?: string;
  version?: string;
  namespace?: string;
  revision?: string;
  rolloutType?: 'Step' | 'Background';
  createdAt?: string;
  phase?: string;
  message?: string;
  completedAt?: string;
  metrics?: Array<{
    name: string;
    phase: string;
    values: Array<{ phase: string; value?: string; finishedAt: string }>;
    message?: string;
  }>;
}) {
  const hash = '6c9d8f7b5';
  const labels: Record<string, string> = {
    'rollout-type': options.rolloutType ?? 'Step',
    'rollouts-pod-template-hash': hash,
    app: options.model ?? 'churn-predictor',
  };
  if (options.rolloutType !== 'Background') labels['step-index'] = '1';
  if (options.model !== '') {
    labels['ml-gitops/model'] = options.model ?? 'churn-predictor';
  }
  if (options.environment !== '') {
    labels['ml-gitops/environment'] = options.environment ?? 'dev';
  }
  if (options.version) labels['ml-gitops/model-version'] = options.version;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name: options.name,
      namespace: options.namespace ?? 'ml-dev',
      uid: `uid-${options.name}`,
      resourceVersion: '48213',
      generation: 4,
      creationTimestamp: options.createdAt ?? '2026-11-27T09:00:00Z',
      labels,
      annotations: {
        'rollout.argoproj.io/revision': options.revision ?? '4',
      },
      ownerReferences: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          name: `${options.model ?? 'churn-predictor'}-predictor`,
          uid: 'b1c7a2f4-3d55-4c1e-9a0b-6f2d8e9c1a77',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      args: [
        {
          name: 'service-name',
          value: `${options.model ?? 'churn-predictor'}-canary`,
        },
      ],
      metrics: (options.metrics ?? []).map(m => ({
        name: m.name,
        interval: '1m',
        count: 5,
        failureLimit: 1,
        successCondition: 'result[0] <= 0.01',
        provider: {
          prometheus: {
            address: 'http://prometheus.monitoring:9090',
            query: 'sum(rate(http_requests_total{code=~"5.."}[1m]))',
          },
        },
      })),
    },
    ...(options.phase === undefined
      ? {}
      : {
          status: {
            phase: options.phase,
            ...(options.message ? { message: options.message } : {}),
            startedAt: '2026-11-27T09:00:01Z',
            ...(options.completedAt
              ? { completedAt: options.completedAt }
              : {}),
            runSummary: {
              count: options.metrics?.length ?? 0,
              successful: (options.metrics ?? []).filter(
                m => m.phase === 'Successful',
              ).length,
              failed: (options.metrics ?? []).filter(m => m.phase === 'Failed')
                .length,
            },
            metricResults: (options.metrics ?? []).map(m => ({
              name: m.name,
              phase: m.phase,
              count: m.values.length,
              successful: m.values.filter(v => v.phase === 'Successful').length,
              failed: m.values.filter(v => v.phase === 'Failed').length,
              ...(m.message ? { message: m.message } : {}),
              measurements: m.values.map(v => ({
                phase: v.phase,
                startedAt: v.finishedAt,
                finishedAt: v.finishedAt,
                ...(v.value !== undefined ? { value: v.value } : {}),
              })),
            })),
          },
        }),
  };
}

export function inferenceService(options: {
  name?: string;
  environment?: string;
  version?: string;
  canaryTrafficPercent?: number;
  /**
   * `RawDeployment`: the `serving.kserve.io/deploymentMode` annotation;
   * `Standard` (its KServe 0.16 name): `status.deploymentMode` only.
   */
  deploymentMode?: 'RawDeployment' | 'Standard';
  latestCreated?: string;
  latestReady?: string;
  rolledOut?: string;
  traffic?: Array<{
    revisionName: string;
    percent: number;
    latestRevision: boolean;
    tag?: string;
  }>;
  conditions?: Array<{
    type: string;
    status: 'True' | 'False' | 'Unknown';
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }>;
  /** When the conditions last changed, unless a condition says. */
  conditionsAt?: string;
  /**
   * `status.modelStatus` (KServe's `ModelStatus`); null: absent, as older
   * KServe releases write it. Default: the model loaded and up to date.
   */
  modelStatus?: Record<string, unknown> | null;
  /** No status at all: the controller has not reconciled the object yet. */
  noStatus?: boolean;
  /**
   * Default: one derived from the other options, so that a different object
   * has a different version and the same object the same, as the API
   * server keeps it (every write changes `metadata.resourceVersion`).
   */
  resourceVersion?: string;
}) {
  const name = options.name ?? 'recsys-ranker';
  const environment = options.environment ?? 'staging';
  const ns = `ml-${environment}`;
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}-${environment}`,
      resourceVersion:
        options.resourceVersion ??
        String(
          parseInt(
            createHash('sha256')
              .update(JSON.stringify(options))
              .digest('hex')
              .slice(0, 12),
            16,
          ),
        ),
      generation: 5,
      creationTimestamp: '2026-10-01T08:00:00Z',
      labels: {
        'ml-gitops/model': name,
        'ml-gitops/environment': environment,
        'ml-gitops/model-version': options.version ?? '5',
      },
      ...(options.deploymentMode === 'RawDeployment'
        ? {
            annotations: {
              'serving.kserve.io/deploymentMode': 'RawDeployment',
            },
          }
        : {}),
    },
    spec: {
      predictor: {
        ...(options.canaryTrafficPercent !== undefined
          ? { canaryTrafficPercent: options.canaryTrafficPercent }
          : {}),
        model: {
          modelFormat: { name: 'mlflow' },
          protocolVersion: 'v2',
          storageUri: `models:/${name}/${options.version ?? '5'}`,
        },
      },
    },
    ...(options.noStatus
      ? {}
      : {
          status: {
            url: `http://${name}.${ns}.example.com`,
            address: {
              url: `http://${name}.${ns}.svc.cluster.local`,
            },
            components: {
              predictor: {
                latestCreatedRevision:
                  options.latestCreated ?? `${name}-predictor-00004`,
                latestReadyRevision:
                  options.latestReady ?? `${name}-predictor-00004`,
                latestRolledoutRevision:
                  options.rolledOut ?? `${name}-predictor-00003`,
                previousRolledoutRevision: `${name}-predictor-00002`,
                url: `http://${name}-predictor.${ns}.example.com`,
                traffic: (options.traffic ?? []).map(t => ({
                  ...t,
                  url: t.tag
                    ? `http://${t.tag}-${name}-predictor.${ns}.example.com`
                    : undefined,
                })),
              },
            },
            conditions: (
              options.conditions ?? [
                { type: 'IngressReady', status: 'True' },
                { type: 'PredictorConfigurationReady', status: 'True' },
                { type: 'PredictorReady', status: 'True' },
                { type: 'PredictorRouteReady', status: 'True' },
                { type: 'Ready', status: 'True' },
              ]
            ).map(c => ({
              lastTransitionTime:
                options.conditionsAt ?? '2026-11-27T09:05:00Z',
              ...c,
            })),
            ...(options.modelStatus === null
              ? {}
              : {
                  modelStatus: options.modelStatus ?? {
                    states: {
                      activeModelState: 'Loaded',
                      targetModelState: 'Loaded',
                    },
                    transitionStatus: 'UpToDate',
                    copies: { failedCopies: 0, totalCopies: 1 },
                  },
                }),
            observedGeneration: 5,
            ...(options.deploymentMode === 'Standard'
              ? { deploymentMode: 'Standard' }
              : {}),
          },
        }),
  };
}

/**
 * An InferenceService as a real API server lists it after Argo CD applied
 * it client-side and KServe's controller wrote its status: with
 * `metadata.managedFields`, one entry per field manager and what it owns
 * (Kubernetes "Server-Side Apply", Field management; the API server keeps
 * them for every write, also of a client-side apply), the whole applied
 * manifest in the `kubectl.kubernetes.io/last-applied-configuration`
 * annotation (Kubernetes "Declarative Management of Kubernetes Objects Using
 * Configuration Files"), and a predictor spec with scaling and resources.
 */
export function asListedAfterApply<
  T extends {
    metadata: Record<string, unknown>;
    spec?: { predictor?: Record<string, unknown> };
  },
>(item: T): T {
  const { metadata } = item;
  const predictor = item.spec?.predictor ?? {};
  const model = (predictor.model ?? {}) as Record<string, unknown>;
  const spec = {
    ...item.spec,
    predictor: {
      minReplicas: 1,
      maxReplicas: 3,
      scaleMetric: 'concurrency',
      scaleTarget: 10,
      serviceAccountName: 'models-reader',
      ...predictor,
      model: {
        ...model,
        resources: {
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { cpu: '2', memory: '4Gi' },
        },
        env: [{ name: 'MLSERVER_PARALLEL_WORKERS', value: '2' }],
      },
    },
  };
  const applied = {
    apiVersion: (item as Record<string, unknown>).apiVersion,
    kind: (item as Record<string, unknown>).kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      labels: metadata.labels,
      annotations: {
        ...(metadata.annotations as Record<string, string> | undefined),
      },
    },
    spec,
  };
  const owned = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries([
          ['.', {}],
          ...Object.entries(value).map(([k, v]) => [`f:${k}`, owned(v)]),
        ])
      : {};
  return {
    ...item,
    metadata: {
      ...metadata,
      annotations: {
        ...(metadata.annotations as Record<string, string> | undefined),
        'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(
          applied,
        )}\n`,
      },
      managedFields: [
        {
          manager: 'argocd-controller',
          operation: 'Update',
          apiVersion: 'serving.kserve.io/v1beta1',
          time: '2026-11-27T09:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: owned({ metadata: applied.metadata, spec }),
        },
        {
          manager: 'manager',
          operation: 'Update',
          apiVersion: 'serving.kserve.io/v1beta1',
          time: '2026-11-27T09:05:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: owned({ status: (item as Record<string, unknown>).status }),
          subresource: 'status',
        },
      ],
    },
    spec,
  };
}

/** The APIGroup discovery answer of a group served at one version. */
export function apiGroup(group: string, version: string) {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: [{ groupVersion: `${group}/${version}`, version }],
    preferredVersion: { groupVersion: `${group}/${version}`, version },
  };
}

/** The API server's Status object for an error. */
export function kubeStatus(code: number, reason: string, message: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}

/** A list answer. */
export function kubeList(kind: string, apiVersion: string, items: unknown[]) {
  return {
    kind: `${kind}List`,
    apiVersion,
    metadata: { resourceVersion: '52000' },
    items,
  };
}
