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
