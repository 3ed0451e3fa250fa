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
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  mlGitopsConfigRepoCreatePermission,
  mlGitopsDeploymentDeployPermission,
  mlGitopsDeploymentOverridePermission,
  mlGitopsDeploymentPromotePermission,
  mlGitopsDeploymentReadPermission,
  mlGitopsDeploymentRefreshPermission,
  mlGitopsDeploymentRollbackPermission,
  mlGitopsEnvironmentFreezePermission,
  mlGitopsSecretSealPermission,
  mlGitopsVersionRejectPermission,
  mlGitopsVersionUnrejectPermission,
} from '@ml-gitops/plugin-ml-gitops-common';
import { MlGitopsDemoPolicy, PLATFORM_TEAM } from './permissionPolicy';

function user(...ownershipEntityRefs: string[]): PolicyQueryUser {
  return {
    identity: {
      type: 'user',
      userEntityRef: ownershipEntityRefs[0],
      ownershipEntityRefs,
    },
    info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
    token: 'token',
    credentials: {} as PolicyQueryUser['credentials'],
  } as PolicyQueryUser;
}

const policy = new MlGitopsDemoPolicy();
const ada = user('user:default/ada', 'group:default/fraud-ml');
const katherine = user('user:default/katherine', PLATFORM_TEAM);

describe('the demo permission policy', () => {
  it.each([
    mlGitopsDeploymentReadPermission,
    mlGitopsDeploymentRefreshPermission,
  ])('lets everyone %s', async permission => {
    expect(await policy.handle({ permission })).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it.each([
    mlGitopsDeploymentDeployPermission,
    mlGitopsDeploymentPromotePermission,
    mlGitopsDeploymentRollbackPermission,
    mlGitopsVersionRejectPermission,
    mlGitopsEnvironmentFreezePermission,
    mlGitopsSecretSealPermission,
  ])(
    'lets the catalog decide %s on the owners of the model',
    async permission => {
      expect(await policy.handle({ permission }, ada)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: { claims: ['user:default/ada', 'group:default/fraud-ml'] },
        },
      });
    },
  );

  it.each([
    mlGitopsDeploymentOverridePermission,
    mlGitopsVersionUnrejectPermission,
  ])('keeps %s to the platform team', async permission => {
    expect((await policy.handle({ permission }, katherine)).result).toBe(
      AuthorizeResult.ALLOW,
    );
    expect((await policy.handle({ permission }, ada)).result).toBe(
      AuthorizeResult.DENY,
    );
    expect((await policy.handle({ permission })).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('lets a signed-in user create a config repo', async () => {
    const permission = mlGitopsConfigRepoCreatePermission;
    expect((await policy.handle({ permission }, ada)).result).toBe(
      AuthorizeResult.ALLOW,
    );
    expect((await policy.handle({ permission })).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('allows what is not ML GitOps', async () => {
    const permission = createPermission({
      name: 'catalog.entity.delete',
      attributes: { action: 'delete' },
    });
    expect((await policy.handle({ permission }, ada)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });
});
