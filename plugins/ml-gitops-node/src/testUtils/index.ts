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
 * Test utilities: an in-memory GitHub for msw that answers the config-repo
 * client's requests with the payload shapes of GitHub's REST API, and the
 * renderers of those shapes, shared by every GitHub fake of the project
 * (these msw fakes, and the sandbox's emulators); the same for GitLab
 * (`FakeGitlabRepo` over a real Git repository, the `gitlab*` renderers).
 *
 * @packageDocumentation
 */
export { FakeGithubRepo, manifest } from './FakeGithubRepo';
export type { FakeCommit, FakeOpenedPull, FakePull } from './FakeGithubRepo';
export { GitBackedRepo } from './GitBackedRepo';
export {
  githubBlob,
  githubBranch,
  githubBranchDetail,
  githubBranchProtection,
  githubCombinedStatus,
  githubCommit,
  githubContentEntry,
  githubContentFile,
  githubFileCommit,
  githubGitCommit,
  githubId,
  githubInvitation,
  githubIssueComment,
  githubLabel,
  githubPublicUser,
  githubPull,
  githubRef,
  githubRepository,
  githubRepositoryMinimal,
  githubReview,
  githubShortBlob,
  githubSimpleStatus,
  githubStatus,
  githubTree,
  githubUser,
} from './githubAnswers';
export type {
  GithubAccount,
  GithubCommitFile,
  GithubProtectionRules,
  GithubPullOptions,
  GithubRepositoryOptions,
  GithubRequiredCheck,
  GithubSignature,
  GithubSite,
  GithubStatusFacts,
  GithubTreeEntry,
} from './githubAnswers';
export { FakeGitlabRepo } from './FakeGitlabRepo';
export type { FakeGitlabUser, FakeMergeRequest } from './FakeGitlabRepo';
export {
  gitlabApprovalRule,
  gitlabApprovals,
  gitlabBranch,
  gitlabCommit,
  gitlabFile,
  gitlabGroup,
  gitlabId,
  gitlabMember,
  gitlabMergeRequest,
  gitlabNamespace,
  gitlabNote,
  gitlabPage,
  gitlabPageHeaders,
  gitlabProject,
  gitlabProtectedBranch,
  gitlabUser,
  gitlabUserBasic,
} from './gitlabAnswers';
export type {
  GitlabCommitFacts,
  GitlabMergeRequestFacts,
  GitlabSite,
} from './gitlabAnswers';
