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

// The GitHub config-repo reader: locating a repo (and mlGitops.allowedOwners), composing the branch-head, file, commit and pull request reads.
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { InputError, NotAllowedError } from '@backstage/errors';
import { ComposedGitHostReader } from './ComposedGitHostReader';
import type { GitHostRateLimitReport } from './GitHost';
import type {
  ConfigRepoLocation,
  GraphqlRateLimit,
  ValidatorCache,
} from './configRepoTypes';
import { FileAndCommitReads } from './fileAndCommitReads';
import { GithubRestReads } from './githubRestReads';
import { GithubTransport, type FetchFn } from './githubTransport';
import { GraphqlBranchHeads } from './graphqlBranchHeads';
import { readCommitsAndFiles } from './graphqlCommitsAndFiles';
import { readMergedPullRequest } from './pullRequestReads';
import { RateLimitRetryOptions, readerTransportOptions } from './rateLimits';
import { readBranchHeads } from './restBranchHeads';
import { parseConfigRepoUrl } from './configRepoUrl';

/** Below this many GraphQL points left, the poller warns (once a window). */
const LOW_GRAPHQL_POINTS = 200;

/**
 * Reads config repos on GitHub (github.com or GitHub Enterprise) through
 * Backstage's `integrations.github` credentials. The branch heads of a
 * whole fleet are read in GraphQL queries of 100 repos
 * ({@link GitHostReader.prefetchBranchHeads}); one repo alone costs
 * one conditional REST request (answered 304 when unchanged, which GitHub
 * does not count against the rate limit). File contents and commits are
 * cached by commit, which never changes.
 * @public
 */
export class GithubConfigRepoClient extends ComposedGitHostReader {
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
      new GithubTransport(readerTransportOptions(options)),
      options.allowedOwners,
    );
  }

  /** The rate limit the GraphQL API reported last, per host. */
  readonly graphqlRateLimits: Map<string, GraphqlRateLimit>;
  /**
   * Hosts whose GraphQL API refused a batch for its rate limit, and until
   * when branch heads are read through REST instead.
   */
  readonly graphqlLimited: Map<
    string,
    {
      host: string;
      kind: 'primary' | 'secondary';
      until: string;
      message: string;
    }
  >;

  private constructor(
    private readonly integrations: ScmIntegrationRegistry,
    credentials: GithubCredentialsProvider,
    cache: ValidatorCache,
    transport: GithubTransport,
    private readonly allowedOwners?: string[],
  ) {
    const api = new GithubRestReads(credentials, transport);
    const graphql = new GraphqlBranchHeads(credentials, transport);
    const reads = new FileAndCommitReads(api);
    super({
      // GitHub lists branches sorted by name, at most 100 a page, and says
      // in the `Link` header where the next page is (docs.github.com, "Using
      // pagination in the REST API"): a repo with many `ml-gitops/…`
      // branches has its `production` and `staging` on a later page, so
      // every page is read, each conditionally with its own ETag; when every
      // page answers 304 nothing changed and the cached heads are returned.
      getBranchHeads: loc => readBranchHeads(api, cache, loc),
      // Up to 100 repos in one GraphQL query (one rate-limit point per
      // query, as GitHub charges a query without connections) instead of a
      // REST request per repo, grouped by host and credentials (a GitHub App
      // installation token covers one owner), in the order of `locs`.
      prefetchBranchHeads: (locs, branches) =>
        graphql.prefetchBranchHeads(locs, branches),
      getFile: (loc, path, sha) => reads.getFile(loc, path, sha),
      getCommit: (loc, sha) => reads.getCommit(loc, sha),
      // Commits and files in GraphQL queries of 100 repos: the head commit
      // and manifest of branches read for the first time, which REST reads
      // at two requests a branch.
      prefetchCommitsAndFiles: async items => {
        const found = await readCommitsAndFiles(graphql, items);
        for (const { loc, sha, path } of items) {
          const facts = found.get(`${loc.url}@${sha}:${path}`);
          if (!facts) continue;
          reads.remember(loc, sha, {
            commit: facts.commit,
            file: facts.file && { path, text: facts.file.text },
          });
        }
      },
      getMergedPullRequest: (loc, sha, baseRef) =>
        readMergedPullRequest(api, loc, sha, baseRef),
    });
    this.graphqlRateLimits = graphql.graphqlRateLimits;
    this.graphqlLimited = graphql.graphqlLimited;
  }

  /** Parses a config repo URL such as https://github.com/acme/fraud-detector-config. */
  locate(repoUrl: string): ConfigRepoLocation {
    const url = parseConfigRepoUrl(repoUrl);
    const integration = this.integrations.github.byHost(url.host);
    if (!integration && this.integrations.gitlab.byHost(url.host)) {
      throw new InputError(
        `The config repo ${repoUrl} is on ${url.host}, a GitLab host (integrations.gitlab); the GitHub config repo client reads config repos on the hosts of integrations.github only`,
      );
    }
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
   * The GraphQL points left per host (GitHub grants 5 000 an hour) and the
   * hosts whose GraphQL refused branch heads for a rate limit, which are
   * read through REST meanwhile.
   */
  rateLimitReport(): GitHostRateLimitReport {
    return {
      limits: [...this.graphqlRateLimits.values()].map(l => ({
        api: 'GitHub GraphQL',
        host: l.host,
        remaining: l.remaining,
        unit: 'points',
        resetAt: l.resetAt,
        lowBelow: LOW_GRAPHQL_POINTS,
        spending:
          'branch heads are read in queries of 100 repos (1 point each) every cycle',
      })),
      refusals: [...this.graphqlLimited.values()].map(l => ({
        api: 'GitHub GraphQL',
        host: l.host,
        refused: 'branch heads',
        kind: l.kind,
        message: l.message,
        fallback: 'they are read through REST',
        until: l.until,
      })),
    };
  }
}
