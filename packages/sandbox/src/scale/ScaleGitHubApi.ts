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
 * The read side of GitHub's REST API that the backend's config-repo reader
 * uses (branches, commits, contents, a commit's pull requests, a pull
 * request and its reviews), answered from a generated fleet instead of bare
 * repositories on disk, so that thousands of config repos cost no disk and
 * no `git` processes. Payloads come from the same renderers as the
 * repository-backed GitHubApi (docs.github.com/rest); GET answers carry a
 * weak ETag and a matching If-None-Match gets 304 Not Modified, as on GitHub.
 */

import crypto from 'node:crypto';
import http from 'node:http';
import { RouteContext, Router, sendJson } from '../lib/http';
import { sendGitHubError } from '../githost/GitHubApi';
import {
  githubBranch,
  githubContentFile,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { GitHubGraphql, graphqlRepository } from '../githost/graphql';
import {
  fullRepoJson,
  pullJson,
  restCommitJson,
  reviewJson,
  Urls,
} from '../githost/render';
import { ScaleRepo } from './scaleFleet';

const DOCS = 'https://docs.github.com/rest';
const RATE_LIMIT = 5000;

class NotFound extends Error {
  constructor(
    readonly docs: string,
    message = 'Not Found',
    readonly status = 404,
  ) {
    super(message);
  }
}

export class ScaleGitHubApi {
  private readonly router = new Router();
  private readonly reset = Math.floor(Date.now() / 1000) + 3600;
  /** Answers that count against GitHub's rate limit (not 304). */
  counted = 0;
  /** The GraphQL API (/api/graphql) over the same fleet. */
  readonly graphql: GitHubGraphql;

  constructor(
    private readonly repos: Map<string, ScaleRepo>,
    private readonly urls: () => Urls,
  ) {
    this.routes();
    this.graphql = new GitHubGraphql(
      {
        repository: (owner, name) => {
          const repo = repos.get(`${owner}/${name}`.toLowerCase());
          return (
            repo &&
            graphqlRepository(repo.record, {
              head: branch =>
                Object.prototype.hasOwnProperty.call(repo.heads, branch)
                  ? repo.commits.get(repo.heads[branch])
                  : undefined,
              commit: oid => repo.commits.get(oid),
              fileAt: (rev, filePath) => manifestAt(repo, rev, filePath),
            })
          );
        },
      },
      urls,
    );
  }

  async handle(
    req: RouteContext['req'],
    res: http.ServerResponse,
    url: URL,
    path: string,
  ): Promise<void> {
    try {
      const matched = await this.router.handle({ req, res, url }, path);
      if (matched !== true) {
        req.resume();
        throw new NotFound(DOCS);
      }
    } catch (e) {
      if (e instanceof NotFound) {
        sendGitHubError(res, e.status, e.message, e.docs);
      } else {
        throw e;
      }
    }
  }

  private reply(ctx: Omit<RouteContext, 'params'>, body: unknown) {
    const text = JSON.stringify(body);
    const etag = `W/"${crypto
      .createHash('sha256')
      .update(text)
      .digest('hex')}"`;
    const headers: Record<string, string> = {
      etag,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-reset': String(this.reset),
      'x-ratelimit-resource': 'core',
    };
    const inm = ctx.req.headers['if-none-match'];
    if (
      inm &&
      inm
        .split(',')
        .some(t => t.trim().replace(/^W\//, '') === etag.replace(/^W\//, ''))
    ) {
      ctx.res.writeHead(304, headers);
      ctx.res.end();
      return;
    }
    this.counted++;
    sendJson(ctx.res, 200, body, headers);
  }

  private repo(params: Record<string, string>): ScaleRepo {
    const repo = this.repos.get(`${params.owner}/${params.repo}`.toLowerCase());
    if (!repo) throw new NotFound(`${DOCS}/repos/repos#get-a-repository`);
    return repo;
  }

  private routes() {
    const r = this.router;
    const base = '/repos/:owner/:repo';

    r.add('GET', base, ctx =>
      this.reply(ctx, fullRepoJson(this.urls(), this.repo(ctx.params).record)),
    );

    r.add('GET', `${base}/branches`, ctx => {
      const repo = this.repo(ctx.params);
      const perPage = Math.min(
        100,
        Math.max(1, Number(ctx.url.searchParams.get('per_page') ?? 30) || 30),
      );
      const list = Object.entries(repo.heads)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, sha]) =>
          githubBranch(repo.record.fullName, name, sha, {
            ...this.urls(),
            protected: Boolean(repo.record.protection[name]),
          }),
        );
      this.reply(ctx, list.slice(0, perPage));
    });

    r.add('GET', `${base}/commits/:sha/pulls`, ctx => {
      const repo = this.repo(ctx.params);
      const sha = ctx.params.sha;
      if (!repo.commits.has(sha)) {
        throw new NotFound(
          `${DOCS}/commits/commits#list-pull-requests-associated-with-a-commit`,
          `No commit found for SHA: ${sha}`,
          422,
        );
      }
      const found = repo.record.pulls.filter(
        pr => pr.merge_commit_sha === sha || pr.head.sha === sha,
      );
      this.reply(
        ctx,
        found.map(pr => pullJson(this.urls(), repo.record, pr, false)),
      );
    });

    r.add('GET', `${base}/commits/:ref`, ctx => {
      const repo = this.repo(ctx.params);
      const sha = repo.heads[ctx.params.ref] ?? ctx.params.ref;
      const c = repo.commits.get(sha);
      if (!c) {
        throw new NotFound(
          `${DOCS}/commits/commits#get-a-commit`,
          `No commit found for SHA: ${ctx.params.ref}`,
          422,
        );
      }
      const parent = c.parents[0] && repo.manifests.get(c.parents[0]);
      const changed = parent !== repo.manifests.get(sha);
      this.reply(
        ctx,
        restCommitJson(
          this.urls(),
          repo.record,
          c,
          changed
            ? [
                {
                  filename: 'deploy/model.yaml',
                  status: parent ? 'modified' : 'added',
                },
              ]
            : [],
        ),
      );
    });

    r.add('GET', `${base}/contents/*`, ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/repos/contents#get-repository-content`;
      const filePath = ctx.params.rest.replace(/^\/+|\/+$/g, '');
      const ref = ctx.url.searchParams.get('ref') ?? repo.record.default_branch;
      const sha = repo.heads[ref] ?? ref;
      if (!repo.commits.has(sha)) {
        throw new NotFound(docs, `No commit found for the ref ${ref}`);
      }
      const text = manifestAt(repo, ref, filePath);
      if (text === undefined) throw new NotFound(docs);
      const blobSha = crypto
        .createHash('sha1')
        .update(`blob ${Buffer.byteLength(text)}\0${text}`)
        .digest('hex');
      const accept = String(ctx.req.headers.accept ?? '');
      if (accept.includes('.raw')) {
        this.counted++;
        ctx.res.writeHead(200, {
          'content-type': 'application/vnd.github.raw; charset=utf-8',
          etag: `"${blobSha}"`,
        });
        ctx.res.end(text);
        return;
      }
      this.reply(
        ctx,
        githubContentFile(repo.record.fullName, {
          ...this.urls(),
          path: filePath,
          ref,
          sha: blobSha,
          content: text,
        }),
      );
    });

    const pull = (repo: ScaleRepo, n: string, docs: string) => {
      const pr = repo.record.pulls.find(p => String(p.number) === n);
      if (!pr) throw new NotFound(docs);
      return pr;
    };
    r.add('GET', `${base}/pulls/:number`, ctx => {
      const repo = this.repo(ctx.params);
      const pr = pull(
        repo,
        ctx.params.number,
        `${DOCS}/pulls/pulls#get-a-pull-request`,
      );
      this.reply(ctx, pullJson(this.urls(), repo.record, pr, true));
    });
    r.add('GET', `${base}/pulls/:number/reviews`, ctx => {
      const repo = this.repo(ctx.params);
      const pr = pull(
        repo,
        ctx.params.number,
        `${DOCS}/pulls/reviews#list-reviews-for-a-pull-request`,
      );
      this.reply(
        ctx,
        pr.reviews.map(rv => reviewJson(this.urls(), repo.record, pr, rv)),
      );
    });
  }
}

/**
 * The file at `filePath` in revision `rev` (a branch or a commit): the fleet
 * has one file, deploy/model.yaml, at every commit.
 */
function manifestAt(
  repo: ScaleRepo,
  rev: string,
  filePath: string,
): string | undefined {
  const sha = Object.prototype.hasOwnProperty.call(repo.heads, rev)
    ? repo.heads[rev]
    : rev;
  return filePath === 'deploy/model.yaml' ? repo.manifests.get(sha) : undefined;
}
