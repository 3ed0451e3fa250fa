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

import type { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';
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

/**
 * Whether KServe runs an InferenceService as a plain Deployment: the
 * controller's `status.deploymentMode` (newer KServe releases), else the
 * `serving.kserve.io/deploymentMode` annotation. `RawDeployment` and its
 * KServe 0.16 name `Standard` (kserve/kserve pkg/constants/constants.go).
 */
function isRawDeployment(item: KubeObject): boolean {
  const mode =
    text(record(item.status).deploymentMode) ??
    text(
      record(record(item.metadata).annotations)[
        'serving.kserve.io/deploymentMode'
      ],
    );
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

/** Reads the fields of an InferenceService the plugin uses. */
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
    conditions.push({
      type,
      status: s as KserveCondition['status'],
      ...(text(c.reason) ? { reason: text(c.reason) } : {}),
      ...(text(c.message) ? { message: text(c.message) } : {}),
      ...(timestamp(c.lastTransitionTime)
        ? { lastTransitionTime: timestamp(c.lastTransitionTime) }
        : {}),
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

const FAILED_TRANSITIONS = new Set(['BlockedByFailedLoad', 'InvalidSpec']);

/**
 * Whether the version of an InferenceService serves: Ready, the model
 * loaded and the declared version's revision taking all traffic (or its
 * canary share while a canary runs). See {@link ServingStatus}.
 *
 * - Model loaded (`basis: 'model-status'`): KServe sets
 *   `activeModelState: Loaded` once the object is Ready with its latest
 *   revision ready (Serverless) or Ready (RawDeployment), and
 *   `targetModelState` to each later state (Pending while scaled to zero,
 *   Loading, FailedToLoad with `lastFailureInfo` from the storage
 *   initializer's or the model container's error or CrashLoopBackOff), with
 *   `transitionStatus` InProgress / UpToDate / BlockedByFailedLoad
 *   (`PropagateModelStatus` and `UpdateModelRevisionStates` in
 *   inference_service_status.go). So the model counts as loaded when the
 *   active state is Loaded and no failure is pending; in RawDeployment mode
 *   (no revisions to compare) the transition must also be UpToDate.
 * - Without `modelStatus` (older KServe), the Ready condition alone decides
 *   (`basis: 'ready-condition'`).
 * - Traffic: in Serverless mode the latest revision must be the latest ready
 *   one and hold 100%, or at least `canaryTrafficPercent` while a canary
 *   runs (0 means the traffic went back to the previous revision). No
 *   traffic block (RawDeployment): Ready and loaded decide.
 * - `lastFailureInfo` stays after a recovery (KServe never clears it), so it
 *   is quoted only while the model is failing.
 */
export function servingStatus(
  item: KubeObject,
  cluster: string,
  reading: InferenceServiceReading = readInferenceService(item),
): ServingStatus {
  const metadata = record(item.metadata);
  const base = {
    cluster,
    namespace: text(metadata.namespace) ?? 'default',
    name: text(metadata.name) ?? '',
    basis: reading.modelStatus
      ? ('model-status' as const)
      : ('ready-condition' as const),
  };
  const ready = reading.conditions.find(c => c.type === 'Ready');
  const { latestCreatedRevision, latestReadyRevision } = reading.predictor;
  const latestReady =
    reading.rawDeployment ||
    !latestCreatedRevision ||
    latestCreatedRevision === latestReadyRevision;
  const failing = failingPredictorCondition(reading);
  const conditionFailure = (c: KserveCondition) => ({
    reason: c.reason ?? `${c.type}=False`,
    ...(c.message ? { message: c.message } : {}),
  });

  if (
    !reading.hasStatus ||
    (reading.conditions.length === 0 && !reading.modelStatus)
  ) {
    return { ...base, state: 'unknown' };
  }

  const model = reading.modelStatus;
  const modelFailed =
    !!model &&
    (FAILED_TRANSITIONS.has(model.transitionStatus ?? '') ||
      model.targetModelState === 'FailedToLoad' ||
      model.activeModelState === 'FailedToLoad');
  if (modelFailed) {
    const info = model!.lastFailureInfo;
    let failure: ServingStatus['failure'];
    if (info?.reason || info?.message) {
      const exit =
        info.exitCode !== undefined ? ` (exit code ${info.exitCode})` : '';
      failure = {
        reason: info.reason ?? model!.transitionStatus ?? 'FailedToLoad',
        ...(info.message || exit
          ? { message: `${info.message ?? ''}${exit}`.trim() }
          : {}),
      };
    } else if (failing) {
      failure = conditionFailure(failing);
    } else {
      failure = { reason: model!.transitionStatus ?? 'FailedToLoad' };
    }
    const since =
      info?.time ?? failing?.lastTransitionTime ?? ready?.lastTransitionTime;
    return {
      ...base,
      state: 'failed',
      ...(since ? { since } : {}),
      failure,
      ...(latestReadyRevision ? { readyRevision: latestReadyRevision } : {}),
    };
  }

  const loaded = model
    ? model.activeModelState === 'Loaded' &&
      (!reading.rawDeployment || model.transitionStatus === 'UpToDate')
    : true;
  const readyRevision = latestReadyRevision
    ? { readyRevision: latestReadyRevision }
    : {};

  if (ready?.status === 'True' && latestReady && loaded) {
    const share = latestRevisionTraffic(reading);
    const wanted = reading.rawDeployment
      ? 100
      : reading.canaryTrafficPercent ?? 100;
    const since = ready.lastTransitionTime;
    const common = {
      ...base,
      ...(since ? { since } : {}),
      ...readyRevision,
      ...(share !== undefined ? { trafficPercent: share } : {}),
    };
    if (share !== undefined && wanted === 0) {
      return {
        ...common,
        state: 'not-ready',
        failure: {
          reason: 'NoTraffic',
          message:
            'canaryTrafficPercent is 0: the traffic went back to the previous revision',
        },
      };
    }
    if (share !== undefined && share < wanted) {
      return {
        ...common,
        state: 'rolling-out',
        message: `its revision takes ${share}% of the traffic, ${wanted}% expected`,
      };
    }
    return {
      ...common,
      state: 'serving',
      ...(reading.storageUri ? { storageUri: reading.storageUri } : {}),
    };
  }

  // Not serving, and the model has not failed: a failing predictor without
  // model status, a Ready=False for another reason, or on its way.
  const notReady =
    ready?.status === 'False' && model?.transitionStatus !== 'InProgress';
  if (!model && failing) {
    return {
      ...base,
      state: 'failed',
      ...(failing.lastTransitionTime
        ? { since: failing.lastTransitionTime }
        : {}),
      failure: conditionFailure(failing),
      ...readyRevision,
    };
  }
  if (notReady) {
    const cause =
      failing ??
      reading.conditions.find(
        c => c.type !== 'Ready' && c.status === 'False',
      ) ??
      ready!;
    return {
      ...base,
      state: 'not-ready',
      ...(ready!.lastTransitionTime
        ? { since: ready!.lastTransitionTime }
        : {}),
      failure: conditionFailure(cause),
      ...readyRevision,
    };
  }
  const waiting: string[] = [];
  if (!latestReady) {
    waiting.push(`revision ${latestCreatedRevision} is not ready yet`);
  }
  const modelState =
    model?.targetModelState && model.targetModelState !== 'Loaded'
      ? model.targetModelState
      : model?.activeModelState;
  if (model && (modelState !== 'Loaded' || !loaded)) {
    waiting.push(`the model is ${modelState ?? 'Pending'}`);
  }
  if (ready?.status !== 'True') {
    const why = ready?.reason ?? ready?.message;
    waiting.push(
      `Ready is ${ready?.status ?? 'not reported'}${why ? ` (${why})` : ''}`,
    );
  }
  const since = ready?.lastTransitionTime;
  return {
    ...base,
    state: 'rolling-out',
    ...(since ? { since } : {}),
    message: waiting.join(', '),
    ...readyRevision,
  };
}
