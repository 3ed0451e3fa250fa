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
