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

export { ComposedGitHostReader } from './ComposedGitHostReader';
export type { GitHostReads } from './ComposedGitHostReader';
export { GithubConfigRepoClient } from './GithubConfigRepoClient';
export { graphqlEndpoint } from './githubGraphql';
export { approversOf } from './pullRequestReads';
export type { PullReview } from './pullRequestReads';
export type {
  BranchHeadsCacheEntry,
  BranchHeadsPrefetch,
  GraphqlRateLimit,
  CommitInfo,
  ConfigRepoLocation,
  PullRequestFacts,
  RequestMeter,
  ValidatorCache,
} from './configRepoTypes';
export { ConfigRepoHistory } from './ConfigRepoHistory';
export { HistoryBudget, MAX_REQUESTS_PER_COMMIT } from './historyDeclarations';
export type {
  DeclarationMemory,
  DeclaringCommit,
  EnvironmentDeclaration,
  HistoryGap,
} from './historyDeclarations';
export { GithubConfigRepoWriter } from './GithubConfigRepoWriter';
export { GitlabConfigRepoClient } from './gitlab/GitlabConfigRepoClient';
export { GitlabConfigRepoWriter } from './gitlab/GitlabConfigRepoWriter';
export type {
  CommitAndFileAt,
  GitHost,
  GitHostRateLimit,
  GitHostRateLimitRefusal,
  GitHostRateLimitReport,
  GitHostReader,
  GitHostWriter,
  NewRepositoryOptions,
} from './GitHost';
export { rateLimitedUntil, sendWithRateLimitRetry } from './rateLimits';
export type { RateLimitAnswer, RateLimitRetryOptions } from './rateLimits';
export type {
  AccessGrantResult,
  BranchProtection,
  FileCommit,
  FileOnBranch,
  OpenedPullRequest,
  ReviewRequestResult,
  TreeCommit,
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
export type { FetchFn } from './githubTransport';
export { createGitHosts } from './ConfigRepoHosts';
export type {
  GitHostClientOptions,
  GitHostIntegrationKind,
  GitHostOptions,
  GitHostRegistration,
} from './ConfigRepoHosts';
