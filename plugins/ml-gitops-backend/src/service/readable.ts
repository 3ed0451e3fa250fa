import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mlGitopsDeploymentReadPermission } from '@ml-gitops/plugin-ml-gitops-common';

/**
 * The entity refs the caller may read (`ml-gitops.deployment.read`), asked
 * of the permission policy in one batch, whatever the page size: the fleet,
 * the drift list and the audit answers filter their pages through it.
 */
export async function readableEntityRefs(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  entityRefs: string[],
): Promise<Set<string>> {
  const unique = [...new Set(entityRefs)];
  if (unique.length === 0) {
    return new Set();
  }
  const decisions = await permissions.authorize(
    unique.map(resourceRef => ({
      permission: mlGitopsDeploymentReadPermission,
      resourceRef,
    })),
    { credentials },
  );
  return new Set(
    unique.filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW),
  );
}
