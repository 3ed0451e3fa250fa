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

/*
 * The demo's permission policy: how an installation of ML GitOps is meant to
 * share the work (docs/security.md).
 * - Everyone may read deployments and ask for a refresh.
 * - A model's owners may change it: deploy, promote, roll back, reject a
 *   version, freeze an environment, seal a secret (decided by the catalog on
 *   the model's entity, so the ML GitOps tab's buttons and the scaffolder
 *   actions get the same answer).
 * - Only the platform team may override failing checks (`force`) or clear a
 *   version's rejection.
 * Anything that is not ML GitOps is allowed, as in the rest of the demo.
 */
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';

/** The group whose members may override checks and un-reject versions. */
export const PLATFORM_TEAM = 'group:default/ml-platform';

const EVERYONE = new Set([
  'ml-gitops.deployment.read',
  'ml-gitops.deployment.refresh',
]);
const PLATFORM_ONLY = new Set([
  'ml-gitops.deployment.override',
  'ml-gitops.version.unreject',
]);

export class MlGitopsDemoPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (
      !permission.name.startsWith('ml-gitops.') ||
      EVERYONE.has(permission.name)
    ) {
      return { result: AuthorizeResult.ALLOW };
    }
    const claims = user?.info.ownershipEntityRefs ?? [];
    if (PLATFORM_ONLY.has(permission.name)) {
      return {
        result: claims.includes(PLATFORM_TEAM)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    if (isResourcePermission(permission, 'catalog-entity')) {
      // The model's owners: the catalog decides on the entity.
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({ claims }),
      );
    }
    // ml-gitops.config-repo.create: a new model, owned by whoever creates it.
    return { result: user ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'ml-gitops-demo-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new MlGitopsDemoPolicy());
      },
    });
  },
});
