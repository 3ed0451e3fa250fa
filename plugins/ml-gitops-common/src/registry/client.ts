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

// One interface for what the scaffolder actions, the rollback core and the CLI ask of a model registry, whatever its type.

import type {
  ModelFormatResolution,
  ServingArtifact,
} from './mlflow/artifacts';
import type { VersionRejection } from './mlflow/deployable';

/**
 * Why a version must not be deployed, as a registry says it.
 *
 * @public
 */
export type RegistryVersionBlocker = {
  /**
   * `not-registered`: the registry has not finished registering it or
   * failed to (MLflow PENDING_REGISTRATION, FAILED_REGISTRATION);
   * `pending`: MLflow is still registering it (a kind of not-registered);
   * `no-artifact`: there are no model files to load (Kubeflow: no model
   * artifact with a uri); `archived`: archived in the registry; `rejected`:
   * carries the rejection markers.
   */
  kind: 'not-registered' | 'pending' | 'no-artifact' | 'archived' | 'rejected';
  message: string;
  /**
   * False when `force` must not override it: there are no model files to
   * serve, or the version is rejected (un-rejecting it is a right of its
   * own).
   */
  forceable: boolean;
  /** What to do, when the registry knows better than a generic hint. */
  fix?: string;
};

/**
 * What a registry says about one existing version of a model.
 *
 * @public
 */
export type RegistryVersion = {
  model: string;
  version: string;
  /**
   * The registry's own word for the version's state: MLflow's status
   * (`READY`, `PENDING_REGISTRATION`, …), Kubeflow's state (`LIVE`,
   * `ARCHIVED`).
   */
  status: string;
  /**
   * Whether it has model files a server could load and is not archived:
   * MLflow READY; Kubeflow LIVE with a model artifact that has a uri.
   */
  ready: boolean;
  /** MLflow's legacy stage (`None`, `Staging`, `Production`, `Archived`). */
  stage?: string;
  /** The version's aliases; always empty where {@link RegistryVersion.supportsAliases} is false. */
  aliases: string[];
  /** False for a registry without aliases (Kubeflow): no alias can be asked for. */
  supportsAliases: boolean;
  /** Text tags: MLflow's version tags; Kubeflow's string and boolean custom properties. */
  tags: Record<string, string>;
  /** Set when the version carries the rejection markers. */
  rejection?: VersionRejection;
  /** Why it must not be deployed; empty when it may. */
  blockers: RegistryVersionBlocker[];
  /**
   * Metrics read with the version (Kubeflow: its numeric custom
   * properties); MLflow's come from the run, through
   * {@link ModelRegistryClient.getMetrics}.
   */
  metrics?: Record<string, number>;
  /** MLflow: the run that produced it. */
  runId?: string;
  /** Where its model files are as the registry records them (Kubeflow: the model artifact's uri). */
  storageUri?: string;
  /** Kubeflow: the model artifact's modelFormatName and modelFormatVersion. */
  modelFormat?: { name?: string; version?: string };
  /** Who registered it (Kubeflow: the version's author). */
  author?: string;
  /** ISO 8601. */
  createdAt?: string;
};

/**
 * The metrics a version's gate is checked against, or why there are none.
 *
 * @public
 */
export type RegistryVersionMetrics =
  | {
      ok: true;
      metrics: Record<string, number>;
      /** Where they come from: a run (MLflow) or the version's numeric custom properties (Kubeflow). */
      source: { kind: 'run'; runId: string } | { kind: 'custom-properties' };
    }
  | {
      ok: false;
      /** A short summary, e.g. `run 123 not found`. */
      summary: string;
      problem: string;
      fix: string;
    };

/**
 * Who rejects a version, why and when.
 *
 * @public
 */
export type RegistryRejectionInput = {
  /** Why the version must not be deployed again. */
  reason: string;
  /** Who rejected it, e.g. `user:default/alice`. */
  by: string;
  /** When, ISO 8601; defaults to now. */
  at?: string;
};

/**
 * A model registry as the scaffolder actions, the rollback core and the
 * `ml-gitops validate` CLI use it: one version's facts, the metrics its
 * gate reads, where its files are, and the rejection markers. MLflow and the
 * Kubeflow Model Registry implement it ({@link createRegistryClient}); a
 * backend module may bring another.
 *
 * Lookups of things that do not exist resolve to `undefined`; failures to
 * ask throw errors from `@backstage/errors` naming the server and what to fix.
 *
 * @public
 */
export interface ModelRegistryClient {
  /** The registry's type, e.g. `mlflow` or `kubeflow`. */
  readonly type: string;
  /** The registry's base URL, without credentials. */
  readonly url: string;
  /** One version's facts; undefined when the model or version does not exist. */
  getVersion(
    model: string,
    version: string,
  ): Promise<RegistryVersion | undefined>;
  /** The metrics the gate of a version from {@link ModelRegistryClient.getVersion} is checked against. */
  getMetrics(version: RegistryVersion): Promise<RegistryVersionMetrics>;
  /**
   * The version ids of a model, for hints when a version does not exist;
   * undefined when no model of that name is registered. Optional: a
   * registry that cannot list cheaply leaves it out.
   */
  listVersions?(model: string): Promise<string[] | undefined>;
  /** Where KServe loads the version from; undefined when it does not exist. */
  resolveServingArtifact(
    model: string,
    version: string,
  ): Promise<ServingArtifact | undefined>;
  /** The KServe modelFormat of the version; never throws. */
  resolveModelFormat(
    model: string,
    version: string,
  ): Promise<ModelFormatResolution>;
  /**
   * Marks the version rejected (`REJECTION_TAGS`): the reason, who and when
   * first, then `validation_status=rejected`. Throws an `InputError` for an
   * empty reason or who, or a time that is not ISO 8601.
   */
  rejectVersion(
    model: string,
    version: string,
    rejection: RegistryRejectionInput,
  ): Promise<void>;
  /** Clears the rejection markers; a version that is not rejected is no error. */
  unrejectVersion(model: string, version: string): Promise<void>;
}

/**
 * What a {@link ModelRegistryClient} built over a registry's own HTTP
 * client shares: that client, for what only its registry offers, and the
 * registry's URL.
 *
 * @public
 */
export abstract class RegistryClientOver<C extends { url: string }> {
  protected constructor(
    /** The registry's own client underneath. */
    readonly client: C,
  ) {}

  get url(): string {
    return this.client.url;
  }
}
