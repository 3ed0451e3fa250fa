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

import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { SourceSyncState } from '@ml-gitops/plugin-ml-gitops-common';

/**
 * The kinds of deployment source this project ships. `DeploymentSource.kind`
 * is an open string, so a backend module can add another operator.
 *
 * @public
 */
export const DEPLOYMENT_SOURCE_KINDS = {
  argocd: 'argocd',
  flux: 'flux',
} as const;

/**
 * What a GitOps operator reports for one model environment: an Argo CD
 * Application or a Flux Kustomization/HelmRelease labelled
 * `ml-gitops/model` and `ml-gitops/environment`.
 *
 * @public
 */
export type LiveObservation = {
  /** The `ml-gitops/model` label. */
  model: string;
  /** The `ml-gitops/environment` label. */
  environment: string;
  /** The kind of operator, e.g. `argocd` or `flux`. */
  source: 'argocd' | 'flux';
  /** The configured Argo CD instance or Flux cluster. */
  instance: string;
  /** The Application name, or `namespace/name` of the Flux object. */
  application: string;
  /** Argo CD sync status (Synced, OutOfSync, Unknown) or Flux readiness (Ready, NotReady, Reconciling, Stalled). */
  syncStatus: string;
  /** Argo CD health (Healthy, Progressing, Degraded, …) or Flux Ready condition status. */
  healthStatus: string;
  /** The commit the operator reports as synced (Argo CD) or applied (Flux); empty when none yet. */
  revision: string;
  /**
   * For an object that reads several Git repositories (a multi-source Argo CD
   * Application): each repository with the revision synced from it. The
   * backend uses the revision of the entity's config repo when one matches,
   * else `revision`.
   */
  revisions?: Array<{ repoUrl: string; revision: string }>;
  /**
   * The model version read from the serving objects' `ml-gitops/model-version`
   * label, when the source can tell. Otherwise the backend reads the manifest
   * at `revision`.
   */
  liveVersion?: string | null;
  /** True while the operator is applying a change (sync operation running, Flux reconciling). */
  operationRunning: boolean;
  /**
   * When the operator's last sync/apply that changed what is applied
   * finished (ISO 8601 UTC), if known. Not a timestamp that moves with
   * every periodic reconcile (Flux's Ready condition does).
   */
  lastSyncFinishedAt?: string;
  /**
   * The operator's own words on why it is not synced (e.g. the message of
   * Flux's Ready=False condition), quoted in the drift reason.
   */
  statusMessage?: string;
  /** A link to the object in the operator's UI, if it has one. */
  url?: string;
};

/**
 * What changed in a {@link DeploymentSource} since its watch last reported.
 * An addition to the design contract.
 *
 * @public
 */
export type LiveObservationChanges = {
  /**
   * Objects that are new or changed: each replaces what the consumer holds
   * for its model and environment from this source.
   */
  observations: LiveObservation[];
  /** Objects that no longer exist (deleted, or no longer labelled). */
  removed: Array<
    Pick<LiveObservation, 'model' | 'environment' | 'application'>
  >;
  /**
   * True when `observations` is every object of the source at this moment
   * (a watch that listed anew, e.g. at its start or after its resource
   * version expired): whatever the consumer holds from this source and does
   * not find among them is gone. False for a batch of single changes.
   */
  complete: boolean;
};

/**
 * A source of live deployment state, such as one Argo CD instance or the Flux
 * controllers of one cluster.
 *
 * @public
 */
export interface DeploymentSource {
  /**
   * The kind of operator, e.g. `argocd` or `flux`
   * ({@link DEPLOYMENT_SOURCE_KINDS}); any other names a module's own.
   */
  readonly kind: string;
  /** The configured instance or cluster name. */
  readonly instance: string;
  /**
   * Every object of this source that carries the `ml-gitops/model` label, in
   * as few calls as the source allows: one list call per poll cycle, never
   * one call per model.
   */
  listObservations(): Promise<LiveObservation[]>;
  /**
   * Asks the operator to look at Git now, because the branch head moved.
   * Errors are reported to the caller, who logs them.
   */
  requestRefresh?(observation: LiveObservation): Promise<void>;
  /**
   * The contract's sync state of one of this source's observations, from
   * its operator's own words (`syncStatus`, `healthStatus`). A source
   * without it is read as speaking Argo CD's (Synced, OutOfSync). An
   * addition to the design contract.
   */
  syncState?(observation: LiveObservation): SourceSyncState;
  /**
   * Follows the source's changes as they happen (Argo CD's application event
   * stream, Kubernetes watches) and reports them to `onChange`, until
   * `signal` aborts. It returns at once and never throws: a dropped
   * connection, an expired resource version or an error event is logged and
   * the watch reconnects with backoff, resuming where it stopped when the
   * source allows it. Polling with {@link DeploymentSource.listObservations}
   * stays the fallback and the consistency check: a watch may miss what
   * happened while it reconnected, a poll does not. An addition to the
   * design contract.
   */
  watch?(
    onChange: (changes: LiveObservationChanges) => void,
    signal: AbortSignal,
  ): void;
}

/**
 * What a model registry knows about one version of a model.
 *
 * @public
 */
export type RegistryVersionFacts = {
  exists: boolean;
  /** The registry's status of the version, e.g. MLflow's READY. */
  status?: string;
  /** The registry's stage, e.g. MLflow's Production or Archived. */
  stage?: string;
  aliases: string[];
  /** Metrics of the run that produced the version. */
  metrics: Record<string, number>;
  /** A link to the run or version in the registry's UI. */
  url?: string;
  /**
   * When the registry registered the version (ISO 8601; MLflow's
   * `creation_timestamp`), the start of a deployment's lead time.
   */
  createdAt?: string;
  /**
   * Set when the registry marks the version rejected (MLflow: the tag
   * `validation_status=rejected`), with the reason, who and when as far as
   * the registry records them (`versionRejection` in -common).
   */
  rejected?: { reason?: string; by?: string; at?: string };
  /**
   * Where the version's model files are, as the registry records it (the
   * Kubeflow Model Registry: the model artifact's `uri`). An addition to the
   * design contract.
   */
  storageUri?: string;
  /**
   * The format of the model files (Kubeflow: the model artifact's
   * `modelFormatName` and `modelFormatVersion`). An addition to the design
   * contract.
   */
  modelFormat?: { name?: string; version?: string };
  /**
   * Who registered the version (Kubeflow: the version's `author`). An
   * addition to the design contract.
   */
  author?: string;
  /**
   * When the registry gave this answer (ISO 8601); an answer served from a
   * cache keeps the time it was read, so the poller does not take it for a
   * sign that a failing registry recovered.
   */
  observedAt?: string;
};

/**
 * A model registry, such as an MLflow tracking server.
 *
 * @public
 */
export interface ModelRegistry {
  /** The name entities use in their `ml-gitops/registry` annotation. */
  readonly name: string;
  /**
   * What the registry knows of a version. A registry may answer from its
   * cache with the same facts object until it reads the version again, and
   * the poller then does not judge the gate again; so a facts object, once
   * handed out, is never changed (a new read gives a new object).
   */
  getVersion(model: string, version: string): Promise<RegistryVersionFacts>;
}

/**
 * Lets backend modules add deployment sources and model registries to the
 * ml-gitops backend plugin.
 *
 * @public
 */
export interface MlGitopsSourcesExtensionPoint {
  addDeploymentSource(...sources: DeploymentSource[]): void;
  addRegistry(...registries: ModelRegistry[]): void;
}

/**
 * The extension point of {@link MlGitopsSourcesExtensionPoint}.
 *
 * @public
 */
export const mlGitopsSourcesExtensionPoint =
  createExtensionPoint<MlGitopsSourcesExtensionPoint>({
    id: 'ml-gitops.sources',
  });
