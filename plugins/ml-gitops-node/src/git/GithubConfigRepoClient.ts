import { AsyncLocalStorage } from 'node:async_hooks';
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { GitHostReader } from './GitHost';
import {
  manifestPathProblem,
  MAX_MANIFEST_BYTES,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ByteBoundedCache } from '../cache/ByteBoundedCache';
import {
  buildBranchHeadsQuery,
  generalErrors,
  GraphqlError,
  readBranchHeadsAnswer,
} from './branchHeadsQuery';
import {
  answerMessage,
  answerText,
  boundedText,
  discard,
  GitHostUnanswered,
  GithubAnswer,
  GithubTransport,
} from './githubTransport';
import { RateLimitRetryOptions, rateLimitedUntil } from './rateLimits';

/** Counts the requests sent on behalf of one piece of work (see {@link countRequests}). @public */
export type RequestMeter = { requests: number };

const requestMeters = new AsyncLocalStorage<RequestMeter>();

/**
 * Runs `work`, adding to `meter` every request the config-repo client sends
 * for it (retries included), and only those: work running at the same time
 * for other models is not counted.
 * @public
 */
export function countRequests<T>(
  meter: RequestMeter,
  work: () => Promise<T>,
): Promise<T> {
  return requestMeters.run(meter, work);
}

/** How many pages of 100 branches are read before giving up. */
const MAX_BRANCH_PAGES = 20;
/** How many pages of 100 reviews of one pull request are read at most. */
const MAX_REVIEW_PAGES = 10;

/** Where a config repo lives and how to reach its Git host's API. @public */
export type ConfigRepoLocation = {
  url: string;
  host: string;
  owner: string;
  repo: string;
  apiBaseUrl: string;
};

/** @public */
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

/** @public */
export type PullRequestFacts = {
  number: number;
  url: string;
  title: string;
  labels: string[];
  mergedAt?: string;
  mergedBy?: string;
  baseRef: string;
  headRef: string;
  /** The head commit the PR merged. */
  headSha?: string;
  /** Who approved the merged head commit (see {@link approversOf}). */
  reviewers: string[];
  /** Who opened the PR (login), and whether that is an app or bot account. */
  author?: string;
  authorIsBot?: boolean;
  /** The PR description, for the change record the actions write there. */
  body?: string;
};

/** Conditional-request validators and the last answer, kept between cycles. @public */
export type BranchHeadsCacheEntry = {
  /** The ETag of the first page. */
  etag: string;
  /** The ETag of every page, when the branches took more than one. */
  pages?: string[];
  heads: Record<string, string>;
};

/** Where the GitHub client keeps validators so restarts keep them too. @public */
export interface ValidatorCache {
  get(key: string): Promise<BranchHeadsCacheEntry | undefined>;
  set(key: string, value: BranchHeadsCacheEntry): Promise<void>;
}

type FetchFn = typeof fetch;

/**
 * Memory for file texts and commits read (both never change at a commit):
 * bounded in bytes, so large manifests or long commit messages cannot grow
 * the process without limit; the least recently used go first.
 */
const MAX_CACHED_FILE_BYTES = 32 * 1024 * 1024;
const MAX_CACHED_COMMIT_BYTES = 16 * 1024 * 1024;

/** Repositories asked for in one GraphQL query. */
const GRAPHQL_BATCH = 100;
/** GraphQL queries in flight at once per host and token. */
const GRAPHQL_CONCURRENCY = 2;
/** How long a host that answered 404 on its GraphQL endpoint is not asked again. */
const NO_GRAPHQL_RETRY_MS = 60 * 60 * 1000;

/**
 * Branch heads of many config repos, read together: for each repo (by
 * {@link ConfigRepoLocation.url}) a promise of its heads of the asked
 * branches, or of `undefined` when its host cannot answer in a batch (the
 * caller then asks the REST API). A failed repo's promise rejects with the
 * error that names it.
 * @public
 */
export type BranchHeadsPrefetch = Map<
  string,
  Promise<Record<string, string> | undefined>
>;

/** What the GraphQL API said of its rate limit in the last batch. @public */
export type GraphqlRateLimit = {
  host: string;
  cost: number;
  remaining: number;
  resetAt: string;
};

/**
 * Reads config repos on GitHub (github.com or GitHub Enterprise) through
 * Backstage's `integrations.github` credentials. The branch heads of a
 * whole fleet are read in GraphQL queries of 100 repos
 * ({@link GithubConfigRepoClient.prefetchBranchHeads}); one repo alone costs
 * one conditional REST request (answered 304 when unchanged, which GitHub
 * does not count against the rate limit). File contents and commits are
 * cached by commit, which never changes.
 * @public
 */
export class GithubConfigRepoClient implements GitHostReader {
  static fromIntegrations(options: {
    integrations: ScmIntegrationRegistry;
    cache: ValidatorCache;
    credentialsProvider?: GithubCredentialsProvider;
    fetch?: FetchFn;
    /** Timeout of one request in milliseconds; default 15 000. */
    timeoutMs?: number;
    /**
     * How a rate-limited request is retried. By default a limit that lifts
     * within 10 s is waited for, twice at most; a longer one fails at once
     * with "rate limited until …", so a poll cycle never stalls on it.
     */
    rateLimitRetry?: RateLimitRetryOptions;
    /**
     * `mlGitops.allowedOwners`: the only owners (`acme` or
     * `host/acme`, lower case) whose repos may be config repos.
     */
    allowedOwners?: string[];
  }): GithubConfigRepoClient {
    return new GithubConfigRepoClient(
      options.integrations,
      options.credentialsProvider ??
        DefaultGithubCredentialsProvider.fromIntegrations(options.integrations),
      options.cache,
      new GithubTransport({
        fetch: options.fetch,
        timeoutMs: options.timeoutMs ?? 15_000,
        rateLimitRetry: {
          maxWaitMs: 10_000,
          maxRetries: 2,
          ...options.rateLimitRetry,
        },
      }),
      options.allowedOwners,
    );
  }

  /** File texts by repo, commit and path (null: no such file). */
  private readonly files = new ByteBoundedCache<string | null>(
    MAX_CACHED_FILE_BYTES,
  );
  /** Commits by repo and SHA. */
  private readonly commits = new ByteBoundedCache<CommitInfo>(
    MAX_CACHED_COMMIT_BYTES,
  );
  /** Hosts whose GraphQL endpoint answered 404, until when. */
  private readonly noGraphql = new Map<string, number>();
  /** The rate limit the GraphQL API reported last, per host. */
  readonly graphqlRateLimits = new Map<string, GraphqlRateLimit>();
  /**
   * Hosts whose GraphQL API refused a batch for its rate limit, and until
   * when branch heads are read through REST instead.
   */
  readonly graphqlLimited = new Map<
    string,
    {
      host: string;
      kind: 'primary' | 'secondary';
      until: string;
      message: string;
    }
  >();

  private constructor(
    private readonly integrations: ScmIntegrationRegistry,
    private readonly credentials: GithubCredentialsProvider,
    private readonly cache: ValidatorCache,
    private readonly transport: GithubTransport,
    private readonly allowedOwners?: string[],
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
    if (this.allowedOwners) {
      // GitHub logins are case-insensitive.
      const who = owner.toLowerCase();
      const allowed = this.allowedOwners.some(
        entry => entry === who || entry === `${url.host.toLowerCase()}/${who}`,
      );
      if (!allowed) {
        throw new NotAllowedError(
          `${
            url.host
          }/${owner} is not among the owners whose repos may be config repos (mlGitops.allowedOwners: ${this.allowedOwners.join(
            ', ',
          )}); move the config repo to one of them, or ask the Backstage operators to add the owner`,
        );
      }
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

  /**
   * One GET of the REST API of `loc`'s repo (`path` below
   * `/repos/{owner}/{repo}`), counted by {@link countRequests}; the body of
   * a successful answer is left unread.
   */
  private async request(
    loc: ConfigRepoLocation,
    path: string,
    init: { headers?: Record<string, string> } = {},
  ): Promise<GithubAnswer> {
    const { headers: authHeaders } = await this.credentials.getCredentials({
      url: loc.url,
    });
    // Taken here: the meter of the work that asks, not of whoever runs
    // the retry plugin's queue.
    const meter = requestMeters.getStore();
    try {
      return await this.transport.send({
        method: 'GET',
        url: `${loc.apiBaseUrl}/repos/${encodeURIComponent(
          loc.owner,
        )}/${encodeURIComponent(loc.repo)}${path}`,
        headers: {
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          ...authHeaders,
          ...init.headers,
        },
        raw: true,
        onSend: () => {
          if (meter) meter.requests += 1;
        },
      });
    } catch (error) {
      throw this.unanswered(loc, error);
    }
  }

  /** The error for a request that got no answer (or no whole answer). */
  private unanswered(loc: ConfigRepoLocation, error: unknown): Error {
    if (!(error instanceof GitHostUnanswered)) return error as Error;
    return new ServiceUnavailableError(
      error.timedOut
        ? `Git host ${loc.host} did not answer for ${loc.owner}/${
            loc.repo
          } within ${this.transport.timeoutMs / 1000} s`
        : `Git host ${loc.host} is unreachable: ${error.detail}`,
    );
  }

  /**
   * The JSON body of a successful answer, checked to be an array or an
   * object as the endpoint promises; otherwise an error naming the repo.
   */
  private async json<T>(
    loc: ConfigRepoLocation,
    what: string,
    response: GithubAnswer,
    shape: 'array' | 'object',
  ): Promise<T> {
    const where = `${what} of ${loc.owner}/${loc.repo} on ${loc.host}`;
    const text = await answerText(response).catch(error => {
      throw this.unanswered(loc, error);
    });
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

  private failure(
    loc: ConfigRepoLocation,
    what: string,
    response: GithubAnswer,
  ): Error {
    // Not JSON: the status says enough.
    const said = answerMessage(response).message;
    const detail = said ? `: ${said}` : '';
    const message = `${what} of ${loc.owner}/${loc.repo} on ${loc.host} failed with ${response.status}${detail}`;
    if (response.status === 404) {
      return new NotFoundError(
        `${message}. Check the ml-gitops/config-repo annotation and that the integration token can read the repo.`,
      );
    }
    const limited = rateLimitedUntil(response, detail);
    if (limited) {
      return new ServiceUnavailableError(
        `${message} (GitHub's ${limited.kind} rate limit: rate limited until ${limited.until})`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      return new ServiceUnavailableError(
        `${message}. Check the token of integrations.github for ${loc.host}.`,
      );
    }
    return new ServiceUnavailableError(message);
  }

  /**
   * The head commit of every branch. GitHub lists branches sorted by name,
   * at most 100 a page, and says in the `Link` header where the next page is
   * (docs.github.com, "Using pagination in the REST API"): a repo with many
   * `ml-gitops/…` branches has its `production` and `staging` on a later
   * page, so every page is read. Each page is asked conditionally with its
   * own ETag; when every page answers 304 nothing changed and the cached
   * heads are returned.
   */
  async getBranchHeads(
    loc: ConfigRepoLocation,
  ): Promise<{ heads: Record<string, string>; changed: boolean }> {
    const key = `github:branches:${loc.host}/${loc.owner}/${loc.repo}`;
    const cached = await this.cache.get(key);
    // Older cache entries hold the ETag of the one page they read.
    const pageEtags = cached ? cached.pages ?? [cached.etag] : [];
    const heads: Record<string, string> = {};
    const etags: string[] = [];
    let unchanged = Boolean(cached);
    let path: string | undefined = branchesPage(1);
    for (let page = 0; path; page++) {
      if (page >= MAX_BRANCH_PAGES) {
        throw new ServiceUnavailableError(
          `Listing branches of ${loc.owner}/${loc.repo} on ${loc.host} stopped after ${MAX_BRANCH_PAGES} pages of 100; delete merged ml-gitops/* branches (GitHub does it on merge with "Automatically delete head branches")`,
        );
      }
      const etag = unchanged ? pageEtags[page] : undefined;
      const response = await this.request(loc, path, {
        headers: etag ? { 'If-None-Match': etag } : {},
      });
      if (response.status === 304 && etag && cached) {
        etags.push(etag);
        path = pageEtags.length > page + 1 ? branchesPage(page + 2) : undefined;
        continue;
      }
      if (!response.ok) {
        throw this.failure(loc, 'Listing branches', response);
      }
      if (unchanged && page > 0) {
        // An earlier page was unchanged but this one is not: read the
        // earlier pages again, since their 304 carried no branches.
        unchanged = false;
        etags.length = 0;
        path = branchesPage(1);
        page = -1;
        discard(response);
        continue;
      }
      unchanged = false;
      const body = await this.json<
        Array<{ name?: unknown; commit?: { sha?: unknown } | null }>
      >(loc, 'Listing branches', response, 'array');
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
      etags.push(headerText(response, 'etag') ?? '');
      const next = nextPageNumber(headerText(response, 'link') ?? null);
      path = next === page + 2 ? branchesPage(next) : undefined;
    }
    if (unchanged && cached) {
      return { heads: cached.heads, changed: false };
    }
    if (etags.every(Boolean)) {
      await this.cache.set(key, { etag: etags[0], pages: etags, heads });
    }
    const changed =
      !cached || JSON.stringify(cached.heads) !== JSON.stringify(heads);
    return { heads, changed };
  }

  /**
   * Starts reading the heads of `branches` in every repo of `locs` through
   * GitHub's GraphQL API, up to 100 repos in one query (one rate-limit point
   * per query, as GitHub charges a query without connections) instead of a
   * REST request per repo. Returns at once; each repo's promise settles when
   * its query has been answered. Repos are grouped by host and credentials
   * (a GitHub App installation token covers one owner), and queries run in
   * the order of `locs`, so the first repos are ready first.
   */
  prefetchBranchHeads(
    locs: ConfigRepoLocation[],
    branches: string[],
  ): BranchHeadsPrefetch {
    const result: BranchHeadsPrefetch = new Map();
    const settle = new Map<
      string,
      {
        resolve: (heads: Record<string, string> | undefined) => void;
        reject: (error: Error) => void;
      }
    >();
    const unique: ConfigRepoLocation[] = [];
    for (const loc of locs) {
      if (result.has(loc.url)) continue;
      const promise = new Promise<Record<string, string> | undefined>(
        (resolve, reject) => settle.set(loc.url, { resolve, reject }),
      );
      // Settled without a reader when its model is not polled after all.
      promise.catch(() => {});
      result.set(loc.url, promise);
      unique.push(loc);
    }
    const run = async () => {
      const groups = new Map<
        string,
        {
          endpoint: string;
          headers: Record<string, string>;
          locs: typeof unique;
        }
      >();
      for (const loc of unique) {
        const endpoint = graphqlEndpoint(loc.apiBaseUrl);
        const blocked = this.noGraphql.get(endpoint);
        if (blocked && blocked > Date.now()) {
          settle.get(loc.url)!.resolve(undefined);
          continue;
        }
        let headers: Record<string, string> = {};
        try {
          ({ headers = {} } = await this.credentials.getCredentials({
            url: loc.url,
          }));
        } catch (error) {
          settle.get(loc.url)!.reject(error as Error);
          continue;
        }
        const groupKey = `${endpoint} ${JSON.stringify(headers)}`;
        let group = groups.get(groupKey);
        if (!group) {
          group = { endpoint, headers, locs: [] };
          groups.set(groupKey, group);
        }
        group.locs.push(loc);
      }
      const queries: Array<() => Promise<void>> = [];
      for (const group of groups.values()) {
        for (let i = 0; i < group.locs.length; i += GRAPHQL_BATCH) {
          const batch = group.locs.slice(i, i + GRAPHQL_BATCH);
          queries.push(async () => {
            const answers = await this.queryBranchHeads(
              group.endpoint,
              group.headers,
              batch,
              branches,
            );
            for (const loc of batch) {
              const answer = answers.get(loc.url);
              if (answer instanceof Error) {
                settle.get(loc.url)!.reject(answer);
              } else {
                settle.get(loc.url)!.resolve(answer);
              }
            }
          });
        }
      }
      let next = 0;
      await Promise.all(
        Array.from(
          { length: Math.min(GRAPHQL_CONCURRENCY, queries.length) },
          async () => {
            while (next < queries.length) {
              await queries[next++]();
            }
          },
        ),
      );
    };
    run().catch(error => {
      // Only a bug gets here; no repo is left waiting.
      for (const { reject } of settle.values()) reject(error as Error);
    });
    return result;
  }

  /**
   * Sends `locs` to REST (their answers are `undefined`) and GraphQL of
   * `endpoint` to rest until `limited.until`, remembering why.
   */
  private restUntil(
    endpoint: string,
    host: string,
    locs: ConfigRepoLocation[],
    limited: { kind: 'primary' | 'secondary'; until: string },
    message: string,
  ): Map<string, undefined> {
    const until = Date.parse(limited.until);
    this.noGraphql.set(
      endpoint,
      Number.isFinite(until) ? until : Date.now() + 60_000,
    );
    this.graphqlLimited.set(host, {
      host,
      kind: limited.kind,
      until: limited.until,
      message,
    });
    return new Map(locs.map(loc => [loc.url, undefined]));
  }

  /**
   * One GraphQL query for the branch heads of `locs`; per repo its heads,
   * `undefined` (ask REST) or the error that names it.
   */
  private async queryBranchHeads(
    endpoint: string,
    authHeaders: Record<string, string>,
    locs: ConfigRepoLocation[],
    branches: string[],
  ): Promise<Map<string, Record<string, string> | undefined | Error>> {
    const host = locs[0].host;
    const all = (error: Error) =>
      new Map<string, Error>(locs.map(loc => [loc.url, error]));
    const what = `Reading the branch heads of ${locs.length} repo(s) on ${host} through GraphQL`;

    let response: GithubAnswer;
    try {
      response = await this.transport.send({
        method: 'POST',
        url: endpoint,
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/json',
          ...authHeaders,
        },
        body: buildBranchHeadsQuery(locs, branches),
        raw: true,
        // A query only reads, so one whose connection broke before the
        // answer (a keep-alive connection the server closed as it was
        // reused) or that got a 5xx is sent once more.
        retryOnce: true,
        // A rate limit sends the batch to REST, a separate budget.
        waitOutRateLimits: false,
      });
    } catch (error) {
      if (!(error instanceof GitHostUnanswered)) throw error;
      return all(
        new ServiceUnavailableError(
          error.timedOut
            ? `Git host ${host} did not answer within ${
                this.transport.timeoutMs / 1000
              } s (${what})`
            : `Git host ${host} is unreachable: ${error.detail}`,
        ),
      );
    }
    if (response.status === 404) {
      // No GraphQL API here (an old GitHub Enterprise, another host that
      // speaks GitHub's REST API): ask REST, and not GraphQL for an hour.
      this.noGraphql.set(endpoint, Date.now() + NO_GRAPHQL_RETRY_MS);
      return new Map(locs.map(loc => [loc.url, undefined]));
    }
    if (!response.ok) {
      // Not JSON: the status says enough.
      const said = answerMessage(response).message;
      const detail = said ? `: ${said}` : '';
      const message = `${what} failed with ${response.status}${detail}`;
      const limited = rateLimitedUntil(response, detail);
      if (limited) {
        // GraphQL points and REST requests are separate budgets: this
        // batch is read through REST, and GraphQL rests until the limit
        // resets (docs.github.com, "Rate limits and node limits for the
        // GraphQL API").
        return this.restUntil(endpoint, host, locs, limited, message);
      }
      return all(
        new ServiceUnavailableError(
          response.status === 401 || response.status === 403
            ? `${message}. Check the token of integrations.github for ${host}.`
            : message,
        ),
      );
    }
    let text: string;
    try {
      text = await answerText(response);
    } catch (error) {
      if (!(error instanceof GitHostUnanswered)) throw error;
      return all(
        new ServiceUnavailableError(
          error.timedOut
            ? `Git host ${host} did not answer within ${
                this.transport.timeoutMs / 1000
              } s (${what})`
            : `Git host ${host} is unreachable: ${error.detail}`,
        ),
      );
    }
    let body: {
      data?: Record<string, unknown> | null;
      errors?: GraphqlError[];
    };
    try {
      body = JSON.parse(text);
    } catch {
      const flat = text.replace(/\s+/g, ' ').trim();
      return all(
        new ServiceUnavailableError(
          `${what} got an answer that is not JSON ("${
            flat.length > 60 ? `${flat.slice(0, 60)}…` : flat
          }"); check the apiBaseUrl of integrations.github for ${host}`,
        ),
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return all(
        new ServiceUnavailableError(
          `${what} got JSON that is not a GraphQL answer; check the apiBaseUrl of integrations.github for ${host}`,
        ),
      );
    }
    const errors = Array.isArray(body.errors) ? body.errors : [];
    // A spent GraphQL budget is answered 200 with an error of type
    // RATE_LIMITED (docs.github.com, "Rate limits and node limits for the
    // GraphQL API"): read this batch through REST.
    const rateLimited = errors.find(
      e => e?.type === 'RATE_LIMITED' || e?.type === 'RATE_LIMIT',
    );
    if (rateLimited) {
      const reset = Number(response.headers['x-ratelimit-reset']);
      return this.restUntil(
        endpoint,
        host,
        locs,
        {
          kind: 'primary',
          until: new Date(
            Number.isFinite(reset) && reset > 0
              ? reset * 1000
              : Date.now() + 60_000,
          ).toISOString(),
        },
        `${what} was refused: ${String(rateLimited.message ?? 'rate limited')}`,
      );
    }
    const data =
      body.data && typeof body.data === 'object' && !Array.isArray(body.data)
        ? body.data
        : undefined;
    if (!data) {
      const general = generalErrors(errors);
      return all(
        new ServiceUnavailableError(
          general.length > 0
            ? `${what} failed: ${general.join('; ')}`
            : `${what} got an answer without data; check the apiBaseUrl of integrations.github for ${host}`,
        ),
      );
    }
    this.noteGraphqlRateLimit(host, data.rateLimit);
    return readBranchHeadsAnswer(data, errors, locs, branches);
  }

  /**
   * Keeps the rate limit a GraphQL answer reported. Answers of queries in
   * flight may arrive out of order; within one window the remaining points
   * only go down.
   */
  private noteGraphqlRateLimit(host: string, reported: unknown) {
    const rate = reported as
      | { cost?: unknown; remaining?: unknown; resetAt?: unknown }
      | null
      | undefined;
    if (
      typeof rate?.cost !== 'number' ||
      typeof rate.remaining !== 'number' ||
      typeof rate.resetAt !== 'string'
    ) {
      return;
    }
    const known = this.graphqlRateLimits.get(host);
    if (
      !known ||
      known.resetAt !== rate.resetAt ||
      known.remaining > rate.remaining
    ) {
      this.graphqlRateLimits.set(host, {
        host,
        cost: rate.cost,
        remaining: rate.remaining,
        resetAt: rate.resetAt,
      });
    }
  }

  /** A file's text at a commit, or null when the file does not exist there. */
  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<string | null> {
    const problem = manifestPathProblem(path);
    if (problem) {
      // The path goes into an authenticated API URL: never one that could
      // leave the repo's contents (`..` collapses in URLs).
      throw new InputError(`${JSON.stringify(path.slice(0, 255))} ${problem}`);
    }
    const key = `${loc.host}/${loc.owner}/${loc.repo}@${sha}:${path}`;
    if (this.files.has(key)) {
      return this.files.get(key) ?? null;
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
      throw this.failure(loc, `Reading ${path}@${sha}`, response);
    } else {
      text = await boundedText(
        response,
        MAX_MANIFEST_BYTES,
        `${path}@${sha.slice(0, 12)} in ${loc.owner}/${
          loc.repo
        } is larger than ${
          MAX_MANIFEST_BYTES / 1024
        } KiB; a manifest must be smaller`,
        message => new InputError(message),
      ).catch(error => {
        throw this.unanswered(loc, error);
      });
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
      throw this.failure(loc, `Reading commit ${sha}`, response);
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
    this.commits.set(key, info);
    return info;
  }

  /**
   * Every review of a pull request, oldest first, following the `Link`
   * header past GitHub's 100 a page.
   */
  private async pullReviews(
    loc: ConfigRepoLocation,
    number: number,
  ): Promise<PullReview[]> {
    const all: PullReview[] = [];
    const what = `Reading reviews of PR #${number}`;
    for (let page = 1; page <= MAX_REVIEW_PAGES; ) {
      const response = await this.request(
        loc,
        `/pulls/${number}/reviews?per_page=100${
          page > 1 ? `&page=${page}` : ''
        }`,
      );
      if (!response.ok) throw this.failure(loc, what, response);
      all.push(...(await this.json<typeof all>(loc, what, response, 'array')));
      const next = nextPageNumber(headerText(response, 'link') ?? null);
      if (next !== page + 1) break;
      page = next;
    }
    return all;
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
      throw this.failure(loc, `Finding the PR of ${sha}`, response);
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
    const [detailResponse, reviews] = await Promise.all([
      this.request(loc, `/pulls/${pull.number}`),
      this.pullReviews(loc, pull.number),
    ]);
    if (!detailResponse.ok) {
      throw this.failure(loc, `Reading PR #${pull.number}`, detailResponse);
    }
    const detail = await this.json<{
      number: number;
      html_url: string;
      title?: string;
      labels?: Array<{ name: string }>;
      merged_at: string | null;
      merged_by: { login: string } | null;
      base: { ref: string };
      head: { ref: string; sha?: string };
      user?: { login?: string; type?: string } | null;
      body?: string | null;
    }>(loc, `Reading PR #${pull.number}`, detailResponse, 'object');
    const reviewers = approversOf(reviews, detail.head?.sha);
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
      ...(detail.head?.sha ? { headSha: detail.head.sha } : {}),
      reviewers,
      ...(detail.user?.login
        ? {
            author: detail.user.login,
            // GitHub Apps open PRs as "<slug>[bot]" with type Bot.
            authorIsBot:
              detail.user.type === 'Bot' || /\[bot\]$/.test(detail.user.login),
          }
        : {}),
      ...(typeof detail.body === 'string' ? { body: detail.body } : {}),
    };
  }
}

/**
 * One review of a pull request, as GitHub's REST API lists it
 * (docs.github.com, "List reviews for a pull request": `state` is APPROVED,
 * CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING; `commit_id` is the
 * head commit the review was submitted on).
 */
type PullReview = {
  user: { login: string } | null;
  state: string;
  commit_id?: string | null;
};

/**
 * Who approved what a pull request merged: each reviewer whose last
 * deciding review (an approval or a request for changes; comments decide
 * nothing) approved the head commit that was merged. An approval of an
 * older head does not count — the change it saw is not the change that
 * merged — and a dismissed approval is listed as DISMISSED, so it does not
 * count either. Without the head's sha (GitHub always sends it) approvals
 * count as given.
 * @public
 */
export function approversOf(
  reviews: PullReview[],
  headSha: string | undefined,
): string[] {
  const last = new Map<string, PullReview>();
  for (const review of reviews) {
    const login = review?.user?.login;
    if (!login) continue;
    if (
      review.state === 'APPROVED' ||
      review.state === 'CHANGES_REQUESTED' ||
      review.state === 'DISMISSED'
    ) {
      last.set(login, review);
    }
  }
  return [...last.entries()]
    .filter(
      ([, review]) =>
        review.state === 'APPROVED' &&
        (!headSha || review.commit_id === headSha),
    )
    .map(([login]) => login);
}

/** The path of page `page` (counted from 1) of the branch list. */
function branchesPage(page: number): string {
  return `/branches?per_page=100${page > 1 ? `&page=${page}` : ''}`;
}

/** A header of an answer as text, if present. */
function headerText(answer: GithubAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return value === undefined ? undefined : String(value);
}

/**
 * The page number of the `rel="next"` link of a `Link` header. GitHub's
 * links may name the repo by id (`/repositories/1296269/branches?page=2`),
 * so only the page number is taken from them.
 */
export function nextPageNumber(link: string | null): number | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (!match) continue;
    try {
      const page = Number(new URL(match[1]).searchParams.get('page'));
      return Number.isInteger(page) && page > 1 ? page : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The GraphQL endpoint next to a REST API base URL: api.github.com/graphql
 * for github.com, /api/graphql beside GitHub Enterprise's /api/v3.
 * @public
 */
export function graphqlEndpoint(apiBaseUrl: string): string {
  const base = apiBaseUrl.replace(/\/+$/, '');
  return /\/api\/v3$/.test(base)
    ? `${base.slice(0, -'/v3'.length)}/graphql`
    : `${base}/graphql`;
}
