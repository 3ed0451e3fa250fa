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
import { graphqlUnanswered, readGraphqlAnswer } from './graphqlAnswer';

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
      return all(graphqlUnanswered(error, asked));
    }
    const answer = await readGraphqlAnswer(response, asked);
    switch (answer.kind) {
      case 'no-graphql':
        // No GraphQL API here (an old GitHub Enterprise, another host that
        // speaks GitHub's REST API): ask REST, and not GraphQL for an hour.
        this.noGraphql.set(endpoint, Date.now() + NO_GRAPHQL_RETRY_MS);
        return new Map(locs.map(loc => [loc.url, undefined]));
      case 'rate-limited':
        // This batch is read through REST, and GraphQL rests until the
        // limit resets.
        return this.restUntil(
          endpoint,
          host,
          locs,
          answer.limited,
          answer.message,
        );
      case 'failed':
        return all(answer.error);
      default:
        this.noteGraphqlRateLimit(host, answer.data.rateLimit);
        return readBranchHeadsAnswer(
          answer.data,
          answer.errors,
          locs,
          branches,
        );
    }
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
