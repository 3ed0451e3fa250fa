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

import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  isResourcePermission,
  Permission,
} from '@backstage/plugin-permission-common';
import { mlGitopsDeploymentOverridePermission } from '@ml-gitops/plugin-ml-gitops-common';
import { ActionCtx, MlGitopsActionOptions } from './actionOptions';

/*
 * The permission checks of the actions, made with the credentials of whoever
 * started the task: hiding a button is not enough, since anyone who can
 * create scaffolder tasks can call an action.
 */

/**
 * Refuses, with NotAllowedError, a change the permission policy does not
 * allow the task's initiator (`resourceRef` for entity permissions).
 */
export async function authorizeChange(
  ctx: ActionCtx,
  options: Pick<MlGitopsActionOptions, 'permissions'>,
  permission: Permission,
  what: string,
  resourceRef?: string,
): Promise<void> {
  const credentials = await ctx.getInitiatorCredentials();
  const [decision] = isResourcePermission(permission)
    ? await options.permissions.authorize(
        [{ permission, resourceRef: resourceRef! }],
        { credentials },
      )
    : await options.permissions.authorize([{ permission }], { credentials });
  if (decision?.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(
      `${
        ctx.user?.ref ?? 'The user who started this task'
      } may not ${what}: the permission policy denies ${permission.name}${
        resourceRef ? ` on ${resourceRef}` : ''
      }`,
    );
  }
}

/**
 * The override permission, when a step asks for `force`: overriding the
 * checks is a right of its own.
 */
export async function authorizeForce(
  ctx: ActionCtx,
  options: Pick<MlGitopsActionOptions, 'permissions'>,
  input: { force?: boolean },
  entityRef: string | undefined,
): Promise<void> {
  if (!input.force) return;
  await authorizeChange(
    ctx,
    options,
    mlGitopsDeploymentOverridePermission,
    `override the checks of ${entityRef} with force`,
    entityRef,
  );
}
