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

import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockServices,
  registerMswTestHooks,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  scaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  ModelRegistryClient,
  RegistryRejectionInput,
  RegistryVersion,
} from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsRegistryClientsExtensionPoint } from '@ml-gitops/plugin-ml-gitops-node';
import { manifest } from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { setupServer } from 'msw/node';
import {
  fakeConfigRepoOf,
  fraudDetectorEntity,
  GITHUB_TOKEN,
  makeContext,
} from './__testUtils__/setup';
import { scaffolderModuleMlGitops } from './module';

/*
 * A registry whose type is not built in, brought by another scaffolder
 * module through mlGitopsRegistryClientsExtensionPoint: the actions use its
 * client like a built-in one.
 */

const server = setupServer();
registerMswTestHooks(server);

/** A registry kept in memory, as a module's client of its own registry would answer. */
class InMemoryRegistry implements ModelRegistryClient {
  readonly type = 'in-memory';
  readonly url = 'https://registry.internal.example.com';
  readonly tags = new Map<string, Record<string, string>>([
    ['12', {}],
    ['13', {}],
  ]);

  async getVersion(
    model: string,
    version: string,
  ): Promise<RegistryVersion | undefined> {
    const tags = this.tags.get(version);
    if (model !== 'fraud-detector' || !tags) return undefined;
    return {
      model,
      version,
      status: 'READY',
      ready: true,
      aliases: [],
      supportsAliases: false,
      tags,
      blockers: [],
      metrics: { auc: 0.97 },
    };
  }
  async getMetrics(version: RegistryVersion) {
    return {
      ok: true as const,
      metrics: version.metrics ?? {},
      source: { kind: 'custom-properties' as const },
    };
  }
  async resolveServingArtifact() {
    return undefined;
  }
  async resolveModelFormat() {
    return { format: 'sklearn', flavors: [] };
  }
  async rejectVersion(
    _model: string,
    version: string,
    rejection: RegistryRejectionInput,
  ) {
    this.tags.set(version, {
      validation_status: 'rejected',
      'ml-gitops.rejected_reason': rejection.reason,
    });
  }
  async unrejectVersion(_model: string, version: string) {
    this.tags.set(version, {});
  }
}

async function start(registry: InMemoryRegistry) {
  const actions: TemplateAction<any, any, any>[] = [];
  const inMemoryModule = createBackendModule({
    pluginId: 'scaffolder',
    moduleId: 'in-memory-registry',
    register(reg) {
      reg.registerInit({
        deps: { clients: mlGitopsRegistryClientsExtensionPoint },
        async init({ clients }) {
          clients.addRegistryClient('models-internal', registry);
        },
      });
    },
  });
  await startTestBackend({
    extensionPoints: [
      [
        scaffolderActionsExtensionPoint,
        { addActions: (...added: any[]) => actions.push(...added) },
      ],
    ],
    features: [
      scaffolderModuleMlGitops,
      inMemoryModule,
      catalogServiceMock.factory({ entities: [fraudDetectorEntity()] }),
      mockServices.rootConfig.factory({
        data: {
          integrations: {
            github: [{ host: 'github.com', token: GITHUB_TOKEN }],
          },
          mlGitops: {
            environments: ['dev', 'staging', 'production'],
            registries: [
              {
                name: 'models-internal',
                type: 'in-memory',
                url: 'https://registry.internal.example.com',
              },
              {
                name: 'models-other',
                type: 'other',
                url: 'https://registry.other.example.com',
              },
            ],
          },
        },
      }),
    ],
  });
  return (id: string) => actions.find(a => a.id === id)!;
}

describe('registries added by a backend module', () => {
  it('rejects a version through the client a module added', async () => {
    const registry = new InMemoryRegistry();
    const text = manifest('12').replace(
      'registry: mlflow-default',
      'registry: models-internal',
    );
    const repo = fakeConfigRepoOf({
      dev: text,
      staging: text,
      production: text,
    });
    server.use(...repo.writeHandlers(), ...repo.handlers());
    const action = await start(registry);
    await action('ml-gitops:version:reject').handler(
      makeContext({
        entityRef: 'component:default/fraud-detector',
        version: '13',
        reason: 'Leaks PII',
      }).ctx,
    );
    expect(registry.tags.get('13')).toEqual({
      validation_status: 'rejected',
      'ml-gitops.rejected_reason': 'Leaks PII',
    });
  });

  it('without such a module, names the type and what to install', async () => {
    const text = manifest('12').replace(
      'registry: mlflow-default',
      'registry: models-other',
    );
    const repo = fakeConfigRepoOf({
      dev: text,
      staging: text,
      production: text,
    });
    server.use(...repo.writeHandlers(), ...repo.handlers());
    const action = await start(new InMemoryRegistry());
    await expect(
      action('ml-gitops:version:reject').handler(
        makeContext({
          entityRef: 'component:default/fraud-detector',
          version: '13',
          reason: 'Leaks PII',
        }).ctx,
      ),
    ).rejects.toThrow(
      'Cannot reach the registry: the registry "models-other" has type "other", which is not built in (mlflow, kubeflow) and no installed module provides a client for it',
    );
  });
});
