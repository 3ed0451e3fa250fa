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
import {
  createRegistryClient,
  ModelManifest,
  ModelRegistryClient,
  REGISTRY_CLIENT_TYPES,
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
  /** The registry's type, e.g. `mlflow` or `kubeflow`. */
  type?: string;
  client?: ModelRegistryClient;
  /** Why there is no client. */
  problem?: string;
};

/**
 * The registry named by the entity's annotation or the manifest, or the only
 * configured one, with a client: a built-in one for `type: mlflow` and
 * `type: kubeflow`, else the one `clients` holds under the registry's name
 * (added by a backend module). The scaffolder actions and the backend's
 * automatic rollback read and reject versions through it.
 *
 * @public
 */
export function registryAccess(
  registries: readonly MlGitopsRegistryConfig[],
  options: {
    registryName?: string;
    manifest: Pick<ModelManifest, 'registry'>;
    /** Clients of registries of other types, by registry name. */
    clients?: ReadonlyMap<string, ModelRegistryClient>;
  },
): RegistryAccess {
  const name = options.registryName ?? options.manifest.registry;
  let registry = registries.length === 1 ? registries[0] : undefined;
  if (name) {
    registry = registries.find(r => r.name === name);
  }
  const provided = options.clients?.get(name ?? registry?.name ?? '');
  if (provided && (!registry || !isBuiltIn(registry.type))) {
    return {
      name: name ?? registry!.name,
      url: provided.url,
      type: provided.type,
      client: provided,
    };
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
  if (!isBuiltIn(registry.type)) {
    return {
      name: registry.name,
      url: registry.url,
      type: registry.type,
      problem: `the registry "${registry.name}" has type "${
        registry.type
      }", which is not built in (${REGISTRY_CLIENT_TYPES.join(
        ', ',
      )}) and no installed module provides a client for it`,
    };
  }
  return {
    name: registry.name,
    url: registry.url,
    type: registry.type,
    client: createRegistryClient({
      type: registry.type,
      baseUrl: registry.url,
      token: registry.token,
      username: registry.username,
      password: registry.password,
      credentialsHint: `mlGitops.registries[${registry.name}]`,
      ...(registry.timeoutMs ? { timeoutMs: registry.timeoutMs } : {}),
    }),
  };
}

function isBuiltIn(type: string): boolean {
  return (REGISTRY_CLIENT_TYPES as readonly string[]).includes(type);
}

/**
 * Lets a backend module of the scaffolder give the ML GitOps actions the
 * client of a registry whose type is not built in (neither `mlflow` nor
 * `kubeflow`), under the name of its entry in `mlGitops.registries`, so
 * templates deploy, promote, roll back and reject versions held there. A
 * module that adds such a registry to the backend plugin
 * (`mlGitopsSourcesExtensionPoint.addRegistry`) adds its client here too.
 *
 * @public
 */
export interface MlGitopsRegistryClientsExtensionPoint {
  addRegistryClient(name: string, client: ModelRegistryClient): void;
}

/**
 * The extension point of {@link MlGitopsRegistryClientsExtensionPoint},
 * provided by the scaffolder module `scaffolder-backend-module-ml-gitops`.
 *
 * @public
 */
export const mlGitopsRegistryClientsExtensionPoint =
  createExtensionPoint<MlGitopsRegistryClientsExtensionPoint>({
    id: 'ml-gitops.registry-clients',
  });
