export {
  approversOf,
  countRequests,
  GithubConfigRepoClient,
  graphqlEndpoint,
} from './GithubConfigRepoClient';
export type {
  BranchHeadsCacheEntry,
  BranchHeadsPrefetch,
  GraphqlRateLimit,
  CommitInfo,
  ConfigRepoLocation,
  PullRequestFacts,
  RequestMeter,
  ValidatorCache,
} from './GithubConfigRepoClient';
export {
  ConfigRepoHistory,
  HistoryBudget,
  MAX_REQUESTS_PER_COMMIT,
} from './ConfigRepoHistory';
export type {
  DeclarationMemory,
  DeclaringCommit,
  EnvironmentDeclaration,
  HistoryGap,
} from './ConfigRepoHistory';
export { GithubConfigRepoWriter } from './GithubConfigRepoWriter';
export type { GitHost, GitHostReader, GitHostWriter } from './GitHost';
export { rateLimitedUntil, sendWithRateLimitRetry } from './rateLimits';
export type { RateLimitAnswer, RateLimitRetryOptions } from './rateLimits';
export type {
  AccessGrantResult,
  FileOnBranch,
  OpenedPullRequest,
  ReviewRequestResult,
} from './GithubConfigRepoWriter';
// The naming and records of change pull requests live in -common (the CLI
// reads them too); re-exported for the packages that import them from here.
export {
  CHANGE_BRANCH_PREFIX,
  CHANGE_LABELS,
  changeBranchName,
  changeKindOfMessage,
  changeTrailer,
  deploymentKindOf,
  isRevertMessage,
  changeRecordBlock,
  parseChangeBranch,
  parseChangeRecord,
  markdownText,
} from '@ml-gitops/plugin-ml-gitops-common';
export type {
  ChangeBranch,
  ChangeKind,
  ChangeRecord,
  VersionChangeFacts,
} from '@ml-gitops/plugin-ml-gitops-common';
export { GitCli, GitCommandError } from './gitCli';
export {
  branchChange,
  directSteps,
  openChangePullRequest,
  openPullRequestsOfKind,
} from './changePullRequest';
export type {
  BranchChange,
  ChangeSteps,
  CommitAuthor,
  PullRequestRef,
} from './changePullRequest';
