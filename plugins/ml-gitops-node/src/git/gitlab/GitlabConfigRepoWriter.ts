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

// The GitLab config-repo writer: the class that composes the branch and commit, merge request and project writes on GitLab's REST API v4.
import {
  DefaultGitlabCredentialsProvider,
  GitlabCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import type { GitHostWriter, NewRepositoryOptions } from '../GitHost';
import type { ConfigRepoLocation } from '../configRepoTypes';
import type {
  AccessGrantResult,
  BranchProtection,
  FileCommit,
  FileOnBranch,
  OpenedPullRequest,
  ReviewRequestResult,
  TreeCommit,
} from '../GithubConfigRepoWriter';
import type { FetchFn } from '../githubTransport';
import type { RateLimitRetryOptions } from '../rateLimits';
import { GitlabApi } from './gitlabApi';
import { GitlabTransport } from './gitlabTransport';
import { GitlabBranchWrites } from './gitlabWriterBranches';
import { GitlabMergeRequestWrites } from './gitlabWriterMergeRequests';
import { GitlabProjectWrites } from './gitlabWriterProject';

/** The default of how long one request to GitLab may take. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Makes the changes the scaffolder actions propose to a config repo on
 * GitLab, through Backstage's `integrations.gitlab` credentials (a token
 * with the scope `api`, Developer on the project; Maintainer for its
 * settings and protection). Every method is safe to repeat, as
 * {@link GitHostWriter} says. Where GitHub's model does not fit GitLab the
 * GitLab way is taken: a commit made without a branch lands on a scratch
 * branch until a branch takes it; an own branch is moved by deleting and
 * creating it; a file's lock is its `last_commit_id`; protection is a
 * protected branch, an approval rule and "pipelines must succeed".
 * @public
 */
export class GitlabConfigRepoWriter implements GitHostWriter {
  /** A writer with the credentials of `integrations.gitlab`. */
  static fromIntegrations(options: {
    integrations: ScmIntegrationRegistry;
    credentialsProvider?: GitlabCredentialsProvider;
    fetch?: FetchFn;
    /** How long one request may take (default 30 s). */
    timeoutMs?: number;
    /**
     * How a rate-limited request (429) is retried: by default a limit that
     * lifts within a minute is waited for, three times at most.
     */
    rateLimitRetry?: RateLimitRetryOptions;
  }): GitlabConfigRepoWriter {
    const credentials =
      options.credentialsProvider ??
      DefaultGitlabCredentialsProvider.fromIntegrations(options.integrations);
    return new GitlabConfigRepoWriter(
      credentials,
      new GitlabApi(
        credentials,
        new GitlabTransport({
          fetch: options.fetch,
          timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          rateLimitRetry: {
            maxWaitMs: 60_000,
            maxRetries: 3,
            ...options.rateLimitRetry,
          },
        }),
      ),
    );
  }

  /** GitLab takes a token over HTTPS as the password of the user `oauth2`. */
  gitTokenUser(): string {
    return 'oauth2';
  }

  private readonly branches: GitlabBranchWrites;
  private readonly mergeRequests: GitlabMergeRequestWrites;
  private readonly project: GitlabProjectWrites;

  private constructor(
    private readonly credentials: GitlabCredentialsProvider,
    api: GitlabApi,
  ) {
    this.branches = new GitlabBranchWrites(api);
    this.mergeRequests = new GitlabMergeRequestWrites(api);
    this.project = new GitlabProjectWrites(api);
  }

  /**
   * The integration's token, for `git` over HTTPS (the project URL with
   * `.git`, user {@link GitlabConfigRepoWriter.gitTokenUser}). Never log it
   * or put it in an action's output.
   */
  async getToken(loc: ConfigRepoLocation): Promise<string | undefined> {
    const { token } = await this.credentials.getCredentials({ url: loc.url });
    return token;
  }

  /** The head commit of a branch, or undefined when there is no such branch. */
  async getBranchHead(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<string | undefined> {
    return this.branches.getBranchHead(loc, branch);
  }

  /** Creates `branch` at `sha`; an existing branch is left as it is and its head returned. */
  async createBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<{ sha: string; created: boolean }> {
    return this.branches.createBranch(loc, branch, sha);
  }

  /**
   * Moves one of the actions' own branches to `sha`: GitLab's REST API has
   * no force-move, so the branch is deleted and created again; a protected
   * branch is refused first.
   */
  async resetBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<void> {
    return this.branches.resetBranch(loc, branch, sha);
  }

  /**
   * Makes a commit writing `files` over `parent` on a scratch branch
   * `ml-gitops/commits/…` (a GitLab commit always lands on a branch),
   * deleted once a branch takes the commit; `parentTree` is not needed.
   */
  async createCommit(
    loc: ConfigRepoLocation,
    options: TreeCommit,
  ): Promise<string> {
    return this.branches.createCommit(loc, options);
  }

  /** A commit's parents (GitLab names no tree: `tree` is empty), or undefined. */
  async getCommit(
    loc: ConfigRepoLocation,
    sha: string,
  ): Promise<{ sha: string; parents: string[]; tree: string } | undefined> {
    return this.branches.getCommit(loc, sha);
  }

  /** A file's text and blob id at a ref, or undefined when it is absent. */
  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    ref: string,
  ): Promise<FileOnBranch | undefined> {
    return this.branches.getFile(loc, path, ref);
  }

  /**
   * Commits one file to a branch, replacing the blob `blobSha` (or creating
   * the file), locked by the file's `last_commit_id` as GitLab locks.
   */
  async commitFile(
    loc: ConfigRepoLocation,
    options: FileCommit,
  ): Promise<string> {
    return this.branches.commitFile(loc, options);
  }

  /** The open merge request from `head` into `base`, if there is one. */
  async findOpenPullRequest(
    loc: ConfigRepoLocation,
    head: string,
    base: string,
  ): Promise<{ number: number; url: string } | undefined> {
    return this.mergeRequests.findOpenPullRequest(loc, head, base);
  }

  /** Opens a merge request, or returns the open one of the same branches (`created: false`). */
  async openPullRequest(
    loc: ConfigRepoLocation,
    options: { head: string; base: string; title: string; body: string },
  ): Promise<OpenedPullRequest> {
    return this.mergeRequests.openPullRequest(loc, options);
  }

  /** Rewrites the title and description of an open merge request. */
  async updatePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    options: { title: string; body: string },
  ): Promise<void> {
    return this.mergeRequests.updatePullRequest(loc, pullNumber, options);
  }

  /** The open merge requests into `base` from this project's branches, newest first. */
  async listOpenPullRequests(
    loc: ConfigRepoLocation,
    base: string,
  ): Promise<Array<{ number: number; url: string; head: string }>> {
    return this.mergeRequests.listOpenPullRequests(loc, base);
  }

  /** Comments on a merge request, then closes it without merging. */
  async closePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    comment: string,
  ): Promise<void> {
    return this.mergeRequests.closePullRequest(loc, pullNumber, comment);
  }

  /** Adds labels to a merge request (GitLab creates labels the project lacks). */
  async addLabels(
    loc: ConfigRepoLocation,
    pullNumber: number,
    labels: string[],
  ): Promise<void> {
    return this.mergeRequests.addLabels(loc, pullNumber, labels);
  }

  /** Adds users as reviewers; groups, unknown users and users GitLab did not add are returned. */
  async requestReviewers(
    loc: ConfigRepoLocation,
    pullNumber: number,
    reviewers: string[],
  ): Promise<ReviewRequestResult> {
    return this.mergeRequests.requestReviewers(loc, pullNumber, reviewers);
  }

  /** Whether the project exists (and the token can see it). */
  async repositoryExists(loc: ConfigRepoLocation): Promise<boolean> {
    return this.project.repositoryExists(loc);
  }

  /** Creates the project in its group or user namespace, empty. */
  async createRepository(
    loc: ConfigRepoLocation,
    options: NewRepositoryOptions,
  ): Promise<{ url: string; created: boolean }> {
    return this.project.createRepository(loc, options);
  }

  /** Sets the project's default branch. */
  async setDefaultBranch(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<void> {
    return this.project.setDefaultBranch(loc, branch);
  }

  /**
   * Protects a branch: a protected branch (no pushes, Developers merge, no
   * force push, code owners' approval when approvals are required), an
   * approval rule (GitLab Premium) and "pipelines must succeed" for the
   * checks; see `GitlabProjectWrites.protectBranch`.
   */
  async protectBranch(
    loc: ConfigRepoLocation,
    branch: string,
    options: BranchProtection,
  ): Promise<void> {
    return this.project.protectBranch(loc, branch, options);
  }

  /** Gives code owners access: users as members, groups by sharing the project. */
  async grantAccess(
    loc: ConfigRepoLocation,
    owners: string[],
    permission: 'push' | 'maintain' = 'push',
  ): Promise<AccessGrantResult> {
    return this.project.grantAccess(loc, owners, permission);
  }
}
