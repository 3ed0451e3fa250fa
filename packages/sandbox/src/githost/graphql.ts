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
 * they point at, and the rate limit. Queries are parsed, validated against
 * this schema and executed by graphql-js, so a query GitHub would refuse for
 * its shape is refused here too; answers and errors have GitHub's shape
 * (`data` next to `errors` carrying `type`, `path` and `locations`).
 */

import http from 'node:http';
import {
  buildSchema,
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
} from 'graphql';
import { readJson, sendJson } from '../lib/http';

const SCHEMA = buildSchema(`
  "A Git object ID."
  scalar GitObjectID
  "An RFC 3986 URI."
  scalar URI
  "An ISO-8601 encoded UTC date string."
  scalar DateTime

  interface GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
  }

  type Commit implements GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    message: String!
    committedDate: DateTime!
  }

  type Ref {
    name: String!
    prefix: String!
    target: GitObject
  }

  type Repository {
    name: String!
    nameWithOwner: String!
    url: URI!
    defaultBranchRef: Ref
    ref(qualifiedName: String!): Ref
  }

  type RateLimit {
    cost: Int!
    limit: Int!
    remaining: Int!
    used: Int!
    resetAt: DateTime!
    nodeCount: Int!
  }

  type Query {
    repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
    rateLimit(dryRun: Boolean = false): RateLimit
  }
`);

/** A commit as the emulators know it. */
export type GraphqlCommit = {
  oid: string;
  message: string;
  committedDate: string;
};

/** What an emulator provides for the GraphQL API. */
export interface GraphqlRepositories {
  /** The repository, or undefined when it does not exist. */
  repository(
    owner: string,
    name: string,
  ): Promise<GraphqlRepository | undefined> | GraphqlRepository | undefined;
}

export interface GraphqlRepository {
  nameWithOwner: string;
  defaultBranch: string;
  /** The commit a branch points at, or undefined when there is no such branch. */
  branchHead(
    branch: string,
  ): Promise<GraphqlCommit | undefined> | GraphqlCommit | undefined;
}

/**
 * A repository for the GraphQL API from an emulator's record and a way to
 * find the commit a branch points at.
 */
export function graphqlRepository(
  record: { fullName: string; default_branch: string },
  head: (
    branch: string,
  ) =>
    | Promise<
        | { sha: string; message: string; committer: { date: string } }
        | undefined
      >
    | { sha: string; message: string; committer: { date: string } }
    | undefined,
): GraphqlRepository {
  return {
    nameWithOwner: record.fullName,
    defaultBranch: record.default_branch,
    branchHead: async branch => {
      const c = await head(branch);
      return c
        ? { oid: c.sha, message: c.message, committedDate: c.committer.date }
        : undefined;
    },
  };
}

const LIMIT = 5000;

/**
 * Answers POST /graphql (GitHub) or /api/graphql (GitHub Enterprise) from
 * `repos`. `counted` sums the rate-limit points spent, one per query as
 * GitHub charges a query without connections.
 */
export class GitHubGraphql {
  used = 0;
  queries = 0;
  /** Points per hour; tests lower it to see the limit reached. */
  limit = LIMIT;
  private readonly resetAt = new Date(Date.now() + 3_600_000).toISOString();

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
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (error) {
      sendJson(
        res,
        200,
        { errors: [formatError(error as GraphQLError)] },
        headers,
      );
      return;
    }
    const invalid = validate(SCHEMA, document);
    if (invalid.length > 0) {
      sendJson(res, 200, { errors: invalid.map(formatError) }, headers);
      return;
    }
    if (this.used >= this.limit) {
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
    this.used++;
    const result = await execute({
      schema: SCHEMA,
      document,
      variableValues:
        body.variables && typeof body.variables === 'object'
          ? (body.variables as Record<string, unknown>)
          : undefined,
      operationName:
        typeof body.operationName === 'string' ? body.operationName : undefined,
      rootValue: this.root(),
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

  private root() {
    const web = () => this.urls().web;
    const commit = (nameWithOwner: string, c: GraphqlCommit) => ({
      __typename: 'Commit',
      oid: c.oid,
      abbreviatedOid: c.oid.slice(0, 7),
      commitUrl: `${web()}/${nameWithOwner}/commit/${c.oid}`,
      message: c.message,
      committedDate: c.committedDate,
    });
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
        target: commit(repo.nameWithOwner, head),
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
        };
      },
      rateLimit: () => ({
        cost: 1,
        limit: this.limit,
        remaining: Math.max(0, this.limit - this.used),
        used: this.used,
        resetAt: this.resetAt,
        nodeCount: 0,
      }),
    };
  }
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
