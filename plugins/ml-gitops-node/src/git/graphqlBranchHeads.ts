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

// The branch heads of many config repos read together through GitHub's GraphQL API, 100 repos a query.
import {
  buildBranchHeadsQuery,
  readBranchHeadsAnswer,
} from './branchHeadsQuery';
import type {
  BranchHeadsPrefetch,
  ConfigRepoLocation,
} from './configRepoTypes';
import { GithubGraphql, GRAPHQL_BATCH, runQueries } from './githubGraphql';

/** The GraphQL reads of branch heads of {@link GithubConfigRepoClient}. */
export class GraphqlBranchHeads extends GithubGraphql {
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
}
