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

import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  scaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleMlGitops } from './module';

describe('scaffolderModuleMlGitops', () => {
  it('registers the ml-gitops actions', async () => {
    const actions: TemplateAction<any, any, any>[] = [];
    await startTestBackend({
      extensionPoints: [
        [
          scaffolderActionsExtensionPoint,
          { addActions: (...added: any[]) => actions.push(...added) },
        ],
      ],
      features: [
        scaffolderModuleMlGitops,
        catalogServiceMock.factory(),
        mockServices.rootConfig.factory({
          data: {
            integrations: { github: [{ host: 'github.com', token: 't' }] },
            mlGitops: {
              environments: ['dev', 'staging', 'production'],
              registries: [
                {
                  name: 'mlflow-default',
                  type: 'mlflow',
                  url: 'https://mlflow.example.com',
                },
              ],
            },
          },
        }),
      ],
    });
    expect(actions.map(a => a.id)).toEqual([
      'ml-gitops:config-repo:create',
      'ml-gitops:deploy',
      'ml-gitops:promote',
      'ml-gitops:rollback',
      'ml-gitops:secret:seal',
      'ml-gitops:environment:freeze',
      'ml-gitops:environment:unfreeze',
      'ml-gitops:version:reject',
      'ml-gitops:version:unreject',
    ]);
    for (const action of actions) {
      expect(action.supportsDryRun).toBe(true);
      expect(action.examples?.length).toBeGreaterThan(0);
      const schemas = [action.schema?.input, action.schema?.output] as Array<{
        properties: Record<string, { description?: string }>;
      }>;
      for (const schema of schemas) {
        for (const [field, property] of Object.entries(schema.properties)) {
          expect([action.id, field, property.description]).toEqual([
            action.id,
            field,
            expect.stringMatching(/\w{3,}/),
          ]);
        }
      }
    }
  });
});
