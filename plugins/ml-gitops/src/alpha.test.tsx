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

import plugin from './alpha';
import { mlGitopsPlugin } from './plugin';
import { createFromTemplateRouteRef, rootRouteRef } from './routes';

describe('ml-gitops frontend plugin', () => {
  it('is a new frontend system plugin with the API, cards, tab and page', () => {
    expect(plugin.pluginId).toBe('ml-gitops');
    expect(plugin.routes.root).toBe(rootRouteRef);
    expect(plugin.externalRoutes.createFromTemplate).toBe(
      createFromTemplateRouteRef,
    );
    for (const id of [
      'api:ml-gitops',
      'entity-card:ml-gitops/deployments',
      'entity-card:ml-gitops/drift',
      'entity-content:ml-gitops',
      'page:ml-gitops',
    ] as const) {
      // getExtension throws for an unknown id; the definition has the kind
      // and name the id is made of.
      const [kind, namespaced] = id.split(':');
      expect(plugin.getExtension(id)).toMatchObject({
        kind,
        name: namespaced.split('/')[1],
      });
    }
  });

  it('is a legacy plugin with the same id', () => {
    expect(mlGitopsPlugin.getId()).toBe('ml-gitops');
    expect(mlGitopsPlugin.getApis()).toHaveLength(1);
  });
});
