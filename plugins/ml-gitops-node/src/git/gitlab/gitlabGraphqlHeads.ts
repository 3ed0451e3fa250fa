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

// The branch heads of many GitLab projects in one GraphQL query of up to 100, and the GitLabs too old to answer it.
import { ServiceUnavailableError } from '@backstage/errors';
import type {
  BranchHeadsPrefetch,
  ConfigRepoLocation,
} from '../configRepoTypes';
import { answerText, GitHostUnanswered } from '../githubTransport';
import { GitlabApi } from './gitlabApi';
import { GitlabTransport } from './gitlabTransport';

/**
 * Projects asked for in one query: GitLab's `projects(fullPaths:)` takes at
 * most 50 (its ProjectsResolver says "You cannot provide more than 50 full
 * paths"). A query over GitLab's complexity limit is split in halves.
 */
const BATCH = 50;
/** Queries in flight at once per GitLab. */
const CONCURRENCY = 2;
/** What {@link GitlabGraphqlHeads} does with a query GitLab found too large. */
const TOO_LARGE = Symbol('too large');
/** How long a GitLab whose GraphQL cannot answer is not asked again. */
const NO_GRAPHQL_RETRY_MS = 60 * 60 * 1000;

/** `<base>/api/graphql` next to the REST API's `<base>/api/v4`. */
export function gitlabGraphqlEndpoint(apiBaseUrl: string): string {
  return `${apiBaseUrl.replace(/\/+$/, '').replace(/\/v4$/, '')}/graphql`;
}

/**
 * The query for the heads of `branches` in `paths`: `Repository.commit(ref:)`
 * (GitLab 17.10 and later, docs.gitlab.com GraphQL reference "Repository"),
 * one alias per branch; a missing branch is `null`. Branch names go in
 * variables, so no name needs escaping.
 */
export function buildGitlabBranchHeadsQuery(
  paths: string[],
  branches: string[],
): { query: string; variables: Record<string, unknown> } {
  const refs = branches.map((_, i) => `$b${i}: String!`).join(', ');
  const fields = branches
    .map((_, i) => `b${i}: commit(ref: $b${i}) { sha }`)
    .join(' ');
  return {
    query: `query MlGitopsBranchHeads($paths: [String!]${
      refs ? `, ${refs}` : ''
    }) { projects(fullPaths: $paths, first: ${
      paths.length
    }) { nodes { fullPath repository { ${fields} } } } }`,
    variables: {
      paths,
      ...Object.fromEntries(branches.map((b, i) => [`b${i}`, b])),
    },
  };
}

/**
 * The GraphQL reads of branch heads of {@link GitlabConfigRepoClient}:
 * queries of up to 50 projects, two at most in flight per GitLab.
 */
export class GitlabGraphqlHeads {
  /** Endpoints that cannot answer (old GitLab, no GraphQL), until when. */
  private readonly noGraphql = new Map<string, number>();
  /** The largest batch each endpoint answered after refusing a larger one. */
  private readonly batchSize = new Map<string, number>();

  constructor(
    private readonly api: GitlabApi,
    private readonly transport: GitlabTransport,
  ) {}

  prefetch(
    locs: ConfigRepoLocation[],
    branches: string[],
  ): BranchHeadsPrefetch {
    const result: BranchHeadsPrefetch = new Map();
    const groups = new Map<
      string,
      { endpoint: string; locs: ConfigRepoLocation[] }
    >();
    for (const loc of locs) {
      if (result.has(loc.url)) continue;
      const endpoint = gitlabGraphqlEndpoint(loc.apiBaseUrl);
      const blocked = this.noGraphql.get(endpoint);
      if (blocked && blocked > Date.now()) {
        result.set(loc.url, Promise.resolve(undefined));
        continue;
      }
      let group = groups.get(endpoint);
      if (!group) {
        group = { endpoint, locs: [] };
        groups.set(endpoint, group);
      }
      group.locs.push(loc);
      // Filled below; a placeholder keeps the first occurrence.
      result.set(loc.url, Promise.resolve(undefined));
    }
    for (const group of groups.values()) {
      // One token per GitLab host (integrations.gitlab), so a host's
      // projects share their queries, which run in the order of `locs`.
      const size = this.batchSize.get(group.endpoint) ?? BATCH;
      const queries: Array<() => Promise<void>> = [];
      for (let i = 0; i < group.locs.length; i += size) {
        const batch = group.locs.slice(i, i + size);
        let settle!: (
          answers: Map<string, Record<string, string> | undefined | Error>,
        ) => void;
        const answers = new Promise<
          Map<string, Record<string, string> | undefined | Error>
        >(resolve => {
          settle = resolve;
        });
        queries.push(async () =>
          settle(
            await this.queryFitting(group.endpoint, batch, branches).catch(
              error => new Map(batch.map(loc => [loc.url, error as Error])),
            ),
          ),
        );
        for (const loc of batch) {
          const promise = answers.then(map => {
            const answer = map.get(loc.url);
            if (answer instanceof Error) throw answer;
            return answer;
          });
          // Settled without a reader when its model is not polled after all.
          promise.catch(() => {});
          result.set(loc.url, promise);
        }
      }
      let next = 0;
      const worker = async () => {
        while (next < queries.length) await queries[next++]();
      };
      for (let w = 0; w < Math.min(CONCURRENCY, queries.length); w++) {
        void worker();
      }
    }
    return result;
  }

  /**
   * {@link GitlabGraphqlHeads.query}, split in halves while GitLab finds the
   * query too complex (its limit depends on the instance and the number of
   * branches); a single project still too complex is read through REST.
   */
  private async queryFitting(
    endpoint: string,
    locs: ConfigRepoLocation[],
    branches: string[],
  ): Promise<Map<string, Record<string, string> | undefined | Error>> {
    const answers = await this.query(endpoint, locs, branches);
    if (answers !== TOO_LARGE) return answers;
    if (locs.length === 1) return new Map([[locs[0].url, undefined]]);
    const half = Math.ceil(locs.length / 2);
    this.batchSize.set(
      endpoint,
      Math.min(half, this.batchSize.get(endpoint) ?? BATCH),
    );
    const first = await this.queryFitting(
      endpoint,
      locs.slice(0, half),
      branches,
    );
    const second = await this.queryFitting(
      endpoint,
      locs.slice(half),
      branches,
    );
    return new Map([...first, ...second]);
  }

  /** Per project its heads, `undefined` (ask REST) or the error that names it. */
  private async query(
    endpoint: string,
    locs: ConfigRepoLocation[],
    branches: string[],
  ): Promise<
    Map<string, Record<string, string> | undefined | Error> | typeof TOO_LARGE
  > {
    const host = locs[0].host;
    const what = `Reading the branch heads of ${locs.length} project(s) on ${host} through GraphQL`;
    const all = (value: Error | undefined) =>
      new Map(locs.map(loc => [loc.url, value]));
    const restFor = (ms: number) => {
      this.noGraphql.set(endpoint, Date.now() + ms);
      return all(undefined);
    };
    let text: string;
    let status: number;
    try {
      const answer = await this.transport.send({
        method: 'POST',
        url: endpoint,
        headers: await this.api.authHeaders(locs[0]),
        body: buildGitlabBranchHeadsQuery(
          locs.map(loc => `${loc.owner}/${loc.repo}`),
          branches,
        ),
        // A rate-limited batch goes to REST at once.
        waitOutRateLimits: false,
      });
      status = answer.status;
      text = await answerText(answer);
    } catch (error) {
      if (!(error instanceof GitHostUnanswered)) return all(error as Error);
      return all(
        new ServiceUnavailableError(
          error.timedOut
            ? `GitLab ${host} did not answer within ${
                this.transport.timeoutMs / 1000
              } s (${what})`
            : `GitLab ${host} is unreachable: ${error.detail}`,
        ),
      );
    }
    if (status === 404) return restFor(NO_GRAPHQL_RETRY_MS);
    if (status === 429) return restFor(60_000);
    if (status === 401 || status === 403) {
      return all(
        new ServiceUnavailableError(
          `${what} failed with ${status}. Check the token of integrations.gitlab for ${host} (it needs the scope read_api)`,
        ),
      );
    }
    let body: {
      data?: {
        projects?: {
          nodes?: Array<{
            fullPath?: unknown;
            repository?: Record<string, { sha?: unknown } | null> | null;
          } | null>;
        } | null;
      } | null;
      errors?: Array<{ message?: unknown }>;
    };
    try {
      body = JSON.parse(text);
    } catch {
      return all(
        new ServiceUnavailableError(
          `${what} got an answer that is not JSON (status ${status}); check the apiBaseUrl of integrations.gitlab for ${host}`,
        ),
      );
    }
    const errors = Array.isArray(body?.errors) ? body.errors : [];
    if (
      errors.some(e =>
        /Field 'commit' doesn't exist on type 'Repository'/.test(
          String(e?.message),
        ),
      )
    ) {
      // A GitLab before 17.10: the REST branch lists answer instead.
      return restFor(NO_GRAPHQL_RETRY_MS);
    }
    if (
      errors.some(e =>
        /exceeds max complexity|cannot provide more than \d+ full paths/i.test(
          String(e?.message),
        ),
      )
    ) {
      return TOO_LARGE;
    }
    const nodes = body?.data?.projects?.nodes;
    if (!Array.isArray(nodes)) {
      const said = errors.map(e => String(e?.message)).join('; ');
      return all(
        new ServiceUnavailableError(
          said
            ? `${what} failed: ${said}`
            : `${what} got an answer without projects (status ${status}); check the apiBaseUrl of integrations.gitlab for ${host}`,
        ),
      );
    }
    const byPath = new Map<string, Record<string, string>>();
    for (const node of nodes) {
      if (typeof node?.fullPath !== 'string' || !node.repository) continue;
      const heads: Record<string, string> = {};
      branches.forEach((branch, i) => {
        const sha = node.repository?.[`b${i}`]?.sha;
        if (typeof sha === 'string') heads[branch] = sha;
      });
      byPath.set(node.fullPath.toLowerCase(), heads);
    }
    // A project GraphQL leaves out (absent, or hidden from the token) is
    // read through REST, whose 404 says what to fix.
    return new Map(
      locs.map(loc => [
        loc.url,
        byPath.get(`${loc.owner}/${loc.repo}`.toLowerCase()),
      ]),
    );
  }
}
