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
 * The subset of GitHub's REST API (GitHub Enterprise style, under /api/v3)
 * that the ML GitOps plugins use, answered from real bare repositories.
 * Shapes and status codes follow docs.github.com/rest.
 */

import crypto from 'node:crypto';
import http from 'node:http';
import { BadJsonError, RouteContext, Router, sendJson } from '../lib/http';
import {
  ACTIONS_TOKEN,
  API_USER,
  GITHUB_ACTIONS_APP,
  SeedApp,
} from '../seed/data';
import { GitRepos, RepoRecord, Signature } from './GitRepos';
import { pushRefusal } from './protection';
import { Urls } from './render';
import { GitHubGraphql } from './graphql';
import {
  Actor,
  DOCS,
  GitHubError,
  GitHubHost,
  RATE_LIMIT,
  sendGitHubError,
} from './routes/host';
import { mergeability, refreshHeads } from './routes/mergeability';
import { createGitHubGraphql } from './routes/graphql';
import { registerUsersRoutes } from './routes/users';
import { registerReposRoutes } from './routes/repos';
import { registerContentsRoutes } from './routes/contents';
import { registerGitRoutes } from './routes/git';
import { registerBranchesRoutes } from './routes/branches';
import { registerProtectionRoutes } from './routes/protection';
import { registerCommitsRoutes } from './routes/commits';
import { registerStatusesRoutes } from './routes/statuses';
import { registerPullsRoutes } from './routes/pulls';
import { registerIssuesRoutes } from './routes/issues';
import { registerCollaboratorsRoutes } from './routes/collaborators';
import { registerReviewsRoutes } from './routes/reviews';
import { registerMergeRoutes } from './routes/merge';

export { GitHubError, sendGitHubError } from './routes/host';

export class GitHubApi {
  private router = new Router();
  private readonly rate = { remaining: RATE_LIMIT, reset: 0 };
  /**
   * Owners on GitHub Free: their private repos cannot have protected
   * branches (docs.github.com, "About protected branches": "available in
   * public repositories with GitHub Free … and in public and private
   * repositories with GitHub Pro, GitHub Team, …").
   */
  readonly freePlanOwners = new Set<string>();
  /** The GraphQL API (/api/graphql) over the same repositories. */
  readonly graphql: GitHubGraphql;
  /**
   * Tokens that belong to a GitHub App (an installation token, or a
   * workflow's GITHUB_TOKEN for GitHub Actions): what they create is
   * created by the app. Tests may add their own.
   */
  readonly appTokens = new Map<string, SeedApp>([
    [ACTIONS_TOKEN, GITHUB_ACTIONS_APP],
  ]);

  constructor(
    private readonly repos: GitRepos,
    private readonly urls: () => Urls,
  ) {
    this.routes();
    this.graphql = createGitHubGraphql(repos, urls);
  }

  async handle(
    req: RouteContext['req'],
    res: http.ServerResponse,
    url: URL,
    path: string,
  ): Promise<void> {
    const ctx = { req, res, url };
    try {
      const matched = await this.router.handle(ctx, path);
      if (matched === false || matched === 'method') {
        req.resume();
        throw new GitHubError(404, 'Not Found');
      }
    } catch (e) {
      if (e instanceof BadJsonError) {
        sendGitHubError(res, 400, 'Problems parsing JSON');
      } else if (e instanceof GitHubError) {
        sendGitHubError(res, e.status, e.message, e.docs, e.extra);
      } else {
        throw e;
      }
    }
  }

  /** Sends a JSON answer with an ETag; a matching If-None-Match gets 304 and costs no rate limit. */
  private reply(
    ctx: Omit<RouteContext, 'params'>,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const text = JSON.stringify(body);
    const now = Math.floor(Date.now() / 1000);
    if (this.rate.reset <= now) {
      Object.assign(this.rate, { remaining: RATE_LIMIT, reset: now + 3600 });
    }
    const common: Record<string, string> = {
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-reset': String(this.rate.reset),
      'x-ratelimit-resource': 'core',
      ...headers,
    };
    if (ctx.req.method === 'GET' && status === 200) {
      // ETags differ per token: a 304 needs the validator of an answer to
      // the same credentials (an App's hourly new installation token reads
      // every resource afresh once).
      const etag = `W/"${crypto
        .createHash('sha256')
        .update(text)
        .update(String(ctx.req.headers.authorization ?? ''))
        .digest('hex')}"`;
      common.etag = etag;
      const inm = ctx.req.headers['if-none-match'];
      if (
        inm &&
        inm
          .split(',')
          .some(t => t.trim().replace(/^W\//, '') === etag.replace(/^W\//, ''))
      ) {
        ctx.res.writeHead(304, {
          ...common,
          'x-ratelimit-remaining': String(this.rate.remaining),
        });
        ctx.res.end();
        return;
      }
    }
    this.rate.remaining = Math.max(0, this.rate.remaining - 1);
    common['x-ratelimit-used'] = String(RATE_LIMIT - this.rate.remaining);
    common['x-ratelimit-remaining'] = String(this.rate.remaining);
    sendJson(ctx.res, status, body, common);
  }

  private repo(params: Record<string, string>): RepoRecord {
    const repo = this.repos.get(params.owner, params.repo);
    if (!repo)
      throw new GitHubError(
        404,
        'Not Found',
        `${DOCS}/repos/repos#get-a-repository`,
      );
    return repo;
  }

  /** Seeded repos are open to every seeded user and team. */
  private isCollaborator(repo: RepoRecord, who: string): boolean {
    return repo.collaborators ? repo.collaborators.has(who) : true;
  }

  private async commitOr404(repo: RepoRecord, ref: string, docs: string) {
    const sha = await this.repos.resolveCommit(repo, ref);
    if (!sha) throw new GitHubError(404, 'Not Found', docs);
    return sha;
  }

  /** The identity of a request's credentials (see Actor). */
  private actor(req: RouteContext['req']): Actor {
    const header = String(req.headers.authorization ?? '');
    let token = /^(?:token|bearer)\s+(\S+)$/i.exec(header)?.[1];
    let basicUser: string | undefined;
    if (/^basic\s/i.test(header)) {
      const [user, password] = Buffer.from(header.slice(6).trim(), 'base64')
        .toString('utf8')
        .split(':');
      basicUser = user;
      token = password;
    }
    const app = token ? this.appTokens.get(token) : undefined;
    if (app) {
      return {
        login: app.login,
        name: app.login,
        email: `${app.userId}+${app.login}@users.noreply.github.com`,
        appId: app.id,
        admin: false,
      };
    }
    return {
      login: API_USER.login,
      name: API_USER.name,
      email: API_USER.email,
      appId: null,
      admin: basicUser === 'admin',
    };
  }

  /**
   * Refuses an API write to a protected branch as GitHub refuses the push
   * (protection.ts, pushRefusal). The sandbox's `admin` is never
   * restricted, as on smart HTTP (enforce_admins is not emulated).
   */
  private async refuseProtected(
    ctx: RouteContext,
    repo: RepoRecord,
    ref: string,
    update: { old: string; new: string | null },
    status: number,
    docs: string,
  ) {
    if (!ref.startsWith('refs/heads/') || this.actor(ctx.req).admin) return;
    const p = repo.protection[ref.slice('refs/heads/'.length)];
    if (!p) return;
    const reason = pushRefusal(p, {
      deletes: update.new === null,
      fastForward:
        update.new !== null &&
        (await this.repos.isAncestor(repo, update.old, update.new)),
    });
    if (reason) throw new GitHubError(status, reason, docs);
  }

  private apiUser(): Signature {
    return {
      name: API_USER.name,
      email: API_USER.email,
      date: new Date().toISOString(),
    };
  }

  /** GitHub's `pusher` of a push event: the login and e-mail of who moved the ref. */
  private pusher() {
    return { name: API_USER.login, email: API_USER.email };
  }

  private paginate<T>(
    ctx: Omit<RouteContext, 'params'>,
    items: T[],
  ): { page: T[]; headers: Record<string, string> } {
    const perPage = Math.min(
      100,
      Math.max(1, Number(ctx.url.searchParams.get('per_page') ?? 30) || 30),
    );
    const pageNo = Math.max(
      1,
      Number(ctx.url.searchParams.get('page') ?? 1) || 1,
    );
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(ctx.url.toString());
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(perPage));
      return `<${this.urls().web}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (pageNo > 1) links.push(link(pageNo - 1, 'prev'), link(1, 'first'));
    if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
    return {
      page: items.slice((pageNo - 1) * perPage, pageNo * perPage),
      headers: links.length ? { link: links.join(', ') } : {},
    };
  }

  /** GitHub's REST routes, registered by resource (routes/). */
  private routes() {
    const api: GitHubHost = {
      repos: this.repos,
      urls: this.urls,
      freePlanOwners: this.freePlanOwners,
      rate: this.rate,
      reply: (ctx, status, body, headers) =>
        this.reply(ctx, status, body, headers),
      repo: params => this.repo(params),
      isCollaborator: (repo, who) => this.isCollaborator(repo, who),
      commitOr404: (repo, ref, docs) => this.commitOr404(repo, ref, docs),
      actor: req => this.actor(req),
      refuseProtected: (ctx, repo, ref, update, status, docs) =>
        this.refuseProtected(ctx, repo, ref, update, status, docs),
      apiUser: () => this.apiUser(),
      pusher: () => this.pusher(),
      paginate: (ctx, items) => this.paginate(ctx, items),
      refreshHeads: repo => refreshHeads(this.repos, repo),
      mergeability: (repo, pr) => mergeability(this.repos, repo, pr),
    };
    const r = this.router;
    registerUsersRoutes(r, api);
    registerReposRoutes(r, api);
    registerContentsRoutes(r, api);
    registerGitRoutes(r, api);
    registerBranchesRoutes(r, api);
    registerProtectionRoutes(r, api);
    registerCommitsRoutes(r, api);
    registerStatusesRoutes(r, api);
    registerPullsRoutes(r, api);
    registerIssuesRoutes(r, api);
    registerCollaboratorsRoutes(r, api);
    registerReviewsRoutes(r, api);
    registerMergeRoutes(r, api);
  }
}
