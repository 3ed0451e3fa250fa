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

/*
 * A small part of GitHub's GraphQL API (docs.github.com/graphql): a
 * repository by owner and name, its refs by qualified name and the commit
 * they point at, a commit by oid (`object(oid:)`) with its author and
 * parents, a file at a revision (`object(expression: "<rev>:<path>")`), and
 * the rate limit. Types and fields are a subset of GitHub's schema under
 * GitHub's names. Queries are parsed, validated against this schema and
 * executed by graphql-js, so a query GitHub would refuse for its shape is
 * refused here too; answers and errors have GitHub's shape (`data` next to
 * `errors` carrying `type`, `path` and `locations`). Each query is charged
 * the points GitHub would charge (graphqlCost.ts).
 */

import http from 'node:http';
import {
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
} from 'graphql';
import { readJson, sendJson } from '../lib/http';
import { queryCost } from './graphqlCost';
import { SCHEMA } from './graphqlSchema';
import {
  blobObject,
  commitObject,
  type GraphqlCommit,
  type GraphqlObjectSource,
} from './graphqlObjects';
import { loginForEmail } from './render';

export type { GraphqlCommit } from './graphqlObjects';

type Awaitable<T> = Promise<T> | T;

/** What an emulator provides for the GraphQL API. */
export interface GraphqlRepositories {
  /** The repository, or undefined when it does not exist. */
  repository(
    owner: string,
    name: string,
  ): Awaitable<GraphqlRepository | undefined>;
}

export interface GraphqlRepository extends GraphqlObjectSource {
  defaultBranch: string;
  /** The commit a branch points at, or undefined when there is no such branch. */
  branchHead(branch: string): Awaitable<GraphqlCommit | undefined>;
  /**
   * The bytes of the file at `path` in revision `rev` (a commit oid or a
   * branch), or undefined when there is no such revision or file.
   */
  fileAt(rev: string, path: string): Awaitable<string | Uint8Array | undefined>;
}

/** A commit as the emulators' REST routes read it. */
type RestCommit = {
  sha: string;
  message: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { date: string };
};

/** The GraphQL view of a REST commit: the same login mapping, dates, parents. */
export function graphqlCommit(c: RestCommit): GraphqlCommit {
  return {
    oid: c.sha,
    message: c.message.replace(/\n$/, ''),
    committedDate: c.committer.date,
    authoredDate: c.author.date,
    author: { ...c.author, login: loginForEmail(c.author.email) },
    parents: c.parents,
  };
}

/**
 * A repository for the GraphQL API from an emulator's record and the reads
 * its REST routes use: a branch's head commit, a commit by oid, a file at a
 * revision.
 */
export function graphqlRepository(
  record: { fullName: string; default_branch: string },
  read: {
    head(branch: string): Awaitable<RestCommit | null | undefined>;
    commit(oid: string): Awaitable<RestCommit | null | undefined>;
    fileAt(
      rev: string,
      path: string,
    ): Awaitable<string | Uint8Array | null | undefined>;
  },
): GraphqlRepository {
  const view = (c: RestCommit | null | undefined) =>
    c ? graphqlCommit(c) : undefined;
  // Made once per `repository` field of a query, so the memo lives as long
  // as one answer: a commit or file asked for twice is read once.
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, load());
    return memo.get(key) as Promise<T>;
  };
  return {
    nameWithOwner: record.fullName,
    defaultBranch: record.default_branch,
    branchHead: async branch => view(await read.head(branch)),
    commit: oid =>
      once(`commit ${oid}`, async () => view(await read.commit(oid))),
    fileAt: (rev, path) =>
      once(
        `file ${rev}:${path}`,
        async () =>
          (await read.fileAt(
            rev === 'HEAD' ? record.default_branch : rev,
            path,
          )) ?? undefined,
      ),
  };
}

const LIMIT = 5000;
/** Query texts whose parse and validation are kept (see `checked`). */
const CHECKED_QUERIES_MAX = 256;

/** A query text parsed and validated, or what was wrong with it. */
type CheckedQuery =
  | { document: DocumentNode }
  | { errors: Record<string, unknown>[] };

/**
 * Answers POST /graphql (GitHub) or /api/graphql (GitHub Enterprise) from
 * `repos`. `used` sums the rate-limit points spent, each query charged
 * what GitHub would charge for it (graphqlCost.ts).
 */
export class GitHubGraphql {
  used = 0;
  queries = 0;
  /** Points per hour; tests lower it to see the limit reached. */
  limit = LIMIT;
  private readonly resetAt = new Date(Date.now() + 3_600_000).toISOString();
  private readonly checkedQueries = new Map<string, CheckedQuery>();

  constructor(
    private readonly repos: GraphqlRepositories,
    private readonly urls: () => { web: string },
  ) {}

  async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const headers = {
      'x-github-media-type': 'github.v4; format=json',
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-resource': 'graphql',
    };
    if (req.method !== 'POST') {
      req.resume();
      sendJson(
        res,
        404,
        {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/graphql',
        },
        headers,
      );
      return;
    }
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      body = (await readJson(req)) as typeof body;
    } catch {
      sendJson(
        res,
        400,
        {
          message: 'Problems parsing JSON',
          documentation_url:
            'https://docs.github.com/graphql/guides/forming-calls-with-graphql',
        },
        headers,
      );
      return;
    }
    if (typeof body?.query !== 'string' || body.query.trim() === '') {
      sendJson(
        res,
        200,
        {
          errors: [
            {
              message:
                'A query attribute must be specified and must be a string.',
            },
          ],
        },
        headers,
      );
      return;
    }
    const checked = this.checked(body.query);
    if ('errors' in checked) {
      sendJson(res, 200, { errors: checked.errors }, headers);
      return;
    }
    const { document } = checked;
    const variableValues =
      body.variables && typeof body.variables === 'object'
        ? (body.variables as Record<string, unknown>)
        : undefined;
    const operationName =
      typeof body.operationName === 'string' ? body.operationName : undefined;
    const priced = queryCost(SCHEMA, document, operationName, variableValues);
    if (Array.isArray(priced)) {
      // Pagination bounds are checked before anything runs: no data, no points.
      sendJson(
        res,
        200,
        { data: null, errors: priced.map(formatError) },
        headers,
      );
      return;
    }
    if (this.used + priced.cost > this.limit) {
      // A spent budget: HTTP 200 with an error of type RATE_LIMITED and no
      // data (docs.github.com, "Rate limits and node limits for the
      // GraphQL API": "exceeding the limit … returns an error").
      sendJson(
        res,
        200,
        {
          errors: [
            {
              type: 'RATE_LIMITED',
              message: 'API rate limit already exceeded for user ID 1.',
            },
          ],
        },
        {
          ...headers,
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': String(this.used),
          'x-ratelimit-reset': String(Date.parse(this.resetAt) / 1000),
        },
      );
      return;
    }
    this.queries++;
    this.used += priced.cost;
    const result = await execute({
      schema: SCHEMA,
      document,
      variableValues,
      operationName,
      rootValue: this.root(priced),
    });
    const answer: Record<string, unknown> = { data: result.data ?? null };
    if (result.errors?.length) {
      answer.errors = result.errors.map(formatError);
    }
    sendJson(res, 200, answer, {
      ...headers,
      'x-ratelimit-remaining': String(Math.max(0, this.limit - this.used)),
      'x-ratelimit-used': String(this.used),
      'x-ratelimit-reset': String(Date.parse(this.resetAt) / 1000),
    });
  }

  /**
   * A query text parsed and validated against the schema, or the errors of
   * either. The outcome depends on the text alone, so it is kept (for
   * CHECKED_QUERIES_MAX texts, the first kept dropped first): a client that
   * polls sends the same queries each cycle,
   * and validating a query of a hundred aliased repositories is most of
   * its cost here.
   */
  private checked(query: string): CheckedQuery {
    const known = this.checkedQueries.get(query);
    if (known) return known;
    let outcome: CheckedQuery;
    try {
      const document = parse(query);
      const invalid = validate(SCHEMA, document);
      outcome =
        invalid.length > 0
          ? { errors: invalid.map(formatError) }
          : { document };
    } catch (error) {
      outcome = { errors: [formatError(error as GraphQLError)] };
    }
    if (this.checkedQueries.size >= CHECKED_QUERIES_MAX) {
      this.checkedQueries.delete(this.checkedQueries.keys().next().value!);
    }
    this.checkedQueries.set(query, outcome);
    return outcome;
  }

  private root(priced: { cost: number; nodeCount: number }) {
    const web = () => this.urls().web;
    const ref = async (
      repo: GraphqlRepository,
      qualifiedName: string,
    ): Promise<Record<string, unknown> | null> => {
      // A qualified name, or a short one GitHub resolves as a branch.
      let branch: string | undefined = qualifiedName;
      if (qualifiedName.startsWith('refs/heads/')) {
        branch = qualifiedName.slice('refs/heads/'.length);
      } else if (qualifiedName.startsWith('refs/')) {
        branch = undefined;
      }
      const head = branch ? await repo.branchHead(branch) : undefined;
      if (!branch || !head) return null;
      return {
        name: branch,
        prefix: 'refs/heads/',
        target: commitObject(repo, web(), head.oid, head),
      };
    };
    return {
      repository: async (args: { owner: string; name: string }) => {
        const repo = await this.repos.repository(args.owner, args.name);
        if (!repo) {
          throw new GraphQLError(
            `Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`,
            { extensions: { type: 'NOT_FOUND' } },
          );
        }
        return {
          name: repo.nameWithOwner.split('/')[1],
          nameWithOwner: repo.nameWithOwner,
          url: `${web()}/${repo.nameWithOwner}`,
          defaultBranchRef: () => ref(repo, `refs/heads/${repo.defaultBranch}`),
          ref: (refArgs: { qualifiedName: string }) =>
            ref(repo, refArgs.qualifiedName),
          object: (objectArgs: { oid?: string; expression?: string }) =>
            gitObject(repo, web(), objectArgs),
        };
      },
      rateLimit: () => ({
        cost: priced.cost,
        limit: this.limit,
        remaining: Math.max(0, this.limit - this.used),
        used: this.used,
        resetAt: this.resetAt,
        nodeCount: priced.nodeCount,
      }),
    };
  }
}

const FULL_OID = /^[0-9a-f]{40}$/;

/**
 * `Repository.object`: a commit by its full oid, or what a Git revision
 * expression names: `<rev>` a commit, `<rev>:<path>` the file at that path;
 * null when there is no such object, as on GitHub.
 */
async function gitObject(
  repo: GraphqlRepository,
  web: string,
  args: { oid?: string | null; expression?: string | null },
): Promise<Record<string, unknown> | null> {
  const commitByRev = async (rev: string) => {
    const c = FULL_OID.test(rev)
      ? await repo.commit(rev)
      : await repo.branchHead(rev === 'HEAD' ? repo.defaultBranch : rev);
    return c ? commitObject(repo, web, c.oid, c) : null;
  };
  if (typeof args.oid === 'string') {
    return FULL_OID.test(args.oid) ? commitByRev(args.oid) : null;
  }
  if (typeof args.expression !== 'string') return null;
  const colon = args.expression.indexOf(':');
  if (colon < 0) return commitByRev(args.expression);
  const rev = args.expression.slice(0, colon) || 'HEAD';
  const path = args.expression.slice(colon + 1).replace(/^\/+|\/+$/g, '');
  const content = path ? await repo.fileAt(rev, path) : undefined;
  return content === undefined ? null : blobObject(repo, web, content);
}

/** An error as GitHub writes it: its `type` at the top level, no extensions. */
function formatError(error: GraphQLError): Record<string, unknown> {
  const type = error.extensions?.type;
  return {
    ...(typeof type === 'string' ? { type } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.locations ? { locations: error.locations } : {}),
    message: error.message,
  };
}
