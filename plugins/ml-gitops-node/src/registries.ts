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
  ModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import { MlGitopsRegistryConfig } from './config';

/**
 * The registry that holds a model, and its client, or why there is none.
 *
 * @public
 */
export type RegistryAccess = {
  name: string;
  url?: string;
  client?: MlflowClient;
  /** Why there is no client. */
  problem?: string;
};

/**
 * The registry named by the entity's annotation or the manifest, or the only
 * configured one, with a client when it is of a supported type. The
 * scaffolder actions and the backend's automatic rollback read and reject
 * versions through it.
 *
 * @public
 */
export function registryAccess(
  registries: readonly MlGitopsRegistryConfig[],
  options: { registryName?: string; manifest: Pick<ModelManifest, 'registry'> },
): RegistryAccess {
  const name = options.registryName ?? options.manifest.registry;
  let registry = registries.length === 1 ? registries[0] : undefined;
  if (name) {
    registry = registries.find(r => r.name === name);
  }
  if (!registry) {
    return {
      name: name ?? 'none',
      problem: name
        ? `the registry "${name}" is not configured under mlGitops.registries (configured: ${
            registries.map(r => r.name).join(', ') || 'none'
          })`
        : 'no registry is named by the ml-gitops/registry annotation or the manifest, and mlGitops.registries does not hold exactly one',
    };
  }
  if (registry.type !== 'mlflow') {
    return {
      name: registry.name,
      url: registry.url,
      problem: `the registry "${registry.name}" has type "${registry.type}"; only mlflow is supported`,
    };
  }
  return {
    name: registry.name,
    url: registry.url,
    client: MlflowClient.create({
      baseUrl: registry.url,
      token: registry.token,
      username: registry.username,
      password: registry.password,
      credentialsHint: `mlGitops.registries[${registry.name}]`,
    }),
  };
}
