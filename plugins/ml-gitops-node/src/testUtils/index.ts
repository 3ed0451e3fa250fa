/**
 * Test utilities: an in-memory GitHub for msw that answers the config-repo
 * client's requests with the payload shapes of GitHub's REST API, and the
 * renderers of those shapes, shared by every GitHub fake of the project
 * (these msw fakes, and the sandbox's emulators).
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
