export { mlGitopsApiRef } from './MlGitopsApi';
export type {
  AuditRangeOptions,
  GetFleetOptions,
  GetHistoryOptions,
  MlGitopsApi,
} from './MlGitopsApi';
export { MlGitopsClient } from './MlGitopsClient';
