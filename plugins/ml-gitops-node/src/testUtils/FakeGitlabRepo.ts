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
 * A GitLab project for msw whose repository is a real Git repository on
 * disk (a GitBackedRepo's bare remote): branches, files and commits are read
 * from it with git, and commits made through the API are written into it, so
 * what `git clone`/`git push` see and what the REST API answers are one
 * repository. Merge requests, approvals, users, protection, approval rules
 * and members live in memory. Answers take the shapes of gitlabAnswers.ts
 * (docs.gitlab.com/api); statuses and messages of refusals are GitLab's, as
 * its API docs and its `lib/api` return them ("404 Branch Not Found",
 * "Branch already exists", "A file with this name doesn't exist").
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { http, HttpResponse } from 'msw';
import {
  FieldNode,
  OperationDefinitionNode,
  parse,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import type { GitBackedRepo } from './GitBackedRepo';
import {
  gitlabApprovalRule,
  gitlabApprovals,
  gitlabBranch,
  gitlabCommit,
  GitlabCommitFacts,
  gitlabFile,
  gitlabGroup,
  gitlabId,
  gitlabMember,
  gitlabMergeRequest,
  GitlabMergeRequestFacts,
  gitlabNamespace,
  gitlabNote,
  gitlabPage,
  gitlabProject,
  gitlabProtectedBranch,
  gitlabUser,
} from './gitlabAnswers';

/** A merge request the fake knows, with who approved it. @public */
export type FakeMergeRequest = GitlabMergeRequestFacts & {
  approvedBy: string[];
  notes: string[];
};

/** A user of the fake GitLab. @public */
export type FakeGitlabUser = { id: number; username: string; bot: boolean };

type Route = [
  string,
  RegExp,
  (
    m: RegExpExecArray,
    url: URL,
    request: Request,
  ) => Promise<Response> | Response,
];

/** GitLab's refusal: `{"message": …}`, a string or, for validation, an object or list. */
const message = (status: number, text: unknown) =>
  HttpResponse.json({ message: text }, { status });

/**
 * GitLab's REST API v4 subset of the config-repo client and writer, and
 * its GraphQL `projects(fullPaths:) { repository { commit(ref:) } }`, for
 * one project backed by {@link GitBackedRepo}.
 * @public
 */
export class FakeGitlabRepo {
  readonly projectId: number;
  readonly mergeRequests: FakeMergeRequest[] = [];
  readonly users = new Map<string, FakeGitlabUser>();
  readonly groups = new Map<string, number>();
  readonly protectedBranches: Array<ReturnType<typeof gitlabProtectedBranch>> =
    [];
  readonly approvalRules: Array<ReturnType<typeof gitlabApprovalRule>> = [];
  readonly members: Array<{ userId: number; accessLevel: number }> = [];
  readonly shares: Array<{ groupId: number; groupAccess: number }> = [];
  readonly settings: {
    exists: boolean;
    defaultBranch: string | null;
    onlyAllowMergeIfPipelineSucceeds: boolean;
    visibility: 'private' | 'internal' | 'public';
  } = {
    exists: true,
    defaultBranch: null,
    onlyAllowMergeIfPipelineSucceeds: false,
    visibility: 'private',
  };
  /** The GitLab tier: approval rules and code-owner approval need Premium. */
  premium = true;
  /** GitLab 17.10 and later answer `Repository.commit(ref:)` in GraphQL. */
  graphqlCommitField = true;
  /** The token's user (`GET /user`), author of commits made through the API. */
  tokenUser = 'ml-gitops-bot';
  /** Every request the fake answered: method and path. */
  readonly requests: string[] = [];

  constructor(
    readonly git: GitBackedRepo,
    readonly fullPath: string,
    readonly web = 'https://gitlab.example.com',
  ) {
    this.projectId = gitlabId(fullPath);
    this.user(this.tokenUser, { bot: true });
  }

  get url(): string {
    return `${this.web}/${this.fullPath}`;
  }

  /** Adds a user (id from the name). */
  user(username: string, options: { bot?: boolean } = {}): FakeGitlabUser {
    const user = {
      id: gitlabId(username),
      username,
      bot: options.bot ?? false,
    };
    this.users.set(username, user);
    return user;
  }

  /** Records a merged merge request of `sourceBranch` whose merge commit is `mergeCommitSha`. */
  merged(mr: {
    sourceBranch: string;
    targetBranch: string;
    sha: string;
    mergeCommitSha: string;
    mergedBy: string;
    author: string;
    approvedBy?: string[];
    title?: string;
    description?: string;
    labels?: string[];
    mergedAt?: string;
  }): FakeMergeRequest {
    for (const name of [mr.author, mr.mergedBy, ...(mr.approvedBy ?? [])]) {
      if (!this.users.has(name)) this.user(name);
    }
    const record: FakeMergeRequest = {
      iid: this.mergeRequests.length + 1,
      projectId: this.projectId,
      title: mr.title ?? `Merge ${mr.sourceBranch}`,
      description: mr.description ?? '',
      state: 'merged',
      sourceBranch: mr.sourceBranch,
      targetBranch: mr.targetBranch,
      sha: mr.sha,
      mergeCommitSha: mr.mergeCommitSha,
      mergedAt: mr.mergedAt ?? new Date().toISOString(),
      mergedBy: mr.mergedBy,
      author: {
        username: mr.author,
        id: this.users.get(mr.author)!.id,
      },
      labels: mr.labels ?? [],
      approvedBy: mr.approvedBy ?? [],
      notes: [],
    };
    this.mergeRequests.push(record);
    return record;
  }

  /** `git` in the bare repository the API answers from. */
  gitIn(args: string[], input?: string, env: Record<string, string> = {}) {
    return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], {
      cwd: this.git.bare,
      env: {
        PATH: process.env.PATH,
        HOME: os.tmpdir(),
        GIT_CONFIG_NOSYSTEM: '1',
        ...env,
      },
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    }).trim();
  }

  private tryGit(args: string[]): string | undefined {
    try {
      return this.gitIn(args);
    } catch {
      return undefined;
    }
  }

  /** The branches, sorted by name as GitLab lists them. */
  branches(): Array<[string, string]> {
    // GitLab sorts by name in byte order, not by locale.
    return [...this.git.branches().entries()].sort(([a], [b]) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
  }

  private resolve(ref: string): string | undefined {
    return this.tryGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  }

  private commitFacts(sha: string): GitlabCommitFacts {
    const [id, parents, an, ae, ad, cn, ce, cd, body] = this.gitIn([
      'log',
      '-1',
      '--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B',
      sha,
    ]).split('\0');
    const iso = (d: string) => new Date(d).toISOString();
    return {
      id,
      parentIds: parents.split(' ').filter(Boolean),
      message: body,
      authorName: an,
      authorEmail: ae,
      authoredDate: iso(ad),
      committerName: cn,
      committerEmail: ce,
      committedDate: iso(cd),
    };
  }

  private branchAnswer(name: string, sha: string) {
    return gitlabBranch(this.fullPath, name, this.commitFacts(sha), {
      web: this.web,
      protected: this.protectedBranches.some(p => p.name === name),
      default: this.settings.defaultBranch === name,
    });
  }

  private mr(m: FakeMergeRequest) {
    return gitlabMergeRequest(this.fullPath, m, { web: this.web });
  }

  private isProject(id: string): boolean {
    const decoded = decodeURIComponent(id);
    return (
      decoded.toLowerCase() === this.fullPath.toLowerCase() ||
      decoded === String(this.projectId)
    );
  }

  /** msw handlers for `<web>/api/v4` and `<web>/api/graphql`. */
  handlers(apiBase = `${this.web}/api/v4`) {
    const routes = this.routes();
    return [
      http.post(
        `${apiBase.replace(/\/v4$/, '')}/graphql`,
        async ({ request }) => this.graphql(request),
      ),
      http.all(`${apiBase}/*`, async ({ request }) => {
        const url = new URL(request.url);
        const rest = url.pathname.slice(new URL(apiBase).pathname.length);
        const project = /^\/projects\/([^/]+)/.exec(rest);
        if (project && !this.isProject(project[1])) return undefined;
        if (project && !this.settings.exists) {
          return message(404, '404 Project Not Found');
        }
        this.requests.push(`${request.method} ${rest}`);
        for (const [method, pattern, answer] of routes) {
          if (method !== request.method) continue;
          const match = pattern.exec(rest);
          if (match) return answer(match, url, request);
        }
        return undefined;
      }),
    ];
  }

  private routes(): Route[] {
    const P = '^/projects/[^/]+';
    return [
      ['GET', new RegExp(`${P}$`), () => HttpResponse.json(this.project())],
      [
        'PUT',
        new RegExp(`${P}$`),
        async (_m, _u, request) => {
          const body = (await request.json()) as Record<string, unknown>;
          if (typeof body.default_branch === 'string') {
            if (!this.resolve(`refs/heads/${body.default_branch}`)) {
              return message(400, "Default branch doesn't exist");
            }
            this.settings.defaultBranch = body.default_branch;
          }
          if (typeof body.only_allow_merge_if_pipeline_succeeds === 'boolean') {
            this.settings.onlyAllowMergeIfPipelineSucceeds =
              body.only_allow_merge_if_pipeline_succeeds;
          }
          return HttpResponse.json(this.project());
        },
      ],
      [
        'GET',
        new RegExp(`${P}/repository/branches$`),
        (_m, url) => {
          const page = gitlabPage(
            url,
            this.branches().map(([n, s]) => this.branchAnswer(n, s)),
          );
          return HttpResponse.json(page.body, { headers: page.headers });
        },
      ],
      [
        'GET',
        new RegExp(`${P}/repository/branches/([^/]+)$`),
        m => {
          const name = decodeURIComponent(m[1]);
          const sha = this.git.branches().get(name);
          return sha
            ? HttpResponse.json(this.branchAnswer(name, sha))
            : message(404, '404 Branch Not Found');
        },
      ],
      [
        'POST',
        new RegExp(`${P}/repository/branches$`),
        (_m, url) => {
          const name = url.searchParams.get('branch') ?? '';
          const ref = url.searchParams.get('ref') ?? '';
          if (this.git.branches().has(name)) {
            return message(400, 'Branch already exists');
          }
          const sha = this.resolve(ref);
          if (!sha) return message(400, 'Invalid reference name');
          this.gitIn(['update-ref', `refs/heads/${name}`, sha]);
          return HttpResponse.json(this.branchAnswer(name, sha), {
            status: 201,
          });
        },
      ],
      [
        'DELETE',
        new RegExp(`${P}/repository/branches/([^/]+)$`),
        m => {
          const name = decodeURIComponent(m[1]);
          if (!this.git.branches().has(name)) {
            return message(404, '404 Branch Not Found');
          }
          if (this.protectedBranches.some(p => p.name === name)) {
            return message(403, '403 Forbidden');
          }
          this.gitIn(['update-ref', '-d', `refs/heads/${name}`]);
          return new HttpResponse(null, { status: 204 });
        },
      ],
      [
        'GET',
        new RegExp(`${P}/repository/files/([^/]+)(/raw)?$`),
        (m, url) => this.file(decodeURIComponent(m[1]), url, Boolean(m[2])),
      ],
      [
        'GET',
        new RegExp(`${P}/repository/commits/([^/]+)$`),
        m => {
          const sha = this.resolve(decodeURIComponent(m[1]));
          return sha
            ? HttpResponse.json(
                gitlabCommit(this.fullPath, this.commitFacts(sha), {
                  web: this.web,
                }),
              )
            : message(404, '404 Commit Not Found');
        },
      ],
      [
        'GET',
        new RegExp(`${P}/repository/commits/([^/]+)/merge_requests$`),
        m => {
          const sha = decodeURIComponent(m[1]);
          return HttpResponse.json(
            this.mergeRequests
              .filter(
                r =>
                  r.mergeCommitSha === sha ||
                  r.squashCommitSha === sha ||
                  r.sha === sha,
              )
              .map(r => this.mr(r)),
          );
        },
      ],
      [
        'POST',
        new RegExp(`${P}/repository/commits$`),
        async (_m, _u, request) => this.createCommit(await request.json()),
      ],
      [
        'GET',
        new RegExp(`${P}/merge_requests$`),
        (_m, url) => {
          const q = url.searchParams;
          const list = this.mergeRequests
            .filter(
              r =>
                (!q.get('state') ||
                  q.get('state') === 'all' ||
                  r.state === q.get('state')) &&
                (!q.get('source_branch') ||
                  r.sourceBranch === q.get('source_branch')) &&
                (!q.get('target_branch') ||
                  r.targetBranch === q.get('target_branch')),
            )
            .reverse()
            .map(r => this.mr(r));
          const page = gitlabPage(url, list);
          return HttpResponse.json(page.body, { headers: page.headers });
        },
      ],
      [
        'POST',
        new RegExp(`${P}/merge_requests$`),
        async (_m, _u, request) => this.openMergeRequest(await request.json()),
      ],
      [
        'GET',
        new RegExp(`${P}/merge_requests/(\\d+)$`),
        m => {
          const r = this.mergeRequests.find(x => x.iid === Number(m[1]));
          return r
            ? HttpResponse.json(this.mr(r))
            : message(404, '404 Not found');
        },
      ],
      [
        'PUT',
        new RegExp(`${P}/merge_requests/(\\d+)$`),
        async (m, _u, request) =>
          this.updateMergeRequest(Number(m[1]), await request.json()),
      ],
      [
        'POST',
        new RegExp(`${P}/merge_requests/(\\d+)/notes$`),
        async (m, _u, request) => {
          const r = this.mergeRequests.find(x => x.iid === Number(m[1]));
          if (!r) return message(404, '404 Not found');
          const { body } = (await request.json()) as { body: string };
          r.notes.push(body);
          return HttpResponse.json(
            gitlabNote(
              { id: r.notes.length, body, author: this.tokenUser, iid: r.iid },
              { web: this.web },
            ),
            { status: 201 },
          );
        },
      ],
      [
        'GET',
        new RegExp(`${P}/merge_requests/(\\d+)/approvals$`),
        m => {
          const r = this.mergeRequests.find(x => x.iid === Number(m[1]));
          return r
            ? HttpResponse.json(
                gitlabApprovals(r, r.approvedBy, { web: this.web }),
              )
            : message(404, '404 Not found');
        },
      ],
      [
        'GET',
        new RegExp(`${P}/protected_branches$`),
        () => HttpResponse.json(this.protectedBranches),
      ],
      [
        'POST',
        new RegExp(`${P}/protected_branches$`),
        async (_m, url, request) => this.protect(url, request),
      ],
      [
        'DELETE',
        new RegExp(`${P}/protected_branches/([^/]+)$`),
        m => {
          const i = this.protectedBranches.findIndex(
            p => p.name === decodeURIComponent(m[1]),
          );
          if (i < 0) return message(404, '404 Not found');
          this.protectedBranches.splice(i, 1);
          return new HttpResponse(null, { status: 204 });
        },
      ],
      [
        'GET',
        new RegExp(`${P}/approval_rules$`),
        () =>
          this.premium
            ? HttpResponse.json(this.approvalRules)
            : message(403, '403 Forbidden'),
      ],
      [
        'POST',
        new RegExp(`${P}/approval_rules$`),
        async (_m, _u, request) => {
          if (!this.premium) return message(403, '403 Forbidden');
          const body = (await request.json()) as {
            name: string;
            rule_type?: string;
            approvals_required: number;
            protected_branch_ids?: number[];
          };
          if (this.approvalRules.some(r => r.name === body.name)) {
            return message(400, { name: ['has already been taken'] });
          }
          const rule = gitlabApprovalRule({
            id: this.approvalRules.length + 1,
            name: body.name,
            ruleType:
              body.rule_type === 'any_approver' ? 'any_approver' : 'regular',
            approvalsRequired: body.approvals_required,
            protectedBranches: this.protectedBranches
              .filter(p => body.protected_branch_ids?.includes(p.id))
              .map(p => ({ id: p.id, name: p.name })),
          });
          this.approvalRules.push(rule);
          return HttpResponse.json(rule, { status: 201 });
        },
      ],
      [
        'POST',
        new RegExp(`${P}/members$`),
        async (_m, _u, request) => {
          const body = (await request.json()) as {
            user_id: number;
            access_level: number;
          };
          const user = [...this.users.values()].find(
            u => u.id === body.user_id,
          );
          if (!user) return message(404, '404 User Not Found');
          if (this.members.some(x => x.userId === body.user_id)) {
            return message(409, 'Member already exists');
          }
          this.members.push({
            userId: body.user_id,
            accessLevel: body.access_level,
          });
          return HttpResponse.json(
            gitlabMember(user.username, body.access_level, { id: user.id }),
            { status: 201 },
          );
        },
      ],
      [
        'POST',
        new RegExp(`${P}/share$`),
        async (_m, _u, request) => {
          const body = (await request.json()) as {
            group_id: number;
            group_access: number;
          };
          if (this.shares.some(s => s.groupId === body.group_id)) {
            return message(409, { group_id: ['has already been taken'] });
          }
          this.shares.push({
            groupId: body.group_id,
            groupAccess: body.group_access,
          });
          return HttpResponse.json(
            {
              id: this.shares.length,
              project_id: this.projectId,
              group_id: body.group_id,
              group_access: body.group_access,
              expires_at: null,
            },
            { status: 201 },
          );
        },
      ],
      [
        'GET',
        /^\/users$/,
        (_m, url) => {
          const user = this.users.get(url.searchParams.get('username') ?? '');
          return HttpResponse.json(
            user ? [gitlabUser(user.username, { ...user, web: this.web })] : [],
          );
        },
      ],
      [
        'GET',
        /^\/users\/(\d+)$/,
        m => {
          const user = [...this.users.values()].find(
            u => u.id === Number(m[1]),
          );
          return user
            ? HttpResponse.json(
                gitlabUser(user.username, { ...user, web: this.web }),
              )
            : message(404, '404 User Not Found');
        },
      ],
      [
        'GET',
        /^\/user$/,
        () => {
          const user = this.users.get(this.tokenUser)!;
          return HttpResponse.json(
            gitlabUser(user.username, { ...user, web: this.web }),
          );
        },
      ],
      [
        'GET',
        /^\/groups\/([^/]+)$/,
        m => {
          const fullPath = decodeURIComponent(m[1]);
          const id = this.groups.get(fullPath);
          return id
            ? HttpResponse.json(
                gitlabGroup({ id, fullPath }, { web: this.web }),
              )
            : message(404, '404 Group Not Found');
        },
      ],
      [
        'GET',
        /^\/namespaces\/([^/]+)$/,
        m => {
          const fullPath = decodeURIComponent(m[1]);
          const id = this.groups.get(fullPath);
          return id
            ? HttpResponse.json(
                gitlabNamespace(
                  { id, kind: 'group', fullPath },
                  { web: this.web },
                ),
              )
            : message(404, '404 Namespace Not Found');
        },
      ],
      [
        'POST',
        /^\/projects$/,
        async (_m, _u, request) => {
          const body = (await request.json()) as {
            path: string;
            namespace_id: number;
            visibility?: 'private' | 'internal' | 'public';
          };
          const namespace = [...this.groups.entries()].find(
            ([, id]) => id === body.namespace_id,
          );
          if (
            !namespace ||
            `${namespace[0]}/${body.path}`.toLowerCase() !==
              this.fullPath.toLowerCase()
          ) {
            return message(404, '404 Namespace Not Found');
          }
          if (this.settings.exists) {
            return message(400, { path: ['has already been taken'] });
          }
          this.settings.exists = true;
          this.settings.visibility = body.visibility ?? 'private';
          return HttpResponse.json(this.project(), { status: 201 });
        },
      ],
    ];
  }

  private project() {
    const owner = this.fullPath.split('/').slice(0, -1).join('/');
    return gitlabProject(
      {
        id: this.projectId,
        fullPath: this.fullPath,
        namespace: {
          id: this.groups.get(owner) ?? gitlabId(owner),
          kind: 'group',
          fullPath: owner,
        },
        defaultBranch: this.settings.defaultBranch,
        visibility: this.settings.visibility,
        onlyAllowMergeIfPipelineSucceeds:
          this.settings.onlyAllowMergeIfPipelineSucceeds,
      },
      { web: this.web },
    );
  }

  private file(filePath: string, url: URL, raw: boolean) {
    const ref = url.searchParams.get('ref') ?? '';
    const sha = this.resolve(ref);
    const blob =
      sha &&
      this.tryGit(['rev-parse', '--verify', '--quiet', `${sha}:${filePath}`]);
    if (!sha || !blob) return message(404, '404 File Not Found');
    // Read untrimmed: the text exactly as committed.
    const text = execFileSync('git', ['cat-file', 'blob', blob], {
      cwd: this.git.bare,
      encoding: 'utf8',
    });
    if (raw) {
      return new HttpResponse(text, {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    return HttpResponse.json(
      gitlabFile({
        path: filePath,
        content: text,
        ref,
        blobId: blob,
        commitId: sha,
        lastCommitId: this.gitIn([
          'log',
          '-1',
          '--format=%H',
          sha,
          '--',
          filePath,
        ]),
      }),
    );
  }

  /** `POST /projects/:id/repository/commits`, written with git plumbing. */
  private createCommit(input: unknown) {
    const body = input as {
      branch: string;
      start_branch?: string;
      start_sha?: string;
      commit_message: string;
      author_name?: string;
      author_email?: string;
      force?: boolean;
      actions: Array<{
        action: 'create' | 'update' | 'delete';
        file_path: string;
        content?: string;
        encoding?: 'text' | 'base64';
        last_commit_id?: string;
      }>;
    };
    const existing = this.git.branches().get(body.branch);
    const startRef = body.start_sha ?? body.start_branch;
    if (existing && startRef && !body.force) {
      return message(
        400,
        `A branch called '${body.branch}' already exists. Switch to that branch in order to make changes`,
      );
    }
    const start = startRef ? this.resolve(startRef) : existing;
    if (startRef && !start) return message(400, 'Invalid reference name');
    if (!start && !existing && this.git.branches().size > 0) {
      return message(
        400,
        'You can only create or edit files when you are on a branch',
      );
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-gl-index-'));
    const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
    try {
      if (start) this.gitIn(['read-tree', start], undefined, env);
      for (const action of body.actions) {
        const at = start
          ? this.tryGit([
              'rev-parse',
              '--verify',
              '--quiet',
              `${start}:${action.file_path}`,
            ])
          : undefined;
        if (action.action === 'create' && at) {
          return message(400, 'A file with this name already exists');
        }
        if (action.action !== 'create' && !at) {
          return message(400, "A file with this name doesn't exist");
        }
        if (action.last_commit_id && start) {
          const last = this.gitIn([
            'log',
            '-1',
            '--format=%H',
            start,
            '--',
            action.file_path,
          ]);
          if (last !== action.last_commit_id) {
            return message(
              400,
              `The file has changed since you started editing it: ${action.file_path}`,
            );
          }
        }
        if (action.action === 'delete') {
          this.gitIn(
            ['update-index', '--force-remove', action.file_path],
            undefined,
            env,
          );
          continue;
        }
        const content =
          action.encoding === 'base64'
            ? Buffer.from(action.content ?? '', 'base64').toString('utf8')
            : action.content ?? '';
        const blob = this.gitIn(['hash-object', '-w', '--stdin'], content);
        this.gitIn(
          [
            'update-index',
            '--add',
            '--cacheinfo',
            `100644,${blob},${action.file_path}`,
          ],
          undefined,
          env,
        );
      }
      const tree = this.gitIn(['write-tree'], undefined, env);
      const user = this.users.get(this.tokenUser)!;
      const name = body.author_name ?? user.username;
      const email = body.author_email ?? `${user.username}@example.com`;
      const sha = this.gitIn(
        [
          'commit-tree',
          tree,
          ...(start ? ['-p', start] : []),
          '-m',
          body.commit_message,
        ],
        undefined,
        {
          GIT_AUTHOR_NAME: name,
          GIT_AUTHOR_EMAIL: email,
          GIT_COMMITTER_NAME: user.username,
          GIT_COMMITTER_EMAIL: `${user.username}@example.com`,
        },
      );
      this.gitIn(['update-ref', `refs/heads/${body.branch}`, sha]);
      return HttpResponse.json(
        gitlabCommit(this.fullPath, this.commitFacts(sha), { web: this.web }),
        { status: 201 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private openMergeRequest(input: unknown) {
    const body = input as {
      source_branch: string;
      target_branch: string;
      title: string;
      description?: string;
      labels?: string;
      reviewer_ids?: number[];
    };
    const sha = this.git.branches().get(body.source_branch);
    if (!sha || !this.git.branches().has(body.target_branch)) {
      return message(400, 'Invalid source or target branch');
    }
    const open = this.mergeRequests.find(
      r =>
        r.state === 'opened' &&
        r.sourceBranch === body.source_branch &&
        r.targetBranch === body.target_branch,
    );
    if (open) {
      return message(409, [
        `Another open merge request already exists for this source branch: !${open.iid}`,
      ]);
    }
    const record: FakeMergeRequest = {
      iid: this.mergeRequests.length + 1,
      projectId: this.projectId,
      title: body.title,
      description: body.description ?? '',
      state: 'opened',
      sourceBranch: body.source_branch,
      targetBranch: body.target_branch,
      sha,
      author: {
        username: this.tokenUser,
        id: this.users.get(this.tokenUser)!.id,
      },
      labels: body.labels ? body.labels.split(',').filter(Boolean) : [],
      reviewers: this.usernames(body.reviewer_ids),
      approvedBy: [],
      notes: [],
    };
    this.mergeRequests.push(record);
    return HttpResponse.json(this.mr(record), { status: 201 });
  }

  private usernames(ids: number[] | undefined): string[] {
    return (ids ?? []).flatMap(id => {
      const user = [...this.users.values()].find(u => u.id === id);
      return user ? [user.username] : [];
    });
  }

  private updateMergeRequest(iid: number, input: unknown) {
    const r = this.mergeRequests.find(x => x.iid === iid);
    if (!r) return message(404, '404 Not found');
    const body = input as {
      title?: string;
      description?: string;
      state_event?: 'close' | 'reopen';
      add_labels?: string;
      reviewer_ids?: number[];
    };
    if (body.title !== undefined) r.title = body.title;
    if (body.description !== undefined) r.description = body.description;
    if (body.state_event === 'close' && r.state === 'opened')
      r.state = 'closed';
    if (body.add_labels) {
      const labels = new Set(r.labels ?? []);
      for (const l of body.add_labels.split(',')) if (l) labels.add(l);
      r.labels = [...labels];
    }
    if (body.reviewer_ids) r.reviewers = this.usernames(body.reviewer_ids);
    return HttpResponse.json(this.mr(r));
  }

  private async protect(url: URL, request: Request) {
    const body = {
      ...Object.fromEntries(url.searchParams),
      ...((await request.json().catch(() => ({}))) as Record<string, unknown>),
    } as {
      name: string;
      push_access_level?: number;
      merge_access_level?: number;
      allow_force_push?: boolean;
      code_owner_approval_required?: boolean;
    };
    if (this.protectedBranches.some(p => p.name === body.name)) {
      return message(409, 'Protected branch already exists');
    }
    if (body.code_owner_approval_required && !this.premium) {
      return message(403, '403 Forbidden');
    }
    const rule = gitlabProtectedBranch({
      id: this.protectedBranches.length + 1,
      name: body.name,
      pushAccessLevel: Number(body.push_access_level ?? 40),
      mergeAccessLevel: Number(body.merge_access_level ?? 40),
      allowForcePush: String(body.allow_force_push) === 'true',
      codeOwnerApprovalRequired:
        String(body.code_owner_approval_required) === 'true',
    });
    this.protectedBranches.push(rule);
    return HttpResponse.json(rule, { status: 201 });
  }

  /**
   * `projects(fullPaths:) { nodes { fullPath repository { <alias>: commit(ref:) { sha } } } }`
   * for this project (others are left out, as GitLab leaves out projects it
   * does not find); a GitLab before 17.10 refuses the field.
   */
  private async graphql(request: Request) {
    const { query, variables = {} } = (await request.json()) as {
      query: string;
      variables?: Record<string, unknown>;
    };
    if (!this.graphqlCommitField && /\bcommit\s*\(/.test(query)) {
      return HttpResponse.json({
        errors: [
          {
            message: "Field 'commit' doesn't exist on type 'Repository'",
            locations: [{ line: 1, column: 1 }],
            path: ['query', 'projects', 'nodes', 'repository', 'commit'],
            extensions: {
              code: 'undefinedField',
              typeName: 'Repository',
              fieldName: 'commit',
            },
          },
        ],
      });
    }
    const value = (node: ValueNode): unknown => {
      if (node.kind === 'Variable') return variables[node.name.value];
      if (node.kind === 'ListValue') return node.values.map(value);
      if (node.kind === 'IntValue') return Number(node.value);
      return 'value' in node ? node.value : null;
    };
    const field = (set: SelectionSetNode | undefined, name: string) =>
      set?.selections.find(
        (s): s is FieldNode => s.kind === 'Field' && s.name.value === name,
      );
    const op = parse(query).definitions[0] as OperationDefinitionNode;
    const projects = field(op.selectionSet, 'projects')!;
    const paths = value(
      projects.arguments!.find(a => a.name.value === 'fullPaths')!.value,
    ) as string[];
    const repository = field(
      field(projects.selectionSet, 'nodes')?.selectionSet,
      'repository',
    );
    const nodes = paths.some(
      p => p.toLowerCase() === this.fullPath.toLowerCase(),
    )
      ? [
          {
            fullPath: this.fullPath,
            repository: Object.fromEntries(
              (repository?.selectionSet?.selections ?? [])
                .filter((s): s is FieldNode => s.kind === 'Field')
                .map(s => {
                  const ref = String(
                    value(
                      s.arguments!.find(a => a.name.value === 'ref')!.value,
                    ),
                  );
                  const sha = this.resolve(`refs/heads/${ref}`);
                  return [s.alias?.value ?? s.name.value, sha ? { sha } : null];
                }),
            ),
          },
        ]
      : [];
    return HttpResponse.json({ data: { projects: { nodes } } });
  }
}
