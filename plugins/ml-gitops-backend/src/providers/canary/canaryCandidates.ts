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

// One canary per AnalysisRun or InferenceService, and which of two canaries speaks for an environment.

import {
  CanaryAnalysis,
  CanaryMetric,
  CanaryPhase,
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
  LABEL_MODEL_VERSION,
  worseCanaryPhase,
} from '@ml-gitops/plugin-ml-gitops-common';
import { KubeObject } from '../kubernetes/KubernetesClusters';
import {
  failingPredictorCondition,
  readInferenceService,
  showsCanary,
} from '../kubernetes/inferenceServiceReading';
import { array, record, text, timestamp } from '../kubernetes/json';

/** The Rollout revision a run belongs to (set by the Rollout controller). */
const ROLLOUT_REVISION_ANNOTATION = 'rollout.argoproj.io/revision';

/** Argo Rollouts' AnalysisPhase in this plugin's words. */
export function analysisPhase(phase: unknown): {
  phase: CanaryPhase;
  sourcePhase?: string;
} {
  switch (phase) {
    case undefined:
    case null:
    case '':
      // A run the controller has not picked up yet has no phase.
      return { phase: 'pending' };
    case 'Pending':
      return { phase: 'pending', sourcePhase: phase };
    case 'Running':
      return { phase: 'running', sourcePhase: phase };
    case 'Successful':
      return { phase: 'successful', sourcePhase: phase };
    case 'Failed':
    case 'Error':
      return { phase: 'failed', sourcePhase: phase };
    case 'Inconclusive':
      return { phase: 'inconclusive', sourcePhase: phase };
    default:
      // A phase this plugin does not know says nothing either way.
      return { phase: 'inconclusive', sourcePhase: String(phase) };
  }
}

/** The model and environment an object is labelled with. */
function identity(item: KubeObject) {
  const metadata = record(item?.metadata);
  const labels = record(metadata.labels);
  const model = text(labels[LABEL_MODEL]);
  const environment = text(labels[LABEL_ENVIRONMENT]);
  const name = text(metadata.name);
  if (!model || !environment || !name) return undefined;
  return {
    model,
    environment,
    name,
    namespace: text(metadata.namespace) ?? 'default',
    version: text(labels[LABEL_MODEL_VERSION]),
    annotations: record(metadata.annotations),
    createdAt: Date.parse(String(metadata.creationTimestamp ?? '')),
  };
}

/** A mapped canary with what is needed to choose among several. */
export type Candidate = {
  model: string;
  environment: string;
  canary: CanaryAnalysis;
  /** Rollout revision, for AnalysisRuns. */
  revision?: number;
  createdAt: number;
};

/** Maps one AnalysisRun; undefined when it lacks the model or environment label. */
export function analysisRunCanary(
  item: KubeObject,
  cluster: string,
  observedAt: string,
): Candidate | undefined {
  const id = identity(item);
  if (!id) return undefined;
  const status = record(item.status);
  const { phase, sourcePhase } = analysisPhase(status.phase);
  const metrics: CanaryMetric[] = [];
  let lastMeasurement: string | undefined;
  for (const entry of array(status.metricResults)) {
    const result = record(entry);
    const name = text(result.name);
    if (!name) continue;
    const measurements = array(result.measurements).map(record);
    const latest = measurements[measurements.length - 1];
    for (const m of measurements) {
      const finished = timestamp(m.finishedAt);
      if (finished && (!lastMeasurement || finished > lastMeasurement)) {
        lastMeasurement = finished;
      }
    }
    const value = latest ? text(latest.value) : undefined;
    const message = text(result.message) ?? (latest && text(latest.message));
    metrics.push({
      name,
      phase: analysisPhase(result.phase).phase,
      ...(value !== undefined ? { value } : {}),
      ...(message ? { message } : {}),
    });
  }
  const done = phase !== 'pending' && phase !== 'running';
  // `completedAt` exists since Argo Rollouts 1.7; before, the last
  // measurement's end is when a completed run ended.
  const finishedAt =
    timestamp(status.completedAt) ?? (done ? lastMeasurement : undefined);
  const startedAt = timestamp(status.startedAt);
  const message =
    text(status.message) ??
    (phase === 'failed' || phase === 'inconclusive'
      ? metrics.find(m => m.phase === phase)?.message
      : undefined);
  const revision = Number(id.annotations[ROLLOUT_REVISION_ANNOTATION]);
  return {
    model: id.model,
    environment: id.environment,
    revision: Number.isInteger(revision) ? revision : undefined,
    createdAt: id.createdAt,
    canary: {
      kind: 'argo-rollouts',
      name: id.name,
      namespace: id.namespace,
      cluster,
      phase,
      ...(sourcePhase ? { sourcePhase } : {}),
      ...(id.version ? { version: id.version } : {}),
      ...(message ? { message } : {}),
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
      ...(metrics.length > 0 ? { metrics } : {}),
      observedAt,
    },
  };
}

/**
 * Maps the canary state of one InferenceService; undefined when it has no
 * canary (no `canaryTrafficPercent` and no traffic split, or RawDeployment
 * mode, where KServe ignores `canaryTrafficPercent`).
 */
export function inferenceServiceCanary(
  item: KubeObject,
  cluster: string,
  observedAt: string,
): Candidate | undefined {
  if (!showsCanary(item)) return undefined;
  const id = identity(item);
  if (!id) return undefined;
  const reading = readInferenceService(item);
  const { canaryTrafficPercent } = reading;
  const traffic = reading.predictor.traffic;
  const notReady = failingPredictorCondition(reading);
  const latestReady = reading.predictor.latestReadyRevision;
  const latestCreated = reading.predictor.latestCreatedRevision;
  const rolledOut = reading.predictor.latestRolledoutRevision;

  let phase: CanaryPhase;
  let sourcePhase: string | undefined;
  let trafficPercent: number | undefined;
  let revision: string | undefined;
  let message: string | undefined;

  if (latestCreated && latestCreated !== latestReady) {
    // The new revision is not ready: it gets no traffic yet, or never will.
    revision = latestCreated;
    if (notReady) {
      phase = 'failed';
      sourcePhase = notReady.reason ?? `${notReady.type}=False`;
      message =
        notReady.message ?? `Revision ${latestCreated} did not become ready`;
    } else {
      phase = 'pending';
    }
  } else {
    revision = latestReady;
    const latest = traffic.find(t => t.latestRevision === true);
    trafficPercent = latest ? latest.percent : canaryTrafficPercent;
    const previous = traffic.find(
      t => t.latestRevision === false && t.percent > 0,
    );
    if (trafficPercent === 0) {
      phase = 'failed';
      sourcePhase = 'RolledBack';
      message = `canaryTrafficPercent is 0: the traffic went back to ${
        previous?.revisionName ?? rolledOut ?? 'the previous revision'
      }`;
    } else if (
      trafficPercent === undefined ||
      trafficPercent < 100 ||
      (latestReady !== undefined && latestReady !== rolledOut)
    ) {
      phase = 'running';
    } else {
      phase = 'successful';
    }
  }
  return {
    model: id.model,
    environment: id.environment,
    createdAt: id.createdAt,
    canary: {
      kind: 'kserve',
      name: id.name,
      namespace: id.namespace,
      cluster,
      phase,
      ...(sourcePhase ? { sourcePhase } : {}),
      ...(trafficPercent !== undefined ? { trafficPercent } : {}),
      ...(id.version ? { version: id.version } : {}),
      ...(revision ? { revision } : {}),
      ...(message ? { message } : {}),
      observedAt,
    },
  };
}

/** Whether `a` is the worse of two different phases. */
function worse(a: Candidate, b: Candidate): boolean {
  return (
    a.canary.phase !== b.canary.phase &&
    worseCanaryPhase(a.canary.phase, b.canary.phase) === a.canary.phase
  );
}

/** Whether candidate `a` should be shown rather than `b`. */
export function prefer(a: Candidate, b: Candidate): boolean {
  if (a.canary.kind === 'argo-rollouts' && b.canary.kind === 'argo-rollouts') {
    // The runs of the newest Rollout revision (else the newest run); of
    // runs side by side (a step and a background analysis) the worst.
    if (a.revision !== undefined && b.revision !== undefined) {
      if (a.revision !== b.revision) return a.revision > b.revision;
    } else if (
      !Number.isNaN(a.createdAt) &&
      !Number.isNaN(b.createdAt) &&
      a.createdAt !== b.createdAt
    ) {
      return a.createdAt > b.createdAt;
    }
    return worse(a, b);
  }
  // An AnalysisRun and an InferenceService canary: the worse one, else the run.
  if (a.canary.phase !== b.canary.phase) return worse(a, b);
  return a.canary.kind === 'argo-rollouts';
}
