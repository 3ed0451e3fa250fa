export { mlGitopsApiRef } from './MlGitopsApi';
export type {
  GetFleetOptions,
  GetHistoryOptions,
  MlGitopsApi,
} from './MlGitopsApi';
export { MlGitopsClient } from './MlGitopsClient';
