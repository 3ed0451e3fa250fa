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

import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  mlGitopsConfigRepoCreatePermission,
  mlGitopsDeploymentDeployPermission,
  mlGitopsDeploymentOverridePermission,
  mlGitopsSecretSealPermission,
  mlGitopsDeploymentPromotePermission,
  mlGitopsDeploymentReadPermission,
  mlGitopsDeploymentRefreshPermission,
  mlGitopsDeploymentRollbackPermission,
  mlGitopsEnvironmentFreezePermission,
  mlGitopsPermissions,
  mlGitopsVersionRejectPermission,
  mlGitopsVersionUnrejectPermission,
} from './permissions';

describe('permissions', () => {
  it.each([
    [mlGitopsDeploymentReadPermission, 'ml-gitops.deployment.read', 'read'],
    [
      mlGitopsDeploymentRefreshPermission,
      'ml-gitops.deployment.refresh',
      'update',
    ],
    [
      mlGitopsDeploymentPromotePermission,
      'ml-gitops.deployment.promote',
      'update',
    ],
    [
      mlGitopsDeploymentRollbackPermission,
      'ml-gitops.deployment.rollback',
      'update',
    ],
    [mlGitopsVersionRejectPermission, 'ml-gitops.version.reject', 'update'],
    [mlGitopsVersionUnrejectPermission, 'ml-gitops.version.unreject', 'update'],
    [
      mlGitopsEnvironmentFreezePermission,
      'ml-gitops.environment.freeze',
      'update',
    ],
  ])(
    '%o is a catalog-entity resource permission',
    (permission, name, action) => {
      expect(permission.name).toBe(name);
      expect(permission.attributes.action).toBe(action);
      expect(isResourcePermission(permission, 'catalog-entity')).toBe(true);
    },
  );

  it('lists all of them once', () => {
    expect(mlGitopsPermissions.map(p => p.name)).toEqual([
      'ml-gitops.deployment.read',
      'ml-gitops.deployment.refresh',
      'ml-gitops.deployment.promote',
      'ml-gitops.deployment.rollback',
      'ml-gitops.deployment.deploy',
      'ml-gitops.deployment.override',
      'ml-gitops.secret.seal',
      'ml-gitops.config-repo.create',
      'ml-gitops.version.reject',
      'ml-gitops.version.unreject',
      'ml-gitops.environment.freeze',
    ]);
  });

  it('makes creating a config repo a basic permission, the others entity permissions', () => {
    expect(isResourcePermission(mlGitopsConfigRepoCreatePermission)).toBe(
      false,
    );
    for (const permission of [
      mlGitopsDeploymentDeployPermission,
      mlGitopsDeploymentOverridePermission,
      mlGitopsSecretSealPermission,
    ]) {
      expect(isResourcePermission(permission, 'catalog-entity')).toBe(true);
    }
  });
});
