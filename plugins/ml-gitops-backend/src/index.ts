/**
 * The ml-gitops backend plugin of ML GitOps for Backstage.
 *
 * @packageDocumentation
 */
export { mlGitopsPlugin as default } from './plugin';
export { readMlGitopsConfig } from './config';
export type {
  MlGitopsConfig,
  ArgoCdInstanceConfig,
  RegistryConfig,
} from './config';
export type {
  AutoRollbackConfig,
  AutoRollbackSettings,
} from './autoRollback/config';
