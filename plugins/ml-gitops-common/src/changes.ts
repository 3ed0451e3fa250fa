import {
  mlGitopsDeploymentPromotePermission,
  mlGitopsDeploymentRollbackPermission,
} from './permissions';

/**
 * The changes the ML GitOps tab starts: the software template each button
 * opens, the scaffolder action that template runs, and the permission both
 * the button and the action check. One table, so the button and the server
 * cannot disagree on who may make a change.
 *
 * @public
 */
export const mlGitopsTabChanges = {
  promote: {
    template: { namespace: 'default', name: 'ml-gitops-promote' },
    action: 'ml-gitops:promote',
    permission: mlGitopsDeploymentPromotePermission,
  },
  rollback: {
    template: { namespace: 'default', name: 'ml-gitops-rollback' },
    action: 'ml-gitops:rollback',
    permission: mlGitopsDeploymentRollbackPermission,
  },
} as const;
