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
import type { ModelRegistryClient } from './client';
import { KubeflowClient } from './kubeflow/KubeflowClient';
import { KubeflowRegistryClient } from './kubeflow/KubeflowRegistryClient';
import { MlflowClient, type MlflowClientOptions } from './mlflow/MlflowClient';
import { MlflowRegistryClient } from './mlflow/MlflowRegistryClient';

/**
 * The registry types {@link createRegistryClient} builds.
 *
 * @public
 */
export const REGISTRY_CLIENT_TYPES = ['mlflow', 'kubeflow'] as const;

/**
 * How to reach a registry, whatever its type.
 *
 * @public
 */
export type RegistryClientOptions = MlflowClientOptions & {
  /**
   * `mlflow` or `kubeflow` ({@link REGISTRY_CLIENT_TYPES}); `username` and
   * `password` are for MLflow's basic-auth app only.
   */
  type: string;
};

/**
 * A {@link ModelRegistryClient} for a registry of a built-in type; throws
 * an `InputError` for another type, or for credentials the type does not
 * take.
 *
 * @public
 */
export function createRegistryClient(
  options: RegistryClientOptions,
): ModelRegistryClient {
  const { type, username, password, ...common } = options;
  if (type === 'mlflow') {
    return MlflowRegistryClient.create(
      MlflowClient.create({ ...common, username, password }),
    );
  }
  if (type === 'kubeflow') {
    if (username || password) {
      throw new InputError(
        'The Kubeflow Model Registry takes a bearer token, not a username and password; give a token',
      );
    }
    return KubeflowRegistryClient.create(KubeflowClient.create(common));
  }
  throw new InputError(
    `The registry type "${type}" is not built in: use ${REGISTRY_CLIENT_TYPES.join(
      ' or ',
    )}`,
  );
}
