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

// Whether the declared version of an InferenceService serves (its ServingStatus).

import type { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';
import type { KubeObject } from './KubernetesClusters';
import {
  failingPredictorCondition,
  InferenceServiceReading,
  KserveCondition,
  latestRevisionTraffic,
  readInferenceService,
} from './inferenceServiceReading';
import { record, text } from './json';

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
