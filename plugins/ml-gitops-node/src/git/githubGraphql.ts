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

// GitHub's GraphQL API as the config-repo reader asks it: queries grouped by host and credentials, run two at a time, and what the host's answers said of its limits.
import { GithubCredentialsProvider } from '@backstage/integration';
import type { ConfigRepoLocation, GraphqlRateLimit } from './configRepoTypes';
import { GithubAnswer, GithubTransport } from './githubTransport';
import {
  GraphqlAnswer,
  graphqlUnanswered,
  readGraphqlAnswer,
} from './graphqlAnswer';

/** Repositories asked for in one GraphQL query. */
export const GRAPHQL_BATCH = 100;
/** GraphQL queries in flight at once per host and token. */
const GRAPHQL_CONCURRENCY = 2;
/** How long a host that answered 404 on its GraphQL endpoint is not asked again. */
const NO_GRAPHQL_RETRY_MS = 60 * 60 * 1000;
/** How long grouping a fleet's repos may hold the event loop at a time. */
const SLICE_MS = 10;

/**
 * The GraphQL side of {@link GithubConfigRepoClient}: the hosts that cannot
 * answer GraphQL for now, the rate limits they said, and one query sent and
 * read.
 */
export class GithubGraphql {
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
    protected readonly credentials: GithubCredentialsProvider,
    protected readonly transport: GithubTransport,
  ) {}

  /**
   * Groups `locs` by GraphQL endpoint and credentials (a GitHub App
   * installation token covers one owner); a host whose GraphQL rests is
   * left to `rest`, one whose credentials fail to `failed`.
   */
  async groups(
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
    // The integration's credentials are the same for every repo of an
    // owner (a token, or the App installation of that owner): asked once
    // an owner here, where a fleet asked once a repo (parsing each URL).
    const byOwner = new Map<
      string,
      Promise<{ headers?: Record<string, string> }>
    >();
    let sliceStart = performance.now();
    for (const loc of locs) {
      // A fleet's thousands of repos: let the event loop turn now and then.
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise(resolve => setImmediate(resolve));
        sliceStart = performance.now();
      }
      const endpoint = graphqlEndpoint(loc.apiBaseUrl);
      const blocked = this.noGraphql.get(endpoint);
      if (blocked && blocked > Date.now()) {
        rest(loc);
        continue;
      }
      const ownerKey = `${loc.host}/${loc.owner.toLowerCase()}`;
      let asked = byOwner.get(ownerKey);
      if (!asked) {
        asked = this.credentials.getCredentials({ url: loc.url });
        byOwner.set(ownerKey, asked);
      }
      let headers: Record<string, string> = {};
      try {
        ({ headers = {} } = await asked);
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
   * Sends one query about `locs` and reads its answer. A host without a
   * GraphQL API is not asked again for an hour; a rate limit rests GraphQL
   * on the host until it resets; both send the reads to REST.
   */
  async query(
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
export async function runQueries(queries: Array<() => Promise<void>>) {
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
