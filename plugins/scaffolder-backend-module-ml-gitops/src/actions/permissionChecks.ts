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
