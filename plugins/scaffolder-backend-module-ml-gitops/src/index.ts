/**
 * Scaffolder actions of ML GitOps for Backstage: every change to a model's
 * config repo is a pull request — `ml-gitops:deploy`, `ml-gitops:promote`,
 * `ml-gitops:rollback` and `ml-gitops:secret:seal` — and
 * `ml-gitops:config-repo:create` sets the repo up.
 *
 * @packageDocumentation
 */
export { scaffolderModuleMlGitops as default } from './module';
export { scaffolderModuleMlGitops } from './module';
export { createConfigRepoCreateAction } from './actions/configRepoCreate';
export type { ConfigRepoCreateActionOptions } from './actions/configRepoCreate';
export { createDeployAction } from './actions/deploy';
export { createPromoteAction } from './actions/promote';
export type { PromoteActionOptions } from './actions/promote';
export { createRollbackAction } from './actions/rollback';
export type { RollbackActionOptions } from './actions/rollback';
export { createSealSecretAction } from './actions/sealSecret';
export { createFreezeAction, createUnfreezeAction } from './actions/freeze';
export {
  createRejectVersionAction,
  createUnrejectVersionAction,
} from './actions/versionRejection';
export type { SealingScope } from './actions/sealing';
export { readMlGitopsActionsConfig } from './actions/config';
export type {
  ActionsRegistryConfig,
  MlGitopsActionsConfig,
  SealedSecretsActionsConfig,
} from './actions/config';
export type { MlGitopsActionOptions } from './actions/actionOptions';
