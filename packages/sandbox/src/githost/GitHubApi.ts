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
import {
  BadJsonError,
  readJson,
  RouteContext,
  Router,
  sendJson,
} from '../lib/http';
import {
  ACTIONS_TOKEN,
  API_USER,
  GITHUB_ACTIONS_APP,
  SEED_ANCHOR,
  SeedApp,
  USERS,
} from '../seed/data';
import { GITHUB_COMMITTER } from '../seed/seedGit';
import {
  BranchProtection,
  GitRepos,
  PullRecord,
  RepoRecord,
  RequiredCheck,
  Signature,
  ZERO_SHA,
} from './GitRepos';
import {
  checkFailure,
  checksExpected,
  CODEOWNERS_PATHS,
  hasWriteAccess,
  isOwner,
  ownerList,
  ownersOf,
  parseCodeOwners,
  pushRefusal,
  requiredChecks,
} from './protection';
import {
  combinedState,
  gitCommitJson,
  latestStatuses,
  labelJson,
  fullRepoJson,
  minimalRepoJson,
  ownerJson,
  publicUserJson,
  pullJson,
  restCommitJson,
  reviewJson,
  simpleStatusJson,
  statusJson,
  Urls,
  userJson,
} from './render';
import { GitHubGraphql, graphqlRepository } from './graphql';

const DOCS = 'https://docs.github.com/rest';

export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly docs = DOCS,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendGitHubError(
  res: http.ServerResponse,
  status: number,
  message: string,
  docs = DOCS,
  extra = {},
) {
  sendJson(res, status, {
    message,
    ...extra,
    documentation_url: docs,
    status: String(status),
  });
}

function validationFailed(
  errors: Array<Record<string, unknown>>,
  docs: string,
) {
  return new GitHubError(422, 'Validation Failed', docs, { errors });
}

const RATE_LIMIT = 5000;

/**
 * Who a request acts as. Any token is accepted: a token of a GitHub App the
 * host knows acts as that app's bot account and carries its app id (the
 * creator of what it writes); any other token, or none, is the API user
 * (ml-gitops-bot). Basic credentials of the user `admin` act as a repository
 * admin, whom branch protection does not restrict (as on smart HTTP).
 */
type Actor = {
  login: string;
  name: string;
  email: string;
  appId: number | null;
  admin: boolean;
};

/** What a pull request's merge would meet: GitHub's `mergeable`, `mergeable_state` and the 405 message. */
type Mergeability = {
  mergeable: boolean;
  state: 'dirty' | 'blocked' | 'behind' | 'unstable' | 'clean';
  reason: string | null;
};

export class GitHubApi {
  private router = new Router();
  private rate = { remaining: RATE_LIMIT, reset: 0 };
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
    this.graphql = new GitHubGraphql(
      {
        repository: (owner, name) => {
          const repo = repos.get(owner, name);
          return (
            repo &&
            graphqlRepository(repo, async branch => {
              const sha = await repos.refSha(repo, `refs/heads/${branch}`);
              return (sha && (await repos.commit(repo, sha))) || undefined;
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
      this.rate = { remaining: RATE_LIMIT, reset: now + 3600 };
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

  private routes() {
    const r = this.router;
    const base = '/repos/:owner/:repo';

    r.add('GET', '/user', ctx =>
      this.reply(ctx, 200, userJson(this.urls(), API_USER.login)),
    );
    r.add('GET', '/users/:login', ctx => {
      const u = USERS[ctx.params.login];
      // an organization: the owner of repositories that is not a user
      const login = ctx.params.login.toLowerCase();
      const org = this.repos.list().find(x => x.owner.toLowerCase() === login);
      if (!u && org) {
        return this.reply(
          ctx,
          200,
          publicUserJson(ownerJson(this.urls(), org.owner), {
            name: null,
            email: null,
            created_at: SEED_ANCHOR,
          }),
        );
      }
      if (!u)
        throw new GitHubError(
          404,
          'Not Found',
          `${DOCS}/users/users#get-a-user`,
        );
      return this.reply(
        ctx,
        200,
        publicUserJson(userJson(this.urls(), u.login)!, {
          name: u.name,
          email: u.email,
          created_at: SEED_ANCHOR,
        }),
      );
    });
    r.add('GET', '/rate_limit', ctx => {
      const core = {
        limit: RATE_LIMIT,
        remaining: this.rate.remaining,
        reset: this.rate.reset,
        used: RATE_LIMIT - this.rate.remaining,
      };
      return this.reply(ctx, 200, { resources: { core }, rate: core });
    });

    // repositories
    r.add('GET', base, ctx =>
      this.reply(ctx, 200, fullRepoJson(this.urls(), this.repo(ctx.params))),
    );
    // Update a repository: the default branch and the description.
    r.add('PATCH', base, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/repos/repos#update-a-repository`;
      if (body.default_branch !== undefined) {
        const branch = String(body.default_branch);
        if (!(await this.repos.refSha(repo, `refs/heads/${branch}`))) {
          throw validationFailed(
            [
              {
                resource: 'Repository',
                code: 'invalid',
                field: 'default_branch',
                message: `The branch ${branch} was not found. Please push that ref first or create it via the Git Data API.`,
              },
            ],
            docs,
          );
        }
        repo.default_branch = branch;
      }
      if (typeof body.description === 'string') {
        repo.description = body.description;
      }
      return this.reply(ctx, 200, fullRepoJson(this.urls(), repo));
    });
    const createRepo = async (ctx: RouteContext, owner: string) => {
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/repos/repos#create-an-organization-repository`;
      if (
        typeof body.name !== 'string' ||
        !/^[A-Za-z0-9._-]+$/.test(body.name)
      ) {
        throw validationFailed(
          [{ resource: 'Repository', code: 'missing_field', field: 'name' }],
          docs,
        );
      }
      if (this.repos.get(owner, body.name)) {
        throw validationFailed(
          [
            {
              resource: 'Repository',
              code: 'custom',
              field: 'name',
              message: 'name already exists on this account',
            },
          ],
          docs,
        );
      }
      const repo = await this.repos.create(owner, body.name, {
        description: body.description ?? undefined,
      });
      // `visibility` (organisations) wins over `private`; a new repo is
      // reachable only by whoever made it until access is given.
      const visibilities = ['public', 'private', 'internal'] as const;
      repo.visibility = visibilities.includes(body.visibility)
        ? body.visibility
        : (body.private === false && 'public') || 'private';
      repo.collaborators = new Set([API_USER.login]);
      if (body.auto_init) {
        const blob = await this.repos.writeBlob(
          repo,
          Buffer.from(`# ${body.name}\n\n${body.description ?? ''}\n`),
        );
        const tree = await this.repos.writeTree(repo, null, [
          { path: 'README.md', mode: '100644', sha: blob },
        ]);
        const sha = await this.repos.commitTree(
          repo,
          tree,
          [],
          'Initial commit',
          this.apiUser(),
        );
        await this.repos.updateRef(
          repo,
          `refs/heads/${repo.default_branch}`,
          sha,
          null,
          this.pusher(),
        );
      }
      return this.reply(ctx, 201, fullRepoJson(this.urls(), repo));
    };
    r.add('POST', '/orgs/:org/repos', ctx => createRepo(ctx, ctx.params.org));
    r.add('POST', '/user/repos', ctx => createRepo(ctx, API_USER.login));

    // contents
    const getContents = async (ctx: RouteContext) => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/repos/contents#get-repository-content`;
      const filePath = (ctx.params.rest ?? '').replace(/^\/+|\/+$/g, '');
      const ref = ctx.url.searchParams.get('ref') || repo.default_branch;
      const commit = await this.repos.resolveCommit(repo, ref);
      if (!commit)
        throw new GitHubError(404, `No commit found for the ref ${ref}`, docs);
      const entry = await this.repos.entryAt(repo, commit, filePath);
      if (!entry) throw new GitHubError(404, 'Not Found', docs);
      const u = this.urls();
      const item = (e: {
        path: string;
        sha: string;
        type: string;
        size?: number;
      }) => {
        const types: Record<string, string> = {
          tree: 'dir',
          commit: 'submodule',
        };
        const type = types[e.type] ?? 'file';
        const api = `${u.api}/repos/${repo.fullName}/contents/${
          e.path
        }?ref=${encodeURIComponent(ref)}`;
        const html = `${u.web}/${repo.fullName}/${
          type === 'dir' ? 'tree' : 'blob'
        }/${ref}/${e.path}`;
        const gitUrl = `${u.api}/repos/${repo.fullName}/git/${
          type === 'dir' ? 'trees' : 'blobs'
        }/${e.sha}`;
        return {
          type,
          size: e.size ?? 0,
          name: e.path.split('/').pop(),
          path: e.path,
          sha: e.sha,
          url: api,
          git_url: gitUrl,
          html_url: html,
          download_url:
            type === 'file'
              ? `${u.web}/${repo.fullName}/raw/${ref}/${e.path}`
              : null,
          _links: { self: api, git: gitUrl, html },
        };
      };
      if (entry.type === 'tree') {
        const children = await this.repos.tree(repo, entry.sha, false);
        return this.reply(
          ctx,
          200,
          children.map(c =>
            item({ ...c, path: filePath ? `${filePath}/${c.path}` : c.path }),
          ),
        );
      }
      const content = await this.repos.blob(repo, entry.sha);
      const accept = String(ctx.req.headers.accept ?? '');
      if (accept.includes('.raw')) {
        ctx.res.writeHead(200, {
          'content-type': 'application/vnd.github.raw; charset=utf-8',
          etag: `"${entry.sha}"`,
        });
        ctx.res.end(content);
        return undefined;
      }
      const b64 = content.toString('base64').replace(/(.{60})/g, '$1\n');
      return this.reply(ctx, 200, {
        ...item({ ...entry, size: content.length }),
        encoding: 'base64',
        content: b64.endsWith('\n') ? b64 : `${b64}\n`,
      });
    };
    r.add('GET', `${base}/contents`, getContents);
    r.add('GET', `${base}/contents/*`, getContents);
    r.add('PUT', `${base}/contents/*`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/repos/contents#create-or-update-file-contents`;
      const filePath = ctx.params.rest.replace(/^\/+|\/+$/g, '');
      if (typeof body.message !== 'string') {
        throw new GitHubError(
          422,
          'Invalid request.\n\n"message" wasn\'t supplied.',
          docs,
        );
      }
      if (typeof body.content !== 'string') {
        throw new GitHubError(
          422,
          'Invalid request.\n\n"content" wasn\'t supplied.',
          docs,
        );
      }
      const branch =
        typeof body.branch === 'string' ? body.branch : repo.default_branch;
      return this.repos.withLock(repo, async () => {
        const ref = `refs/heads/${branch}`;
        const parent = await this.repos.refSha(repo, ref);
        if (!parent && branch !== repo.default_branch) {
          throw new GitHubError(404, `Branch ${branch} not found`, docs);
        }
        const existing = parent
          ? await this.repos.entryAt(repo, parent, filePath)
          : null;
        if (existing && existing.type !== 'blob')
          throw new GitHubError(422, 'Invalid request.', docs);
        if (existing && !body.sha) {
          throw new GitHubError(
            422,
            'Invalid request.\n\n"sha" wasn\'t supplied.',
            docs,
          );
        }
        if (existing && body.sha !== existing.sha) {
          throw new GitHubError(
            409,
            `${filePath} does not match ${body.sha}`,
            docs,
          );
        }
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const author: Signature = body.author
          ? {
              name: body.author.name,
              email: body.author.email,
              date: body.author.date ?? now,
            }
          : { ...this.apiUser(), date: now };
        const committer: Signature = body.committer
          ? {
              name: body.committer.name,
              email: body.committer.email,
              date: body.committer.date ?? now,
            }
          : author;
        const blob = await this.repos.writeBlob(
          repo,
          Buffer.from(body.content, 'base64'),
        );
        const parentInfo = parent
          ? await this.repos.commit(repo, parent)
          : null;
        const tree = await this.repos.writeTree(
          repo,
          parentInfo?.tree ?? null,
          [{ path: filePath, mode: '100644', sha: blob }],
        );
        const sha = await this.repos.commitTree(
          repo,
          tree,
          parent ? [parent] : [],
          body.message,
          author,
          committer,
        );
        // A commit to a protected branch is refused like a push, with 409
        // (the documented conflict answer of "Create or update file
        // contents"; GitHub answers "Changes must be made through a pull
        // request." there).
        if (parent) {
          await this.refuseProtected(
            ctx,
            repo,
            ref,
            { old: parent, new: sha },
            409,
            docs,
          );
        }
        if (
          !(await this.repos.updateRef(repo, ref, sha, parent, this.pusher()))
        ) {
          throw new GitHubError(
            409,
            `${filePath} does not match ${body.sha ?? ''}`,
            docs,
          );
        }
        const commit = (await this.repos.commit(repo, sha))!;
        const entry = (await this.repos.entryAt(repo, sha, filePath))!;
        const u = this.urls();
        return this.reply(ctx, existing ? 200 : 201, {
          content: {
            name: filePath.split('/').pop(),
            path: filePath,
            sha: entry.sha,
            size: Buffer.from(body.content, 'base64').length,
            url: `${u.api}/repos/${repo.fullName}/contents/${filePath}?ref=${branch}`,
            html_url: `${u.web}/${repo.fullName}/blob/${branch}/${filePath}`,
            git_url: `${u.api}/repos/${repo.fullName}/git/blobs/${entry.sha}`,
            download_url: `${u.web}/${repo.fullName}/raw/${branch}/${filePath}`,
            type: 'file',
          },
          commit: gitCommitJson(u, repo, commit),
        });
      });
    });

    // git database: refs
    const refJson = (
      repo: RepoRecord,
      ref: string,
      sha: string,
      type = 'commit',
    ) => {
      const u = this.urls();
      return {
        ref,
        node_id: Buffer.from(`03:Ref${repo.id}:${ref}`).toString('base64'),
        url: `${u.api}/repos/${repo.fullName}/git/${ref}`,
        object: {
          sha,
          type,
          url: `${u.api}/repos/${repo.fullName}/git/${type}s/${sha}`,
        },
      };
    };
    r.add('GET', `${base}/git/ref/*`, async ctx => {
      const repo = this.repo(ctx.params);
      const ref = `refs/${ctx.params.rest}`;
      const sha = await this.repos.refSha(repo, ref);
      if (!sha)
        throw new GitHubError(
          404,
          'Not Found',
          `${DOCS}/git/refs#get-a-reference`,
        );
      return this.reply(ctx, 200, refJson(repo, ref, sha));
    });
    const matching = async (ctx: RouteContext, prefix: string) => {
      const repo = this.repo(ctx.params);
      const all = await this.repos.refs(repo);
      return this.reply(
        ctx,
        200,
        all
          .filter(x => x.ref.startsWith(prefix))
          .map(x => refJson(repo, x.ref, x.sha)),
      );
    };
    r.add('GET', `${base}/git/matching-refs/*`, ctx =>
      matching(ctx, `refs/${ctx.params.rest}`),
    );
    r.add('GET', `${base}/git/refs`, ctx => matching(ctx, 'refs/'));
    r.add('GET', `${base}/git/refs/*`, async ctx => {
      const repo = this.repo(ctx.params);
      const ref = `refs/${ctx.params.rest}`;
      const sha = await this.repos.refSha(repo, ref);
      if (sha) return this.reply(ctx, 200, refJson(repo, ref, sha));
      return matching(ctx, ref);
    });
    r.add('POST', `${base}/git/refs`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/git/refs#create-a-reference`;
      if (
        typeof body.ref !== 'string' ||
        !/^refs\/[^\s]+\/[^\s]+$/.test(body.ref) ||
        /\.\.|\/\/|\/$|\.lock$/.test(body.ref)
      ) {
        throw new GitHubError(
          422,
          `${body.ref ?? 'ref'} is not a valid ref name.`,
          docs,
        );
      }
      if (
        typeof body.sha !== 'string' ||
        (await this.repos.objectType(repo, body.sha)) !== 'commit'
      ) {
        throw new GitHubError(422, 'Object does not exist', docs);
      }
      return this.repos.withLock(repo, async () => {
        if (await this.repos.refSha(repo, body.ref))
          throw new GitHubError(422, 'Reference already exists', docs);
        const sha = (await this.repos.resolveCommit(repo, body.sha))!;
        await this.repos.updateRef(repo, body.ref, sha, null, this.pusher());
        return this.reply(ctx, 201, refJson(repo, body.ref, sha));
      });
    });
    r.add('PATCH', `${base}/git/refs/*`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/git/refs#update-a-reference`;
      const ref = `refs/${ctx.params.rest}`;
      if (typeof body.sha !== 'string') {
        throw new GitHubError(
          422,
          'Invalid request.\n\n"sha" wasn\'t supplied.',
          docs,
        );
      }
      return this.repos.withLock(repo, async () => {
        const old = await this.repos.refSha(repo, ref);
        if (!old) throw new GitHubError(422, 'Reference does not exist', docs);
        const sha = await this.repos.resolveCommit(repo, body.sha);
        if (!sha || !/^[0-9a-f]{40}$/.test(body.sha))
          throw new GitHubError(422, 'Object does not exist', docs);
        if (!body.force && !(await this.repos.isAncestor(repo, old, sha))) {
          throw new GitHubError(422, 'Update is not a fast forward', docs);
        }
        // A protected branch: `force: true` does not make a force push
        // allowed, nor may a fast-forward skip a required pull request
        // (422, "Update a reference": Validation failed).
        await this.refuseProtected(
          ctx,
          repo,
          ref,
          { old, new: sha },
          422,
          docs,
        );
        if (!(await this.repos.updateRef(repo, ref, sha, old, this.pusher()))) {
          throw new GitHubError(422, 'Update is not a fast forward', docs);
        }
        return this.reply(ctx, 200, refJson(repo, ref, sha));
      });
    });
    r.add('DELETE', `${base}/git/refs/*`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/git/refs#delete-a-reference`;
      const ref = `refs/${ctx.params.rest}`;
      const ok = await this.repos.withLock(repo, async () => {
        const old = await this.repos.refSha(repo, ref);
        if (old) {
          await this.refuseProtected(
            ctx,
            repo,
            ref,
            { old, new: null },
            422,
            docs,
          );
        }
        return this.repos.deleteRef(repo, ref, this.pusher());
      });
      if (!ok) throw new GitHubError(422, 'Reference does not exist', docs);
      ctx.res.writeHead(204);
      ctx.res.end();
    });

    // git database: commits, trees, blobs
    r.add('GET', `${base}/git/commits/:sha`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/git/commits#get-a-commit-object`;
      if (!/^[0-9a-f]{4,40}$/.test(ctx.params.sha))
        throw new GitHubError(404, 'Not Found', docs);
      const c = await this.repos.commit(repo, ctx.params.sha);
      if (!c) throw new GitHubError(404, 'Not Found', docs);
      return this.reply(ctx, 200, gitCommitJson(this.urls(), repo, c));
    });
    r.add('POST', `${base}/git/commits`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/git/commits#create-a-commit`;
      if (typeof body.message !== 'string') {
        throw new GitHubError(
          422,
          'Invalid request.\n\n"message" wasn\'t supplied.',
          docs,
        );
      }
      if (
        typeof body.tree !== 'string' ||
        (await this.repos.objectType(repo, body.tree)) !== 'tree'
      ) {
        throw new GitHubError(422, 'Tree SHA does not exist', docs);
      }
      const parents: string[] = Array.isArray(body.parents) ? body.parents : [];
      for (const p of parents) {
        if ((await this.repos.objectType(repo, p)) !== 'commit') {
          throw new GitHubError(
            422,
            'Parent SHA does not exist or is not a commit object',
            docs,
          );
        }
      }
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const author: Signature = body.author
        ? {
            name: body.author.name,
            email: body.author.email,
            date: body.author.date ?? now,
          }
        : { ...this.apiUser(), date: now };
      const committer: Signature = body.committer
        ? {
            name: body.committer.name,
            email: body.committer.email,
            date: body.committer.date ?? now,
          }
        : author;
      const sha = await this.repos.commitTree(
        repo,
        body.tree,
        parents,
        body.message,
        author,
        committer,
      );
      return this.reply(
        ctx,
        201,
        gitCommitJson(this.urls(), repo, (await this.repos.commit(repo, sha))!),
      );
    });
    r.add('GET', `${base}/git/trees/:sha`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/git/trees#get-a-tree`;
      let treeish = ctx.params.sha;
      const t = await this.repos.objectType(repo, treeish);
      if (t !== 'tree') {
        const c = await this.repos.resolveCommit(repo, treeish);
        if (!c) throw new GitHubError(404, 'Not Found', docs);
        treeish = (await this.repos.commit(repo, c))!.tree;
      }
      const full = await this.repos.tree(
        repo,
        treeish,
        Boolean(ctx.url.searchParams.get('recursive')),
      );
      const u = this.urls();
      return this.reply(ctx, 200, {
        sha: treeish,
        url: `${u.api}/repos/${repo.fullName}/git/trees/${treeish}`,
        tree: full.map(e => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          ...(e.type === 'blob' ? { size: e.size ?? 0 } : {}),
          url: `${u.api}/repos/${repo.fullName}/git/${e.type}s/${e.sha}`,
        })),
        truncated: false,
      });
    });
    r.add('POST', `${base}/git/trees`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/git/trees#create-a-tree`;
      if (!Array.isArray(body.tree)) {
        throw new GitHubError(
          422,
          'Invalid request.\n\n"tree" wasn\'t supplied.',
          docs,
        );
      }
      if (
        body.base_tree &&
        (await this.repos.objectType(repo, body.base_tree)) === null
      ) {
        throw new GitHubError(422, 'base_tree is not a valid tree oid', docs);
      }
      let baseTree: string | null = body.base_tree ?? null;
      if (
        baseTree &&
        (await this.repos.objectType(repo, baseTree)) === 'commit'
      ) {
        baseTree = (await this.repos.commit(repo, baseTree))!.tree;
      }
      const entries: Array<{ path: string; mode: string; sha: string | null }> =
        [];
      for (const e of body.tree) {
        if (typeof e.path !== 'string' || typeof e.mode !== 'string') {
          throw new GitHubError(422, 'Invalid tree info', docs);
        }
        if (typeof e.content === 'string') {
          entries.push({
            path: e.path,
            mode: e.mode,
            sha: await this.repos.writeBlob(repo, Buffer.from(e.content)),
          });
        } else if (e.sha === null) {
          entries.push({ path: e.path, mode: e.mode, sha: null });
        } else if (
          typeof e.sha === 'string' &&
          (await this.repos.objectType(repo, e.sha))
        ) {
          entries.push({ path: e.path, mode: e.mode, sha: e.sha });
        } else {
          throw new GitHubError(
            422,
            `tree.sha ${e.sha} is not a valid blob`,
            docs,
          );
        }
      }
      const tree = await this.repos.writeTree(repo, baseTree, entries);
      const u = this.urls();
      const listing = await this.repos.tree(repo, tree, false);
      return this.reply(ctx, 201, {
        sha: tree,
        url: `${u.api}/repos/${repo.fullName}/git/trees/${tree}`,
        tree: listing.map(e => ({
          path: e.path,
          mode: e.mode,
          type: e.type,
          sha: e.sha,
          size: e.size,
        })),
        truncated: false,
      });
    });
    r.add('GET', `${base}/git/blobs/:sha`, async ctx => {
      const repo = this.repo(ctx.params);
      if ((await this.repos.objectType(repo, ctx.params.sha)) !== 'blob') {
        throw new GitHubError(404, 'Not Found', `${DOCS}/git/blobs#get-a-blob`);
      }
      const content = await this.repos.blob(repo, ctx.params.sha);
      return this.reply(ctx, 200, {
        sha: ctx.params.sha,
        node_id: Buffer.from(`04:Blob${ctx.params.sha}`).toString('base64'),
        size: content.length,
        url: `${this.urls().api}/repos/${repo.fullName}/git/blobs/${
          ctx.params.sha
        }`,
        content: content.toString('base64'),
        encoding: 'base64',
      });
    });
    r.add('POST', `${base}/git/blobs`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      if (typeof body.content !== 'string') {
        throw new GitHubError(
          422,
          'Invalid request.\n\n"content" wasn\'t supplied.',
          `${DOCS}/git/blobs#create-a-blob`,
        );
      }
      const sha = await this.repos.writeBlob(
        repo,
        Buffer.from(
          body.content,
          body.encoding === 'base64' ? 'base64' : 'utf8',
        ),
      );
      return this.reply(ctx, 201, {
        sha,
        url: `${this.urls().api}/repos/${repo.fullName}/git/blobs/${sha}`,
      });
    });

    // branches and protection
    const branchJson = async (repo: RepoRecord, name: string, sha: string) => {
      const u = this.urls();
      const c = (await this.repos.commit(repo, sha))!;
      const p = repo.protection[name];
      const checks = requiredChecks(p);
      return {
        name,
        commit: restCommitJson(u, repo, c),
        _links: {
          self: `${u.api}/repos/${repo.fullName}/branches/${name}`,
          html: `${u.web}/${repo.fullName}/tree/${name}`,
        },
        protected: Boolean(p),
        protection: {
          enabled: Boolean(p),
          required_status_checks: {
            enforcement_level: p ? 'non_admins' : 'off',
            contexts: checks.map(check => check.context),
            checks,
          },
        },
        protection_url: `${u.api}/repos/${repo.fullName}/branches/${name}/protection`,
      };
    };
    r.add('GET', `${base}/branches`, async ctx => {
      const repo = this.repo(ctx.params);
      const heads = await this.repos.refs(repo, 'refs/heads/');
      const u = this.urls();
      let list = heads.map(h => {
        const name = h.ref.slice('refs/heads/'.length);
        return {
          name,
          commit: {
            sha: h.sha,
            url: `${u.api}/repos/${repo.fullName}/commits/${h.sha}`,
          },
          protected: Boolean(repo.protection[name]),
        };
      });
      const prot = ctx.url.searchParams.get('protected');
      if (prot === 'true') list = list.filter(b => b.protected);
      if (prot === 'false') list = list.filter(b => !b.protected);
      const { page, headers } = this.paginate(ctx, list);
      return this.reply(ctx, 200, page, headers);
    });
    r.add('GET', `${base}/branches/:branch`, async ctx => {
      const repo = this.repo(ctx.params);
      const sha = await this.repos.refSha(
        repo,
        `refs/heads/${ctx.params.branch}`,
      );
      if (!sha)
        throw new GitHubError(
          404,
          'Branch not found',
          `${DOCS}/branches/branches#get-a-branch`,
        );
      return this.reply(
        ctx,
        200,
        await branchJson(repo, ctx.params.branch, sha),
      );
    });
    const protectionJson = (repo: RepoRecord, branch: string) => {
      const p = repo.protection[branch];
      const u = `${this.urls().api}/repos/${
        repo.fullName
      }/branches/${branch}/protection`;
      return {
        url: u,
        required_status_checks: p.required_status_checks
          ? {
              url: `${u}/required_status_checks`,
              strict: p.required_status_checks.strict,
              contexts: p.required_status_checks.contexts,
              checks: requiredChecks(p),
              contexts_url: `${u}/required_status_checks/contexts`,
            }
          : undefined,
        required_pull_request_reviews: p.required_pull_request_reviews
          ? {
              url: `${u}/required_pull_request_reviews`,
              ...p.required_pull_request_reviews,
            }
          : undefined,
        enforce_admins: {
          url: `${u}/enforce_admins`,
          enabled: p.enforce_admins,
        },
        required_linear_history: { enabled: false },
        allow_force_pushes: { enabled: Boolean(p.allow_force_pushes) },
        allow_deletions: { enabled: Boolean(p.allow_deletions) },
        block_creations: { enabled: false },
        required_conversation_resolution: { enabled: false },
        lock_branch: { enabled: false },
        allow_fork_syncing: { enabled: false },
      };
    };
    r.add('GET', `${base}/branches/:branch/protection`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/branches/branch-protection#get-branch-protection`;
      if (!(await this.repos.refSha(repo, `refs/heads/${ctx.params.branch}`))) {
        throw new GitHubError(404, 'Branch not found', docs);
      }
      if (!repo.protection[ctx.params.branch])
        throw new GitHubError(404, 'Branch not protected', docs);
      return this.reply(ctx, 200, protectionJson(repo, ctx.params.branch));
    });
    r.add('PUT', `${base}/branches/:branch/protection`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/branches/branch-protection#update-branch-protection`;
      if (
        this.freePlanOwners.has(repo.owner.toLowerCase()) &&
        (repo.visibility ?? 'public') !== 'public'
      ) {
        throw new GitHubError(
          403,
          'Upgrade to GitHub Pro or make this repository public to enable this feature.',
          docs,
        );
      }
      if (!(await this.repos.refSha(repo, `refs/heads/${ctx.params.branch}`))) {
        throw new GitHubError(404, 'Branch not found', docs);
      }
      for (const key of [
        'required_status_checks',
        'enforce_admins',
        'required_pull_request_reviews',
        'restrictions',
      ]) {
        if (!(key in body)) {
          throw new GitHubError(
            422,
            `Invalid request.\n\n"${key}" wasn't supplied.`,
            docs,
          );
        }
      }
      const rsc = body.required_status_checks;
      const rpr = body.required_pull_request_reviews;
      const checks = rsc ? this.requestedChecks(repo, rsc, docs) : [];
      repo.protection[ctx.params.branch] = {
        required_status_checks: rsc
          ? {
              strict: Boolean(rsc.strict),
              contexts: checks.map(c => c.context),
              checks,
            }
          : null,
        required_pull_request_reviews: rpr
          ? {
              required_approving_review_count: Number(
                rpr.required_approving_review_count ?? 1,
              ),
              dismiss_stale_reviews: Boolean(rpr.dismiss_stale_reviews),
              require_code_owner_reviews: Boolean(
                rpr.require_code_owner_reviews,
              ),
            }
          : null,
        enforce_admins: Boolean(body.enforce_admins),
        allow_force_pushes: Boolean(body.allow_force_pushes),
        allow_deletions: Boolean(body.allow_deletions),
      };
      await this.repos.syncProtection(repo);
      return this.reply(ctx, 200, protectionJson(repo, ctx.params.branch));
    });
    r.add('DELETE', `${base}/branches/:branch/protection`, async ctx => {
      const repo = this.repo(ctx.params);
      if (!repo.protection[ctx.params.branch]) {
        throw new GitHubError(
          404,
          'Branch not protected',
          `${DOCS}/branches/branch-protection#delete-branch-protection`,
        );
      }
      delete repo.protection[ctx.params.branch];
      await this.repos.syncProtection(repo);
      ctx.res.writeHead(204);
      ctx.res.end();
    });

    // commits and statuses
    r.add('GET', `${base}/commits`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/commits/commits#list-commits`;
      const ref = ctx.url.searchParams.get('sha') || repo.default_branch;
      const start = await this.repos.resolveCommit(repo, ref);
      if (!start)
        throw new GitHubError(404, `No commit found for SHA: ${ref}`, docs);
      const perPage = Math.min(
        100,
        Math.max(1, Number(ctx.url.searchParams.get('per_page') ?? 30) || 30),
      );
      const pageNo = Math.max(
        1,
        Number(ctx.url.searchParams.get('page') ?? 1) || 1,
      );
      const path = ctx.url.searchParams.get('path') ?? undefined;
      const shas = await this.repos.log(repo, start, {
        path,
        max: perPage + 1,
        skip: (pageNo - 1) * perPage,
        since: ctx.url.searchParams.get('since') ?? undefined,
        until: ctx.url.searchParams.get('until') ?? undefined,
      });
      const u = this.urls();
      const items = [];
      for (const sha of shas.slice(0, perPage)) {
        items.push(
          restCommitJson(u, repo, (await this.repos.commit(repo, sha))!),
        );
      }
      const headers: Record<string, string> = {};
      if (shas.length > perPage || pageNo > 1) {
        const link = (p: number, rel: string) => {
          const x = new URL(ctx.url.toString());
          x.searchParams.set('page', String(p));
          x.searchParams.set('per_page', String(perPage));
          return `<${u.web}${x.pathname}${x.search}>; rel="${rel}"`;
        };
        const links = [];
        if (shas.length > perPage) links.push(link(pageNo + 1, 'next'));
        if (pageNo > 1) links.push(link(pageNo - 1, 'prev'), link(1, 'first'));
        headers.link = links.join(', ');
      }
      return this.reply(ctx, 200, items, headers);
    });
    r.add('GET', `${base}/commits/:ref`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/commits/commits#get-a-commit`;
      const sha = await this.repos.resolveCommit(repo, ctx.params.ref);
      if (!sha)
        throw new GitHubError(
          422,
          `No commit found for SHA: ${ctx.params.ref}`,
          docs,
        );
      const u = this.urls();
      const c = (await this.repos.commit(repo, sha))!;
      const changes = await this.repos.changes(repo, sha);
      const statusName: Record<string, string> = {
        A: 'added',
        M: 'modified',
        D: 'removed',
      };
      const files = changes.map(f => ({
        sha: null,
        filename: f.path,
        status: statusName[f.status[0]] ?? 'modified',
        additions: f.additions,
        deletions: f.deletions,
        changes: f.additions + f.deletions,
        blob_url: `${u.web}/${repo.fullName}/blob/${sha}/${f.path}`,
        raw_url: `${u.web}/${repo.fullName}/raw/${sha}/${f.path}`,
        contents_url: `${u.api}/repos/${repo.fullName}/contents/${f.path}?ref=${sha}`,
      }));
      const additions = files.reduce((a, f) => a + f.additions, 0);
      const deletions = files.reduce((a, f) => a + f.deletions, 0);
      return this.reply(ctx, 200, {
        ...restCommitJson(u, repo, c),
        stats: { total: additions + deletions, additions, deletions },
        files,
      });
    });
    r.add('GET', `${base}/commits/:ref/statuses`, async ctx => {
      const repo = this.repo(ctx.params);
      const sha = await this.commitOr404(
        repo,
        ctx.params.ref,
        `${DOCS}/commits/statuses#list-commit-statuses-for-a-reference`,
      );
      const list = [...(repo.statuses[sha] ?? [])]
        .sort((a, b) => b.id - a.id)
        .map(s => statusJson(this.urls(), repo, s));
      const { page, headers } = this.paginate(ctx, list);
      return this.reply(ctx, 200, page, headers);
    });
    r.add('GET', `${base}/commits/:ref/status`, async ctx => {
      const repo = this.repo(ctx.params);
      const sha = await this.commitOr404(
        repo,
        ctx.params.ref,
        `${DOCS}/commits/statuses#get-the-combined-status-for-a-specific-reference`,
      );
      const list = repo.statuses[sha] ?? [];
      const latest = latestStatuses(list);
      return this.reply(ctx, 200, {
        state: combinedState(list),
        statuses: latest.map(s => simpleStatusJson(this.urls(), repo, s)),
        sha,
        total_count: latest.length,
        repository: minimalRepoJson(this.urls(), repo),
        commit_url: `${this.urls().api}/repos/${repo.fullName}/commits/${sha}`,
        url: `${this.urls().api}/repos/${repo.fullName}/commits/${sha}/status`,
      });
    });
    r.add('GET', `${base}/commits/:sha/pulls`, async ctx => {
      const repo = this.repo(ctx.params);
      const sha = await this.commitOr404(
        repo,
        ctx.params.sha,
        `${DOCS}/commits/commits#list-pull-requests-associated-with-a-commit`,
      );
      const found: PullRecord[] = [];
      for (const pr of repo.pulls) {
        if (
          pr.merge_commit_sha === sha ||
          pr.head.sha === sha ||
          pr.rebased_commits?.includes(sha)
        ) {
          found.push(pr);
        } else if (pr.merge_commit_sha && pr.head.sha && pr.merged_at) {
          // commits brought in by the PR: reachable from its head but not from its base at merge time
          const parents =
            (await this.repos.commit(repo, pr.merge_commit_sha))?.parents ?? [];
          if (
            parents.length > 1 &&
            (await this.repos.isAncestor(repo, sha, pr.head.sha)) &&
            !(await this.repos.isAncestor(repo, sha, parents[0]))
          ) {
            found.push(pr);
          }
        }
      }
      return this.reply(
        ctx,
        200,
        found.map(pr => pullJson(this.urls(), repo, pr, false)),
      );
    });
    r.add('POST', `${base}/statuses/:sha`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/commits/statuses#create-a-commit-status`;
      const sha = ctx.params.sha;
      if (
        !/^[0-9a-f]{40}$/.test(sha) ||
        (await this.repos.objectType(repo, sha)) !== 'commit'
      ) {
        throw validationFailed(
          [
            {
              resource: 'Status',
              code: 'custom',
              field: 'sha',
              message: `No commit found for SHA: ${sha}`,
            },
          ],
          docs,
        );
      }
      if (!['error', 'failure', 'pending', 'success'].includes(body.state)) {
        throw validationFailed(
          [
            {
              resource: 'Status',
              code: 'custom',
              field: 'state',
              message: 'state is not included in the list',
            },
          ],
          docs,
        );
      }
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      // The creator is who the token is: an app's token creates the status
      // as the app, which a check bound to that app requires.
      const actor = this.actor(ctx.req);
      const s = {
        id: this.repos.nextObjectId(),
        state: body.state,
        context: typeof body.context === 'string' ? body.context : 'default',
        description: body.description ?? null,
        target_url: body.target_url ?? null,
        created_at: now,
        updated_at: now,
        creator: actor.login,
        app_id: actor.appId,
      };
      (repo.statuses[sha] ??= []).push(s);
      return this.reply(ctx, 201, statusJson(this.urls(), repo, s));
    });

    // pull requests
    r.add('GET', `${base}/pulls`, async ctx => {
      const repo = this.repo(ctx.params);
      const q = ctx.url.searchParams;
      const state = q.get('state') ?? 'open';
      let list = [...repo.pulls];
      await this.refreshHeads(repo);
      if (state !== 'all') list = list.filter(p => p.state === state);
      if (q.get('base')) list = list.filter(p => p.base.ref === q.get('base'));
      if (q.get('head')) {
        const [owner, ref] = q.get('head')!.includes(':')
          ? q.get('head')!.split(':')
          : [repo.owner, q.get('head')!];
        list = list.filter(
          p =>
            owner.toLowerCase() === repo.owner.toLowerCase() &&
            p.head.ref === ref,
        );
      }
      const sort = q.get('sort') ?? 'created';
      const dir = q.get('direction') ?? 'desc';
      const key = (p: PullRecord) =>
        sort === 'updated' ? p.updated_at : p.created_at;
      list.sort((a, b) => key(a).localeCompare(key(b)) || a.number - b.number);
      if (dir === 'desc') list.reverse();
      const { page, headers } = this.paginate(
        ctx,
        list.map(p => pullJson(this.urls(), repo, p, false)),
      );
      return this.reply(ctx, 200, page, headers);
    });
    const pull = (repo: RepoRecord, n: string, docs: string) => {
      const pr = repo.pulls.find(p => String(p.number) === n);
      if (!pr) throw new GitHubError(404, 'Not Found', docs);
      return pr;
    };
    r.add('GET', `${base}/pulls/:number`, async ctx => {
      const repo = this.repo(ctx.params);
      const pr = pull(
        repo,
        ctx.params.number,
        `${DOCS}/pulls/pulls#get-a-pull-request`,
      );
      await this.refreshHeads(repo);
      const m = pr.state === 'open' ? await this.mergeability(repo, pr) : null;
      return this.reply(
        ctx,
        200,
        pullJson(this.urls(), repo, pr, true, {
          mergeable: m ? m.mergeable : null,
          mergeable_state: m ? m.state : 'unknown',
        }),
      );
    });
    r.add('POST', `${base}/pulls`, async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/pulls/pulls#create-a-pull-request`;
      if (typeof body.title !== 'string' || !body.title) {
        throw validationFailed(
          [{ resource: 'PullRequest', code: 'missing_field', field: 'title' }],
          docs,
        );
      }
      if (typeof body.head !== 'string' || typeof body.base !== 'string') {
        throw validationFailed(
          [
            {
              resource: 'PullRequest',
              code: 'missing_field',
              field: typeof body.head !== 'string' ? 'head' : 'base',
            },
          ],
          docs,
        );
      }
      const headRef = body.head.includes(':')
        ? body.head.split(':')[1]
        : body.head;
      const headSha = await this.repos.refSha(repo, `refs/heads/${headRef}`);
      const baseSha = await this.repos.refSha(repo, `refs/heads/${body.base}`);
      if (!baseSha)
        throw validationFailed(
          [{ resource: 'PullRequest', field: 'base', code: 'invalid' }],
          docs,
        );
      if (!headSha)
        throw validationFailed(
          [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
          docs,
        );
      if (
        repo.pulls.some(
          p =>
            p.state === 'open' &&
            p.head.ref === headRef &&
            p.base.ref === body.base,
        )
      ) {
        throw validationFailed(
          [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${repo.owner}:${headRef}.`,
            },
          ],
          docs,
        );
      }
      if (await this.repos.isAncestor(repo, headSha, baseSha)) {
        throw validationFailed(
          [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `No commits between ${body.base} and ${headRef}`,
            },
          ],
          docs,
        );
      }
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const pr: PullRecord = {
        id: this.repos.nextObjectId(),
        number: Math.max(0, ...repo.pulls.map(p => p.number)) + 1,
        title: body.title,
        body: typeof body.body === 'string' ? body.body : '',
        state: 'open',
        user: API_USER.login,
        head: { ref: headRef, sha: headSha },
        base: { ref: body.base, sha: baseSha },
        created_at: now,
        updated_at: now,
        closed_at: null,
        merged_at: null,
        merge_commit_sha: null,
        merged_by: null,
        reviews: [],
        requested_reviewers: [],
        draft: Boolean(body.draft),
      };
      repo.pulls.push(pr);
      this.repos.emitPullRequest({ repo, pull: pr, action: 'opened' });
      return this.reply(ctx, 201, pullJson(this.urls(), repo, pr, true));
    });
    r.add('PATCH', `${base}/pulls/:number`, async ctx => {
      const repo = this.repo(ctx.params);
      const pr = pull(
        repo,
        ctx.params.number,
        `${DOCS}/pulls/pulls#update-a-pull-request`,
      );
      const body = await readJson(ctx.req);
      if (typeof body.title === 'string') pr.title = body.title;
      if (typeof body.body === 'string') pr.body = body.body;
      let reopened = false;
      if ((body.state === 'closed' || body.state === 'open') && !pr.merged_at) {
        reopened = pr.state === 'closed' && body.state === 'open';
        pr.state = body.state;
        pr.closed_at =
          body.state === 'closed'
            ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
            : null;
      }
      pr.updated_at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (reopened) {
        await this.refreshHeads(repo);
        this.repos.emitPullRequest({ repo, pull: pr, action: 'reopened' });
      }
      return this.reply(ctx, 200, pullJson(this.urls(), repo, pr, true));
    });
    // Labels (issues API, which covers pull requests) and review requests.
    r.add('POST', `${base}/issues/:number/labels`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/issues/labels#add-labels-to-an-issue`;
      const pr = pull(repo, ctx.params.number, docs);
      const body = await readJson(ctx.req);
      const labels: unknown = Array.isArray(body) ? body : body.labels;
      if (
        !Array.isArray(labels) ||
        !labels.every(l => typeof l === 'string' && l)
      ) {
        throw validationFailed(
          [{ resource: 'Label', code: 'invalid', field: 'labels' }],
          docs,
        );
      }
      const added = labels.filter(l => !(pr.labels ?? []).includes(l));
      pr.labels = [...new Set([...(pr.labels ?? []), ...labels])];
      // Each new label is a pull_request "labeled" event, which workflows
      // can run on (docs.github.com, "Events that trigger workflows":
      // pull_request activity types include labeled and unlabeled).
      if (pr.state === 'open') {
        for (const label of added) {
          this.repos.emitPullRequest({
            repo,
            pull: pr,
            action: 'labeled',
            label,
          });
        }
      }
      const api = `${this.urls().api}/repos/${repo.owner}/${repo.name}`;
      return this.reply(
        ctx,
        200,
        pr.labels.map(name => labelJson(api, name)),
      );
    });
    // Comments on a pull request go through the issues API, as on GitHub
    // (docs.github.com, "Create an issue comment": every pull request is an
    // issue). The answer is the issue-comment object.
    const commentJson = (
      repo: RepoRecord,
      pr: PullRecord,
      c: NonNullable<PullRecord['comments']>[number],
    ) => {
      const u = this.urls();
      const api = `${u.api}/repos/${repo.owner}/${repo.name}`;
      return {
        id: c.id,
        node_id: `IC_${c.id}`,
        url: `${api}/issues/comments/${c.id}`,
        html_url: `${u.web}/${repo.owner}/${repo.name}/pull/${pr.number}#issuecomment-${c.id}`,
        issue_url: `${api}/issues/${pr.number}`,
        body: c.body,
        user: userJson(u, c.user),
        created_at: c.created_at,
        updated_at: c.created_at,
        author_association: 'MEMBER',
      };
    };
    r.add('POST', `${base}/issues/:number/comments`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/issues/comments#create-an-issue-comment`;
      const pr = pull(repo, ctx.params.number, docs);
      const body = await readJson(ctx.req);
      if (typeof body.body !== 'string' || !body.body) {
        throw validationFailed(
          [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }],
          docs,
        );
      }
      const comment = {
        id: this.repos.nextObjectId(),
        user: API_USER.login,
        body: body.body,
        created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
      (pr.comments ??= []).push(comment);
      return this.reply(ctx, 201, commentJson(repo, pr, comment));
    });
    r.add('GET', `${base}/issues/:number/comments`, async ctx => {
      const repo = this.repo(ctx.params);
      const pr = pull(
        repo,
        ctx.params.number,
        `${DOCS}/issues/comments#list-issue-comments`,
      );
      return this.reply(
        ctx,
        200,
        (pr.comments ?? []).map(c => commentJson(repo, pr, c)),
      );
    });
    // Add a repository collaborator: an organisation member gets access at
    // once (204), as does someone who has it already; an unknown login is
    // 404 (docs.github.com, "Add a repository collaborator").
    r.add('PUT', `${base}/collaborators/:login`, async ctx => {
      const repo = this.repo(ctx.params);
      await readJson(ctx.req);
      if (!USERS[ctx.params.login]) {
        throw new GitHubError(
          404,
          'Not Found',
          `${DOCS}/collaborators/collaborators#add-a-repository-collaborator`,
        );
      }
      repo.collaborators?.add(ctx.params.login);
      ctx.res.writeHead(204);
      ctx.res.end();
    });
    // Add or update team repository permissions: 204; a team of another
    // organisation than the repo's is 422 (docs.github.com, "Add or
    // update team repository permissions").
    r.add('PUT', '/orgs/:org/teams/:team/repos/:owner/:repo', async ctx => {
      const repo = this.repo(ctx.params);
      const body = await readJson(ctx.req);
      const docs = `${DOCS}/teams/teams#add-or-update-team-repository-permissions`;
      if (ctx.params.org.toLowerCase() !== repo.owner.toLowerCase()) {
        throw validationFailed(
          [{ resource: 'Team', code: 'invalid', field: 'org' }],
          docs,
        );
      }
      if (
        body.permission !== undefined &&
        !['pull', 'triage', 'push', 'maintain', 'admin'].includes(
          body.permission,
        )
      ) {
        throw validationFailed(
          [{ resource: 'Team', code: 'invalid', field: 'permission' }],
          docs,
        );
      }
      repo.collaborators?.add(`${repo.owner}/${ctx.params.team}`);
      ctx.res.writeHead(204);
      ctx.res.end();
    });
    r.add('POST', `${base}/pulls/:number/requested_reviewers`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/pulls/review-requests#request-reviewers-for-a-pull-request`;
      const pr = pull(repo, ctx.params.number, docs);
      const body = await readJson(ctx.req);
      const users: unknown = body.reviewers ?? [];
      if (!Array.isArray(users) || !users.every(u => typeof u === 'string')) {
        throw validationFailed(
          [{ resource: 'PullRequest', code: 'invalid', field: 'reviewers' }],
          docs,
        );
      }
      const teams: unknown = body.team_reviewers ?? [];
      // Reviews can be requested only from collaborators: one who is not
      // fails the whole request (docs.github.com, "Requesting a pull
      // request review").
      const strangers = [
        ...(users as string[]),
        ...(Array.isArray(teams) ? teams : []).map(t => `${repo.owner}/${t}`),
      ].filter(who => !this.isCollaborator(repo, who));
      if (strangers.length > 0) {
        throw new GitHubError(
          422,
          `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
          docs,
        );
      }
      pr.requested_reviewers = [
        ...new Set([...pr.requested_reviewers, ...(users as string[])]),
      ];
      return this.reply(ctx, 201, pullJson(this.urls(), repo, pr, false));
    });
    r.add('GET', `${base}/pulls/:number/reviews`, async ctx => {
      const repo = this.repo(ctx.params);
      const pr = pull(
        repo,
        ctx.params.number,
        `${DOCS}/pulls/reviews#list-reviews-for-a-pull-request`,
      );
      return this.reply(
        ctx,
        200,
        pr.reviews.map(rv => reviewJson(this.urls(), repo, pr, rv)),
      );
    });
    r.add('POST', `${base}/pulls/:number/reviews`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/pulls/reviews#create-a-review-for-a-pull-request`;
      const pr = pull(repo, ctx.params.number, docs);
      const body = await readJson(ctx.req);
      const states: Record<string, PullRecord['reviews'][number]['state']> = {
        APPROVE: 'APPROVED',
        REQUEST_CHANGES: 'CHANGES_REQUESTED',
        COMMENT: 'COMMENTED',
      };
      if (!states[body.event]) {
        throw new GitHubError(422, 'Unprocessable Entity', docs, {
          errors: [
            'Review event must be one of APPROVE, REQUEST_CHANGES or COMMENT',
          ],
        });
      }
      // Reviews are attributed to the login in the `user` field when present (sandbox only), else to the API user.
      const login =
        typeof body.user === 'string' && USERS[body.user]
          ? body.user
          : API_USER.login;
      if (login === pr.user && body.event !== 'COMMENT') {
        throw new GitHubError(422, 'Unprocessable Entity', docs, {
          errors: ['Can not approve your own pull request'],
        });
      }
      const review = {
        id: this.repos.nextObjectId(),
        user: login,
        state: states[body.event],
        body: typeof body.body === 'string' ? body.body : '',
        submitted_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        commit_id: pr.head.sha,
      };
      pr.reviews.push(review);
      return this.reply(ctx, 200, reviewJson(this.urls(), repo, pr, review));
    });
    r.add('GET', `${base}/pulls/:number/merge`, async ctx => {
      const repo = this.repo(ctx.params);
      const pr = pull(
        repo,
        ctx.params.number,
        `${DOCS}/pulls/pulls#check-if-a-pull-request-has-been-merged`,
      );
      if (!pr.merged_at)
        throw new GitHubError(
          404,
          'Not Found',
          `${DOCS}/pulls/pulls#check-if-a-pull-request-has-been-merged`,
        );
      ctx.res.writeHead(204);
      ctx.res.end();
    });
    r.add('PUT', `${base}/pulls/:number/merge`, async ctx => {
      const repo = this.repo(ctx.params);
      const docs = `${DOCS}/pulls/pulls#merge-a-pull-request`;
      const pr = pull(repo, ctx.params.number, docs);
      const body = await readJson(ctx.req);
      return this.repos.withLock(repo, async () => {
        await this.refreshHeads(repo);
        if (pr.state !== 'open')
          throw new GitHubError(405, 'Pull Request is not mergeable', docs);
        if (body.sha && body.sha !== pr.head.sha) {
          throw new GitHubError(
            409,
            'Head branch was modified. Review and try the merge again.',
            docs,
          );
        }
        const method = body.merge_method ?? 'merge';
        if (!['merge', 'squash', 'rebase'].includes(method)) {
          throw validationFailed(
            [
              {
                resource: 'PullRequest',
                code: 'invalid',
                field: 'merge_method',
              },
            ],
            docs,
          );
        }
        // Conflicts, reviews, required checks, an out-of-date head: 405
        // with GitHub's reason (mergeability, for the order).
        const { reason } = await this.mergeability(repo, pr);
        if (reason) throw new GitHubError(405, reason, docs);
        const baseRef = `refs/heads/${pr.base.ref}`;
        const baseSha = (await this.repos.refSha(repo, baseRef))!;
        const tree = await this.repos.mergeTree(repo, baseSha, pr.head.sha);
        if (!tree)
          throw new GitHubError(405, 'Pull Request is not mergeable', docs);
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const merger = API_USER;
        const author: Signature = {
          name: merger.name,
          email: merger.email,
          date: now,
        };
        const committer: Signature = { ...GITHUB_COMMITTER, date: now };
        let sha: string;
        if (method === 'merge') {
          const title =
            body.commit_title ??
            `Merge pull request #${pr.number} from ${repo.owner}/${pr.head.ref}`;
          const message = `${title}\n\n${body.commit_message ?? pr.title}`;
          sha = await this.repos.commitTree(
            repo,
            tree,
            [baseSha, pr.head.sha],
            message,
            author,
            committer,
          );
        } else if (method === 'squash') {
          const title = body.commit_title ?? `${pr.title} (#${pr.number})`;
          const message = body.commit_message
            ? `${title}\n\n${body.commit_message}`
            : title;
          sha = await this.repos.commitTree(
            repo,
            tree,
            [baseSha],
            message,
            author,
            committer,
          );
        } else {
          // GitHub's rebase and merge always writes new commits, with GitHub
          // as committer, even when the base could be fast-forwarded
          // (docs.github.com, "About merge methods on GitHub": "Rebase and
          // merge on GitHub will always update the committer information
          // and create new commit SHAs"). Each commit of the PR is replayed
          // onto the base; a replay that does not merge refuses the rebase.
          const picked = await this.repos.newCommits(
            repo,
            baseSha,
            pr.head.sha,
            250,
          );
          let tip = baseSha;
          let tipTree = (await this.repos.commit(repo, baseSha))!.tree;
          const rebased: string[] = [];
          for (const original of picked) {
            const c = (await this.repos.commit(repo, original))!;
            if (c.parents.length > 1) {
              throw new GitHubError(405, "This branch can't be rebased", docs);
            }
            // Where the replayed tip has the tree the commit was made on,
            // the replay is the commit's own tree; otherwise git merges it
            // (git merge-tree, from the common ancestor).
            const parentTree = (await this.repos.commit(repo, c.parents[0]))!
              .tree;
            const replayed =
              tipTree === parentTree
                ? c.tree
                : await this.repos.mergeTree(repo, tip, original);
            if (!replayed) {
              throw new GitHubError(405, "This branch can't be rebased", docs);
            }
            tip = await this.repos.commitTree(
              repo,
              replayed,
              [tip],
              c.message,
              c.author,
              committer,
            );
            tipTree = replayed;
            rebased.push(tip);
          }
          pr.rebased_commits = rebased;
          sha = tip;
        }
        if (
          !(await this.repos.updateRef(repo, baseRef, sha, baseSha, {
            name: merger.login,
            email: merger.email,
          }))
        ) {
          throw new GitHubError(
            409,
            'Base branch was modified. Review and try the merge again.',
            docs,
          );
        }
        pr.state = 'closed';
        pr.merged_at = now;
        pr.closed_at = now;
        pr.updated_at = now;
        pr.merge_commit_sha = sha;
        pr.merged_by = merger.login;
        pr.base.sha = baseSha;
        return this.reply(ctx, 200, {
          sha,
          merged: true,
          message: 'Pull Request successfully merged',
        });
      });
    });
  }

  /**
   * The required checks of a protection update (docs.github.com, REST
   * "Update branch protection"): `checks` as `{context, app_id}`, where an
   * omitted app_id "automatically select[s] the GitHub App that has recently
   * provided this check, or any app if it was not set by a GitHub App" and
   * -1 "explicitly allow[s] any app"; or the deprecated `contexts`, of
   * which "If any of these checks have recently been set by a particular
   * GitHub App, they will be required to come from that app in future".
   * "Recently" is read as: the newest status of that context in the repo
   * that an app created.
   */
  private requestedChecks(
    repo: RepoRecord,
    rsc: { contexts?: unknown; checks?: unknown },
    docs: string,
  ): RequiredCheck[] {
    const recentApp = (context: string) => {
      let newest: { id: number; app_id?: number | null } | undefined;
      for (const list of Object.values(repo.statuses)) {
        for (const st of list) {
          if (
            st.context === context &&
            typeof st.app_id === 'number' &&
            (!newest || st.id > newest.id)
          )
            newest = st;
        }
      }
      return newest?.app_id ?? null;
    };
    const invalid = () =>
      validationFailed(
        [
          {
            resource: 'ProtectedBranch',
            code: 'invalid',
            field: 'required_status_checks',
          },
        ],
        docs,
      );
    if (rsc.checks !== undefined && rsc.checks !== null) {
      if (!Array.isArray(rsc.checks)) throw invalid();
      return rsc.checks.map((c: unknown) => {
        const check = c as { context?: unknown; app_id?: unknown };
        if (typeof check?.context !== 'string') throw invalid();
        if (check.app_id === undefined || check.app_id === null)
          return { context: check.context, app_id: recentApp(check.context) };
        if (typeof check.app_id !== 'number') throw invalid();
        return {
          context: check.context,
          app_id: check.app_id === -1 ? null : check.app_id,
        };
      });
    }
    if (!Array.isArray(rsc.contexts)) throw invalid();
    return rsc.contexts.map(c => ({
      context: String(c),
      app_id: recentApp(String(c)),
    }));
  }

  /** Open PRs follow their head branch, as on GitHub. */
  private async refreshHeads(repo: RepoRecord) {
    for (const pr of repo.pulls) {
      if (pr.state !== 'open') continue;
      const head = await this.repos.refSha(repo, `refs/heads/${pr.head.ref}`);
      if (head && head !== pr.head.sha) pr.head.sha = head;
      const baseSha = await this.repos.refSha(
        repo,
        `refs/heads/${pr.base.ref}`,
      );
      if (baseSha) pr.base.sha = baseSha;
      // GitHub closes a pull request whose head branch comes to point at
      // its base's commit (nothing is left to merge), for good: it cannot
      // be reopened. The docs do not describe it; it is what github.com
      // does, and what a force push that "rebuilds" a branch from its base
      // in two steps runs into.
      if (baseSha && pr.head.sha === baseSha) {
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        pr.state = 'closed';
        pr.closed_at = now;
        pr.updated_at = now;
      }
    }
  }

  /**
   * Whether a pull request can be merged and, if not, why: the REST
   * `mergeable` and `mergeable_state` of "Get a pull request" and the 405
   * message of "Merge a pull request". The states are those of GraphQL's
   * MergeStateStatus, lower-cased as REST answers them (docs.github.com,
   * GraphQL reference, enum MergeStateStatus: DIRTY "The merge commit cannot
   * be cleanly created.", BLOCKED "The merge is blocked.", BEHIND "The head
   * ref is out of date.", UNSTABLE "Mergeable with non-passing commit
   * status.", CLEAN "Mergeable and passing commit status.").
   *
   * The order: conflicts first (there is nothing to merge), then pull
   * request reviews (changes requested, the number of approvals, code
   * owners), then required status checks, then whether the head is up to
   * date with the base. GitHub's documentation names no order; reviews come
   * before checks because GitHub's own answers that list several say so
   * ("Waiting on code owner review from … 4 of 4 required status checks
   * have not succeeded …"), and a head that is behind is `behind` only when
   * nothing else blocks it (otherwise GitHub answers `blocked`).
   */
  private async mergeability(
    repo: RepoRecord,
    pr: PullRecord,
  ): Promise<Mergeability> {
    const baseSha = await this.repos.refSha(repo, `refs/heads/${pr.base.ref}`);
    if (
      !baseSha ||
      !pr.head.sha ||
      pr.head.sha === ZERO_SHA ||
      (await this.repos.mergeTree(repo, baseSha, pr.head.sha)) === null
    ) {
      return {
        mergeable: false,
        state: 'dirty',
        reason: 'Pull Request is not mergeable',
      };
    }
    const p = repo.protection[pr.base.ref];
    const blocked =
      p &&
      ((await this.reviewsBlock(repo, pr, p, baseSha)) ??
        this.checksBlock(repo, pr, p));
    if (blocked) return { mergeable: true, state: 'blocked', reason: blocked };
    // docs.github.com, "About protected branches", Require status checks
    // before merging: Strict, "The branch must be up to date with the base
    // branch before merging"; Loose, "does not have to be". Up to date means
    // the head contains the base's head (git merge-base --is-ancestor).
    // Strict has nothing to enforce without a required check (GitHub then
    // reports such a head `clean`). GitHub refuses the merge of a head that
    // is behind as it refuses one whose checks were not reported: the
    // checks of an out-of-date head count as expected.
    const checks = requiredChecks(p);
    if (
      p?.required_status_checks?.strict &&
      checks.length > 0 &&
      !(await this.repos.isAncestor(repo, baseSha, pr.head.sha))
    ) {
      return {
        mergeable: true,
        state: 'behind',
        reason: checksExpected(checks),
      };
    }
    const statuses = latestStatuses(repo.statuses[pr.head.sha] ?? []);
    if (statuses.length > 0 && combinedState(statuses) !== 'success') {
      return { mergeable: true, state: 'unstable', reason: null };
    }
    return { mergeable: true, state: 'clean', reason: null };
  }

  /**
   * Why the reviews do not yet allow the merge, in GitHub's words, or null
   * (docs.github.com, "About protected branches", Require pull request
   * reviews before merging): only reviews of people with write access count
   * ("approved by the required number of reviewers with write
   * permissions"), each person's latest review counts, and with
   * `dismiss_stale_reviews` an approval of an older head is stale ("If the
   * diff changes from this state … the approving review is dismissed as
   * stale"); the push that moves the head also marks it DISMISSED
   * (GitRepos.emitPush).
   */
  private async reviewsBlock(
    repo: RepoRecord,
    pr: PullRecord,
    p: BranchProtection,
    baseSha: string,
  ): Promise<string | null> {
    const rules = p.required_pull_request_reviews;
    if (!rules) return null;
    const latest = new Map<string, PullRecord['reviews'][number]>();
    for (const rv of pr.reviews) {
      if (rv.state !== 'COMMENTED' && hasWriteAccess(repo, rv.user)) {
        latest.set(rv.user, rv);
      }
    }
    if ([...latest.values()].some(rv => rv.state === 'CHANGES_REQUESTED'))
      return 'Changes must be made through a pull request. Changes requested by a reviewer.';
    const approvers = [...latest.values()]
      .filter(
        rv =>
          rv.state === 'APPROVED' &&
          (!rules.dismiss_stale_reviews || rv.commit_id === pr.head.sha),
      )
      .map(rv => rv.user);
    const needed = rules.required_approving_review_count;
    if (approvers.length < needed) {
      return `At least ${needed} approving review${
        needed > 1 ? 's are' : ' is'
      } required by reviewers with write access.`;
    }
    if (rules.require_code_owner_reviews) {
      const waiting = await this.codeOwnersWaiting(
        repo,
        pr,
        baseSha,
        approvers,
      );
      // GitHub's 405 names the owners: "Waiting on code owner review from
      // <login or org/team> and/or <…>."
      if (waiting) return `Waiting on code owner review from ${waiting}.`;
    }
    return null;
  }

  /**
   * The owners still to approve, or null (docs.github.com, "About protected
   * branches": "any pull request that affects code with a code owner must be
   * approved by that code owner"; "About code owners": the CODEOWNERS file of
   * the pull request's base branch, searched in `.github/`, the root and
   * `docs/` "in that order", the first one found; the last matching pattern
   * of a file names its owners, any one of whom may approve; a file without
   * owners needs none). The files are those the pull request changes
   * (`git diff base...head`).
   */
  private async codeOwnersWaiting(
    repo: RepoRecord,
    pr: PullRecord,
    baseSha: string,
    approvers: string[],
  ): Promise<string | null> {
    let text: Buffer | null = null;
    for (const file of CODEOWNERS_PATHS) {
      text = await this.repos.readFile(repo, baseSha, file);
      if (text) break;
    }
    if (!text) return null;
    const rules = parseCodeOwners(text.toString('utf8'));
    for (const file of await this.repos.changedFiles(
      repo,
      baseSha,
      pr.head.sha,
    )) {
      const owners = ownersOf(rules, file);
      if (owners.length > 0 && !approvers.some(a => isOwner(owners, a))) {
        return ownerList(owners);
      }
    }
    return null;
  }

  /**
   * Why a required status check does not pass on the head, or null
   * (docs.github.com, "Troubleshooting required status checks": "all
   * required checks must pass against the latest commit SHA"; a check bound
   * to an app counts only the app's statuses, protection.ts checkFailure).
   */
  private checksBlock(
    repo: RepoRecord,
    pr: PullRecord,
    p: BranchProtection,
  ): string | null {
    for (const check of requiredChecks(p)) {
      const failure = checkFailure(check, repo.statuses[pr.head.sha] ?? []);
      if (failure) return failure;
    }
    return null;
  }
}
