import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';

/** Where a config repo lives and how to reach its Git host's API. */
export type ConfigRepoLocation = {
  url: string;
  host: string;
  owner: string;
  repo: string;
  apiBaseUrl: string;
};

export type CommitInfo = {
  sha: string;
  parents: string[];
  message: string;
  /** The author's Git host login when known, else the Git author name. */
  author: string;
  authorDate: string;
  /** When the commit reached the branch (committer date). */
  committedAt: string;
};

export type PullRequestFacts = {
  number: number;
  url: string;
  title: string;
  labels: string[];
  mergedAt?: string;
  mergedBy?: string;
  baseRef: string;
  headRef: string;
  reviewers: string[];
};

/** Conditional-request validators and the last answer, kept between cycles. */
export type BranchHeadsCacheEntry = {
  etag: string;
  heads: Record<string, string>;
};

/** Where the GitHub client keeps validators so restarts keep them too. */
export interface ValidatorCache {
  get(key: string): Promise<BranchHeadsCacheEntry | undefined>;
  set(key: string, value: BranchHeadsCacheEntry): Promise<void>;
}

type FetchFn = typeof fetch;

const MAX_CACHED_FILES = 5000;

/**
 * Reads config repos on GitHub (github.com or GitHub Enterprise) through
 * Backstage's `integrations.github` credentials. An unchanged repo costs one
 * conditional request per cycle (answered 304, which GitHub does not count
 * against the rate limit); file contents are cached by commit, which never
 * changes.
 */
export class GithubConfigRepoClient {
  static fromIntegrations(options: {
    integrations: ScmIntegrationRegistry;
    cache: ValidatorCache;
    credentialsProvider?: GithubCredentialsProvider;
    fetch?: FetchFn;
    /** Timeout of one request in milliseconds; default 15 000. */
    timeoutMs?: number;
  }): GithubConfigRepoClient {
    return new GithubConfigRepoClient(
      options.integrations,
      options.credentialsProvider ??
        DefaultGithubCredentialsProvider.fromIntegrations(options.integrations),
      options.cache,
      options.fetch ?? fetch,
      options.timeoutMs ?? 15_000,
    );
  }

  private readonly files = new Map<string, string | null>();
  private readonly commits = new Map<string, CommitInfo>();

  private constructor(
    private readonly integrations: ScmIntegrationRegistry,
    private readonly credentials: GithubCredentialsProvider,
    private readonly cache: ValidatorCache,
    private readonly fetchFn: FetchFn,
    private readonly timeoutMs: number,
  ) {}

  /** Parses a config repo URL such as https://github.com/acme/fraud-detector-config. */
  locate(repoUrl: string): ConfigRepoLocation {
    let url: URL;
    try {
      url = new URL(repoUrl);
    } catch {
      throw new InputError(
        `The config repo "${repoUrl}" is not a URL; annotate the entity with e.g. ml-gitops/config-repo: https://github.com/acme/fraud-detector-config`,
      );
    }
    const integration = this.integrations.github.byHost(url.host);
    if (!integration) {
      throw new InputError(
        `No GitHub integration is configured for ${url.host}; add it under integrations.github in app-config.yaml`,
      );
    }
    const [owner, repoPart] = url.pathname.replace(/^\/+/, '').split('/');
    const repo = repoPart?.replace(/\.git$/, '');
    if (!owner || !repo) {
      throw new InputError(
        `The config repo URL "${repoUrl}" must name an owner and a repository, e.g. https://${url.host}/acme/fraud-detector-config`,
      );
    }
    const apiBaseUrl =
      integration.config.apiBaseUrl ?? `https://api.${integration.config.host}`;
    return {
      url: `${url.protocol}//${url.host}/${owner}/${repo}`,
      host: url.host,
      owner,
      repo,
      apiBaseUrl: apiBaseUrl.replace(/\/+$/, ''),
    };
  }

  private async request(
    loc: ConfigRepoLocation,
    path: string,
    init: { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const { headers: authHeaders } = await this.credentials.getCredentials({
      url: loc.url,
    });
    const url = `${loc.apiBaseUrl}/repos/${encodeURIComponent(
      loc.owner,
    )}/${encodeURIComponent(loc.repo)}${path}`;
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        headers: {
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          ...authHeaders,
          ...init.headers,
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ServiceUnavailableError(
          `Git host ${loc.host} did not answer for ${loc.owner}/${
            loc.repo
          } within ${this.timeoutMs / 1000} s`,
        );
      }
      throw new ServiceUnavailableError(
        `Git host ${loc.host} is unreachable: ${(error as Error)?.message}`,
      );
    }
    return response;
  }

  /**
   * The JSON body of a successful answer, checked to be an array or an
   * object as the endpoint promises; otherwise an error naming the repo.
   */
  private async json<T>(
    loc: ConfigRepoLocation,
    what: string,
    response: Response,
    shape: 'array' | 'object',
  ): Promise<T> {
    const where = `${what} of ${loc.owner}/${loc.repo} on ${loc.host}`;
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const flat = text.replace(/\s+/g, ' ').trim();
      throw new ServiceUnavailableError(
        `${where} got an answer that is not JSON ("${
          flat.length > 60 ? `${flat.slice(0, 60)}…` : flat
        }"); check the apiBaseUrl of integrations.github for ${loc.host}`,
      );
    }
    const ok =
      shape === 'array'
        ? Array.isArray(body)
        : typeof body === 'object' && body !== null && !Array.isArray(body);
    if (!ok) {
      throw new ServiceUnavailableError(
        `${where} got JSON that is not ${
          shape === 'array' ? 'a list' : 'an object'
        } as the GitHub REST API answers; check the apiBaseUrl of integrations.github for ${
          loc.host
        }`,
      );
    }
    return body as T;
  }

  private async failure(
    loc: ConfigRepoLocation,
    what: string,
    response: Response,
  ): Promise<Error> {
    let detail = '';
    try {
      const body = (await response.json()) as { message?: string };
      detail = body.message ? `: ${body.message}` : '';
    } catch {
      // not JSON; the status says enough
    }
    const message = `${what} of ${loc.owner}/${loc.repo} on ${loc.host} failed with ${response.status}${detail}`;
    if (response.status === 404) {
      return new NotFoundError(
        `${message}. Check the ml-gitops/config-repo annotation and that the integration token can read the repo.`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      const remaining = response.headers.get('x-ratelimit-remaining');
      return new ServiceUnavailableError(
        remaining === '0'
          ? `${message} (rate limit exhausted until ${new Date(
              Number(response.headers.get('x-ratelimit-reset')) * 1000,
            ).toISOString()})`
          : `${message}. Check the token of integrations.github for ${loc.host}.`,
      );
    }
    return new ServiceUnavailableError(message);
  }

  /**
   * The head commit of every branch. One conditional request: an unchanged
   * repo is answered 304 and returns the cached heads.
   */
  async getBranchHeads(
    loc: ConfigRepoLocation,
  ): Promise<{ heads: Record<string, string>; changed: boolean }> {
    const key = `github:branches:${loc.host}/${loc.owner}/${loc.repo}`;
    const cached = await this.cache.get(key);
    const response = await this.request(loc, '/branches?per_page=100', {
      headers: cached ? { 'If-None-Match': cached.etag } : {},
    });
    if (response.status === 304 && cached) {
      return { heads: cached.heads, changed: false };
    }
    if (!response.ok) {
      throw await this.failure(loc, 'Listing branches', response);
    }
    const body = await this.json<
      Array<{ name?: unknown; commit?: { sha?: unknown } | null }>
    >(loc, 'Listing branches', response, 'array');
    const heads: Record<string, string> = {};
    for (const branch of body) {
      if (
        typeof branch?.name !== 'string' ||
        typeof branch.commit?.sha !== 'string'
      ) {
        throw new ServiceUnavailableError(
          `Listing branches of ${loc.owner}/${loc.repo} on ${loc.host} got a branch without name or commit sha`,
        );
      }
      heads[branch.name] = branch.commit.sha;
    }
    const etag = response.headers.get('etag');
    if (etag) {
      await this.cache.set(key, { etag, heads });
    }
    const changed =
      !cached || JSON.stringify(cached.heads) !== JSON.stringify(heads);
    return { heads, changed };
  }

  /** A file's text at a commit, or null when the file does not exist there. */
  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<string | null> {
    const key = `${loc.host}/${loc.owner}/${loc.repo}@${sha}:${path}`;
    if (this.files.has(key)) {
      return this.files.get(key)!;
    }
    const response = await this.request(
      loc,
      `/contents/${path
        .split('/')
        .map(encodeURIComponent)
        .join('/')}?ref=${encodeURIComponent(sha)}`,
      { headers: { Accept: 'application/vnd.github.raw+json' } },
    );
    let text: string | null;
    if (response.status === 404) {
      text = null;
    } else if (!response.ok) {
      throw await this.failure(loc, `Reading ${path}@${sha}`, response);
    } else {
      text = await response.text();
    }
    if (this.files.size >= MAX_CACHED_FILES) {
      this.files.delete(this.files.keys().next().value!);
    }
    this.files.set(key, text);
    return text;
  }

  /** One commit (cached: commits never change). */
  async getCommit(loc: ConfigRepoLocation, sha: string): Promise<CommitInfo> {
    const key = `${loc.host}/${loc.owner}/${loc.repo}@${sha}`;
    const cached = this.commits.get(key);
    if (cached) {
      return cached;
    }
    const response = await this.request(
      loc,
      `/commits/${encodeURIComponent(sha)}`,
    );
    if (!response.ok) {
      throw await this.failure(loc, `Reading commit ${sha}`, response);
    }
    const body = await this.json<{
      sha: string;
      parents: Array<{ sha: string }>;
      author: { login: string } | null;
      commit: {
        message: string;
        author: { name: string; date: string };
        committer: { name: string; date: string };
      };
    }>(loc, `Reading commit ${sha}`, response, 'object');
    if (
      typeof body.sha !== 'string' ||
      !Array.isArray(body.parents) ||
      typeof body.commit?.committer?.date !== 'string' ||
      typeof body.commit?.author?.date !== 'string'
    ) {
      throw new ServiceUnavailableError(
        `Reading commit ${sha} of ${loc.owner}/${loc.repo} on ${loc.host} got a commit without sha, parents or dates`,
      );
    }
    const info: CommitInfo = {
      sha: body.sha,
      parents: body.parents.map(p => p.sha),
      message: body.commit.message,
      author: body.author?.login ?? body.commit.author.name,
      authorDate: new Date(body.commit.author.date).toISOString(),
      committedAt: new Date(body.commit.committer.date).toISOString(),
    };
    if (this.commits.size >= MAX_CACHED_FILES) {
      this.commits.delete(this.commits.keys().next().value!);
    }
    this.commits.set(key, info);
    return info;
  }

  /** The merged pull request that brought a commit into `baseRef`, if any. */
  async getMergedPullRequest(
    loc: ConfigRepoLocation,
    sha: string,
    baseRef: string,
  ): Promise<PullRequestFacts | undefined> {
    const response = await this.request(
      loc,
      `/commits/${encodeURIComponent(sha)}/pulls`,
    );
    if (!response.ok) {
      throw await this.failure(loc, `Finding the PR of ${sha}`, response);
    }
    const pulls = await this.json<
      Array<{
        number: number;
        merged_at: string | null;
        base?: { ref?: string };
      }>
    >(loc, `Finding the PR of ${sha}`, response, 'array');
    const pull = pulls.find(p => p?.merged_at && p.base?.ref === baseRef);
    if (!pull) {
      return undefined;
    }
    const [detailResponse, reviewsResponse] = await Promise.all([
      this.request(loc, `/pulls/${pull.number}`),
      this.request(loc, `/pulls/${pull.number}/reviews?per_page=100`),
    ]);
    if (!detailResponse.ok) {
      throw await this.failure(
        loc,
        `Reading PR #${pull.number}`,
        detailResponse,
      );
    }
    if (!reviewsResponse.ok) {
      throw await this.failure(
        loc,
        `Reading reviews of PR #${pull.number}`,
        reviewsResponse,
      );
    }
    const detail = await this.json<{
      number: number;
      html_url: string;
      title?: string;
      labels?: Array<{ name: string }>;
      merged_at: string | null;
      merged_by: { login: string } | null;
      base: { ref: string };
      head: { ref: string };
    }>(loc, `Reading PR #${pull.number}`, detailResponse, 'object');
    const reviews = await this.json<
      Array<{
        user: { login: string } | null;
        state: string;
      }>
    >(loc, `Reading reviews of PR #${pull.number}`, reviewsResponse, 'array');
    const reviewers = [
      ...new Set(
        reviews
          .filter(r => r?.state === 'APPROVED' && r.user)
          .map(r => r.user!.login),
      ),
    ];
    return {
      number: detail.number,
      url: detail.html_url,
      title: detail.title ?? '',
      labels: (detail.labels ?? []).map(l => l.name),
      mergedAt: detail.merged_at
        ? new Date(detail.merged_at).toISOString()
        : undefined,
      mergedBy: detail.merged_by?.login,
      baseRef: detail.base?.ref ?? baseRef,
      headRef: detail.head?.ref ?? '',
      reviewers,
    };
  }
}
