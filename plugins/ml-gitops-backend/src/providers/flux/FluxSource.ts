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

// The Flux controllers of one cluster as a deployment source: listed, watched, asked to reconcile.

import { LoggerService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DEPLOYMENT_SOURCE_KINDS,
  DeploymentSource,
  LiveObservation,
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  KubeObject,
  KubernetesClusterClient,
} from '../kubernetes/KubernetesClusters';
import { KubeWatchOptions } from '../kubernetes/KubernetesWatch';
import { FLUX_APPLIERS } from './fluxKinds';
import { fluxObservation, sourceRefOf } from './fluxObjects';
import { fluxReadinessSyncState } from './fluxReadiness';
import { watchFlux } from './FluxWatch';

const SOURCE_GROUP = 'source.toolkit.fluxcd.io';
const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
const VERSION_TTL_MS = 10 * 60_000;
/** How long a cluster that refused a reconcile request (403) is not asked again. */
const REFRESH_DENIED_PAUSE_MS = 60 * 60_000;

/**
 * The Flux controllers of one cluster: per poll cycle one list call per
 * applier kind (Kustomization, HelmRelease) with the label selector
 * `ml-gitops/model`, at the API versions the cluster prefers (discovered, not
 * hard-coded). A refresh sets `reconcile.fluxcd.io/requestedAt` on the object
 * and on its GitRepository, as `flux reconcile --with-source` does.
 */
export class FluxSource implements DeploymentSource {
  readonly kind = DEPLOYMENT_SOURCE_KINDS.flux;
  readonly instance: string;
  private versions = new Map<string, { version?: string; at: number }>();
  private refreshDeniedUntil = 0;
  private refreshDeniedLogged = false;
  private readonly objects = new Map<
    string,
    { group: string; plural: string; object: KubeObject }
  >();

  constructor(
    private readonly client: KubernetesClusterClient,
    private readonly logger: LoggerService,
    private readonly now: () => number = Date.now,
    private readonly watchOptions?: KubeWatchOptions,
  ) {
    this.instance = client.cluster.name;
  }

  private async versionOf(group: string): Promise<string | undefined> {
    const cached = this.versions.get(group);
    if (cached && this.now() - cached.at < VERSION_TTL_MS) {
      return cached.version;
    }
    const version = await this.client.preferredVersion(group);
    this.versions.set(group, { version, at: this.now() });
    return version;
  }

  /**
   * Watches the Kustomizations and HelmReleases labelled `ml-gitops/model`
   * (see {@link watchFlux}). An addition to the design contract.
   */
  watch(
    onChange: (changes: LiveObservationChanges) => void,
    signal: AbortSignal,
  ): void {
    watchFlux({
      client: this.client,
      instance: this.instance,
      version: group => this.versionOf(group),
      onChange,
      signal,
      logger: this.logger,
      options: this.watchOptions,
    });
  }

  async listObservations(): Promise<LiveObservation[]> {
    const observations: LiveObservation[] = [];
    this.objects.clear();
    for (const { group, plural } of FLUX_APPLIERS) {
      const version = await this.versionOf(group);
      if (!version) continue; // this controller is not installed
      const items = await this.client.list(group, version, plural, LABEL_MODEL);
      for (const object of items) {
        const model = object.metadata.labels?.[LABEL_MODEL];
        const environment = object.metadata.labels?.[LABEL_ENVIRONMENT];
        if (!model || !environment) {
          this.logger.debug(
            `Flux ${plural} ${object.metadata.namespace}/${object.metadata.name} on ${this.instance} has no ${LABEL_ENVIRONMENT} label; ignored`,
          );
          continue;
        }
        // A Kustomization that applies a HelmRelease carries the same labels:
        // the first object found (Kustomizations are listed first) speaks for
        // the environment.
        if (
          observations.some(
            o => o.model === model && o.environment === environment,
          )
        ) {
          continue;
        }
        const observation = fluxObservation(object, group, this.instance)!;
        this.objects.set(observation.application, { group, plural, object });
        observations.push(observation);
      }
    }
    return observations;
  }

  syncState(observation: LiveObservation): SourceSyncState {
    return fluxReadinessSyncState(observation.syncStatus);
  }

  /**
   * Sets `reconcile.fluxcd.io/requestedAt` on the object and its
   * GitRepository. The service account Backstage reads the cluster with is
   * often read-only; the API server then answers 403. That is logged once
   * per cluster with what to grant, and the cluster is not asked again for
   * {@link REFRESH_DENIED_PAUSE_MS}: Flux still applies every merge at its
   * own interval, the request only makes it sooner.
   */
  async requestRefresh(observation: LiveObservation): Promise<void> {
    const entry = this.objects.get(observation.application);
    if (!entry) return;
    if (this.refreshDeniedUntil > this.now()) return;
    try {
      await this.annotateForReconcile(entry);
    } catch (error) {
      if (!(error instanceof NotAllowedError)) throw error;
      this.refreshDeniedUntil = this.now() + REFRESH_DENIED_PAUSE_MS;
      const message = `Flux on cluster "${
        this.instance
      }" refused the reconcile request for ${observation.application} (${
        error.message
      }). The Kubernetes service account of this cluster may only read. To let ML GitOps ask Flux to apply a merge at once, grant it the verb "patch" on kustomizations.kustomize.toolkit.fluxcd.io, helmreleases.helm.toolkit.fluxcd.io and gitrepositories.source.toolkit.fluxcd.io (see docs/configuration.md, "Flux"); or leave it read-only: the request is optional and Flux applies merges at its own interval. Not asking this cluster again for ${
        REFRESH_DENIED_PAUSE_MS / 60_000
      } minutes.`;
      if (this.refreshDeniedLogged) this.logger.debug(message);
      else this.logger.warn(message);
      this.refreshDeniedLogged = true;
    }
  }

  private async annotateForReconcile(entry: {
    group: string;
    plural: string;
    object: KubeObject;
  }): Promise<void> {
    const { group, plural, object } = entry;
    const annotations = { [REQUESTED_AT]: new Date(this.now()).toISOString() };
    const source = sourceRefOf(object);
    if (source) {
      const sourceVersion = await this.versionOf(SOURCE_GROUP);
      if (sourceVersion) {
        await this.client.annotate(
          SOURCE_GROUP,
          sourceVersion,
          'gitrepositories',
          source.namespace,
          source.name,
          annotations,
        );
      }
    }
    const version = await this.versionOf(group);
    if (version) {
      await this.client.annotate(
        group,
        version,
        plural,
        object.metadata.namespace ?? 'default',
        object.metadata.name,
        annotations,
      );
    }
  }
}
