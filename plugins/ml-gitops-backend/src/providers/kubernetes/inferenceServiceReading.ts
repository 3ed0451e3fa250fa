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

// A KServe InferenceService read with care: its conditions, predictor revisions and traffic, model status.

import type { KubeObject } from './KubernetesClusters';
import { array, percent, record, text, timestamp } from './json';

/*
 * One reading of a KServe InferenceService (serving.kserve.io/v1beta1), for
 * the serving state and the canary analyses alike. The shapes are KServe's
 * `InferenceServiceStatus` (kserve/kserve
 * pkg/apis/serving/v1beta1/inference_service_status.go; the CRD
 * config/crd/full/serving.kserve.io_inferenceservices.yaml, sliced in
 * plugins/ml-gitops-common/src/testUtils/contracts/kserve):
 *
 * - `conditions[]`: Knative-style `{type, status: "True"|"False"|"Unknown",
 *   reason, message, lastTransitionTime}`; `Ready` for the whole object,
 *   `PredictorReady` for the predictor.
 * - `components.predictor` (`ComponentStatusSpec`): `latestReadyRevision`,
 *   `latestCreatedRevision`, `latestRolledoutRevision`,
 *   `previousRolledoutRevision` and Knative's `traffic[]`
 *   (`{revisionName, percent, latestRevision, tag}`), Serverless mode only.
 * - `modelStatus` (`ModelStatus`, the website's "Model status"):
 *   `states.activeModelState` / `targetModelState` among Pending, Standby,
 *   Loading, Loaded, FailedToLoad; `transitionStatus` UpToDate, InProgress,
 *   BlockedByFailedLoad or InvalidSpec; `lastFailureInfo` `{location, reason,
 *   message, modelRevisionName, time, exitCode}`. Older KServe releases have
 *   no `modelStatus`.
 */

/** A condition of the object, as KServe writes it. */
export type KserveCondition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};

/** A Knative traffic target of the predictor. */
export type KserveTrafficTarget = {
  revisionName?: string;
  percent: number;
  latestRevision?: boolean;
  tag?: string;
};

/** An InferenceService, read with care (malformed fields read as absent). */
export type InferenceServiceReading = {
  /** `RawDeployment` / `Standard` mode: a plain Deployment, no traffic split. */
  rawDeployment: boolean;
  /** `spec.predictor.canaryTrafficPercent`. */
  canaryTrafficPercent?: number;
  /** The storage URI of the spec's model. */
  storageUri?: string;
  conditions: KserveCondition[];
  predictor: {
    latestCreatedRevision?: string;
    latestReadyRevision?: string;
    latestRolledoutRevision?: string;
    previousRolledoutRevision?: string;
    traffic: KserveTrafficTarget[];
  };
  modelStatus?: {
    activeModelState?: string;
    targetModelState?: string;
    transitionStatus?: string;
    lastFailureInfo?: {
      reason?: string;
      message?: string;
      location?: string;
      modelRevisionName?: string;
      time?: string;
      exitCode?: number;
    };
  };
  /** Whether the controller has written any status. */
  hasStatus: boolean;
};

/** The annotation that sets the deployment mode on older KServe releases. */
const DEPLOYMENT_MODE_ANNOTATION = 'serving.kserve.io/deploymentMode';

/**
 * Whether KServe runs an InferenceService as a plain Deployment: the
 * controller's `status.deploymentMode` (newer KServe releases), else the
 * `serving.kserve.io/deploymentMode` annotation. `RawDeployment` and its
 * KServe 0.16 name `Standard` (kserve/kserve pkg/constants/constants.go).
 */
function isRawDeployment(item: KubeObject): boolean {
  const mode =
    text(record(item.status).deploymentMode) ??
    text(record(record(item.metadata).annotations)[DEPLOYMENT_MODE_ANNOTATION]);
  return mode === 'RawDeployment' || mode === 'Standard';
}

/**
 * The model's storage URI: `spec.predictor.model.storageUri`, else the
 * framework field of older specs (`spec.predictor.sklearn.storageUri` …).
 */
function specStorageUri(
  predictor: Record<string, unknown>,
): string | undefined {
  const model = text(record(predictor.model).storageUri);
  if (model) return model;
  for (const value of Object.values(predictor)) {
    const uri = text(record(value).storageUri);
    if (uri) return uri;
  }
  return undefined;
}

const CONDITION_STATUSES = new Set(['True', 'False', 'Unknown']);

/**
 * Whether an InferenceService shows a canary, from the few fields that say
 * so (what {@link readInferenceService} reads them to): a
 * `canaryTrafficPercent`, or traffic split between revisions; never in
 * RawDeployment mode, where KServe ignores `canaryTrafficPercent`. Most
 * objects have none, and a full reading of each every cycle was the
 * canary reader's main cost.
 */
export function showsCanary(item: KubeObject): boolean {
  if (isRawDeployment(item)) return false;
  const predictorSpec = record(record(item.spec).predictor);
  if (percent(predictorSpec.canaryTrafficPercent) !== undefined) return true;
  const predictor = record(record(record(item.status).components).predictor);
  let shares = 0;
  for (const target of array(predictor.traffic)) {
    if ((percent(record(target).percent) ?? 0) > 0) shares++;
  }
  return shares > 1;
}

/**
 * Reads the fields of an InferenceService the plugin uses. Not cached: the
 * poll judges an object once per resource version (`ServingVersions`), the
 * watch once per event, the canary reader only the few objects that show a
 * canary ({@link showsCanary}); a reading kept beside every object of the
 * fleet would be a second copy of its status for nothing.
 */
export function readInferenceService(
  item: KubeObject,
): InferenceServiceReading {
  const predictorSpec = record(record(item.spec).predictor);
  const status = record(item.status);
  const predictor = record(record(status.components).predictor);
  const conditions: KserveCondition[] = [];
  for (const entry of array(status.conditions)) {
    const c = record(entry);
    const type = text(c.type);
    const s = text(c.status);
    if (!type || !s || !CONDITION_STATUSES.has(s)) continue;
    const reason = text(c.reason);
    const message = text(c.message);
    const lastTransitionTime = timestamp(c.lastTransitionTime);
    conditions.push({
      type,
      status: s as KserveCondition['status'],
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      ...(lastTransitionTime ? { lastTransitionTime } : {}),
    });
  }
  const traffic: KserveTrafficTarget[] = array(predictor.traffic)
    .map(record)
    .map(t => ({
      revisionName: text(t.revisionName),
      percent: percent(t.percent) ?? 0,
      latestRevision:
        typeof t.latestRevision === 'boolean' ? t.latestRevision : undefined,
      tag: text(t.tag),
    }));
  let modelStatus: InferenceServiceReading['modelStatus'];
  if (status.modelStatus && typeof status.modelStatus === 'object') {
    const ms = record(status.modelStatus);
    const states = record(ms.states);
    const failure = ms.lastFailureInfo ? record(ms.lastFailureInfo) : undefined;
    modelStatus = {
      activeModelState: text(states.activeModelState),
      targetModelState: text(states.targetModelState),
      transitionStatus: text(ms.transitionStatus),
      ...(failure
        ? {
            lastFailureInfo: {
              reason: text(failure.reason),
              message: text(failure.message),
              location: text(failure.location),
              modelRevisionName: text(failure.modelRevisionName),
              time: timestamp(failure.time),
              exitCode:
                typeof failure.exitCode === 'number'
                  ? failure.exitCode
                  : undefined,
            },
          }
        : {}),
    };
  }
  return {
    rawDeployment: isRawDeployment(item),
    canaryTrafficPercent: percent(predictorSpec.canaryTrafficPercent),
    storageUri: specStorageUri(predictorSpec),
    conditions,
    predictor: {
      latestCreatedRevision: text(predictor.latestCreatedRevision),
      latestReadyRevision: text(predictor.latestReadyRevision),
      latestRolledoutRevision: text(predictor.latestRolledoutRevision),
      previousRolledoutRevision: text(predictor.previousRolledoutRevision),
      traffic,
    },
    modelStatus,
    hasStatus: Object.keys(status).length > 0,
  };
}

/** The objects {@link servingFieldsOf} made: cut already. */
const servingFields = new WeakSet<KubeObject>();

/**
 * An InferenceService cut to what this plugin reads of it, to be kept
 * between lists and watch events: its name, namespace, labels, resource
 * version, uid, generation and creation time, the deployment-mode
 * annotation, of the predictor's spec the canary share and the model's
 * storage URI, and its status whole. Read by {@link readInferenceService},
 * `servingStatus` and the canary readers, it reads as the whole object does.
 *
 * The rest is left out because a real API server sends much more than this
 * plugin reads: every object carries `metadata.managedFields` (one entry per
 * field manager with the fields it owns; Kubernetes "Server-Side Apply",
 * Field management), an object Argo CD applies client-side carries its whole
 * last applied manifest in the `kubectl.kubernetes.io/last-applied-configuration`
 * annotation (Kubernetes "Declarative Management of Kubernetes Objects
 * Using Configuration Files"), and the predictor's spec holds containers,
 * resources and scaling. Kept whole for every model environment of the
 * fleet, they were the largest part of what the backend holds.
 */
export function servingFieldsOf(item: KubeObject): KubeObject {
  if (servingFields.has(item)) return item;
  const metadata = item.metadata;
  const kept: KubeObject['metadata'] & Record<string, unknown> = {
    name: metadata.name,
  };
  for (const field of [
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'labels',
  ] as const) {
    const value = (metadata as Record<string, unknown>)[field];
    if (value !== undefined) kept[field] = value as never;
  }
  const annotations = record(metadata.annotations);
  if (annotations[DEPLOYMENT_MODE_ANNOTATION] !== undefined) {
    kept.annotations = {
      [DEPLOYMENT_MODE_ANNOTATION]: annotations[
        DEPLOYMENT_MODE_ANNOTATION
      ] as string,
    };
  }
  const object: KubeObject = { metadata: kept };
  if (item.apiVersion !== undefined) object.apiVersion = item.apiVersion;
  if (item.kind !== undefined) object.kind = item.kind;
  if (item.spec !== undefined) {
    const spec = record(item.spec);
    const predictorSpec = record(spec.predictor);
    const predictor: Record<string, unknown> = {};
    if (predictorSpec.canaryTrafficPercent !== undefined) {
      predictor.canaryTrafficPercent = predictorSpec.canaryTrafficPercent;
    }
    // In the spec's order: the model's, else the first framework field's.
    for (const [key, value] of Object.entries(predictorSpec)) {
      const storageUri = record(value).storageUri;
      if (storageUri !== undefined) predictor[key] = { storageUri };
    }
    object.spec = spec.predictor === undefined ? {} : { predictor };
  }
  if (item.status !== undefined) object.status = item.status;
  servingFields.add(object);
  return object;
}

/** The conditions whose False means the predictor does not come up. */
export const PREDICTOR_CONDITIONS = [
  'PredictorReady',
  'PredictorConfigurationReady',
  'LatestDeploymentReady',
  'CanaryPredictorReady',
];

/** The first predictor condition that is False, if any. */
export function failingPredictorCondition(
  reading: InferenceServiceReading,
): KserveCondition | undefined {
  for (const type of PREDICTOR_CONDITIONS) {
    const c = reading.conditions.find(x => x.type === type);
    if (c?.status === 'False') return c;
  }
  return undefined;
}

/**
 * The traffic share of the latest revision: the targets marked
 * `latestRevision`, else those naming the latest ready revision. Undefined
 * without a traffic block (RawDeployment mode).
 */
export function latestRevisionTraffic(
  reading: InferenceServiceReading,
): number | undefined {
  const { traffic, latestReadyRevision } = reading.predictor;
  if (reading.rawDeployment || traffic.length === 0) return undefined;
  const flagged = traffic.some(t => t.latestRevision !== undefined);
  const latest = traffic.filter(t =>
    flagged
      ? t.latestRevision === true
      : t.revisionName !== undefined && t.revisionName === latestReadyRevision,
  );
  return Math.min(
    100,
    latest.reduce((sum, t) => sum + t.percent, 0),
  );
}
