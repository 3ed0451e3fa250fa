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

// The GitHub config-repo writer: the class that composes the branch and commit, pull request and repository writes.
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import type { GitHostWriter, NewRepositoryOptions } from './GitHost';
import type { ConfigRepoLocation } from './configRepoTypes';
import { GithubTransport, type FetchFn } from './githubTransport';
import { GithubWrites } from './githubWrites';
import { RateLimitRetryOptions } from './rateLimits';
import * as branches from './writerBranches';
import * as pulls from './writerPullRequests';
import * as repository from './writerRepository';

/** A pull request the writer opened or found. @public */
export type OpenedPullRequest = {
  number: number;
  url: string;
  /** False when an open PR for the same head and base already existed. */
  created: boolean;
};

/** A file's text and blob id on a branch. @public */
export type FileOnBranch = { text: string; blobSha: string };

/** Who was asked to review, and who GitHub refused and why. @public */
export type ReviewRequestResult = {
  requested: string[];
  refused: Array<{ reviewer: string; reason: string }>;
};

/** A single-file commit to a branch. @public */
export type FileCommit = {
  branch: string;
  path: string;
  content: string;
  /** The blob replaced; without it the file is created. */
  blobSha?: string;
  message: string;
  /** The commit's author (the person the change is made for); default the token's identity. */
  author?: { name: string; email: string };
};

/** A commit of several files over a parent, made without moving a branch. @public */
export type TreeCommit = {
  parent: string;
  /** The parent's tree, which GitHub's Git database API builds on. */
  parentTree: string;
  /** New text by path. */
  files: Record<string, string>;
  message: string;
  author?: { name: string; email: string };
};

/** What a protected branch requires. @public */
export type BranchProtection = {
  /** The required checks, each from an app when `appId` is given. */
  checks: Array<{ context: string; appId?: number }>;
  approvals: number;
};

/** Who was given access to a new repo, and who could not be and why. @public */
export type AccessGrantResult = {
  granted: Array<{ owner: string; permission: string }>;
  skipped: Array<{ owner: string; reason: string }>;
};

/** The default of how long one request to the Git host may take. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Makes the changes that the scaffolder actions propose to a config repo on
 * GitHub: branches, single-file commits, pull requests, labels and reviewer
 * requests, through Backstage's `integrations.github` credentials. Every
 * method is safe to repeat: an existing branch, commit or open pull request
 * for the same change is found and returned instead of duplicated.
 * @public
 */
export class GithubConfigRepoWriter implements GitHostWriter {
  static fromIntegrations(options: {
    integrations: ScmIntegrationRegistry;
    credentialsProvider?: GithubCredentialsProvider;
    fetch?: FetchFn;
    /** How long one request may take (default 30 s). */
    timeoutMs?: number;
    /**
     * How a rate-limited request is retried: by default a limit that lifts
     * within a minute is waited for (three times at most, each wait logged);
     * a longer one fails with "rate limited until …".
     */
    rateLimitRetry?: RateLimitRetryOptions;
    /** Where waits for a rate limit are said. */
    logger?: { warn(message: string): void };
  }): GithubConfigRepoWriter {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const retry = {
      maxWaitMs: 60_000,
      maxRetries: 3,
      ...options.rateLimitRetry,
    };
    return new GithubConfigRepoWriter(
      options.credentialsProvider ??
        DefaultGithubCredentialsProvider.fromIntegrations(options.integrations),
      new GithubTransport({
        fetch: options.fetch,
        timeoutMs,
        rateLimitRetry: retry,
        logger: options.logger,
      }),
      timeoutMs,
      retry,
      options.logger,
    );
  }

  /** GitHub takes an app or personal token as the password of `x-access-token`. */
  gitTokenUser(): string {
    return 'x-access-token';
  }

  private readonly api: GithubWrites;

  private constructor(
    private readonly credentials: GithubCredentialsProvider,
    transport: GithubTransport,
    timeoutMs: number,
    retry: RateLimitRetryOptions,
    logger?: { warn(message: string): void },
  ) {
    this.api = new GithubWrites(
      credentials,
      transport,
      timeoutMs,
      retry,
      logger,
    );
  }

  /**
   * The token the integration grants for this repo, for `git` over HTTPS.
   * Never log it or put it in an action's output.
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
    return branches.getBranchHead(this.api, loc, branch);
  }

  /**
   * Creates `branch` at `sha`. An existing branch is left as it is and its
   * head returned, so a retried step does not fail.
   */
  async createBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<{ sha: string; created: boolean }> {
    return branches.createBranch(this.api, loc, branch, sha);
  }

  /**
   * Moves `branch` to `sha` even when that is not a fast-forward (the
   * `force` of GitHub's update-a-reference). Only for the actions' own
   * change branches, which are rebuilt from the environment's head when it
   * moved on; GitHub refuses it on protected branches.
   */
  async resetBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<void> {
    return branches.resetBranch(this.api, loc, branch, sha);
  }

  /**
   * Makes a commit on `parent` that writes `files` over its tree, through
   * GitHub's Git database API (blobs, a tree on the parent's, a commit),
   * without moving any branch. Moving a pull request's branch to its new
   * commit in one step matters: GitHub closes a pull request for good when
   * its head branch ever points at its base's commit.
   */
  async createCommit(
    loc: ConfigRepoLocation,
    options: TreeCommit,
  ): Promise<string> {
    return branches.createCommit(this.api, loc, options);
  }

  /** A commit's first parent and tree, or undefined when there is no such commit. */
  async getCommit(
    loc: ConfigRepoLocation,
    sha: string,
  ): Promise<{ sha: string; parents: string[]; tree: string } | undefined> {
    return branches.getCommit(this.api, loc, sha);
  }

  /** A file's text and blob id at a ref, or undefined when it is absent. */
  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    ref: string,
  ): Promise<FileOnBranch | undefined> {
    return branches.getFile(this.api, loc, path, ref);
  }

  /**
   * Commits new content of one file to a branch (the contents API), replacing
   * the blob `blobSha`, or creating the file when `blobSha` is not given.
   * Returns the new commit's sha.
   */
  async commitFile(
    loc: ConfigRepoLocation,
    options: FileCommit,
  ): Promise<string> {
    return branches.commitFile(this.api, loc, options);
  }

  /** The open pull request from `head` into `base`, if there is one. */
  async findOpenPullRequest(
    loc: ConfigRepoLocation,
    head: string,
    base: string,
  ): Promise<{ number: number; url: string } | undefined> {
    return pulls.findOpenPullRequest(this.api, loc, head, base);
  }

  /**
   * Opens a pull request from `head` into `base`; when one is already open
   * for the same branches it is returned (`created: false`) instead.
   */
  async openPullRequest(
    loc: ConfigRepoLocation,
    options: { head: string; base: string; title: string; body: string },
  ): Promise<OpenedPullRequest> {
    return pulls.openPullRequest(this.api, loc, options);
  }

  /** Rewrites the title and body of an open pull request. */
  async updatePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    options: { title: string; body: string },
  ): Promise<void> {
    return pulls.updatePullRequest(this.api, loc, pullNumber, options);
  }

  /**
   * The open pull requests into `base`, newest first, with their head
   * branch (every page of GitHub's list).
   */
  async listOpenPullRequests(
    loc: ConfigRepoLocation,
    base: string,
  ): Promise<Array<{ number: number; url: string; head: string }>> {
    return pulls.listOpenPullRequests(this.api, loc, base);
  }

  /** Comments on a pull request, then closes it without merging. */
  async closePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    comment: string,
  ): Promise<void> {
    return pulls.closePullRequest(this.api, loc, pullNumber, comment);
  }

  /** Adds labels to a pull request (GitHub creates unknown labels). */
  async addLabels(
    loc: ConfigRepoLocation,
    pullNumber: number,
    labels: string[],
  ): Promise<void> {
    return pulls.addLabels(this.api, loc, pullNumber, labels);
  }

  /**
   * Requests reviews on a pull request. `reviewers` are user logins or teams
   * written `org/team-slug` (or `team:slug`). GitHub takes review requests
   * only for collaborators of the repo (users with access, teams granted to
   * it) and refuses the whole request with 422 when one is not
   * (docs.github.com, "Requesting a pull request review"); the others are
   * then asked one by one, and who was refused is returned, so a PR is not
   * lost over one reviewer.
   */
  async requestReviewers(
    loc: ConfigRepoLocation,
    pullNumber: number,
    reviewers: string[],
  ): Promise<ReviewRequestResult> {
    return pulls.requestReviewers(this.api, loc, pullNumber, reviewers);
  }

  /**
   * Gives the code owners of a new repo write access, so that their reviews
   * count: GitHub requests and counts code-owner reviews only from people
   * and teams with write access (docs.github.com, "About code owners"). An
   * `@org/team` of the repo's organisation gets the team permission
   * (`PUT /orgs/{org}/teams/{team}/repos/{owner}/{repo}`), an `@user` an
   * invitation as collaborator (`PUT /repos/{owner}/{repo}/collaborators/{user}`).
   * E-mail owners and teams of another organisation cannot be granted
   * access this way and are returned as skipped, with the reason.
   */
  async grantAccess(
    loc: ConfigRepoLocation,
    owners: string[],
    permission: 'push' | 'maintain' = 'push',
  ): Promise<AccessGrantResult> {
    return repository.grantAccess(this.api, loc, owners, permission);
  }

  /** Whether the repository exists (and the token can see it). */
  async repositoryExists(loc: ConfigRepoLocation): Promise<boolean> {
    return repository.repositoryExists(this.api, loc);
  }

  /**
   * Creates the repository `loc.repo` under `loc.owner`: an organization's
   * repo, or the authenticated user's when the owner is a user. Empty, so
   * the first push decides its branches.
   */
  async createRepository(
    loc: ConfigRepoLocation,
    options: NewRepositoryOptions,
  ): Promise<{ url: string; created: boolean }> {
    return repository.createRepository(this.api, loc, options);
  }

  /** Sets the branch that clones check out and pull requests target by default. */
  async setDefaultBranch(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<void> {
    return repository.setDefaultBranch(this.api, loc, branch);
  }

  /**
   * Protects a branch: changes only through pull requests that pass the
   * given status checks, with `approvals` approving reviews (code owners'
   * when more than zero); no force pushes or deletion, admins included.
   */
  async protectBranch(
    loc: ConfigRepoLocation,
    branch: string,
    options: BranchProtection,
  ): Promise<void> {
    return repository.protectBranch(this.api, loc, branch, options);
  }
}
