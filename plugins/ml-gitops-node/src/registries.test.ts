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
  KubeflowRegistryClient,
  MlflowRegistryClient,
  ModelRegistryClient,
} from '@ml-gitops/plugin-ml-gitops-common';
import { registryAccess } from './registries';

const registries = [
  { name: 'mlflow-default', type: 'mlflow', url: 'https://mlflow.example.com' },
  { name: 'kf', type: 'kubeflow', url: 'https://mr.example.com', token: 't' },
  { name: 'sm', type: 'sagemaker', url: 'https://sm.example.com' },
];

describe('registryAccess', () => {
  it('gives a client of the built-in types', () => {
    const mlflow = registryAccess(registries, {
      manifest: { registry: 'mlflow-default' },
    });
    expect(mlflow.client).toBeInstanceOf(MlflowRegistryClient);
    expect(mlflow).toMatchObject({ type: 'mlflow', name: 'mlflow-default' });
    const kubeflow = registryAccess(registries, {
      registryName: 'kf',
      manifest: { registry: 'mlflow-default' },
    });
    expect(kubeflow.client).toBeInstanceOf(KubeflowRegistryClient);
    expect(kubeflow.client?.url).toBe('https://mr.example.com');
  });

  it('names a type that is not built in and that no module provides', () => {
    expect(
      registryAccess(registries, { manifest: { registry: 'sm' } }),
    ).toEqual({
      name: 'sm',
      url: 'https://sm.example.com',
      type: 'sagemaker',
      problem:
        'the registry "sm" has type "sagemaker", which is not built in (mlflow, kubeflow) and no installed module provides a client for it',
    });
  });

  it("takes a module's client for its registry, never over a built-in one", () => {
    const client = {
      type: 'sagemaker',
      url: 'https://sm.example.com',
    } as ModelRegistryClient;
    const clients = new Map([
      ['sm', client],
      ['kf', client],
    ]);
    expect(
      registryAccess(registries, { manifest: { registry: 'sm' }, clients })
        .client,
    ).toBe(client);
    expect(
      registryAccess(registries, { manifest: { registry: 'kf' }, clients })
        .client,
    ).toBeInstanceOf(KubeflowRegistryClient);
  });
});
