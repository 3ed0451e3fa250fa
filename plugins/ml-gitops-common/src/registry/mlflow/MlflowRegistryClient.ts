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
  RegistryClientOver,
  type ModelRegistryClient,
  RegistryRejectionInput,
  RegistryVersion,
  RegistryVersionBlocker,
  RegistryVersionMetrics,
} from '../client';
import {
  ModelFormatResolution,
  resolveModelFormat,
  resolveServingArtifact,
  ServingArtifact,
} from './artifacts';
import {
  MODEL_VERSION_STATUS,
  modelVersionRegistrationBlocker,
  modelVersionRejectionBlocker,
  versionRejection,
} from './deployable';
import { MlflowClient } from './MlflowClient';
import type { MlflowModelVersion } from './types';

/**
 * An MLflow tracking server as a {@link ModelRegistryClient}: the version's
 * status, stage, aliases and tags; the gate's metrics from its run; the
 * rejection markers as model version tags.
 *
 * @public
 */
export class MlflowRegistryClient
  extends RegistryClientOver<MlflowClient>
  implements ModelRegistryClient
{
  readonly type = 'mlflow';

  static create(client: MlflowClient): MlflowRegistryClient {
    return new MlflowRegistryClient(client);
  }

  async getVersion(
    model: string,
    version: string,
  ): Promise<RegistryVersion | undefined> {
    const found = await this.client.getModelVersion(model, version);
    return found ? mlflowRegistryVersion(found) : undefined;
  }

  async getMetrics(version: RegistryVersion): Promise<RegistryVersionMetrics> {
    const id = `${version.model} version ${version.version}`;
    if (!version.runId) {
      return {
        ok: false,
        summary: 'the version has no run, so its metrics are unknown',
        problem: `${id} has no run_id in the registry, so the gated metrics cannot be checked`,
        fix: 'Register the version from a tracked run (mlflow.register_model with a runs:/ URI)',
      };
    }
    const run = await this.client.getRun(version.runId);
    if (!run) {
      return {
        ok: false,
        summary: `run ${version.runId} not found`,
        problem: `the run ${version.runId} of ${id} does not exist, so the gated metrics cannot be checked`,
        fix: 'Restore the run in MLflow, or deploy a version whose run exists',
      };
    }
    return {
      ok: true,
      metrics: run.metrics,
      source: { kind: 'run', runId: run.runId },
    };
  }

  async listVersions(model: string): Promise<string[] | undefined> {
    const registered = await this.client.getRegisteredModel(model);
    if (!registered) return undefined;
    // MLflow's filter has no escape for a quote; such a name gets no list.
    if (model.includes("'")) return [];
    // Every version, over as many pages as MLflow sends
    // (registered_model.latest_versions holds only the newest per stage).
    return (await this.client.searchModelVersions(`name='${model}'`))
      .filter(v => v.name === model)
      .map(v => v.version)
      .sort((a, b) => Number(b) - Number(a));
  }

  async resolveServingArtifact(
    model: string,
    version: string,
  ): Promise<ServingArtifact | undefined> {
    return resolveServingArtifact(this.client, model, version);
  }

  async resolveModelFormat(
    model: string,
    version: string,
  ): Promise<ModelFormatResolution> {
    return resolveModelFormat(this.client, model, version);
  }

  async rejectVersion(
    model: string,
    version: string,
    rejection: RegistryRejectionInput,
  ): Promise<void> {
    await this.client.rejectModelVersion(model, version, rejection);
  }

  async unrejectVersion(model: string, version: string): Promise<void> {
    await this.client.unrejectModelVersion(model, version);
  }
}

/**
 * An MLflow model version as a {@link RegistryVersion}, its blockers in the
 * words of `modelVersionBlockers`.
 *
 * @public
 */
export function mlflowRegistryVersion(v: MlflowModelVersion): RegistryVersion {
  const blockers: RegistryVersionBlocker[] = [];
  const registration = modelVersionRegistrationBlocker(v);
  if (registration) {
    blockers.push({
      kind:
        v.status === MODEL_VERSION_STATUS.pending
          ? 'pending'
          : 'not-registered',
      message: registration,
      forceable: false,
    });
  }
  if (v.stage?.toLowerCase() === 'archived') {
    blockers.push({
      kind: 'archived',
      message: `${v.name} version ${v.version} is in the Archived stage`,
      forceable: true,
    });
  }
  const rejected = modelVersionRejectionBlocker(v);
  if (rejected) {
    blockers.push({ kind: 'rejected', message: rejected, forceable: false });
  }
  const rejection = versionRejection(v);
  return {
    model: v.name,
    version: v.version,
    status: v.status,
    ready: v.status === MODEL_VERSION_STATUS.ready,
    ...(v.stage ? { stage: v.stage } : {}),
    aliases: v.aliases,
    supportsAliases: true,
    tags: v.tags,
    ...(rejection ? { rejection } : {}),
    blockers,
    ...(v.runId ? { runId: v.runId } : {}),
    ...(v.createdAt ? { createdAt: v.createdAt } : {}),
  };
}
