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
 * The subset of GitLab's REST API v4 (docs.gitlab.com/api/rest) and GraphQL
 * API that the ML GitOps plugins use, answered from real bare repositories
 * through GitLabHost. Authentication as GitLab takes it
 * (docs.gitlab.com/api/rest/authentication): `PRIVATE-TOKEN: <token>` or
 * `Authorization: Bearer <token>`; pagination with `page`/`per_page` and
 * the x-page, x-per-page, x-next-page, x-prev-page, x-total,
 * x-total-pages and Link headers (docs.gitlab.com/api/rest, "Offset-based
 * pagination"); rate limits as 429 with Retry-After and RateLimit-*
 * headers (docs.gitlab.com/security/rate_limits).
 */

import crypto from 'node:crypto';
import http from 'node:http';
import {
  BadJsonError,
  readJson,
  RouteContext,
  Router,
  sendJson,
} from '../lib/http';
import { errors, GitLabError, GitLabHost, CommitAction } from './GitLabHost';
import { GitLabGraphql } from './graphql';
import {
  ACCESS,
  fullPath,
  GlPipelineStatus,
  GlProject,
  GlUser,
  protectionOf,
} from './model';
import {
  renderApprovalRule,
  renderApprovals,
  renderBranch,
  renderCommit,
  renderCommitStatus,
  renderCurrentUser,
  renderGroup,
  renderMergeRequest,
  renderNamespace,
  renderNote,
  renderPipelineBasic,
  renderProject,
  renderProtectedBranch,
  renderUser,
} from './render';

type Ctx = RouteContext & { user: GlUser };

const COMMIT_STATES: GlPipelineStatus[] = [
  'pending',
  'running',
  'success',
  'failed',
  'canceled',
  'skipped',
];

export class GitLabApi {
  private router = new Router();
  readonly graphql: GitLabGraphql;
  /** Requests still to refuse with 429, and the Retry-After they carry (tests). */
  private throttle = { remaining: 0, retryAfter: 60 };

  constructor(readonly host: GitLabHost) {
    this.routes();
    this.graphql = new GitLabGraphql(host, req => this.tokenUser(req));
  }

  /** The next `count` API requests answer 429 as GitLab's rate limiter does. */
  rateLimitNext(count: number, retryAfterSeconds = 60) {
    this.throttle = { remaining: count, retryAfter: retryAfterSeconds };
  }

  tokenUser(req: http.IncomingMessage): GlUser | undefined | null {
    const priv = req.headers['private-token'];
    const bearer = /^bearer\s+(\S+)$/i.exec(
      String(req.headers.authorization ?? ''),
    )?.[1];
    const token = (Array.isArray(priv) ? priv[0] : priv) ?? bearer;
    if (!token) return null;
    return this.host.userByToken(token);
  }

  async handle(
    req: RouteContext['req'],
    res: http.ServerResponse,
    url: URL,
    path: string,
  ) {
    if (this.throttle.remaining > 0) {
      this.throttle.remaining--;
      req.resume();
      const reset = Math.floor(Date.now() / 1000) + this.throttle.retryAfter;
      res.writeHead(429, {
        'content-type': 'text/plain',
        'retry-after': String(this.throttle.retryAfter),
        'ratelimit-limit': '600',
        'ratelimit-observed': '601',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(reset),
        'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
      });
      res.end('Retry later\n');
      return;
    }
    const user = this.tokenUser(req);
    try {
      if (!user) {
        req.resume();
        throw errors.unauthorized();
      }
      this.requestUser.set(req, user);
      const matched = await this.router.handle({ req, res, url }, path);
      if (matched !== true) {
        req.resume();
        throw new GitLabError(404, { error: '404 Not Found' });
      }
    } catch (e) {
      if (e instanceof BadJsonError) {
        sendJson(res, 400, { error: 'body is invalid JSON' });
      } else if (e instanceof GitLabError) {
        sendJson(res, e.status, e.body);
      } else {
        throw e;
      }
    }
  }

  private requestUser = new WeakMap<http.IncomingMessage, GlUser>();

  private user(ctx: RouteContext): GlUser {
    return this.requestUser.get(ctx.req)!;
  }

  private project(ctx: RouteContext): GlProject {
    const p = this.host.project(ctx.params.id);
    if (!p || !this.host.canRead(p, this.user(ctx))) {
      throw errors.notFound('Project');
    }
    return p;
  }

  private requireAccess(project: GlProject, user: GlUser, level: number) {
    if (this.host.access(project, user.id) < level) throw errors.forbidden();
  }

  private paged<T>(ctx: RouteContext, items: T[]) {
    const perPage = Math.min(
      100,
      Math.max(1, Number(ctx.url.searchParams.get('per_page') ?? 20) || 20),
    );
    const page = Math.max(
      1,
      Number(ctx.url.searchParams.get('page') ?? 1) || 1,
    );
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(ctx.url.toString());
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(perPage));
      return `<${this.host.baseUrl()}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < totalPages) links.push(link(page + 1, 'next'));
    links.push(link(1, 'first'), link(totalPages, 'last'));
    return {
      page: items.slice((page - 1) * perPage, page * perPage),
      headers: {
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
        'x-total': String(items.length),
        'x-total-pages': String(totalPages),
        link: links.join(', '),
      },
    };
  }

  private sendPaged<T>(
    ctx: RouteContext,
    items: T[],
    render: (t: T) => unknown,
  ) {
    const { page, headers } = this.paged(ctx, items);
    sendJson(ctx.res, 200, page.map(render), headers);
  }

  private async commitOr404(project: GlProject, ref: string) {
    const sha = await this.host.repos.resolveCommit(project.repo, ref);
    const info = sha && (await this.host.repos.commit(project.repo, sha));
    if (!info) throw errors.notFound('Commit');
    return info;
  }

  private async isEmpty(project: GlProject) {
    return !(await this.host.repos.refs(project.repo, 'refs/heads/')).length;
  }

  private routes() {
    const r = this.router;
    const h = this.host;
    const add = (
      method: string,
      path: string,
      fn: (ctx: Ctx) => Promise<void> | void,
    ) => r.add(method, path, ctx => fn({ ...ctx, user: this.user(ctx) }));

    // ---- users, groups, namespaces (docs.gitlab.com/api/users, /groups, /namespaces)
    add('GET', '/user', ctx =>
      sendJson(ctx.res, 200, renderCurrentUser(h, ctx.user)),
    );
    add('GET', '/users', ctx => {
      const username = ctx.url.searchParams.get('username');
      const users = username
        ? h.users.filter(
            u => u.username.toLowerCase() === username.toLowerCase(),
          )
        : h.users;
      this.sendPaged(ctx, users, u => renderUser(h, u));
    });
    add('GET', '/users/:userId', ctx => {
      const u = h.user(Number(ctx.params.userId));
      if (!u) throw errors.notFound('User');
      sendJson(ctx.res, 200, renderUser(h, u));
    });
    add('GET', '/groups/:gid', ctx => {
      const g = h.group(ctx.params.gid);
      if (!g) throw errors.notFound('Group');
      sendJson(ctx.res, 200, renderGroup(h, g));
    });
    // direct members only (docs.gitlab.com/api/members, "Get a member of a group or project")
    add('GET', '/groups/:gid/members/:userId', ctx => {
      const g = h.group(ctx.params.gid);
      if (!g) throw errors.notFound('Group');
      const u = h.user(Number(ctx.params.userId));
      const level = u && g.members.get(u.id);
      if (!u || level === undefined) throw errors.notFound('Member');
      sendJson(ctx.res, 200, {
        ...renderUser(h, u),
        access_level: level,
        expires_at: null,
        membership_state: 'active',
      });
    });
    add('GET', '/namespaces/:nid', ctx => {
      const g = h.group(ctx.params.nid);
      if (!g) throw errors.notFound('Namespace');
      sendJson(ctx.res, 200, renderNamespace(h, g));
    });

    // ---- projects (docs.gitlab.com/api/projects)
    add('GET', '/projects/:id', async ctx => {
      const p = this.project(ctx);
      sendJson(
        ctx.res,
        200,
        renderProject(h, p, ctx.user, await this.isEmpty(p)),
      );
    });
    add('POST', '/projects', async ctx => {
      const body = await readJson(ctx.req);
      const path = String(body.path ?? body.name ?? '');
      if (!path) throw errors.missing('name');
      const ns =
        body.namespace_id !== undefined
          ? h.group(body.namespace_id)
          : undefined;
      if (!ns) throw errors.notFound('Namespace');
      if (h.groupAccess(ns, ctx.user.id) < ACCESS.developer) {
        throw errors.forbidden();
      }
      if (h.project(`${ns.full_path}/${path}`)) {
        throw GitLabError.message(400, {
          name: ['has already been taken'],
          path: ['has already been taken'],
        });
      }
      const p = await h.createProject(ns, path, {
        name: body.name ?? path,
        description: body.description ?? null,
        visibility: ['private', 'internal', 'public'].includes(body.visibility)
          ? body.visibility
          : 'private',
        defaultBranch: body.default_branch,
      });
      // the creator of a project in a group becomes its maintainer
      if (h.access(p, ctx.user.id) < ACCESS.maintainer) {
        await h.addMember(p, ctx.user.id, ACCESS.maintainer);
      }
      if (body.initialize_with_readme) {
        await h.commit(p, ctx.user, {
          branch: p.repo.default_branch,
          commit_message: 'Initial commit',
          actions: [
            {
              action: 'create',
              file_path: 'README.md',
              content: `# ${p.name}\n`,
            },
          ],
        });
      }
      sendJson(
        ctx.res,
        201,
        renderProject(h, p, ctx.user, await this.isEmpty(p)),
      );
    });
    add('PUT', '/projects/:id', async ctx => {
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.maintainer);
      const body = await readJson(ctx.req);
      if (body.default_branch !== undefined) {
        if (!(await h.branchSha(p, String(body.default_branch)))) {
          throw GitLabError.message(400, {
            base: [
              `Could not change HEAD: branch '${body.default_branch}' does not exist`,
            ],
          });
        }
        p.repo.default_branch = String(body.default_branch);
      }
      if (body.only_allow_merge_if_pipeline_succeeds !== undefined) {
        p.only_allow_merge_if_pipeline_succeeds = Boolean(
          body.only_allow_merge_if_pipeline_succeeds,
        );
      }
      if (body.description !== undefined) p.description = body.description;
      if (['private', 'internal', 'public'].includes(body.visibility)) {
        p.visibility = body.visibility;
      }
      sendJson(
        ctx.res,
        200,
        renderProject(h, p, ctx.user, await this.isEmpty(p)),
      );
    });

    // ---- branches (docs.gitlab.com/api/branches)
    add('GET', '/projects/:id/repository/branches', async ctx => {
      const p = this.project(ctx);
      const search = ctx.url.searchParams.get('search');
      const refs = (await h.repos.refs(p.repo, 'refs/heads/'))
        .map(x => ({ name: x.ref.slice('refs/heads/'.length), sha: x.sha }))
        .filter(b => !search || b.name.includes(search))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, headers } = this.paged(ctx, refs);
      const out = [];
      for (const b of page) {
        const c = (await h.repos.commit(p.repo, b.sha))!;
        out.push(renderBranch(h, p, b.name, c, ctx.user));
      }
      sendJson(ctx.res, 200, out, headers);
    });
    add('GET', '/projects/:id/repository/branches/:branch', async ctx => {
      const p = this.project(ctx);
      const sha = await h.branchSha(p, ctx.params.branch);
      if (!sha) throw errors.notFound('Branch');
      const c = (await h.repos.commit(p.repo, sha))!;
      sendJson(
        ctx.res,
        200,
        renderBranch(h, p, ctx.params.branch, c, ctx.user),
      );
    });
    add('POST', '/projects/:id/repository/branches', async ctx => {
      const p = this.project(ctx);
      const body = await readJson(ctx.req);
      const branch = ctx.url.searchParams.get('branch') ?? body.branch;
      const ref = ctx.url.searchParams.get('ref') ?? body.ref;
      if (!branch) throw errors.missing('branch');
      if (!ref) throw errors.missing('ref');
      if (!h.canPush(p, ctx.user, branch)) throw errors.forbidden();
      if (await h.branchSha(p, branch)) {
        throw errors.badRequest('Branch already exists');
      }
      const sha = await h.repos.resolveCommit(p.repo, ref);
      if (!sha) throw errors.badRequest(`Invalid reference name: ${ref}`);
      const ok = await h.repos.updateRef(
        p.repo,
        `refs/heads/${branch}`,
        sha,
        null,
        {
          name: ctx.user.username,
          email: ctx.user.email,
        },
      );
      if (!ok) throw errors.badRequest('Branch already exists');
      const c = (await h.repos.commit(p.repo, sha))!;
      sendJson(ctx.res, 201, renderBranch(h, p, branch, c, ctx.user));
    });
    add('DELETE', '/projects/:id/repository/branches/:branch', async ctx => {
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.developer);
      const branch = ctx.params.branch;
      if (!(await h.branchSha(p, branch))) throw errors.notFound('Branch');
      if (branch === p.repo.default_branch) {
        throw GitLabError.message(
          400,
          'The default branch of a project cannot be deleted.',
        );
      }
      if (protectionOf(p, branch)) {
        throw errors.forbidden();
      }
      await h.repos.deleteRef(p.repo, `refs/heads/${branch}`, {
        name: ctx.user.username,
        email: ctx.user.email,
      });
      ctx.res.writeHead(204);
      ctx.res.end();
    });

    // ---- files (docs.gitlab.com/api/repository_files)
    const fileAt = async (ctx: Ctx) => {
      const p = this.project(ctx);
      const ref = ctx.url.searchParams.get('ref');
      if (!ref) throw errors.missing('ref');
      const commit = await h.repos.resolveCommit(p.repo, ref);
      if (!commit) throw errors.notFound('Commit');
      const entry = await h.repos.entryAt(p.repo, commit, ctx.params.file);
      if (!entry || entry.type !== 'blob') throw errors.notFound('File');
      return { p, ref, commit, entry };
    };
    add('GET', '/projects/:id/repository/files/:file/raw', async ctx => {
      const { p, entry } = await fileAt(ctx);
      const content = await h.repos.blob(p.repo, entry.sha);
      ctx.res.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': content.length,
        'x-gitlab-blob-id': entry.sha,
      });
      ctx.res.end(content);
    });
    add('GET', '/projects/:id/repository/files/:file', async ctx => {
      const { p, ref, commit, entry } = await fileAt(ctx);
      const content = await h.repos.blob(p.repo, entry.sha);
      const filePath = ctx.params.file;
      sendJson(ctx.res, 200, {
        file_name: filePath.split('/').pop(),
        file_path: filePath,
        size: content.length,
        encoding: 'base64',
        content_sha256: crypto
          .createHash('sha256')
          .update(content)
          .digest('hex'),
        ref,
        blob_id: entry.sha,
        commit_id: commit,
        last_commit_id: await h.lastCommitOf(p, commit, filePath),
        execute_filemode: entry.mode === '100755',
        content: content.toString('base64'),
      });
    });

    // ---- commits (docs.gitlab.com/api/commits)
    add('GET', '/projects/:id/repository/commits/:sha', async ctx => {
      const p = this.project(ctx);
      const c = await this.commitOr404(p, ctx.params.sha);
      const changes = await h.repos.changes(p.repo, c.sha);
      const additions = changes.reduce((n, x) => n + x.additions, 0);
      const deletions = changes.reduce((n, x) => n + x.deletions, 0);
      const last = p.pipelines
        .filter(x => x.sha === c.sha)
        .sort((a, b) => b.id - a.id)[0];
      sendJson(ctx.res, 200, {
        ...renderCommit(h, p, c),
        stats: { additions, deletions, total: additions + deletions },
        status: last?.status ?? null,
        project_id: p.id,
        last_pipeline: last ? renderPipelineBasic(h, p, last) : null,
      });
    });
    add(
      'GET',
      '/projects/:id/repository/commits/:sha/merge_requests',
      async ctx => {
        const p = this.project(ctx);
        const c = await this.commitOr404(p, ctx.params.sha);
        const related = h.mergeRequestsOfCommit(p, c.sha);
        const out = [];
        for (const mr of related)
          out.push(await renderMergeRequest(h, p, mr, false));
        sendJson(ctx.res, 200, out);
      },
    );
    add('GET', '/projects/:id/repository/commits/:sha/statuses', async ctx => {
      const p = this.project(ctx);
      const c = await this.commitOr404(p, ctx.params.sha);
      const statuses = p.pipelines
        .filter(x => x.sha === c.sha)
        .flatMap(pl => pl.jobs.map(j => ({ pl, j })));
      this.sendPaged(ctx, statuses, ({ pl, j }) =>
        renderCommitStatus(h, pl, j),
      );
    });
    add('POST', '/projects/:id/repository/commits', async ctx => {
      const p = this.project(ctx);
      const body = await readJson(ctx.req);
      if (!body.branch) throw errors.missing('branch');
      if (!body.commit_message) throw errors.missing('commit_message');
      if (!Array.isArray(body.actions) || !body.actions.length) {
        throw errors.missing('actions');
      }
      for (const [i, a] of (body.actions as CommitAction[]).entries()) {
        if (!['create', 'update', 'delete'].includes(a?.action)) {
          throw new GitLabError(400, {
            error: `actions[${i}][action] does not have a valid value`,
          });
        }
        if (!a.file_path) throw errors.missing(`actions[${i}][file_path]`);
      }
      const sha = await h.commit(p, ctx.user, body);
      const c = (await h.repos.commit(p.repo, sha))!;
      const changes = await h.repos.changes(p.repo, sha);
      const additions = changes.reduce((n, x) => n + x.additions, 0);
      const deletions = changes.reduce((n, x) => n + x.deletions, 0);
      sendJson(ctx.res, 201, {
        ...renderCommit(h, p, c),
        stats: { additions, deletions, total: additions + deletions },
        status: null,
        project_id: p.id,
        last_pipeline: null,
      });
    });

    // ---- merge requests (docs.gitlab.com/api/merge_requests)
    add('GET', '/projects/:id/merge_requests', async ctx => {
      const p = this.project(ctx);
      const q = ctx.url.searchParams;
      const state = q.get('state') ?? 'all';
      const labels = q.get('labels')?.split(',').filter(Boolean) ?? [];
      const list = p.merge_requests
        .filter(m => state === 'all' || m.state === state)
        .filter(
          m =>
            !q.get('source_branch') ||
            m.source_branch === q.get('source_branch'),
        )
        .filter(
          m =>
            !q.get('target_branch') ||
            m.target_branch === q.get('target_branch'),
        )
        .filter(m => labels.every(l => m.labels.includes(l)))
        .sort((a, b) => (q.get('sort') === 'asc' ? a.id - b.id : b.id - a.id));
      const { page, headers } = this.paged(ctx, list);
      const out = [];
      for (const mr of page)
        out.push(await renderMergeRequest(h, p, mr, false));
      sendJson(ctx.res, 200, out, headers);
    });
    add('GET', '/projects/:id/merge_requests/:iid', async ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      sendJson(ctx.res, 200, await renderMergeRequest(h, p, mr, true));
    });
    add('POST', '/projects/:id/merge_requests', async ctx => {
      const p = this.project(ctx);
      const body = await readJson(ctx.req);
      for (const k of ['source_branch', 'target_branch', 'title']) {
        if (!body[k]) throw errors.missing(k);
      }
      const mr = await h.openMergeRequest(p, ctx.user, {
        source_branch: body.source_branch,
        target_branch: body.target_branch,
        title: body.title,
        description: body.description,
        labels: splitLabels(body.labels),
        reviewer_ids: Array.isArray(body.reviewer_ids)
          ? body.reviewer_ids.map(Number)
          : [],
      });
      sendJson(ctx.res, 201, await renderMergeRequest(h, p, mr, true));
    });
    add('PUT', '/projects/:id/merge_requests/:iid', async ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      if (
        mr.author_id !== ctx.user.id &&
        h.access(p, ctx.user.id) < ACCESS.developer
      ) {
        throw errors.forbidden();
      }
      const body = await readJson(ctx.req);
      if (typeof body.title === 'string') mr.title = body.title;
      if (typeof body.description === 'string')
        mr.description = body.description;
      if (body.labels !== undefined) mr.labels = splitLabels(body.labels);
      for (const l of splitLabels(body.add_labels)) {
        if (!mr.labels.includes(l)) mr.labels.push(l);
      }
      const remove = splitLabels(body.remove_labels);
      mr.labels = mr.labels.filter(l => !remove.includes(l));
      if (Array.isArray(body.reviewer_ids)) {
        mr.reviewer_ids = body.reviewer_ids.map(Number);
      }
      if (body.state_event === 'close') h.close(mr, ctx.user);
      else if (body.state_event === 'reopen' && mr.state === 'closed') {
        mr.state = 'opened';
        mr.closed_at = null;
        mr.closed_by_id = null;
      }
      mr.updated_at = new Date().toISOString();
      sendJson(ctx.res, 200, await renderMergeRequest(h, p, mr, true));
    });
    add('POST', '/projects/:id/merge_requests/:iid/notes', async ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      const body = await readJson(ctx.req);
      if (!body.body) throw errors.missing('body');
      const note = {
        id: h.id(),
        body: String(body.body),
        author_id: ctx.user.id,
        created_at: new Date().toISOString(),
        system: false,
      };
      mr.notes.push(note);
      sendJson(ctx.res, 201, renderNote(h, mr, note));
    });
    add('GET', '/projects/:id/merge_requests/:iid/notes', ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      this.sendPaged(ctx, [...mr.notes].reverse(), n => renderNote(h, mr, n));
    });

    // ---- approvals (docs.gitlab.com/api/merge_request_approvals)
    add('GET', '/projects/:id/merge_requests/:iid/approvals', async ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      const state = await h.approvalState(p, mr);
      sendJson(ctx.res, 200, renderApprovals(h, p, mr, state, ctx.user));
    });
    add('POST', '/projects/:id/merge_requests/:iid/approve', async ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      const body = await readJson(ctx.req);
      await h.approve(p, mr, ctx.user, body.sha);
      const state = await h.approvalState(p, mr);
      sendJson(ctx.res, 201, renderApprovals(h, p, mr, state, ctx.user));
    });
    add('PUT', '/projects/:id/merge_requests/:iid/merge', async ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      const body = await readJson(ctx.req);
      await h.merge(p, mr, ctx.user, {
        sha: body.sha,
        should_remove_source_branch: Boolean(body.should_remove_source_branch),
        merge_commit_message: body.merge_commit_message,
      });
      sendJson(ctx.res, 200, await renderMergeRequest(h, p, mr, true));
    });

    // ---- pipelines and commit statuses (docs.gitlab.com/api/pipelines, /commits)
    add('GET', '/projects/:id/merge_requests/:iid/pipelines', ctx => {
      const p = this.project(ctx);
      const mr = h.mergeRequest(p, ctx.params.iid);
      const list = p.pipelines
        .filter(
          x =>
            x.merge_request_iid === mr.iid ||
            (x.source !== 'merge_request_event' && x.sha === mr.sha),
        )
        .sort((a, b) => b.id - a.id);
      this.sendPaged(ctx, list, x => renderPipelineBasic(h, p, x));
    });
    add('GET', '/projects/:id/pipelines', ctx => {
      const p = this.project(ctx);
      const q = ctx.url.searchParams;
      const list = p.pipelines
        .filter(x => !q.get('sha') || x.sha === q.get('sha'))
        .filter(x => !q.get('ref') || x.ref === q.get('ref'))
        .filter(x => !q.get('status') || x.status === q.get('status'))
        .filter(x => !q.get('source') || x.source === q.get('source'))
        .sort((a, b) => b.id - a.id);
      this.sendPaged(ctx, list, x => renderPipelineBasic(h, p, x));
    });
    add('POST', '/projects/:id/statuses/:sha', async ctx => {
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.developer);
      const body = await readJson(ctx.req);
      const state = body.state ?? ctx.url.searchParams.get('state');
      if (!state) throw errors.missing('state');
      if (!COMMIT_STATES.includes(state)) {
        throw new GitLabError(400, {
          error: 'state does not have a valid value',
        });
      }
      const c = await this.commitOr404(p, ctx.params.sha);
      const { pipeline, job } = h.setCommitStatus(p, ctx.user, c.sha, {
        state,
        name: String(body.name ?? body.context ?? 'default'),
        ref: body.ref,
        target_url: body.target_url,
        description: body.description,
        pipeline_id: body.pipeline_id ? Number(body.pipeline_id) : undefined,
      });
      sendJson(ctx.res, 201, renderCommitStatus(h, pipeline, job));
    });

    // ---- protection (docs.gitlab.com/api/protected_branches)
    add('GET', '/projects/:id/protected_branches', ctx => {
      const p = this.project(ctx);
      this.sendPaged(ctx, p.protected_branches, renderProtectedBranch);
    });
    add('POST', '/projects/:id/protected_branches', async ctx => {
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.maintainer);
      const body = {
        ...Object.fromEntries(ctx.url.searchParams),
        ...(await readJson(ctx.req)),
      };
      if (!body.name) throw errors.missing('name');
      const level = (v: unknown, fallback: number) => {
        if (v === undefined) return fallback;
        const n = Number(v);
        if (![0, 30, 40, 60].includes(n)) {
          throw new GitLabError(400, {
            error: 'access_level does not have a valid value',
          });
        }
        return n;
      };
      // without levels, only Maintainers push and merge (the API's defaults)
      const rule = await h.protectBranch(p, {
        name: String(body.name),
        push_access_level: level(body.push_access_level, ACCESS.maintainer),
        merge_access_level: level(body.merge_access_level, ACCESS.maintainer),
        allow_force_push:
          body.allow_force_push === true || body.allow_force_push === 'true',
        code_owner_approval_required:
          h.tier === 'premium' &&
          (body.code_owner_approval_required === true ||
            body.code_owner_approval_required === 'true'),
      });
      sendJson(ctx.res, 201, renderProtectedBranch(rule));
    });
    add('DELETE', '/projects/:id/protected_branches/:name', async ctx => {
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.maintainer);
      await h.unprotectBranch(p, ctx.params.name);
      ctx.res.writeHead(204);
      ctx.res.end();
    });

    // ---- approval rules, Premium (docs.gitlab.com/api/merge_request_approvals#project-approval-rules)
    const premium = () => {
      if (h.tier !== 'premium')
        throw new GitLabError(404, { error: '404 Not Found' });
    };
    // project-level approval settings (docs.gitlab.com/api/merge_request_approvals, "Get project-level MR approval configuration")
    add('GET', '/projects/:id/approvals', ctx => {
      premium();
      const p = this.project(ctx);
      sendJson(ctx.res, 200, {
        approvers: [],
        approver_groups: [],
        approvals_before_merge: 0,
        reset_approvals_on_push: p.reset_approvals_on_push,
        selective_code_owner_removals: false,
        disable_overriding_approvers_per_merge_request: false,
        merge_requests_author_approval: p.merge_requests_author_approval,
        merge_requests_disable_committers_approval: false,
        require_password_to_approve: false,
      });
    });
    add('GET', '/projects/:id/approval_rules', ctx => {
      premium();
      const p = this.project(ctx);
      this.sendPaged(ctx, p.approval_rules, rule =>
        renderApprovalRule(h, p, rule),
      );
    });
    add('POST', '/projects/:id/approval_rules', async ctx => {
      premium();
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.maintainer);
      const body = await readJson(ctx.req);
      if (!body.name) throw errors.missing('name');
      if (body.approvals_required === undefined)
        throw errors.missing('approvals_required');
      const required = Number(body.approvals_required);
      if (!Number.isInteger(required) || required < 0) {
        throw GitLabError.message(400, {
          approvals_required: ['must be greater than or equal to 0'],
        });
      }
      const ids = (v: unknown) => (Array.isArray(v) ? v.map(Number) : []);
      const branchIds = ids(body.protected_branch_ids);
      for (const id of branchIds) {
        if (!p.protected_branches.some(b => b.id === id))
          throw errors.notFound('Protected branch');
      }
      const rule = {
        id: h.id(),
        name: String(body.name),
        rule_type: (body.rule_type === 'any_approver'
          ? 'any_approver'
          : 'regular') as 'regular' | 'any_approver',
        approvals_required: required,
        protected_branch_ids: branchIds,
        user_ids: ids(body.user_ids),
        group_ids: ids(body.group_ids),
      };
      p.approval_rules.push(rule);
      sendJson(ctx.res, 201, renderApprovalRule(h, p, rule));
    });

    // ---- members (docs.gitlab.com/api/members, /projects#share-a-project-with-a-group)
    add('POST', '/projects/:id/members', async ctx => {
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.maintainer);
      const body = await readJson(ctx.req);
      if (body.user_id === undefined) throw errors.missing('user_id');
      if (body.access_level === undefined) throw errors.missing('access_level');
      const u = h.user(Number(body.user_id));
      if (!u) throw errors.notFound('User');
      const level = Number(body.access_level);
      await h.addMember(p, u.id, level);
      sendJson(ctx.res, 201, {
        ...renderUser(h, u),
        access_level: level,
        expires_at: null,
      });
    });
    add('POST', '/projects/:id/share', async ctx => {
      const p = this.project(ctx);
      this.requireAccess(p, ctx.user, ACCESS.maintainer);
      const body = await readJson(ctx.req);
      if (body.group_id === undefined) throw errors.missing('group_id');
      if (body.group_access === undefined) throw errors.missing('group_access');
      const g = h.group(body.group_id);
      if (!g) throw errors.notFound('Group');
      if (p.shared_with.has(g.id)) {
        throw GitLabError.message(
          409,
          'The project is already shared with this group',
        );
      }
      await h.share(p, g.id, Number(body.group_access));
      sendJson(ctx.res, 201, {
        id: h.id(),
        project_id: p.id,
        group_id: g.id,
        group_access: Number(body.group_access),
        expires_at: null,
      });
    });
  }
}

function splitLabels(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter(Boolean);
  if (typeof v === 'string')
    return v
      .split(',')
      .map(s => s.trim())
      .filter(Boolean);
  return [];
}

export { fullPath };
