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
 * The part of GitLab's GraphQL API (docs.gitlab.com/api/graphql, POST
 * /api/graphql) the product uses: projects by full path with the commit a
 * ref points at, `Repository.commit(ref:)` (GitLab 17.10 and later,
 * docs.gitlab.com/api/graphql/reference#repositorycommit; null for a
 * missing ref). Queries are parsed, validated and executed by graphql-js;
 * with `graphqlCommitField` off the field does not exist, and the error
 * reads as graphql-ruby words it ("Field 'commit' doesn't exist on type
 * 'Repository'", extensions.code undefinedField).
 */

import http from 'node:http';
import { buildSchema, execute, GraphQLSchema, parse, validate } from 'graphql';
import { readJson, sendJson } from '../lib/http';
import { GitLabHost } from './GitLabHost';
import { fullPath, GlProject, GlUser } from './model';

function schema(withCommit: boolean): GraphQLSchema {
  return buildSchema(`
    type Commit {
      id: ID!
      sha: String!
      shortId: String!
      title: String
      message: String
      authoredDate: String
      committedDate: String
      webUrl: String!
    }
    type Repository {
      rootRef: String
      empty: Boolean!
      exists: Boolean!
      ${withCommit ? 'commit(ref: String!): Commit' : ''}
    }
    type Project {
      id: ID!
      fullPath: ID!
      name: String!
      webUrl: String
      repository: Repository
    }
    type PageInfo {
      hasNextPage: Boolean!
      hasPreviousPage: Boolean!
      startCursor: String
      endCursor: String
    }
    type ProjectConnection {
      nodes: [Project]
      pageInfo: PageInfo!
      count: Int!
    }
    type Query {
      project(fullPath: ID!): Project
      projects(fullPaths: [String!], first: Int, after: String): ProjectConnection
    }
  `);
}

const WITH_COMMIT = schema(true);
const WITHOUT_COMMIT = schema(false);

export class GitLabGraphql {
  constructor(
    private readonly host: GitLabHost,
    private readonly tokenUser: (
      req: http.IncomingMessage,
    ) => GlUser | undefined | null,
  ) {}

  private projectNode(project: GlProject) {
    const h = this.host;
    return {
      id: `gid://gitlab/Project/${project.id}`,
      fullPath: fullPath(project),
      name: project.name,
      webUrl: h.webUrl(project),
      repository: {
        rootRef: project.repo.default_branch,
        exists: true,
        empty: async () =>
          !(await h.repos.refs(project.repo, 'refs/heads/')).length,
        commit: async ({ ref }: { ref: string }) => {
          const sha = await h.repos.resolveCommit(project.repo, ref);
          const c = sha && (await h.repos.commit(project.repo, sha));
          if (!c) return null;
          return {
            id: `gid://gitlab/CommitPresenter/${c.sha}`,
            sha: c.sha,
            shortId: c.sha.slice(0, 8),
            title: c.message.split('\n')[0],
            message: c.message,
            authoredDate: c.author.date,
            committedDate: c.committer.date,
            webUrl: `${h.webUrl(project)}/-/commit/${c.sha}`,
          };
        },
      },
    };
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const user = this.tokenUser(req);
    if (user === undefined) {
      // an unknown token (no token reads public data only)
      req.resume();
      sendJson(res, 401, {
        errors: [{ message: 'Invalid token' }],
      });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      sendJson(res, 404, { error: '404 Not Found' });
      return;
    }
    const body = await readJson(req).catch(() => null);
    if (!body || typeof body.query !== 'string') {
      sendJson(res, 200, {
        errors: [{ message: 'No query string was present' }],
      });
      return;
    }
    let document;
    try {
      document = parse(body.query);
    } catch (e) {
      sendJson(res, 200, { errors: [{ message: (e as Error).message }] });
      return;
    }
    const s = this.host.graphqlCommitField ? WITH_COMMIT : WITHOUT_COMMIT;
    const problems = validate(s, document);
    if (problems.length) {
      sendJson(res, 200, {
        errors: problems.map(p => {
          const m = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(
            p.message,
          );
          return {
            message: m
              ? `Field '${m[1]}' doesn't exist on type '${m[2]}'`
              : p.message,
            locations: p.locations,
            path: ['query'],
            extensions: m
              ? { code: 'undefinedField', typeName: m[2], fieldName: m[1] }
              : {},
          };
        }),
      });
      return;
    }
    const visible = (p: GlProject | undefined) =>
      p && this.host.canRead(p, user ?? undefined) ? p : undefined;
    const rootValue = {
      project: ({ fullPath: path }: { fullPath: string }) => {
        const p = visible(this.host.project(path));
        return p ? this.projectNode(p) : null;
      },
      projects: ({
        fullPaths,
        first,
      }: {
        fullPaths?: string[];
        first?: number;
      }) => {
        // GitLab's ProjectsResolver refuses more than 50 full paths
        // (app/graphql/resolvers/projects_resolver.rb, validate_args!).
        if (fullPaths && fullPaths.length > 50) {
          throw new Error('You cannot provide more than 50 full_paths');
        }
        const found = (fullPaths ?? this.host.projects.map(fullPath))
          .map(path => visible(this.host.project(path)))
          .filter((p): p is GlProject => Boolean(p));
        const limit = Math.min(100, first ?? 100);
        return {
          nodes: found.slice(0, limit).map(p => this.projectNode(p)),
          count: found.length,
          pageInfo: {
            hasNextPage: found.length > limit,
            hasPreviousPage: false,
            startCursor: null,
            endCursor: null,
          },
        };
      },
    };
    const result = await execute({
      schema: s,
      document,
      rootValue,
      variableValues: body.variables,
    });
    sendJson(res, 200, result);
  }
}
