export {
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
  ValidatorCache,
} from './GithubConfigRepoClient';
export { ConfigRepoHistory } from './ConfigRepoHistory';
export type {
  DeclarationMemory,
  DeclaringCommit,
  EnvironmentDeclaration,
} from './ConfigRepoHistory';
export { GithubConfigRepoWriter } from './GithubConfigRepoWriter';
export { rateLimitedUntil } from './rateLimits';
export type {
  AccessGrantResult,
  FileOnBranch,
  OpenedPullRequest,
  ReviewRequestResult,
} from './GithubConfigRepoWriter';
