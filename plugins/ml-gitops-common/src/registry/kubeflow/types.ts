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
 * Kubeflow Model Registry REST API v1alpha3 shapes, normalised. The server's
 * shapes are in kubeflow/model-registry `api/openapi/model-registry.yaml`
 * (components.schemas RegisteredModel, ModelVersion, ModelArtifact,
 * MetadataValue).
 */

/**
 * The state of a registered model or a model version (`ModelVersionState`,
 * `RegisteredModelState`: `LIVE` or `ARCHIVED`).
 *
 * @public
 */
export type KubeflowState = 'LIVE' | 'ARCHIVED' | (string & {});

/**
 * A custom property's value as the server sends it (`MetadataValue`, a
 * oneOf discriminated by `metadataType`; `int_value` is an int32 sent as a
 * string).
 *
 * @public
 */
export type KubeflowApiMetadataValue = {
  metadataType: string;
  double_value?: number;
  int_value?: string | number;
  string_value?: string;
  bool_value?: boolean;
  [key: string]: unknown;
};

/**
 * Custom properties, split by kind: numbers (`MetadataDoubleValue`,
 * `MetadataIntValue`) and text (`MetadataStringValue`, and
 * `MetadataBoolValue` as `true`/`false`). Struct and proto values are left
 * out: they are base64 bytes, neither a metric nor a tag.
 *
 * @public
 */
export type KubeflowProperties = {
  metrics: Record<string, number>;
  tags: Record<string, string>;
};

/**
 * A registered model, normalised.
 *
 * @public
 */
export type KubeflowRegisteredModel = {
  id: string;
  name: string;
  state: KubeflowState;
  owner?: string;
  /** ISO 8601. */
  createdAt?: string;
  properties: KubeflowProperties;
};

/**
 * A model version, normalised.
 *
 * @public
 */
export type KubeflowModelVersion = {
  id: string;
  name: string;
  registeredModelId: string;
  /** `LIVE` unless the server says otherwise (the schema's default). */
  state: KubeflowState;
  author?: string;
  /** ISO 8601, from `createTimeSinceEpoch`. */
  createdAt?: string;
  /** ISO 8601, from `lastUpdateTimeSinceEpoch`. */
  updatedAt?: string;
  properties: KubeflowProperties;
};

/**
 * A model artifact of a version, normalised.
 *
 * @public
 */
export type KubeflowModelArtifact = {
  id: string;
  name?: string;
  /** Where the model's files are, e.g. `s3://models/fraud/3`; may be absent. */
  uri?: string;
  /** The artifact's `ArtifactState` (`LIVE`, `PENDING`, …) when sent. */
  state?: string;
  modelFormatName?: string;
  modelFormatVersion?: string;
  properties: KubeflowProperties;
};
