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

import { ModelRegistry } from '@ml-gitops/plugin-ml-gitops-node';
import { RegistryConfig } from '../../config';
import { KubeflowRegistry } from './KubeflowRegistry';
import { MlflowRegistry } from './MlflowRegistry';

/**
 * The registries by name: the configured ones (types `mlflow` and
 * `kubeflow` are built in)
 * and those added by modules through the extension point.
 */
export function createRegistries(
  configured: RegistryConfig[],
  extra: ModelRegistry[],
  options: {
    timeoutMs?: number;
    /** mlGitops.registry.recheckAfter, for the built-in registries. */
    recheckAfterMs?: number;
    now?: () => number;
    fetch?: typeof fetch;
  } = {},
): Map<string, ModelRegistry> {
  const registries = new Map<string, ModelRegistry>();
  for (const registry of extra) {
    registries.set(registry.name, registry);
  }
  configured.forEach((config, index) => {
    if (registries.has(config.name)) {
      return; // a module provides it
    }
    const registryOptions = {
      timeoutMs: options.timeoutMs,
      recheckAfterMs: options.recheckAfterMs,
      now: options.now,
      fetch: options.fetch,
    };
    if (config.type === 'mlflow') {
      registries.set(
        config.name,
        MlflowRegistry.fromConfig(config, registryOptions),
      );
    } else if (config.type === 'kubeflow') {
      registries.set(
        config.name,
        KubeflowRegistry.fromConfig(config, registryOptions),
      );
    } else {
      throw new Error(
        `mlGitops.registries[${index}].type "${config.type}" is not supported: use "mlflow" or "kubeflow", or install a module that adds a registry named "${config.name}"`,
      );
    }
  });
  return registries;
}
