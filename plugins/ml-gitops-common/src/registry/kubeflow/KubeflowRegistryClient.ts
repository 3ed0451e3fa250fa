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

import { NotFoundError } from '@backstage/errors';
import { kserveStorageUriProblem } from '../../manifest/storageUri';
import {
  RegistryClientOver,
  type ModelRegistryClient,
  RegistryRejectionInput,
  RegistryVersion,
  RegistryVersionBlocker,
  RegistryVersionMetrics,
} from '../client';
import {
  DEFAULT_MODEL_FORMAT,
  ModelFormatResolution,
  ServingArtifact,
} from '../mlflow/artifacts';
import { REJECTED_TAG, REJECTION_TAGS } from '../mlflow/deployable';
import { checkedRejection } from '../mlflow/writes';
import { rejectionBlockerMessage } from '../rejectionMessage';
import { KubeflowClient } from './KubeflowClient';
import { KubeflowModelArtifact, KubeflowModelVersion } from './types';
import {
  isKubeflowVersionReady,
  kubeflowServingArtifact,
  kubeflowVersionRejection,
} from './versionFacts';

/**
 * A Kubeflow Model Registry as a {@link ModelRegistryClient}. Ready means
 * the version's state is `LIVE` and it has a model artifact with a `uri`;
 * the gate's metrics are its numeric custom properties; its tags, the
 * rejection markers among them, its string and boolean custom properties,
 * written with `PATCH /model_versions/{id}`. The registry has no aliases:
 * a version's are empty and `supportsAliases` is false.
 *
 * @public
 */
export class KubeflowRegistryClient
  extends RegistryClientOver<KubeflowClient>
  implements ModelRegistryClient
{
  readonly type = 'kubeflow';

  static create(client: KubeflowClient): KubeflowRegistryClient {
    return new KubeflowRegistryClient(client);
  }

  async getVersion(
    model: string,
    version: string,
  ): Promise<RegistryVersion | undefined> {
    const found = await this.find(model, version);
    if (!found) return undefined;
    const artifact = kubeflowServingArtifact(
      await this.client.listModelArtifacts(found.id),
    );
    return kubeflowRegistryVersion(model, found, artifact);
  }

  async getMetrics(version: RegistryVersion): Promise<RegistryVersionMetrics> {
    // Read with the version: nothing more to ask.
    return {
      ok: true,
      metrics: { ...version.metrics },
      source: { kind: 'custom-properties' },
    };
  }

  async listVersions(model: string): Promise<string[] | undefined> {
    const registered = await this.client.findRegisteredModel(model);
    if (!registered) return undefined;
    const versions = await this.client.listModelVersions(registered.id);
    // Newest first: by registration time, then by a numeric name.
    return versions
      .sort(
        (a, b) =>
          (b.createdAt ?? '').localeCompare(a.createdAt ?? '') ||
          Number(b.name) - Number(a.name) ||
          b.name.localeCompare(a.name),
      )
      .map(v => v.name);
  }

  async resolveServingArtifact(
    model: string,
    version: string,
  ): Promise<ServingArtifact | undefined> {
    const found = await this.getVersion(model, version);
    if (!found) return undefined;
    const uri = found.storageUri;
    if (!uri) {
      return {
        ok: false,
        registryUri: '',
        problem: `${model} version ${version} has no model artifact with a uri in the Kubeflow Model Registry at ${this.url}`,
        fix: 'Register the version with a model artifact whose uri is where its files are (e.g. s3://bucket/path)',
      };
    }
    const problem = kserveStorageUriProblem(uri);
    return problem
      ? {
          ok: false,
          registryUri: uri,
          problem: `${model} version ${version}: the model artifact's uri ${uri} ${problem}`,
          fix: 'Keep the model files where the cluster reads them (s3://, gs://, https://, pvc://, hdfs://) and register the version again with that uri',
        }
      : { ok: true, storageUri: uri, registryUri: uri };
  }

  async resolveModelFormat(
    model: string,
    version: string,
  ): Promise<ModelFormatResolution> {
    let found: RegistryVersion | undefined;
    try {
      found = await this.getVersion(model, version);
    } catch (error) {
      return {
        format: DEFAULT_MODEL_FORMAT,
        flavors: [],
        note: `the model artifact could not be read (${
          (error as Error)?.message ?? String(error)
        })`,
      };
    }
    const name = found?.modelFormat?.name?.trim().toLowerCase();
    return name
      ? { format: name, flavors: [] }
      : {
          format: DEFAULT_MODEL_FORMAT,
          flavors: [],
          note: `the model artifact of ${model} version ${version} names no modelFormatName; set it when registering the version`,
        };
  }

  async rejectVersion(
    model: string,
    version: string,
    rejection: RegistryRejectionInput,
  ): Promise<void> {
    const { reason, by, at } = checkedRejection(model, version, rejection);
    const found = await this.findOrThrow(model, version);
    // One PATCH sets all four markers: the reason is never missing once
    // validation_status blocks the version.
    await this.client.updateModelVersionProperties(found.id, {
      set: {
        [REJECTION_TAGS.reason]: reason,
        [REJECTION_TAGS.by]: by,
        [REJECTION_TAGS.at]: at,
        [REJECTION_TAGS.status]: REJECTED_TAG.value,
      },
    });
  }

  async unrejectVersion(model: string, version: string): Promise<void> {
    const found = await this.findOrThrow(model, version);
    const markers = Object.values(REJECTION_TAGS);
    if (!markers.some(key => key in found.properties.tags)) return;
    await this.client.updateModelVersionProperties(found.id, {
      remove: markers,
    });
  }

  private async find(
    model: string,
    version: string,
  ): Promise<KubeflowModelVersion | undefined> {
    const registered = await this.client.findRegisteredModel(model);
    if (!registered) return undefined;
    return this.client.findModelVersion(registered.id, version);
  }

  private async findOrThrow(
    model: string,
    version: string,
  ): Promise<KubeflowModelVersion> {
    const found = await this.find(model, version);
    if (!found) {
      throw new NotFoundError(
        `${model} version ${version} does not exist in the Kubeflow Model Registry at ${this.url}`,
      );
    }
    return found;
  }
}

/**
 * A Kubeflow model version and its serving artifact as a
 * {@link RegistryVersion}: `ARCHIVED` blocks it (force may override, as
 * MLflow's Archived stage), no model artifact with a uri blocks it for good
 * (nothing to load), and so do the rejection markers.
 *
 * @public
 */
export function kubeflowRegistryVersion(
  model: string,
  v: KubeflowModelVersion,
  artifact: KubeflowModelArtifact | undefined,
): RegistryVersion {
  const id = `${model} version ${v.name}`;
  const blockers: RegistryVersionBlocker[] = [];
  if (v.state !== 'LIVE') {
    blockers.push({
      kind: 'archived',
      message: `${id} is ${
        v.state || 'without a state'
      }, not LIVE, in the Kubeflow Model Registry`,
      forceable: true,
      fix: 'Deploy a LIVE version, or restore this one to LIVE in the registry and re-run',
    });
  }
  if (!artifact?.uri) {
    blockers.push({
      kind: 'no-artifact',
      message: `${id} has no model artifact with a uri, so there are no model files to serve`,
      forceable: false,
      fix: 'Register a model artifact with the uri of the model files (e.g. s3://bucket/path) for this version, or deploy another version',
    });
  }
  const rejection = kubeflowVersionRejection(v);
  if (rejection) {
    blockers.push({
      kind: 'rejected',
      message: rejectionBlockerMessage(
        id,
        rejection,
        `${REJECTION_TAGS.status} custom property`,
        `carries the custom property ${
          REJECTION_TAGS.status
        }=${v.properties.tags[REJECTION_TAGS.status].trim()}`,
      ),
      forceable: false,
    });
  }
  const format =
    artifact?.modelFormatName || artifact?.modelFormatVersion
      ? {
          ...(artifact.modelFormatName
            ? { name: artifact.modelFormatName }
            : {}),
          ...(artifact.modelFormatVersion
            ? { version: artifact.modelFormatVersion }
            : {}),
        }
      : undefined;
  const version: RegistryVersion = {
    model,
    version: v.name,
    status: v.state,
    ready: isKubeflowVersionReady(v, artifact),
    aliases: [],
    supportsAliases: false,
    tags: v.properties.tags,
    ...(rejection ? { rejection } : {}),
    blockers,
    ...(artifact?.uri ? { storageUri: artifact.uri } : {}),
    ...(format ? { modelFormat: format } : {}),
    ...(v.author ? { author: v.author } : {}),
    ...(v.createdAt ? { createdAt: v.createdAt } : {}),
    metrics: v.properties.metrics,
  };
  return version;
}
