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

import type {
  BranchHeadsPrefetch,
  CommitInfo,
  ConfigRepoLocation,
  PullRequestFacts,
} from './configRepoTypes';
import type {
  AccessGrantResult,
  BranchProtection,
  FileCommit,
  FileOnBranch,
  OpenedPullRequest,
  ReviewRequestResult,
  TreeCommit,
} from './GithubConfigRepoWriter';

/**
 * What the backend and the actions read from a config repo's Git host.
 * GitHub's is {@link GithubConfigRepoClient}; a GitLab one (issue #17)
 * implements the same. {@link createGitHosts} builds one that routes each
 * call to the implementation of the repo's host.
 *
 * - Branch heads: of one repo, conditionally (`changed: false` when the
 *   host said nothing moved, e.g. an ETag answered 304), and of a whole
 *   fleet in batches (GitHub: GraphQL queries of 100 repos).
 * - Files at a commit: immutable, so cached by commit; `null` when absent.
 * - First-parent history: a walk from a branch head over each commit's
 *   `parents[0]` ({@link GitHostReader.getCommit}), with the change request
 *   that merged each commit into the branch, who merged it and who approved
 *   what was merged ({@link GitHostReader.getMergedPullRequest}).
 *
 * "Pull request" means the host's change request (a GitLab merge request).
 *
 * @public
 */
export interface GitHostReader {
  /**
   * The location of a config repo URL on this host; throws an InputError
   * saying what to fix when the URL does not name a repo of a configured
   * host, and a NotAllowedError when its owner is not allowed.
   */
  locate(repoUrl: string): ConfigRepoLocation;

  /** The head commit of every branch; `changed` is false when nothing moved since the last call. */
  getBranchHeads(
    loc: ConfigRepoLocation,
  ): Promise<{ heads: Record<string, string>; changed: boolean }>;

  /**
   * Starts reading the heads of `branches` of many repos in batches;
   * a repo's promise settles to `undefined` where the host cannot answer
   * in a batch (the caller then uses {@link GitHostReader.getBranchHeads}).
   */
  prefetchBranchHeads(
    locs: ConfigRepoLocation[],
    branches: string[],
  ): BranchHeadsPrefetch;

  /** A file's text at a commit, or null when it does not exist there. */
  getFile(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<string | null>;

  /** One commit with its parents, its author and when it reached the branch. */
  getCommit(loc: ConfigRepoLocation, sha: string): Promise<CommitInfo>;

  /**
   * Reads ahead, in batches where the host can (GitHub: GraphQL queries of
   * 100 repos), commits and the file at each that reads will ask for next,
   * such as the head and its manifest of a branch read for the first time,
   * so that {@link GitHostReader.getCommit} and
   * {@link GitHostReader.getFile} answer them from memory. Never fails:
   * what it could not read is read one request at a time when asked.
   */
  prefetchCommitsAndFiles?(items: CommitAndFileAt[]): Promise<void>;

  /** The merged change request that brought `sha` into `baseRef`, if any. */
  getMergedPullRequest(
    loc: ConfigRepoLocation,
    sha: string,
    baseRef: string,
  ): Promise<PullRequestFacts | undefined>;

  /**
   * What the host's rate limits said last, for the poll cycle's log line
   * and its warnings; a host whose reads are not rate limited in a way
   * worth watching has none.
   */
  rateLimitReport?(): GitHostRateLimitReport;
}

/**
 * A commit of a config repo, and a file at it, to read ahead
 * ({@link GitHostReader.prefetchCommitsAndFiles}).
 *
 * @public
 */
export type CommitAndFileAt = {
  loc: ConfigRepoLocation;
  sha: string;
  path: string;
};

/**
 * What a Git host API's rate limit said in its last answer.
 *
 * @public
 */
export type GitHostRateLimit = {
  /** The API whose limit it is, as a person names it, e.g. `GitHub GraphQL`. */
  api: string;
  host: string;
  /** How much of the window is left, in {@link GitHostRateLimit.unit}. */
  remaining: number;
  /** What the limit counts, e.g. `points` or `requests`. */
  unit: string;
  /** When the window resets (ISO 8601). */
  resetAt: string;
  /** Below this many left the poller warns, once a window. */
  lowBelow: number;
  /** What the reader spends of the limit, said in the warning. */
  spending: string;
};

/**
 * A Git host API that refused the reader for its rate limit, and what the
 * reader does meanwhile.
 *
 * @public
 */
export type GitHostRateLimitRefusal = {
  /** The API that refused, e.g. `GitHub GraphQL`. */
  api: string;
  host: string;
  /** What was refused, e.g. `branch heads`. */
  refused: string;
  /** Which of the host's limits, e.g. `primary` or `secondary`. */
  kind: string;
  /** The host's own words. */
  message: string;
  /** What the reader does instead until then, e.g. `they are read through REST`. */
  fallback: string;
  /** Until when (ISO 8601). */
  until: string;
};

/**
 * The rate limits a {@link GitHostReader} watches: what is left of each,
 * and the ones that refused it.
 *
 * @public
 */
export type GitHostRateLimitReport = {
  limits: GitHostRateLimit[];
  refusals: GitHostRateLimitRefusal[];
};

/**
 * What the scaffolder actions change in a config repo on its Git host.
 * GitHub's is {@link GithubConfigRepoWriter}. Every method is safe to
 * repeat: what exists already is found and returned, not made twice.
 *
 * - Branches and commits: create a branch at a commit, move an action's
 *   own branch, make a commit on a parent without moving a branch, commit
 *   one file to a branch against the blob it replaces (the validator that
 *   refuses a lost update).
 * - Change requests: find, open, update, list, close (with a comment),
 *   label, ask for reviews.
 * - Repos: create one, set its default branch, protect its environment
 *   branches, give its code owners access.
 *
 * @public
 */
export interface GitHostWriter {
  /** The token for `git` over HTTPS; never logged or returned to a caller. */
  getToken(loc: ConfigRepoLocation): Promise<string | undefined>;
  /**
   * The user name `git` sends with the token over HTTPS (basic auth) to the
   * repo's host: GitHub's `x-access-token`, GitLab's `oauth2`.
   */
  gitTokenUser(loc: ConfigRepoLocation): string;

  getBranchHead(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<string | undefined>;
  createBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<{ sha: string; created: boolean }>;
  /** Moves one of the actions' own branches, even when not a fast-forward. */
  resetBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<void>;
  /**
   * Makes a commit writing `files` over `parent` without moving a branch.
   * `parentTree` is the parent's tree, which GitHub's Git database API
   * builds on; a host that builds on the parent commit may ignore it.
   */
  createCommit(loc: ConfigRepoLocation, options: TreeCommit): Promise<string>;
  getCommit(
    loc: ConfigRepoLocation,
    sha: string,
  ): Promise<{ sha: string; parents: string[]; tree: string } | undefined>;
  /** A file's text at a ref with its blob id, the validator of a later {@link GitHostWriter.commitFile}. */
  getFile(
    loc: ConfigRepoLocation,
    path: string,
    ref: string,
  ): Promise<FileOnBranch | undefined>;
  /** Commits one file to a branch, replacing the blob `blobSha` (or creating the file). */
  commitFile(loc: ConfigRepoLocation, options: FileCommit): Promise<string>;

  findOpenPullRequest(
    loc: ConfigRepoLocation,
    head: string,
    base: string,
  ): Promise<{ number: number; url: string } | undefined>;
  openPullRequest(
    loc: ConfigRepoLocation,
    options: { head: string; base: string; title: string; body: string },
  ): Promise<OpenedPullRequest>;
  updatePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    options: { title: string; body: string },
  ): Promise<void>;
  listOpenPullRequests(
    loc: ConfigRepoLocation,
    base: string,
  ): Promise<Array<{ number: number; url: string; head: string }>>;
  closePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    comment: string,
  ): Promise<void>;
  addLabels(
    loc: ConfigRepoLocation,
    pullNumber: number,
    labels: string[],
  ): Promise<void>;
  /** Asks for reviews; reviewers the host refuses are returned, not thrown. */
  requestReviewers(
    loc: ConfigRepoLocation,
    pullNumber: number,
    reviewers: string[],
  ): Promise<ReviewRequestResult>;

  repositoryExists(loc: ConfigRepoLocation): Promise<boolean>;
  createRepository(
    loc: ConfigRepoLocation,
    options: NewRepositoryOptions,
  ): Promise<{ url: string; created: boolean }>;
  setDefaultBranch(loc: ConfigRepoLocation, branch: string): Promise<void>;
  /**
   * Changes only through change requests that pass `checks`, with
   * `approvals` approvals (code owners' when more than zero); no force
   * pushes or deletion.
   */
  protectBranch(
    loc: ConfigRepoLocation,
    branch: string,
    options: BranchProtection,
  ): Promise<void>;
  /** Gives code owners (`@user`, `@org/team`) write access; who could not be is returned. */
  grantAccess(
    loc: ConfigRepoLocation,
    owners: string[],
    permission?: 'push' | 'maintain',
  ): Promise<AccessGrantResult>;
}

/**
 * A config repo's Git host: how the plugins read it and change it. Two
 * sides, as today's callers hold them (`createGitClients` returns both),
 * because a reader caches what never changes and a writer never does.
 *
 * @public
 */
export type GitHost = {
  reader: GitHostReader;
  writer: GitHostWriter;
};

/**
 * A new config repo's description and who may see it
 * ({@link GitHostWriter.createRepository}).
 *
 * @public
 */
export type NewRepositoryOptions = {
  description?: string;
  visibility: 'private' | 'internal' | 'public';
};
