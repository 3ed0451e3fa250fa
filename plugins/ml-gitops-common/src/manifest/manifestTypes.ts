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

// The TypeScript types of `deploy/model.yaml` (written out for documentation) and its documented defaults and limits.

/**
 * A metric threshold of the performance gate.
 *
 * @public
 */
export type MetricGate = {
  /** The metric must be at least this (inclusive). */
  min?: number;
  /** The metric must be at most this (inclusive). */
  max?: number;
};

/**
 * One integration check: a shell command run from the repository root.
 *
 * @public
 */
export type IntegrationCheck = {
  /** A display name; defaults to the command. */
  name?: string;
  /** The command, run with `sh -c`. */
  run: string;
  /** Timeout of this command in seconds; defaults to `checks.timeout_seconds`. */
  timeout_seconds?: number;
};

/**
 * The model serving settings rendered by the config repo's chart.
 *
 * @public
 */
export type ServingSpec = {
  /** The serving runtime, e.g. `kserve`, `seldon`, `bentoml`. */
  runtime: string;
  /** Number of serving replicas (0 scales to zero). */
  replicas: number;
  /** Kubernetes resource requests and limits of one replica. */
  resources?: {
    requests?: ServingResources;
    limits?: ServingResources;
  };
};

/**
 * Kubernetes resource quantities of one serving replica.
 *
 * @public
 */
export type ServingResources = {
  /** CPU quantity, e.g. `500m` or `2`. */
  cpu?: string;
  /** Memory quantity, e.g. `2Gi`. */
  memory?: string;
  /** Number of GPUs. */
  gpu?: number;
};

/**
 * A freeze of one environment (`freeze:` in its branch's manifest): while it
 * is active, the pull request check refuses every change of `model_version`
 * except a rollback.
 *
 * @public
 */
export type ManifestFreeze = {
  /** Why the environment is frozen: one line, at most 500 characters. */
  reason: string;
  /**
   * When the freeze ends by itself: an ISO 8601 date-time with `Z` or an
   * offset, e.g. `2026-12-24T00:00:00Z`. Without it the freeze lasts until a
   * pull request removes it.
   */
  until?: string;
};

/**
 * The longest `freeze.reason`, in characters.
 *
 * @public
 */
export const MAX_FREEZE_REASON_LENGTH = 500;

/**
 * The parsed content of `deploy/model.yaml`.
 *
 * @public
 */
export type ModelManifest = {
  /** The model's name in the registry. */
  model_name: string;
  /** The registry's version id, always a string (quote it in YAML). */
  model_version: string;
  /** The name of the configured registry that holds the model. */
  registry?: string;
  /**
   * Where the serving runtime loads this version from: the registry's
   * artifact location of `model_version`, as a URI KServe's storage
   * initializer reads (`s3://`, `gs://`, `https://`, `pvc://`, `hdfs://`,
   * `webhdfs://`). Written together with `model_version` by the deploy,
   * promote and rollback actions; `ml-gitops validate` checks it against
   * the registry. An addition to the design contract.
   */
  storage_uri?: string;
  serving: ServingSpec;
  gates?: {
    /** Metric name → threshold, checked against the registry run's metrics. */
    metrics: Record<string, MetricGate>;
  };
  checks?: {
    /** Default timeout of each integration check in seconds (default 300). */
    timeout_seconds?: number;
    /** Commands run by `ml-gitops validate`, in order. */
    integration?: Array<string | IntegrationCheck>;
  };
  /** Freezes this environment; see {@link ManifestFreeze}. */
  freeze?: ManifestFreeze;
};

/**
 * Default timeout of one integration check, in seconds.
 *
 * @public
 */
export const DEFAULT_INTEGRATION_TIMEOUT_SECONDS = 300;
