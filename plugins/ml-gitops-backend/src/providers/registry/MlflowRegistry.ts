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
  MlflowClient,
  versionRejection,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ByteBoundedCache,
  ModelRegistry,
  RegistryVersionFacts,
} from '@ml-gitops/plugin-ml-gitops-node';
import { RegistryConfig } from '../../config';
import {
  RegistryClock,
  registryClock,
  registryConnection,
  RegistryOptions,
  UNSETTLED_TTL_MS,
  VersionFactsCache,
} from './recheck';

/**
 * A run in one of these states logs no more metrics (RunStatus in
 * mlflow/protos/service.proto): its metrics are kept until evicted.
 */
const FINAL_RUN_STATES = new Set(['FINISHED', 'FAILED', 'KILLED']);
/**
 * The memory each of the two caches (version facts, run metrics) may take:
 * bounded in bytes, since a run can log any number of metrics.
 */
export const MAX_CACHED_BYTES = 16 * 1024 * 1024;

/**
 * An MLflow tracking server as a {@link ModelRegistry}: the version's status,
 * stage, aliases and tags, and the metrics of the run that produced it.
 *
 * What cannot change is read once: a READY version's registration facts and
 * the metrics of a finished run are kept until the byte-bounded caches
 * evict them. What can change (aliases, stage, the rejection tags) is read
 * again on a slower clock than the poll cycle, every
 * `mlGitops.registry.recheckAfter` (default five minutes), each version at
 * its own phase of that period (chosen at random when it is first read and
 * kept afterwards, also across an outage), so a steady cycle reads about
 * versions × cycle ÷ recheckAfter versions with one request each, whatever
 * was read together before. A version that is not READY or not known is
 * read again after a minute; the metrics of a run that is still running are
 * read again with its version. Failures are not kept: an unreachable
 * registry is asked again at the next call (a version due for a re-read is
 * not served from the cache meanwhile, so its gate turns unknown), and its
 * errors name the registry as configured.
 */
export class MlflowRegistry implements ModelRegistry {
  readonly name: string;
  private readonly versions: VersionFactsCache<{
    facts: RegistryVersionFacts;
  }>;
  private readonly runs = new ByteBoundedCache<{
    at: number;
    final: boolean;
    metrics: Record<string, number>;
  }>(MAX_CACHED_BYTES);

  static fromConfig(
    config: RegistryConfig,
    options: RegistryOptions = {},
  ): MlflowRegistry {
    return new MlflowRegistry(
      config.name,
      MlflowClient.create({
        ...registryConnection(config, options),
        username: config.username,
        password: config.password,
      }),
      registryClock(options),
    );
  }

  private readonly now: () => number;

  private constructor(
    name: string,
    private readonly client: MlflowClient,
    clock: RegistryClock,
  ) {
    this.name = name;
    this.now = clock.now;
    this.versions = new VersionFactsCache({
      ...clock,
      registryName: name,
      maxBytes: MAX_CACHED_BYTES,
      read: async (model, version) => ({
        facts: await this.read(model, version),
      }),
    });
  }

  async getVersion(
    model: string,
    version: string,
  ): Promise<RegistryVersionFacts> {
    return this.versions.get(model, version);
  }

  private async runMetrics(
    runId: string,
  ): Promise<{ metrics: Record<string, number> } | undefined> {
    const cached = this.runs.get(runId);
    if (cached && (cached.final || this.now() - cached.at < UNSETTLED_TTL_MS)) {
      return cached;
    }
    const run = await this.client.getRun(runId);
    if (!run) {
      return undefined;
    }
    const entry = {
      at: this.now(),
      final: FINAL_RUN_STATES.has(run.status ?? ''),
      metrics: run.metrics,
    };
    this.runs.set(runId, entry);
    return entry;
  }

  private async read(
    model: string,
    version: string,
  ): Promise<RegistryVersionFacts> {
    const modelVersion = await this.client.getModelVersion(model, version);
    let facts: RegistryVersionFacts;
    if (!modelVersion) {
      facts = { exists: false, aliases: [], metrics: {} };
    } else {
      const run = modelVersion.runId
        ? await this.runMetrics(modelVersion.runId)
        : undefined;
      const rejected = versionRejection(modelVersion);
      facts = {
        exists: true,
        status: modelVersion.status,
        ...(modelVersion.stage ? { stage: modelVersion.stage } : {}),
        aliases: modelVersion.aliases,
        metrics: run?.metrics ?? {},
        ...(rejected ? { rejected } : {}),
        ...(modelVersion.createdAt
          ? { createdAt: modelVersion.createdAt }
          : {}),
        url: `${this.client.url}/#/models/${encodeURIComponent(
          model,
        )}/versions/${encodeURIComponent(version)}`,
      };
    }
    return facts;
  }
}
