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
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import type { ModelRegistryClient } from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsRegistryClientsExtensionPoint } from '@ml-gitops/plugin-ml-gitops-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { readMlGitopsActionsConfig } from './actions/config';
import { createConfigRepoCreateAction } from './actions/configRepoCreate';
import { createDeployAction } from './actions/deploy';
import { createFreezeAction, createUnfreezeAction } from './actions/freeze';
import { createPromoteAction } from './actions/promote';
import { createRollbackAction } from './actions/rollback';
import { createSealSecretAction } from './actions/sealSecret';
import {
  createRejectVersionAction,
  createUnrejectVersionAction,
} from './actions/versionRejection';

/**
 * The scaffolder actions of ML GitOps: `ml-gitops:config-repo:create`,
 * `ml-gitops:deploy`, `ml-gitops:promote`, `ml-gitops:rollback`,
 * `ml-gitops:secret:seal`, `ml-gitops:environment:freeze` and `:unfreeze`,
 * `ml-gitops:version:reject` and `:unreject`.
 *
 * @public
 */
export const scaffolderModuleMlGitops = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'ml-gitops',
  register(reg) {
    // Filled by other scaffolder modules before the actions run: the
    // actions look a registry's client up when they run.
    const registryClients = new Map<string, ModelRegistryClient>();
    reg.registerExtensionPoint(mlGitopsRegistryClientsExtensionPoint, {
      addRegistryClient(name, client) {
        if (registryClients.has(name)) {
          throw new Error(
            `Two modules add a client for the registry "${name}"; install one`,
          );
        }
        registryClients.set(name, client);
      },
    });
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        logger: coreServices.logger,
      },
      async init({
        scaffolder,
        config,
        catalog,
        discovery,
        auth,
        permissions,
        logger,
      }) {
        const options = {
          integrations: ScmIntegrations.fromConfig(config),
          config: { ...readMlGitopsActionsConfig(config), registryClients },
          catalog,
          permissions,
          logger,
        };
        scaffolder.addActions(
          createConfigRepoCreateAction({
            ...options,
            rootConfig: config,
            discovery,
            auth,
          }),
          createDeployAction(options),
          createPromoteAction({ ...options, discovery, auth }),
          createRollbackAction(options),
          createSealSecretAction(options),
          createFreezeAction(options),
          createUnfreezeAction(options),
          createRejectVersionAction(options),
          createUnrejectVersionAction(options),
        );
      },
    });
  },
});
