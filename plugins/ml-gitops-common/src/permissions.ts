import { createPermission } from '@backstage/plugin-permission-common';

/**
 * The resource type of every ml-gitops permission: deployments are authorized
 * on the catalog entity of the model.
 *
 * @public
 */
export const ML_GITOPS_RESOURCE_TYPE = 'catalog-entity';

/**
 * Read the deployments, history and drift of a model.
 *
 * @public
 */
export const mlGitopsDeploymentReadPermission = createPermission({
  name: 'ml-gitops.deployment.read',
  attributes: { action: 'read' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Ask the backend to poll a model now.
 *
 * @public
 */
export const mlGitopsDeploymentRefreshPermission = createPermission({
  name: 'ml-gitops.deployment.refresh',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Open a promotion pull request for a model.
 *
 * @public
 */
export const mlGitopsDeploymentPromotePermission = createPermission({
  name: 'ml-gitops.deployment.promote',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Open a rollback pull request for a model.
 *
 * @public
 */
export const mlGitopsDeploymentRollbackPermission = createPermission({
  name: 'ml-gitops.deployment.rollback',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Every ml-gitops permission, for registration with the permission framework.
 *
 * @public
 */
export const mlGitopsPermissions = [
  mlGitopsDeploymentReadPermission,
  mlGitopsDeploymentRefreshPermission,
  mlGitopsDeploymentPromotePermission,
  mlGitopsDeploymentRollbackPermission,
];
