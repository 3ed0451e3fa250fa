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
/**
 * Opening a deployment pull request for a model (`ml-gitops:deploy`).
 *
 * @public
 */
export const mlGitopsDeploymentDeployPermission = createPermission({
  name: 'ml-gitops.deployment.deploy',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Overriding the checks of a deploy or promotion with `force: true`.
 *
 * @public
 */
export const mlGitopsDeploymentOverridePermission = createPermission({
  name: 'ml-gitops.deployment.override',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Opening a pull request that adds a sealed secret to a model's config repo
 * (`ml-gitops:secret:seal`).
 *
 * @public
 */
export const mlGitopsSecretSealPermission = createPermission({
  name: 'ml-gitops.secret.seal',
  attributes: { action: 'create' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Creating a config repo (`ml-gitops:config-repo:create`); not tied to an
 * existing entity.
 *
 * @public
 */
export const mlGitopsConfigRepoCreatePermission = createPermission({
  name: 'ml-gitops.config-repo.create',
  attributes: { action: 'create' },
});

/**
 * Marking a model version rejected in the registry, as a rollback does by
 * default (`ml-gitops:rollback`) or on its own (`ml-gitops:version:reject`).
 *
 * @public
 */
export const mlGitopsVersionRejectPermission = createPermission({
  name: 'ml-gitops.version.reject',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Clearing a version's rejection in the registry
 * (`ml-gitops:version:unreject`), so it may be deployed again.
 *
 * @public
 */
export const mlGitopsVersionUnrejectPermission = createPermission({
  name: 'ml-gitops.version.unreject',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/**
 * Opening a pull request that freezes or unfreezes an environment
 * (`ml-gitops:environment:freeze`, `ml-gitops:environment:unfreeze`).
 *
 * @public
 */
export const mlGitopsEnvironmentFreezePermission = createPermission({
  name: 'ml-gitops.environment.freeze',
  attributes: { action: 'update' },
  resourceType: ML_GITOPS_RESOURCE_TYPE,
});

/** @public */
export const mlGitopsPermissions = [
  mlGitopsDeploymentReadPermission,
  mlGitopsDeploymentRefreshPermission,
  mlGitopsDeploymentPromotePermission,
  mlGitopsDeploymentRollbackPermission,
  mlGitopsDeploymentDeployPermission,
  mlGitopsDeploymentOverridePermission,
  mlGitopsSecretSealPermission,
  mlGitopsConfigRepoCreatePermission,
  mlGitopsVersionRejectPermission,
  mlGitopsVersionUnrejectPermission,
  mlGitopsEnvironmentFreezePermission,
];
