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
 * The KServe predictor of one deployment as the KServe controller sees it:
 * which revision (one per model version the operator applied) rolls out,
 * serves or fails, and since when. objects.ts renders the InferenceService,
 * Deployment, ReplicaSets and Pods from it; canary.ts the Serverless traffic.
 *
 * What KServe reports in each state is read from kserve/kserve
 * pkg/apis/serving/v1beta1/inference_service_status.go:
 * - `UpdateModelRevisionStates` writes the new state into
 *   `targetModelState` and sets `activeModelState` only to Loaded, never
 *   back: during a rollout or after a failure, activeModelState still says
 *   Loaded when a copy was loaded once ("" when none ever was);
 *   Pending/Loading → transitionStatus InProgress, Loaded → UpToDate,
 *   FailedToLoad → BlockedByFailedLoad.
 * - `PropagateModelStatus` reports Loading while the storage-initializer
 *   runs, FailedToLoad with lastFailureInfo (reason ModelLoadFailed, the
 *   container's last termination message and exit code) when the
 *   kserve-container is in CrashLoopBackOff, and `copies.totalCopies` = the
 *   ready pods.
 * - `SetModelFailureInfo` replaces lastFailureInfo and never clears it: it
 *   stays after a recovery.
 * - `PropagateRawStatus` (RawDeployment) derives PredictorReady from the
 *   predictor Deployment's conditions: Progressing True with another reason
 *   than NewReplicaSetAvailable → Unknown; Progressing False (e.g.
 *   ProgressDeadlineExceeded) or Available False → False with the
 *   Deployment's reason and message. Ready is Knative's living condition set
 *   over PredictorReady and IngressReady, so it follows PredictorReady with
 *   the same reason and message.
 * The FailureInfo fields (location, reason, message, modelRevisionName,
 * time, exitCode) and the FailureReason enum are the `FailureInfo` type of
 * the same file.
 */

/** FailureInfo reasons a crashing predictor container stands for. */
export const PREDICTOR_FAILURE_REASONS = [
  'ModelLoadFailed',
  'RuntimeUnhealthy',
] as const;
export type PredictorFailureReason = (typeof PREDICTOR_FAILURE_REASONS)[number];

export type PredictorFailure = {
  reason: PredictorFailureReason;
  message: string;
  /** the kserve-container's exit code (lastState.terminated.exitCode) */
  exitCode: number;
};

export type PredictorPhase = 'rolling-out' | 'ready' | 'failed';

export type PredictorState = {
  /** 1 for the first version applied, one more per rollout */
  revision: number;
  version: string;
  phase: PredictorPhase;
  /** when this revision's rollout started (epoch ms) */
  startedAt: number;
  /** when the rollout ends: the revision is ready, or its deadline passes */
  endsAt: number;
  /** when `phase` was entered (epoch ms): a condition's lastTransitionTime */
  since: number;
  /** when this revision became ready, if it ever did */
  readyAt?: number;
  /** the revision's predictor container crashes since `at` */
  failure?: PredictorFailure & { at: number };
  /** the revision whose pods keep serving while this one rolls out or failed to */
  previous?: { revision: number; version: string; startedAt: number };
  /** a copy was Loaded once (activeModelState never leaves Loaded) */
  everLoaded: boolean;
  /** the container's restarts when it recovered (the kubelet keeps counting) */
  restartCount?: number;
  /** status.modelStatus.lastFailureInfo, kept after a recovery */
  lastFailure?: PredictorFailure & {
    at: number;
    revision: number;
    version: string;
  };
};

/** Failures waiting for the next rollout of a version ('*': of any version). */
export type PendingFailures = Map<string, PredictorFailure>;

/** A predictor revision's name, as Knative names revisions (Serverless). */
export function predictorRevisionName(model: string, revision: number) {
  return `${model}-predictor-${String(revision).padStart(5, '0')}`;
}

/** A predictor serving `version` since `readyAt` (the seed). */
export function readyPredictor(
  version: string,
  revision: number,
  startedAt: number,
  readyAt: number,
): PredictorState {
  return {
    revision,
    version,
    phase: 'ready',
    startedAt,
    endsAt: readyAt,
    since: readyAt,
    readyAt,
    everLoaded: true,
  };
}

/**
 * The operator applied a new model version: the Deployment gets a new pod
 * template, so a new ReplicaSet (revision) rolls out over `durationMs`. The
 * pods of the last ready revision keep serving until then. A failure
 * waiting for this version (or any) makes the new pods crash from the start.
 */
export function startRollout(
  current: PredictorState | undefined,
  version: string,
  now: number,
  durationMs: number,
  pending: PendingFailures,
): PredictorState {
  let previous: PredictorState['previous'];
  if (current?.phase === 'ready') {
    previous = {
      revision: current.revision,
      version: current.version,
      startedAt: current.startedAt,
    };
  } else {
    previous = current?.previous;
  }
  const waiting = pending.get(version) ?? pending.get('*');
  if (pending.has(version)) pending.delete(version);
  else pending.delete('*');
  const next: PredictorState = {
    revision: (current?.revision ?? 0) + 1,
    version,
    phase: 'rolling-out',
    startedAt: now,
    // Going back to the version whose pods still serve scales its
    // ReplicaSet up again: those pods are ready already.
    endsAt: previous?.version === version && !waiting ? now : now + durationMs,
    since: now,
    ...(waiting ? { failure: { ...waiting, at: now } } : {}),
    previous,
    everLoaded: current?.everLoaded ?? false,
    ...(current?.lastFailure ? { lastFailure: current.lastFailure } : {}),
  };
  settlePredictor(next, now);
  return next;
}

/**
 * Ends a rollout whose time has come, at the time it was due (so the
 * conditions' lastTransitionTime is when it happened, whenever this runs).
 * Returns whether anything changed.
 */
export function settlePredictor(p: PredictorState, now: number): boolean {
  if (p.phase !== 'rolling-out' || now < p.endsAt) return false;
  if (p.failure) {
    // The new pods never became ready: the Deployment's progress deadline
    // passes; the previous revision's pods keep serving.
    p.phase = 'failed';
    p.since = p.endsAt;
    recordFailure(p, p.endsAt);
  } else {
    p.phase = 'ready';
    p.since = p.endsAt;
    p.readyAt = p.endsAt;
    p.everLoaded = true;
    p.previous = undefined;
  }
  return true;
}

function recordFailure(p: PredictorState, at: number) {
  p.lastFailure = {
    reason: p.failure!.reason,
    message: p.failure!.message,
    exitCode: p.failure!.exitCode,
    at,
    revision: p.revision,
    version: p.version,
  };
}

/**
 * The running predictor's container starts crashing (or a rolling-out one
 * will not become ready). A ready predictor fails at once: nothing else
 * serves, its pods go into CrashLoopBackOff.
 */
export function failPredictor(
  p: PredictorState,
  failure: PredictorFailure,
  now: number,
) {
  settlePredictor(p, now);
  p.failure = { ...failure, at: p.failure?.at ?? now };
  if (p.phase === 'ready') {
    p.phase = 'failed';
    p.since = now;
    p.previous = undefined;
  }
  if (p.phase === 'failed') recordFailure(p, now);
}

/** The predictor's container runs again: a failed revision becomes ready now. */
export function recoverPredictor(p: PredictorState, now: number) {
  settlePredictor(p, now);
  if (p.failure && p.phase === 'failed') {
    p.restartCount = crashLoopRestarts(p.failure.at, now);
  }
  p.failure = undefined;
  if (p.phase === 'failed') {
    p.phase = 'ready';
    p.since = now;
    p.readyAt = now;
    p.everLoaded = true;
    p.previous = undefined;
  }
}

/**
 * How often the kubelet restarted a container that crashes since
 * `sinceMs`: the CrashLoopBackOff delay starts at 10 s and doubles up to
 * 5 minutes (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle,
 * "Container restarts").
 */
export function crashLoopRestarts(sinceMs: number, now: number): number {
  let restarts = 0;
  let at = sinceMs;
  let delay = 10_000;
  while (at <= now && restarts < 1000) {
    restarts++;
    at += delay;
    delay = Math.min(delay * 2, 300_000);
  }
  return restarts;
}

/** When the kubelet last (re)started a crash-looping container. */
export function lastCrashAt(sinceMs: number, now: number): number {
  let at = sinceMs;
  let delay = 10_000;
  while (at + delay <= now) {
    at += delay;
    delay = Math.min(delay * 2, 300_000);
  }
  return at;
}
