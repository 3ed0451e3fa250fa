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

import {
  KubeflowClient,
  KubeflowModelArtifact,
  KubeflowModelVersion,
  kubeflowRegistryVersion,
  kubeflowServingArtifact,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ByteBoundedCache,
  ModelRegistry,
  RegistryVersionFacts,
} from '@ml-gitops/plugin-ml-gitops-node';
import { RegistryConfig } from '../../config';
import {
  RecheckSchedule,
  RegistryClock,
  registryClock,
  registryConnection,
  RegistryOptions,
  VersionFactsCache,
} from './recheck';

/** The memory the version facts may take, as for MLflow. */
const MAX_CACHED_BYTES = 16 * 1024 * 1024;
/** Registered model ids by name: a few bytes each. */
const MAX_CACHED_MODEL_ID_BYTES = 1024 * 1024;

/**
 * The `status` of a version in {@link RegistryVersionFacts}: `READY` when
 * it can be deployed (state `LIVE` and a model artifact with a `uri`),
 * else its state (`ARCHIVED`), or `NO_MODEL_ARTIFACT` for a live version
 * without a model artifact that has a uri. Only `READY` lets a gate pass.
 */
export const KUBEFLOW_NO_MODEL_ARTIFACT = 'NO_MODEL_ARTIFACT';

type VersionEntry = {
  facts: RegistryVersionFacts;
  /** The version's id, to read it again by id once it settled. */
  versionId?: string;
  /** Its serving model artifact, which does not change once it settled. */
  artifact?: KubeflowModelArtifact;
};

/**
 * A Kubeflow Model Registry (REST API v1alpha3) as a {@link ModelRegistry}:
 * whether the version exists, is live and has a model artifact; its
 * numeric custom properties as metrics; the rejection markers among its
 * string custom properties; where its files are (the artifact's `uri`).
 * The registry has no aliases.
 *
 * The caching rules are MLflow's (see `MlflowRegistry`): a ready version
 * (LIVE with an artifact uri) is read again every
 * `mlGitops.registry.recheckAfter`, at its own phase, with one request
 * (`GET /model_versions/{id}`: its state and custom properties, the only
 * facts that change), its artifact kept; a version that is not ready or
 * not known is read in full again after a minute (find the registered
 * model, the version, its artifacts: three requests, the model's id kept,
 * since the API cannot delete a registered model). Failures are not kept.
 */
export class KubeflowRegistry implements ModelRegistry {
  readonly name: string;
  private readonly versions: VersionFactsCache<VersionEntry>;
  private readonly modelIds = new ByteBoundedCache<string>(
    MAX_CACHED_MODEL_ID_BYTES,
  );

  static fromConfig(
    config: RegistryConfig,
    options: RegistryOptions = {},
  ): KubeflowRegistry {
    return new KubeflowRegistry(
      config.name,
      KubeflowClient.create(registryConnection(config, options)),
      registryClock(options),
    );
  }

  private constructor(
    name: string,
    private readonly client: KubeflowClient,
    clock: RegistryClock,
  ) {
    this.name = name;
    this.versions = new VersionFactsCache({
      ...clock,
      registryName: name,
      maxBytes: MAX_CACHED_BYTES,
      read: (model, version, cached) => this.read(model, version, cached),
    });
  }

  async getVersion(
    model: string,
    version: string,
  ): Promise<RegistryVersionFacts> {
    return this.versions.get(model, version);
  }

  private async read(
    model: string,
    version: string,
    cached: (VersionEntry & RecheckSchedule) | undefined,
  ): Promise<VersionEntry> {
    // A settled version: only its state and custom properties can change.
    if (cached?.periodMs && cached.versionId && cached.artifact) {
      const again = await this.client.getModelVersion(cached.versionId);
      if (again) {
        return this.entryOf(model, again, cached.artifact);
      }
    }
    let modelId = this.modelIds.get(model);
    if (modelId === undefined) {
      modelId = (await this.client.findRegisteredModel(model))?.id;
      if (modelId === undefined) {
        return { facts: { exists: false, aliases: [], metrics: {} } };
      }
      this.modelIds.set(model, modelId);
    }
    const found = await this.client.findModelVersion(modelId, version);
    if (!found) {
      return { facts: { exists: false, aliases: [], metrics: {} } };
    }
    const artifact = kubeflowServingArtifact(
      await this.client.listModelArtifacts(found.id),
    );
    return this.entryOf(model, found, artifact);
  }

  /** The facts of a version, as the actions and the CLI read them too. */
  private entryOf(
    model: string,
    v: KubeflowModelVersion,
    artifact: KubeflowModelArtifact | undefined,
  ): VersionEntry {
    const facts = kubeflowRegistryVersion(model, v, artifact);
    let status: string = KUBEFLOW_NO_MODEL_ARTIFACT;
    if (facts.ready) {
      status = 'READY';
    } else if (v.state !== 'LIVE') {
      status = v.state;
    }
    return {
      versionId: v.id,
      ...(artifact ? { artifact } : {}),
      facts: {
        exists: true,
        status,
        stage: v.state,
        aliases: [],
        metrics: facts.metrics ?? {},
        ...(facts.rejection ? { rejected: facts.rejection } : {}),
        ...(facts.createdAt ? { createdAt: facts.createdAt } : {}),
        ...(facts.author ? { author: facts.author } : {}),
        ...(facts.storageUri ? { storageUri: facts.storageUri } : {}),
        ...(facts.modelFormat ? { modelFormat: facts.modelFormat } : {}),
      },
    };
  }
}
