import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { GitHostWriter } from './GitHost';
import type { ConfigRepoLocation } from './configRepoTypes';
import {
  answerMessage,
  GitHostUnanswered,
  GithubAnswer,
  GithubTransport,
  type FetchFn,
} from './githubTransport';
import { RateLimitRetryOptions, rateLimitedUntil } from './rateLimits';

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

/** Who was given access to a new repo, and who could not be and why. @public */
export type AccessGrantResult = {
  granted: Array<{ owner: string; permission: string }>;
  skipped: Array<{ owner: string; reason: string }>;
};

/** The default of how long one request to the Git host may take. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * GitHub's answer to protecting a branch of a private repo whose owner's
 * plan has no protected branches (GitHub Free): 403 with this message
 * (docs.github.com, "About protected branches": available in public repos
 * with GitHub Free, and in public and private repos with Pro, Team and
 * Enterprise).
 */
const PLAN_WITHOUT_PROTECTION =
  /upgrade to github pro or make this repository public/i;

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

  private constructor(
    private readonly credentials: GithubCredentialsProvider,
    private readonly transport: GithubTransport,
    private readonly timeoutMs: number,
    private readonly retry: RateLimitRetryOptions,
    private readonly logger?: { warn(message: string): void },
  ) {}

  /**
   * The token the integration grants for this repo, for `git` over HTTPS.
   * Never log it or put it in an action's output.
   */
  async getToken(loc: ConfigRepoLocation): Promise<string | undefined> {
    const { token } = await this.credentials.getCredentials({ url: loc.url });
    return token;
  }

  private async request(
    loc: ConfigRepoLocation,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    body?: unknown,
  ): Promise<GithubAnswer> {
    const { headers: authHeaders } = await this.credentials.getCredentials({
      url: loc.url,
    });
    const url = path.startsWith('//')
      ? `${loc.apiBaseUrl}${path.slice(1)}`
      : `${loc.apiBaseUrl}/repos/${encodeURIComponent(
          loc.owner,
        )}/${encodeURIComponent(loc.repo)}${path}`;
    try {
      return await this.transport.send({
        method,
        url,
        headers: {
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          ...authHeaders,
        },
        ...(body !== undefined ? { body } : {}),
        // Each wait is said in the task's log, with the request it holds up.
        onRateLimitWait: wait => {
          this.logger?.warn(
            `GitHub rate limit on ${method} ${path.split('?')[0]} for ${
              loc.owner
            }/${loc.repo}: waiting ${Math.ceil(wait.ms / 1000)} s (until ${
              wait.until
            }) before try ${wait.attempt + 1}`,
          );
          this.retry.onWait?.(wait);
        },
      });
    } catch (error) {
      if (!(error instanceof GitHostUnanswered)) throw error;
      if (error.timedOut) {
        throw new ServiceUnavailableError(
          `Git host ${loc.host} did not answer ${method} ${
            path.split('?')[0]
          } for ${loc.owner}/${loc.repo} within ${this.timeoutMs / 1000} s`,
        );
      }
      throw new ServiceUnavailableError(
        `Git host ${loc.host} is unreachable: ${error.detail}`,
      );
    }
  }

  private failure(
    loc: ConfigRepoLocation,
    what: string,
    response: GithubAnswer,
  ): Error {
    // Not JSON: the status says enough.
    const body = answerMessage(response);
    const extra = (body.errors ?? [])
      .map(e => e?.message)
      .filter(Boolean)
      .join('; ');
    const said = body.message ?? '';
    const detail = body.message
      ? `: ${body.message}${extra ? ` (${extra})` : ''}`
      : '';
    const message = `${what} in ${loc.owner}/${loc.repo} on ${loc.host} failed with ${response.status}${detail}`;
    const limited = rateLimitedUntil(response, said);
    if (limited) {
      return new ServiceUnavailableError(
        `${message}. GitHub's ${limited.kind} rate limit is exhausted until ${limited.until}; run the task again after that`,
      );
    }
    if (response.status === 403 && PLAN_WITHOUT_PROTECTION.test(said)) {
      return new InputError(
        `${message}. The plan of ${loc.owner} cannot protect branches of a private repo, so production could be changed without a review: make the repo internal or public (visibility), or move it to an organisation on GitHub Team or Enterprise, then run the task again; ${loc.url} exists without branch protection until then`,
      );
    }
    if (response.status === 404) {
      return new NotFoundError(
        `${message}. Check the repo URL and that the integration token of ${loc.host} can write to the repo.`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      return new ServiceUnavailableError(
        `${message}. Check that the token of integrations.github for ${loc.host} may write contents and pull requests.`,
      );
    }
    if (response.status === 409) {
      return new ConflictError(message);
    }
    if (response.status === 422) {
      return new InputError(message);
    }
    return new ServiceUnavailableError(message);
  }

  /** The head commit of a branch, or undefined when there is no such branch. */
  async getBranchHead(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<string | undefined> {
    const response = await this.request(
      loc,
      'GET',
      `/git/ref/heads/${branch.split('/').map(encodeURIComponent).join('/')}`,
    );
    if (response.status === 404) {
      return undefined;
    }
    if (!response.ok) {
      throw this.failure(loc, `Reading branch ${branch}`, response);
    }
    const body = json(response) as { object: { sha: string } };
    return body.object.sha;
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
    const response = await this.request(loc, 'POST', '/git/refs', {
      ref: `refs/heads/${branch}`,
      sha,
    });
    if (response.ok) {
      return { sha, created: true };
    }
    if (response.status === 422) {
      const existing = await this.getBranchHead(loc, branch);
      if (existing) {
        return { sha: existing, created: false };
      }
    }
    throw this.failure(loc, `Creating branch ${branch}`, response);
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
    const response = await this.request(
      loc,
      'PATCH',
      `/git/refs/heads/${branch.split('/').map(encodeURIComponent).join('/')}`,
      { sha, force: true },
    );
    if (!response.ok) {
      throw this.failure(loc, `Resetting branch ${branch}`, response);
    }
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
    options: {
      parent: string;
      parentTree: string;
      files: Record<string, string>;
      message: string;
      author?: { name: string; email: string };
    },
  ): Promise<string> {
    const entries: Array<{
      path: string;
      mode: string;
      type: string;
      sha: string;
    }> = [];
    for (const [path, content] of Object.entries(options.files)) {
      const blob = await this.request(loc, 'POST', '/git/blobs', {
        content: Buffer.from(content, 'utf8').toString('base64'),
        encoding: 'base64',
      });
      if (!blob.ok) {
        throw this.failure(loc, `Storing ${path}`, blob);
      }
      const { sha } = json(blob) as { sha: string };
      entries.push({ path, mode: '100644', type: 'blob', sha });
    }
    const tree = await this.request(loc, 'POST', '/git/trees', {
      base_tree: options.parentTree,
      tree: entries,
    });
    if (!tree.ok) {
      throw this.failure(loc, 'Writing the tree of a commit', tree);
    }
    const { sha: treeSha } = json(tree) as { sha: string };
    const commit = await this.request(loc, 'POST', '/git/commits', {
      message: options.message,
      tree: treeSha,
      parents: [options.parent],
      ...(options.author ? { author: options.author } : {}),
    });
    if (!commit.ok) {
      throw this.failure(loc, 'Writing a commit', commit);
    }
    return (json(commit) as { sha: string }).sha;
  }

  /** A commit's first parent and tree, or undefined when there is no such commit. */
  async getCommit(
    loc: ConfigRepoLocation,
    sha: string,
  ): Promise<{ sha: string; parents: string[]; tree: string } | undefined> {
    const response = await this.request(
      loc,
      'GET',
      `/commits/${encodeURIComponent(sha)}`,
    );
    if (response.status === 404) {
      return undefined;
    }
    if (!response.ok) {
      throw this.failure(loc, `Reading commit ${sha}`, response);
    }
    const body = json(response) as {
      sha: string;
      parents?: Array<{ sha: string }>;
      commit?: { tree?: { sha: string } };
    };
    return {
      sha: body.sha,
      parents: (body.parents ?? []).map(p => p.sha),
      tree: body.commit?.tree?.sha ?? '',
    };
  }

  /** A file's text and blob id at a ref, or undefined when it is absent. */
  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    ref: string,
  ): Promise<FileOnBranch | undefined> {
    const response = await this.request(
      loc,
      'GET',
      `/contents/${path
        .split('/')
        .map(encodeURIComponent)
        .join('/')}?ref=${encodeURIComponent(ref)}`,
    );
    if (response.status === 404) {
      return undefined;
    }
    if (!response.ok) {
      throw this.failure(loc, `Reading ${path}@${ref}`, response);
    }
    const body = json(response) as {
      type?: string;
      sha: string;
      content?: string;
      encoding?: string;
    };
    if (body.type !== 'file' || typeof body.content !== 'string') {
      throw new InputError(
        `${path} in ${loc.owner}/${loc.repo} is not a file; check the manifest path`,
      );
    }
    return {
      text: Buffer.from(body.content, 'base64').toString('utf8'),
      blobSha: body.sha,
    };
  }

  /**
   * Commits new content of one file to a branch (the contents API), replacing
   * the blob `blobSha`, or creating the file when `blobSha` is not given.
   * Returns the new commit's sha.
   */
  async commitFile(
    loc: ConfigRepoLocation,
    options: {
      branch: string;
      path: string;
      content: string;
      blobSha?: string;
      message: string;
      /** The commit's author (the person the change is made for); default the token's identity. */
      author?: { name: string; email: string };
    },
  ): Promise<string> {
    const response = await this.request(
      loc,
      'PUT',
      `/contents/${options.path.split('/').map(encodeURIComponent).join('/')}`,
      {
        message: options.message,
        content: Buffer.from(options.content, 'utf8').toString('base64'),
        ...(options.blobSha ? { sha: options.blobSha } : {}),
        branch: options.branch,
        ...(options.author ? { author: options.author } : {}),
      },
    );
    if (!response.ok) {
      throw this.failure(
        loc,
        `Committing ${options.path} to ${options.branch}`,
        response,
      );
    }
    const body = json(response) as { commit: { sha: string } };
    return body.commit.sha;
  }

  /** The open pull request from `head` into `base`, if there is one. */
  async findOpenPullRequest(
    loc: ConfigRepoLocation,
    head: string,
    base: string,
  ): Promise<{ number: number; url: string } | undefined> {
    const query = new URLSearchParams({
      state: 'open',
      head: `${loc.owner}:${head}`,
      base,
    });
    const response = await this.request(loc, 'GET', `/pulls?${query}`);
    if (!response.ok) {
      throw this.failure(
        loc,
        `Listing pull requests from ${head} into ${base}`,
        response,
      );
    }
    const pulls = json(response) as Array<{
      number: number;
      html_url: string;
      head: { ref: string };
      base: { ref: string };
    }>;
    const pull = pulls.find(p => p.head.ref === head && p.base.ref === base);
    return pull ? { number: pull.number, url: pull.html_url } : undefined;
  }

  /**
   * Opens a pull request from `head` into `base`; when one is already open
   * for the same branches it is returned (`created: false`) instead.
   */
  async openPullRequest(
    loc: ConfigRepoLocation,
    options: { head: string; base: string; title: string; body: string },
  ): Promise<OpenedPullRequest> {
    const existing = await this.findOpenPullRequest(
      loc,
      options.head,
      options.base,
    );
    if (existing) {
      return { ...existing, created: false };
    }
    const response = await this.request(loc, 'POST', '/pulls', {
      title: options.title,
      body: options.body,
      head: options.head,
      base: options.base,
      maintainer_can_modify: true,
    });
    if (response.status === 422) {
      // Another run opened it between the lookup and the request: GitHub
      // answers 422 "A pull request already exists for owner:head".
      const raced = await this.findOpenPullRequest(
        loc,
        options.head,
        options.base,
      );
      if (raced) {
        return { ...raced, created: false };
      }
    }
    if (!response.ok) {
      throw this.failure(
        loc,
        `Opening a pull request from ${options.head} into ${options.base}`,
        response,
      );
    }
    const body = json(response) as {
      number: number;
      html_url: string;
    };
    return { number: body.number, url: body.html_url, created: true };
  }

  /** Rewrites the title and body of an open pull request. */
  async updatePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    options: { title: string; body: string },
  ): Promise<void> {
    const response = await this.request(loc, 'PATCH', `/pulls/${pullNumber}`, {
      title: options.title,
      body: options.body,
    });
    if (!response.ok) {
      throw this.failure(loc, `Updating pull request #${pullNumber}`, response);
    }
  }

  /**
   * The open pull requests into `base`, newest first, with their head
   * branch (every page of GitHub's list).
   */
  async listOpenPullRequests(
    loc: ConfigRepoLocation,
    base: string,
  ): Promise<Array<{ number: number; url: string; head: string }>> {
    const result: Array<{ number: number; url: string; head: string }> = [];
    for (let page = 1; page <= 10; page++) {
      const query = new URLSearchParams({
        state: 'open',
        base,
        per_page: '100',
        page: String(page),
      });
      const response = await this.request(loc, 'GET', `/pulls?${query}`);
      if (!response.ok) {
        throw this.failure(
          loc,
          `Listing the open pull requests into ${base}`,
          response,
        );
      }
      const pulls = json(response) as Array<{
        number: number;
        html_url: string;
        head: { ref: string; repo?: { full_name?: string } | null };
        base: { ref: string };
      }>;
      for (const p of pulls) {
        // Only branches of this repo: a fork's branch of the same name is
        // someone else's change.
        const own =
          !p.head.repo?.full_name ||
          p.head.repo.full_name.toLowerCase() ===
            `${loc.owner}/${loc.repo}`.toLowerCase();
        if (p.base.ref === base && own) {
          result.push({ number: p.number, url: p.html_url, head: p.head.ref });
        }
      }
      if (pulls.length < 100) break;
    }
    return result;
  }

  /** Comments on a pull request, then closes it without merging. */
  async closePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    comment: string,
  ): Promise<void> {
    const commented = await this.request(
      loc,
      'POST',
      `/issues/${pullNumber}/comments`,
      { body: comment },
    );
    if (!commented.ok) {
      throw this.failure(
        loc,
        `Commenting on pull request #${pullNumber}`,
        commented,
      );
    }
    const response = await this.request(loc, 'PATCH', `/pulls/${pullNumber}`, {
      state: 'closed',
    });
    if (!response.ok) {
      throw this.failure(loc, `Closing pull request #${pullNumber}`, response);
    }
  }

  /** Adds labels to a pull request (GitHub creates unknown labels). */
  async addLabels(
    loc: ConfigRepoLocation,
    pullNumber: number,
    labels: string[],
  ): Promise<void> {
    const response = await this.request(
      loc,
      'POST',
      `/issues/${pullNumber}/labels`,
      { labels },
    );
    if (!response.ok) {
      throw this.failure(
        loc,
        `Labelling pull request #${pullNumber}`,
        response,
      );
    }
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
    const ask = (list: string[]) => {
      const users: string[] = [];
      const teams: string[] = [];
      for (const reviewer of list) {
        const team = /^(?:team:|[^/]+\/)(.+)$/.exec(reviewer);
        if (team) {
          teams.push(team[1]);
        } else {
          users.push(reviewer.replace(/^@/, ''));
        }
      }
      return this.request(
        loc,
        'POST',
        `/pulls/${pullNumber}/requested_reviewers`,
        { reviewers: users, team_reviewers: teams },
      );
    };
    const what = (list: string[]) =>
      `Requesting reviewers ${list.join(', ')} on pull request #${pullNumber}`;
    const response = await ask(reviewers);
    if (response.ok) {
      return { requested: reviewers, refused: [] };
    }
    if (response.status !== 422) {
      throw this.failure(loc, what(reviewers), response);
    }
    const result: ReviewRequestResult = { requested: [], refused: [] };
    for (const reviewer of reviewers) {
      const single = await ask([reviewer]);
      if (single.ok) {
        result.requested.push(reviewer);
      } else if (single.status === 422) {
        const error = this.failure(loc, what([reviewer]), single);
        result.refused.push({
          reviewer,
          reason: `${error.message.replace(
            /^.*failed with 422: /,
            '',
          )}; give ${reviewer} access to ${loc.owner}/${loc.repo}`,
        });
      } else {
        throw this.failure(loc, what([reviewer]), single);
      }
    }
    return result;
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
    const result: AccessGrantResult = { granted: [], skipped: [] };
    for (const owner of owners) {
      const team = /^@([^/\s]+)\/([^/\s]+)$/.exec(owner);
      const user = /^@([^/\s]+)$/.exec(owner);
      let path: string;
      if (team) {
        if (team[1].toLowerCase() !== loc.owner.toLowerCase()) {
          result.skipped.push({
            owner,
            reason: `a team of ${team[1]} cannot be given access to a repo of ${loc.owner}`,
          });
          continue;
        }
        path = `//orgs/${encodeURIComponent(
          team[1],
        )}/teams/${encodeURIComponent(team[2])}/repos/${encodeURIComponent(
          loc.owner,
        )}/${encodeURIComponent(loc.repo)}`;
      } else if (user) {
        if (user[1].toLowerCase() === loc.owner.toLowerCase()) {
          continue; // the owner of a personal repo has access already
        }
        path = `/collaborators/${encodeURIComponent(user[1])}`;
      } else {
        result.skipped.push({
          owner,
          reason:
            'an e-mail address cannot be given access; add the person as a collaborator by login',
        });
        continue;
      }
      const response = await this.request(loc, 'PUT', path, { permission });
      if (!response.ok) {
        const error = this.failure(
          loc,
          `Giving ${owner} ${permission} access`,
          response,
        );
        if (response.status === 404 || response.status === 422) {
          result.skipped.push({ owner, reason: error.message });
          continue;
        }
        throw error;
      }
      result.granted.push({ owner, permission });
    }
    return result;
  }

  /** Whether the repository exists (and the token can see it). */
  async repositoryExists(loc: ConfigRepoLocation): Promise<boolean> {
    const response = await this.request(loc, 'GET', '');
    if (response.status === 404) {
      return false;
    }
    if (!response.ok) {
      throw this.failure(loc, 'Reading the repository', response);
    }
    return true;
  }

  /**
   * Creates the repository `loc.repo` under `loc.owner`: an organization's
   * repo, or the authenticated user's when the owner is a user. Empty, so
   * the first push decides its branches.
   */
  async createRepository(
    loc: ConfigRepoLocation,
    options: {
      description?: string;
      visibility: 'private' | 'internal' | 'public';
    },
  ): Promise<{ url: string; created: boolean }> {
    if (await this.repositoryExists(loc)) {
      return { url: loc.url, created: false };
    }
    const ownerResponse = await this.request(
      loc,
      'GET',
      `//users/${encodeURIComponent(loc.owner)}`,
    );
    if (!ownerResponse.ok) {
      throw this.failure(loc, `Reading the owner ${loc.owner}`, ownerResponse);
    }
    const owner = json(ownerResponse) as { type?: string };
    const path =
      owner.type === 'Organization'
        ? `//orgs/${encodeURIComponent(loc.owner)}/repos`
        : '//user/repos';
    const response = await this.request(loc, 'POST', path, {
      name: loc.repo,
      description: options.description,
      private: options.visibility !== 'public',
      ...(owner.type === 'Organization'
        ? { visibility: options.visibility }
        : {}),
      auto_init: false,
      has_issues: true,
      has_wiki: false,
      delete_branch_on_merge: true,
    });
    if (!response.ok) {
      throw this.failure(loc, 'Creating the repository', response);
    }
    const body = json(response) as { html_url: string };
    return { url: body.html_url, created: true };
  }

  /** Sets the branch that clones check out and pull requests target by default. */
  async setDefaultBranch(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<void> {
    const response = await this.request(loc, 'PATCH', '', {
      default_branch: branch,
    });
    if (!response.ok) {
      throw this.failure(
        loc,
        `Setting the default branch to ${branch}`,
        response,
      );
    }
  }

  /**
   * Protects a branch: changes only through pull requests that pass the
   * given status checks, with `approvals` approving reviews (code owners'
   * when more than zero); no force pushes or deletion, admins included.
   */
  async protectBranch(
    loc: ConfigRepoLocation,
    branch: string,
    options: {
      /** The required checks, each from an app when `appId` is given. */
      checks: Array<{ context: string; appId?: number }>;
      approvals: number;
    },
  ): Promise<void> {
    const response = await this.request(
      loc,
      'PUT',
      `/branches/${encodeURIComponent(branch)}/protection`,
      {
        // `checks` binds a check to the app that must set it; without
        // app_id GitHub picks the app that set it last, or any
        // (docs.github.com, "Update branch protection").
        required_status_checks: {
          strict: true,
          checks: options.checks.map(c => ({
            context: c.context,
            ...(c.appId !== undefined ? { app_id: c.appId } : {}),
          })),
        },
        enforce_admins: true,
        required_pull_request_reviews: {
          required_approving_review_count: options.approvals,
          require_code_owner_reviews: options.approvals > 0,
          dismiss_stale_reviews: true,
        },
        restrictions: null,
        allow_force_pushes: false,
        allow_deletions: false,
      },
    );
    if (!response.ok) {
      throw this.failure(loc, `Protecting branch ${branch}`, response);
    }
  }
}

/**
 * The JSON body of a successful answer (octokit parses it when GitHub
 * says it is JSON; an answer without that content type comes as text or
 * bytes).
 */
function json(answer: GithubAnswer): unknown {
  const { data } = answer;
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString();
  else return data;
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceUnavailableError(
      `GitHub answered ${answer.status} with a body that is not JSON; check the apiBaseUrl of integrations.github`,
    );
  }
}
