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
 * The ML GitOps frontend plugin: which model version serves where, whether it
 * is what Git declares, and who put it there; Promote and Rollback as pull
 * requests through software templates.
 *
 * This entry point is for the legacy frontend system; the new frontend
 * system's plugin is the default export of `@ml-gitops/plugin-ml-gitops/alpha`.
 *
 * @packageDocumentation
 */
export {
  mlGitopsPlugin,
  EntityModelDeploymentsCard,
  EntityModelDriftCard,
  EntityMlGitopsContent,
  MlGitopsFleetPage,
} from './plugin';
export type { EntityMlGitopsContentProps } from './components/EntityMlGitopsContent';
export {
  mlGitopsApiRef,
  MlGitopsClient,
  type MlGitopsApi,
  type GetHistoryOptions,
  type GetFleetOptions,
  type AuditRangeOptions,
} from './api';
export { isMlGitopsAvailable } from '@ml-gitops/plugin-ml-gitops-common';
