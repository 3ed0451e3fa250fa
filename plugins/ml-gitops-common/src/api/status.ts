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

// The status of a model's environments (declared, live, serving, registry, canary, freeze): the `GET /v1/deployments` answer.

import type { DriftStatus } from './drift';
import type { PullRequestInfo } from './history';

/**
 * Which kind of operator applies a config repo to a cluster.
 *
 * @public
 */
export type DeploymentSourceKind = 'argocd' | 'flux';

/**
 * The outcome of a model's performance gate against the registry metrics.
 * `unknown` (an addition to the design contract) when the registry could not
 * be read: never counts as passed.
 *
 * @public
 */
export type GateOutcome = 'passed' | 'failed' | 'none' | 'unknown';

/**
 * What Git declares for an environment: the head of its branch.
 *
 * @public
 */
export type DeclaredState = {
  version: string;
  commit: string;
  author: string;
  committedAt: string;
  pullRequest?: PullRequestInfo;
};

/**
 * What the operator (Argo CD / Flux) reports as running.
 *
 * @public
 */
export type LiveState = {
  /** The live model version, or null when it cannot be determined. */
  version: string | null;
  /** The Git revision the operator reports as synced/applied. */
  revision: string;
  source: DeploymentSourceKind;
  /** The configured Argo CD instance or Flux cluster name. */
  instance: string;
  /** The Argo CD Application or Flux object name. */
  application: string;
  syncStatus: string;
  healthStatus: string;
  observedAt: string;
  /**
   * A link to the object in the operator's UI (Argo CD), when known. An
   * addition to the design contract.
   */
  url?: string;
  /**
   * Whether the version of the serving object really serves, read from its
   * status; absent when no serving object carries this model and
   * environment (no KServe on the cluster, no InferenceService, no cluster
   * configured): then the operator's sync and the version decide alone. An
   * addition to the design contract.
   */
  serving?: ServingStatus;
};

/**
 * Whether a serving object's version serves (see {@link ServingStatus}):
 *
 * - `serving`: the object is Ready, the model is loaded and the version
 *   takes all the traffic (or its canary share while a canary runs).
 * - `rolling-out`: on its way: a new revision or model that is not ready
 *   or loaded yet, or traffic not yet moved to it; nothing has failed.
 * - `failed`: the predictor fails: the model failed to load (KServe
 *   `FailedToLoad`, `BlockedByFailedLoad`, `InvalidSpec`), the predictor is
 *   not ready, or the operator reports the application Degraded.
 * - `not-ready`: the object is not Ready for another reason, or the version
 *   receives no traffic (a canary share of 0).
 * - `unknown`: the object reports no status yet.
 *
 * @public
 */
export type ServingState =
  | 'serving'
  | 'rolling-out'
  | 'failed'
  | 'not-ready'
  | 'unknown';

/**
 * The serving state of an environment's serving object (a KServe
 * InferenceService). An addition to the design contract.
 *
 * @public
 */
export type ServingStatus = {
  state: ServingState;
  /**
   * ISO 8601: since when the state holds, as the object says (the Ready
   * condition's or the failing condition's lastTransitionTime, or the time
   * of the model's last failure), when it says.
   */
  since?: string;
  /**
   * Why it does not serve, in the object's words: KServe's
   * `modelStatus.lastFailureInfo` (`reason`, `message`, exit code), else
   * the failing condition.
   */
  failure?: { reason: string; message?: string };
  /** What it waits for while `rolling-out` or `not-ready`, in words. */
  message?: string;
  /** The predictor's latest ready revision (Serverless mode). */
  readyRevision?: string;
  /**
   * The share of the traffic (0-100) the declared version's revision takes;
   * absent where there is no traffic split (RawDeployment mode).
   */
  trafficPercent?: number;
  /** The model's storage URI, once the revision that has it is ready. */
  storageUri?: string;
  /**
   * What decided: `model-status` (KServe's `status.modelStatus`) or
   * `ready-condition` (older KServe without model status: the Ready
   * condition alone, the model's load is not reported).
   */
  basis: 'model-status' | 'ready-condition';
  /** The object: cluster (from the kubernetes config), namespace, name. */
  cluster: string;
  namespace: string;
  name: string;
};

/**
 * What the model registry says about the declared version.
 *
 * @public
 */
export type RegistryState = {
  exists: boolean;
  /**
   * The registry's registration status of the version: MLflow's `READY`,
   * `PENDING_REGISTRATION` or `FAILED_REGISTRATION` (`ModelVersionStatus` in
   * mlflow/protos/model_registry.proto). A version that exists but is not
   * READY has `gate: 'failed'`. An addition to the design contract.
   */
  status?: string;
  aliases: string[];
  stage?: string;
  metrics: Record<string, number>;
  gate: GateOutcome;
  /**
   * The manifest's `gates.metrics`, so a UI can show each metric against its
   * threshold. An addition to the design contract.
   */
  thresholds?: Record<string, { min?: number; max?: number }>;
  /** A link to the version or run in the registry's UI. An addition. */
  runUrl?: string;
  /**
   * The declared version these facts are about. An addition to the design
   * contract.
   */
  version?: string;
  /**
   * Set when the registry marks the version rejected (MLflow: the tag
   * `validation_status=rejected`), with the reason, who and when from the
   * `ml-gitops.rejected_*` tags when they are set. A rejected version is
   * never deployed by a pull request that passes its check. An addition to
   * the design contract.
   */
  rejected?: {
    reason?: string;
    by?: string;
    at?: string;
  };
  /**
   * When the registry registered the declared version (MLflow's
   * `creation_timestamp`): where a deployment's lead time starts. An
   * addition to the design contract.
   */
  registeredAt?: string;
  /**
   * Why `gate` is `unknown`: which registry failed, since when and how. The
   * other fields then hold the last good values for this version (or are
   * empty). An addition to the design contract.
   */
  reason?: string;
};

/**
 * Where a canary analysis comes from: an Argo Rollouts `AnalysisRun` or the
 * canary traffic split of a KServe `InferenceService`.
 *
 * @public
 */
export type CanaryAnalysisKind = 'argo-rollouts' | 'kserve';

/**
 * The phase of a canary analysis, the same words for both kinds. Argo
 * Rollouts' `Error` phase counts as `failed` (its `sourcePhase` says `Error`).
 *
 * @public
 */
export type CanaryPhase =
  | 'pending'
  | 'running'
  | 'successful'
  | 'failed'
  | 'inconclusive';

/**
 * One metric of an Argo Rollouts analysis, with its latest measurement.
 *
 * @public
 */
export type CanaryMetric = {
  name: string;
  phase: CanaryPhase;
  /** The latest measured value, as Argo Rollouts reports it (a string). */
  value?: string;
  message?: string;
};

/**
 * The canary analysis of an environment, read from the cluster: the newest
 * `AnalysisRun` or the canary state of the `InferenceService` that carry the
 * model's and environment's labels. An addition to the design contract.
 *
 * @public
 */
export type CanaryAnalysis = {
  kind: CanaryAnalysisKind;
  /** The AnalysisRun or InferenceService name. */
  name: string;
  namespace: string;
  /** The cluster (from the kubernetes config) it was read from. */
  cluster: string;
  phase: CanaryPhase;
  /** The phase or reason as the source wrote it, e.g. `Error`, `RevisionFailed`. */
  sourcePhase?: string;
  /** Share of the traffic the canary receives (KServe), 0-100. */
  trafficPercent?: number;
  /** The `ml-gitops/model-version` label of the analysed object, when set. */
  version?: string;
  /** KServe: the revision under canary. */
  revision?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  metrics?: CanaryMetric[];
  /** When the backend read it; older when the cluster could not be read since. */
  observedAt: string;
};

/**
 * The freeze of an environment that holds now: `freeze:` in the manifest at
 * the head of its branch, without `until` or with `until` in the future.
 * While it holds, the pull request check refuses every change of
 * `model_version` but a rollback.
 *
 * @public
 */
export type EnvironmentFreeze = {
  reason: string;
  /** ISO 8601, as written in the manifest; absent: until a pull request removes it. */
  until?: string;
  /** The author of the commit that wrote this freeze. */
  setBy?: string;
  /** When that commit reached the branch (its pull request's merge time when known). */
  setAt?: string;
  /** That commit. */
  commit?: string;
};

/**
 * The status of one environment of one model.
 *
 * @public
 */
export type EnvironmentStatus = {
  name: string;
  declared: DeclaredState | null;
  live: LiveState | null;
  registry: RegistryState | null;
  drift: DriftStatus;
  /**
   * The canary analysis, when the backend reads clusters: null when none
   * runs or ran for this environment, absent when no cluster is configured.
   * An addition to the design contract.
   */
  canary?: CanaryAnalysis | null;
  /**
   * The freeze that holds now; absent when the environment is not frozen.
   * An addition to the design contract.
   */
  freeze?: EnvironmentFreeze;
};

/**
 * Response of `GET /v1/deployments?entityRef=…`.
 *
 * @public
 */
export type DeploymentsResponse = {
  entityRef: string;
  model: string;
  /** In promotion order. */
  environments: EnvironmentStatus[];
  /**
   * When the backend last polled this model (ISO 8601 UTC): the start of the
   * last poll cycle that polled it. Absent until a cycle polled it. Each
   * environment's `live.observedAt` says when its operator last answered.
   * An addition to the design contract.
   */
  observedAt?: string;
  /**
   * Data observed longer ago than this (`mlGitops.staleAfter`, by default
   * three poll periods) is stale: the UI says so instead of showing it as
   * current. An addition to the design contract.
   */
  staleAfterSeconds?: number;
};
