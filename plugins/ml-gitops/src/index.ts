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
