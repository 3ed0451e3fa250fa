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

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  evaluateGates,
  RegistryState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  EnvironmentDeclaration,
  ModelRegistry,
  RegistryVersionFacts,
} from '@ml-gitops/plugin-ml-gitops-node';
import { SourceFailures } from './failures';
import { PollHealth } from './PollHealth';

/** What the model registry knows of a declared version, and its gate. */
export class RegistryReader {
  constructor(
    private readonly deps: {
      logger: LoggerService;
      registries: Map<string, ModelRegistry>;
      failures: SourceFailures;
      health: PollHealth;
      now: () => Date;
    },
  ) {}

  /**
   * The state last made of a registry's facts, by the facts (a registry
   * answers a version from its cache with the same facts until it reads
   * them again) and the thresholds it was judged by: a steady cycle
   * judges no gate again.
   */
  private readonly judged = new WeakMap<
    RegistryVersionFacts,
    { thresholds: unknown; state: RegistryState }
  >();

  async registryState(
    entityRef: string,
    registryName: string | undefined,
    model: string,
    declaration: EnvironmentDeclaration | undefined,
    previous: RegistryState | null,
  ): Promise<RegistryState | null> {
    if (!declaration?.version) {
      return previous;
    }
    const { registries, failures, health } = this.deps;
    const name = registryName ?? declaration.manifest?.registry;
    const registry = name
      ? registries.get(name)
      : registries.values().next().value;
    if (!registry) {
      return null;
    }
    const failureName = `registry:${registry.name}`;
    try {
      const facts = await registry.getVersion(model, declaration.version);
      // An answer the registry read before it started failing (from its
      // cache) says nothing about whether it recovered.
      const failing = failures.get(failureName);
      if (!failing || !facts.observedAt || facts.observedAt > failing.since) {
        failures.recover(failureName);
        health.succeeded(
          failureName,
          'registry',
          facts.observedAt ?? this.deps.now().toISOString(),
        );
      }
      const gated = declaration.manifest?.gates?.metrics;
      const judged = this.judged.get(facts);
      if (judged && judged.thresholds === gated) return judged.state;
      // A version the registry lacks has no metrics: any gate fails. A
      // version it has not finished registering (or failed to register)
      // cannot serve, so its gate never passes whatever its run's metrics.
      const registered = facts.status === undefined || facts.status === 'READY';
      const gate =
        facts.exists && !registered
          ? 'failed'
          : evaluateGates(
              declaration.manifest?.gates?.metrics,
              facts.exists ? facts.metrics : {},
            ).outcome;
      const state: RegistryState = {
        version: declaration.version,
        exists: facts.exists,
        ...(facts.exists && facts.status !== undefined
          ? { status: facts.status }
          : {}),
        aliases: facts.aliases,
        ...(facts.stage ? { stage: facts.stage } : {}),
        metrics: facts.metrics,
        gate,
        ...(gated ? { thresholds: gated } : {}),
        ...(facts.url ? { runUrl: facts.url } : {}),
        ...(facts.exists && facts.rejected ? { rejected: facts.rejected } : {}),
        ...(facts.exists && facts.createdAt
          ? { registeredAt: facts.createdAt }
          : {}),
      };
      this.judged.set(facts, { thresholds: gated, state });
      return state;
    } catch (error) {
      const failure = failures.fail(failureName, error);
      health.failed(
        failureName,
        'registry',
        failure,
        this.deps.now().toISOString(),
      );
      this.deps.logger.warn(
        `Reading ${model} ${declaration.version} from registry ${registry.name} for ${entityRef} failed: ${failure.message}`,
      );
      // The gate cannot be judged: never `passed` from an old answer. The
      // last good facts stay when they are about the same version.
      const gated = declaration.manifest?.gates?.metrics;
      const same =
        previous?.version === declaration.version ? previous : undefined;
      return {
        version: declaration.version,
        exists: same?.exists ?? false,
        ...(same?.status !== undefined ? { status: same.status } : {}),
        aliases: same?.aliases ?? [],
        ...(same?.stage ? { stage: same.stage } : {}),
        metrics: same?.metrics ?? {},
        ...(same?.runUrl ? { runUrl: same.runUrl } : {}),
        ...(same?.rejected ? { rejected: same.rejected } : {}),
        gate: 'unknown',
        ...(gated ? { thresholds: gated } : {}),
        reason: `${failureName} failing since ${failure.since}: ${failure.message}`,
      };
    }
  }
}
