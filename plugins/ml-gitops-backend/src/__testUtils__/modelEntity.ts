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

import { Entity } from '@backstage/catalog-model';

/**
 * A model's catalog entity as the backend's tests use it: a Component
 * annotated with its model name and the config repo `acme/<name>-config`
 * on github.com.
 */
export function modelEntity(
  name: string,
  owner: string = 'group:default/ml',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'ml-gitops/model': name,
        'ml-gitops/config-repo': `https://github.com/acme/${name}-config`,
      },
    },
    spec: { type: 'ml-model', owner, lifecycle: 'production' },
  };
}
