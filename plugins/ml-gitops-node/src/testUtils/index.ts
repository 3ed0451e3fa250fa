/**
 * Test utilities: an in-memory GitHub for msw that answers the config-repo
 * client's requests with the payload shapes of GitHub's REST API.
 *
 * @packageDocumentation
 */
export { FakeGithubRepo, manifest } from './FakeGithubRepo';
export type { FakeCommit, FakeOpenedPull, FakePull } from './FakeGithubRepo';
export { GitBackedRepo } from './GitBackedRepo';
