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

// The branch heads of many config repos read together through GitHub's GraphQL API, 100 repos a query, and what its rate limit said.
import { GithubCredentialsProvider } from '@backstage/integration';
import {
  buildBranchHeadsQuery,
  readBranchHeadsAnswer,
} from './branchHeadsQuery';
import type {
  BranchHeadsPrefetch,
  ConfigRepoLocation,
  GraphqlRateLimit,
} from './configRepoTypes';
import { GithubAnswer, GithubTransport } from './githubTransport';
import {
  GraphqlAnswer,
  graphqlUnanswered,
  readGraphqlAnswer,
} from './graphqlAnswer';
import {
  buildCommitsAndFilesQuery,
  CommitAndFile,
  CommitAndFileFacts,
  readCommitsAndFilesAnswer,
} from './commitsAndFilesQuery';

/** Repositories asked for in one GraphQL query. */
const GRAPHQL_BATCH = 100;
/** GraphQL queries in flight at once per host and token. */
const GRAPHQL_CONCURRENCY = 2;
/** How long a host that answered 404 on its GraphQL endpoint is not asked again. */
const NO_GRAPHQL_RETRY_MS = 60 * 60 * 1000;

/**
 * The GraphQL reads of branch heads of {@link GithubConfigRepoClient}, with
 * the hosts that cannot answer them for now and the rate limits they said.
 */
export class GraphqlBranchHeads {
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

  constructor(
    private readonly credentials: GithubCredentialsProvider,
    private readonly transport: GithubTransport,
  ) {}

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
      const groups = await this.groups(
        unique,
        loc => settle.get(loc.url)!.resolve(undefined),
        (loc, error) => settle.get(loc.url)!.reject(error),
      );
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
      await runQueries(queries);
    };
    run().catch(error => {
      // Only a bug gets here; no repo is left waiting.
      for (const { reject } of settle.values()) reject(error as Error);
    });
    return result;
  }

  /**
   * Reads commits and the files at them (`items`) through GraphQL, up to
   * 100 repos a query, grouped as {@link prefetchBranchHeads} groups them.
   * Returns what the answers told, by `url@sha:path`; nothing for what a
   * host could not answer (no GraphQL API, a rate limit, a failure), which
   * is then read through REST. Never throws.
   */
  async readCommitsAndFiles(
    items: Array<{ loc: ConfigRepoLocation } & CommitAndFile>,
  ): Promise<Map<string, CommitAndFileFacts>> {
    const found = new Map<string, CommitAndFileFacts>();
    const byRepo = new Map<
      string,
      { loc: ConfigRepoLocation; items: CommitAndFile[] }
    >();
    for (const { loc, sha, path } of items) {
      const repo = byRepo.get(loc.url) ?? { loc, items: [] };
      repo.items.push({ sha, path });
      byRepo.set(loc.url, repo);
    }
    const groups = await this.groups(
      [...byRepo.values()].map(r => r.loc),
      () => {},
      () => {},
    );
    const queries: Array<() => Promise<void>> = [];
    for (const group of groups.values()) {
      for (let i = 0; i < group.locs.length; i += GRAPHQL_BATCH) {
        const batch = group.locs
          .slice(i, i + GRAPHQL_BATCH)
          .map(loc => byRepo.get(loc.url)!);
        queries.push(async () => {
          const answer = await this.query(
            group.endpoint,
            group.headers,
            batch.map(b => b.loc),
            `Reading ${batch.reduce(
              (n, b) => n + b.items.length,
              0,
            )} commit(s) and file(s) of ${batch.length} repo(s) on ${
              batch[0].loc.host
            } through GraphQL`,
            buildCommitsAndFilesQuery(
              batch.map(b => ({
                owner: b.loc.owner,
                repo: b.loc.repo,
                items: b.items,
              })),
            ),
          );
          if (answer.kind !== 'data') return;
          const facts = readCommitsAndFilesAnswer(answer.data, batch);
          batch.forEach((b, r) =>
            b.items.forEach((item, j) =>
              found.set(`${b.loc.url}@${item.sha}:${item.path}`, facts[r][j]),
            ),
          );
        });
      }
    }
    await runQueries(queries);
    return found;
  }

  /**
   * Groups `locs` by GraphQL endpoint and credentials (a GitHub App
   * installation token covers one owner); a host whose GraphQL rests is
   * left to `rest`, one whose credentials fail to `failed`.
   */
  private async groups(
    locs: ConfigRepoLocation[],
    rest: (loc: ConfigRepoLocation) => void,
    failed: (loc: ConfigRepoLocation, error: Error) => void,
  ) {
    const groups = new Map<
      string,
      {
        endpoint: string;
        headers: Record<string, string>;
        locs: ConfigRepoLocation[];
      }
    >();
    for (const loc of locs) {
      const endpoint = graphqlEndpoint(loc.apiBaseUrl);
      const blocked = this.noGraphql.get(endpoint);
      if (blocked && blocked > Date.now()) {
        rest(loc);
        continue;
      }
      let headers: Record<string, string> = {};
      try {
        ({ headers = {} } = await this.credentials.getCredentials({
          url: loc.url,
        }));
      } catch (error) {
        failed(loc, error as Error);
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
    return groups;
  }

  /**
   * Sends GraphQL of `endpoint` to rest until `limited.until` (its reads go
   * to REST meanwhile), remembering why.
   */
  private restUntil(
    endpoint: string,
    host: string,
    limited: { kind: 'primary' | 'secondary'; until: string },
    message: string,
  ): void {
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
    const answer = await this.query(
      endpoint,
      authHeaders,
      locs,
      `Reading the branch heads of ${locs.length} repo(s) on ${locs[0].host} through GraphQL`,
      buildBranchHeadsQuery(locs, branches),
    );
    switch (answer.kind) {
      case 'no-graphql':
      case 'rate-limited':
        return new Map(locs.map(loc => [loc.url, undefined]));
      case 'failed':
        return new Map<string, Error>(locs.map(loc => [loc.url, answer.error]));
      default:
        return readBranchHeadsAnswer(
          answer.data,
          answer.errors,
          locs,
          branches,
        );
    }
  }

  /**
   * Sends one query about `locs` and reads its answer. A host without a
   * GraphQL API is not asked again for an hour; a rate limit rests GraphQL
   * on the host until it resets; both send the reads to REST.
   */
  private async query(
    endpoint: string,
    authHeaders: Record<string, string>,
    locs: ConfigRepoLocation[],
    what: string,
    body: { query: string; variables: Record<string, string> },
  ): Promise<GraphqlAnswer> {
    const host = locs[0].host;
    const asked = { host, what, timeoutMs: this.transport.timeoutMs };

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
        body,
        raw: true,
        // A query only reads, so one whose connection broke before the
        // answer (a keep-alive connection the server closed as it was
        // reused) or that got a 5xx is sent once more.
        retryOnce: true,
        // A rate limit sends the reads to REST, a separate budget.
        waitOutRateLimits: false,
      });
    } catch (error) {
      return { kind: 'failed', error: graphqlUnanswered(error, asked) };
    }
    const answer = await readGraphqlAnswer(response, asked);
    switch (answer.kind) {
      case 'no-graphql':
        // No GraphQL API here (an old GitHub Enterprise, another host that
        // speaks GitHub's REST API): ask REST, and not GraphQL for an hour.
        this.noGraphql.set(endpoint, Date.now() + NO_GRAPHQL_RETRY_MS);
        break;
      case 'rate-limited':
        // GraphQL rests until the limit resets.
        this.restUntil(endpoint, host, answer.limited, answer.message);
        break;
      case 'data':
        this.noteGraphqlRateLimit(host, answer.data.rateLimit);
        break;
      default:
    }
    return answer;
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
}

/** Runs queries {@link GRAPHQL_CONCURRENCY} at a time, in order. */
async function runQueries(queries: Array<() => Promise<void>>) {
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
