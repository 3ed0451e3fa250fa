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
 * MLflow REST API 2.0 shapes (as the server sends them) and the normalised
 * shapes the client returns.
 */

/**
 * A model version as MLflow's REST API sends it
 * (`GET /api/2.0/mlflow/model-versions/get`).
 *
 * @public
 */
export type MlflowApiModelVersion = {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  status_message?: string;
  tags?: Array<{ key: string; value?: string }>;
  run_link?: string;
  aliases?: string[];
};

/**
 * A registered model as MLflow's REST API sends it
 * (`GET /api/2.0/mlflow/registered-models/get`).
 *
 * @public
 */
export type MlflowApiRegisteredModel = {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: MlflowApiModelVersion[];
  tags?: Array<{ key: string; value?: string }>;
  aliases?: Array<{ alias: string; version: string }>;
};

/**
 * A run as MLflow's REST API sends it (`GET /api/2.0/mlflow/runs/get`).
 *
 * @public
 */
export type MlflowApiRun = {
  info: {
    run_id: string;
    /** The deprecated twin of run_id, still sent (RunInfo in service.proto). */
    run_uuid?: string;
    run_name?: string;
    experiment_id?: string;
    status?: string;
    start_time?: number;
    end_time?: number;
    lifecycle_stage?: string;
    artifact_uri?: string;
  };
  data?: {
    metrics?: Array<{
      key: string;
      value: number | string;
      timestamp?: number;
      step?: number;
    }>;
    params?: Array<{ key: string; value: string }>;
    tags?: Array<{ key: string; value: string }>;
  };
};

/**
 * The registration status of a model version.
 *
 * @public
 */
export type MlflowModelVersionStatus =
  | 'READY'
  | 'PENDING_REGISTRATION'
  | 'FAILED_REGISTRATION'
  | (string & {});

/**
 * A model version, normalised.
 *
 * @public
 */
export type MlflowModelVersion = {
  name: string;
  version: string;
  status: MlflowModelVersionStatus;
  statusMessage?: string;
  /** The legacy stage: `None`, `Staging`, `Production` or `Archived`. */
  stage?: string;
  runId?: string;
  source?: string;
  description?: string;
  /** ISO 8601. */
  createdAt?: string;
  /** ISO 8601. */
  updatedAt?: string;
  aliases: string[];
  tags: Record<string, string>;
};

/**
 * A registered model, normalised.
 *
 * @public
 */
export type MlflowRegisteredModel = {
  name: string;
  description?: string;
  /** ISO 8601. */
  createdAt?: string;
  /** ISO 8601. */
  updatedAt?: string;
  /** Alias → version. */
  aliases: Record<string, string>;
  tags: Record<string, string>;
  latestVersions: MlflowModelVersion[];
};

/**
 * A run, normalised: metrics hold the latest value of each key.
 *
 * @public
 */
export type MlflowRun = {
  runId: string;
  runName?: string;
  experimentId?: string;
  status?: string;
  lifecycleStage?: string;
  /** Where the run's artifacts are (RunInfo.artifact_uri), e.g. `s3://bucket/1/<run id>/artifacts`. */
  artifactUri?: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
};
