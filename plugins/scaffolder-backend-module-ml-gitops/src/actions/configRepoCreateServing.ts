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

import { InputError } from '@backstage/errors';
import { ModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import { Logger } from './actionOptions';
import { MlGitopsActionsConfig } from './config';
import { enforce } from './overrides';
import {
  checkRegistry,
  registryFor,
  resolveStorageUri,
} from './registryChecks';

// What a new config repo starts serving: the registry and gate checks of its version, where its artifacts are and their model format.

/**
 * Checks the starting version in the registry (refusing unless forced), and
 * finds what KServe serves: the version's artifacts where the registry
 * keeps them, in the format of the model's flavor.
 */
export async function resolveStartingVersion(
  logger: Logger,
  config: MlGitopsActionsConfig,
  input: {
    model: string;
    registry?: string;
    gates?: Record<string, { min?: number; max?: number }>;
    runtime?: string;
    replicas?: number;
    force?: boolean;
    reason?: string;
  },
  version: string,
): Promise<{
  registryName?: string;
  gates: Record<string, { min?: number; max?: number }>;
  storageUri: string;
  modelFormat: string;
  registryUrl?: string;
  registryType?: string;
}> {
  const registryName = input.registry ?? config.registries[0]?.name;
  const gates = input.gates ?? {};
  // What the new manifest declares, for the registry and gate checks;
  // the generated file is parsed and checked again by the action.
  const declared: ModelManifest = {
    model_name: input.model,
    model_version: version,
    ...(registryName ? { registry: registryName } : {}),
    serving: {
      runtime: input.runtime ?? 'kserve',
      replicas: input.replicas ?? 2,
    },
    ...(Object.keys(gates).length > 0
      ? {
          gates: {
            metrics: gates,
          },
        }
      : {}),
  };
  const facts = await checkRegistry(config, {
    registryName: input.registry,
    model: input.model,
    version,
    manifest: declared,
  });
  enforce(
    `start ${input.model} at version ${version}`,
    facts.blockers,
    input,
    logger,
    facts.unforceable,
  );

  // What KServe serves: the version's artifacts where the registry keeps
  // them, in the format of the model's flavor.
  const registry = registryFor(config, {
    registryName: input.registry,
    manifest: declared,
  });
  const storageUri = await resolveStorageUri(config, {
    registryName: input.registry,
    manifest: declared,
    model: input.model,
    version,
  });
  const format = await registry.client!.resolveModelFormat(
    input.model,
    version,
  );
  if (format.note) {
    logger.warn(
      `Serving ${input.model} with modelFormat ${format.format}: ${format.note}`,
    );
  } else {
    logger.info(
      `${
        input.model
      } version ${version} is stored at ${storageUri}; modelFormat ${
        format.format
      } (${
        format.flavors.length > 0
          ? `MLflow flavors ${format.flavors.join(', ')}`
          : `the registry's model format`
      })`,
    );
  }
  if (registry.url?.includes('${{')) {
    throw new InputError(
      `The URL of the registry ${registry.name} contains "\${{", which GitHub Actions would read as an expression; fix mlGitops.registries`,
    );
  }
  return {
    registryName,
    gates,
    storageUri,
    modelFormat: format.format,
    registryUrl: registry.url,
    ...(registry.type && registry.type !== 'mlflow'
      ? { registryType: registry.type }
      : {}),
  };
}
