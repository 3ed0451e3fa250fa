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
import type { ConfigRepoLocation } from './GithubConfigRepoClient';

/** A pull request the writer opened or found. */
export type OpenedPullRequest = {
  number: number;
  url: string;
  /** False when an open PR for the same head and base already existed. */
  created: boolean;
};

/** A file's text and blob id on a branch. */
export type FileOnBranch = { text: string; blobSha: string };

type FetchFn = typeof fetch;

/**
 * Makes the changes that the scaffolder actions propose to a config repo on
 * GitHub: branches, single-file commits, pull requests, labels and reviewer
 * requests, through Backstage's `integrations.github` credentials. Every
 * method is safe to repeat: an existing branch, commit or open pull request
 * for the same change is found and returned instead of duplicated.
 */
export class GithubConfigRepoWriter {
  static fromIntegrations(options: {
    integrations: ScmIntegrationRegistry;
    credentialsProvider?: GithubCredentialsProvider;
    fetch?: FetchFn;
  }): GithubConfigRepoWriter {
    return new GithubConfigRepoWriter(
      options.credentialsProvider ??
        DefaultGithubCredentialsProvider.fromIntegrations(options.integrations),
      options.fetch ?? ((...args) => globalThis.fetch(...args)),
    );
  }

  private constructor(
    private readonly credentials: GithubCredentialsProvider,
    private readonly fetchFn: FetchFn,
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
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response> {
    const { headers: authHeaders } = await this.credentials.getCredentials({
      url: loc.url,
    });
    const url = path.startsWith('//')
      ? `${loc.apiBaseUrl}${path.slice(1)}`
      : `${loc.apiBaseUrl}/repos/${encodeURIComponent(
          loc.owner,
        )}/${encodeURIComponent(loc.repo)}${path}`;
    try {
      return await this.fetchFn(url, {
        method,
        headers: {
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...authHeaders,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `Git host ${loc.host} is unreachable: ${(error as Error).message}`,
      );
    }
  }

  private async failure(
    loc: ConfigRepoLocation,
    what: string,
    response: Response,
  ): Promise<Error> {
    let detail = '';
    try {
      const body = (await response.json()) as {
        message?: string;
        errors?: Array<{ message?: string }>;
      };
      const extra = (body.errors ?? [])
        .map(e => e.message)
        .filter(Boolean)
        .join('; ');
      detail = body.message
        ? `: ${body.message}${extra ? ` (${extra})` : ''}`
        : '';
    } catch {
      // not JSON; the status says enough
    }
    const message = `${what} in ${loc.owner}/${loc.repo} on ${loc.host} failed with ${response.status}${detail}`;
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
      throw await this.failure(loc, `Reading branch ${branch}`, response);
    }
    const body = (await response.json()) as { object: { sha: string } };
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
    throw await this.failure(loc, `Creating branch ${branch}`, response);
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
      throw await this.failure(loc, `Reading ${path}@${ref}`, response);
    }
    const body = (await response.json()) as {
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
      },
    );
    if (!response.ok) {
      throw await this.failure(
        loc,
        `Committing ${options.path} to ${options.branch}`,
        response,
      );
    }
    const body = (await response.json()) as { commit: { sha: string } };
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
      throw await this.failure(
        loc,
        `Listing pull requests from ${head} into ${base}`,
        response,
      );
    }
    const pulls = (await response.json()) as Array<{
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
    if (!response.ok) {
      throw await this.failure(
        loc,
        `Opening a pull request from ${options.head} into ${options.base}`,
        response,
      );
    }
    const body = (await response.json()) as {
      number: number;
      html_url: string;
    };
    return { number: body.number, url: body.html_url, created: true };
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
      throw await this.failure(
        loc,
        `Labelling pull request #${pullNumber}`,
        response,
      );
    }
  }

  /**
   * Requests reviews on a pull request. `reviewers` are user logins or teams
   * written `org/team-slug` (or `team:slug`).
   */
  async requestReviewers(
    loc: ConfigRepoLocation,
    pullNumber: number,
    reviewers: string[],
  ): Promise<void> {
    const users: string[] = [];
    const teams: string[] = [];
    for (const reviewer of reviewers) {
      const team = /^(?:team:|[^/]+\/)(.+)$/.exec(reviewer);
      if (team) {
        teams.push(team[1]);
      } else {
        users.push(reviewer.replace(/^@/, ''));
      }
    }
    const response = await this.request(
      loc,
      'POST',
      `/pulls/${pullNumber}/requested_reviewers`,
      { reviewers: users, team_reviewers: teams },
    );
    if (!response.ok) {
      throw await this.failure(
        loc,
        `Requesting reviewers ${reviewers.join(
          ', ',
        )} on pull request #${pullNumber}`,
        response,
      );
    }
  }

  /** Whether the repository exists (and the token can see it). */
  async repositoryExists(loc: ConfigRepoLocation): Promise<boolean> {
    const response = await this.request(loc, 'GET', '');
    if (response.status === 404) {
      return false;
    }
    if (!response.ok) {
      throw await this.failure(loc, 'Reading the repository', response);
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
      throw await this.failure(
        loc,
        `Reading the owner ${loc.owner}`,
        ownerResponse,
      );
    }
    const owner = (await ownerResponse.json()) as { type?: string };
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
      throw await this.failure(loc, 'Creating the repository', response);
    }
    const body = (await response.json()) as { html_url: string };
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
      throw await this.failure(
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
    options: { checks: string[]; approvals: number },
  ): Promise<void> {
    const response = await this.request(
      loc,
      'PUT',
      `/branches/${encodeURIComponent(branch)}/protection`,
      {
        required_status_checks: { strict: true, contexts: options.checks },
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
      throw await this.failure(loc, `Protecting branch ${branch}`, response);
    }
  }
}
