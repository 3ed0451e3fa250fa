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

import { createHash } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { answerGraphql } from './fakeGithubGraphql';
import {
  githubBranch,
  githubCommit,
  githubContentFile,
  githubFileCommit,
  githubGitCommit,
  githubId,
  githubInvitation,
  githubIssueComment,
  githubLabel,
  githubPull,
  githubRef,
  githubReview,
  githubShortBlob,
  githubTree,
} from './githubAnswers';

/**
 * An in-memory GitHub for msw: commits with parents and files, branches and
 * merged pull requests with reviews, answered with the payload shapes of
 * GitHub's REST API (only the fields the backend reads, plus a few others).
 * @public
 */
export type FakeCommit = {
  sha: string;
  parents: string[];
  message: string;
  login?: string;
  name: string;
  date: string;
  files: Record<string, string>;
};

/** @public */
export type FakePull = {
  number: number;
  mergeCommit: string;
  base: string;
  head: string;
  mergedAt: string;
  mergedBy: string;
  /** Approved the merged head. */
  approvers: string[];
  /**
   * Further reviews, listed after the approvers' (GitHub lists reviews in
   * the order they were submitted); `commit` defaults to the merged head.
   */
  reviews?: Array<{
    user: string;
    state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
    commit?: string;
  }>;
  title?: string;
  labels?: string[];
  /** Who opened it; `userType: 'Bot'` for an app's account. */
  user?: string;
  userType?: 'User' | 'Bot';
  body?: string;
  /** The head commit it merged, when its branch is gone. */
  headSha?: string;
};

/** A pull request opened through the fake's write API. @public */
export type FakeOpenedPull = {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
  state?: 'open' | 'closed';
  comments?: string[];
};

/** Fakes whose handlers were asked for, by API base, then `owner/repo`. */
const fakesByApi = new Map<string, Map<string, FakeGithubRepo>>();

/** GitHub's GraphQL endpoint beside a REST API base. */
function graphqlUrl(apiBase: string): string {
  const base = apiBase.replace(/\/+$/, '');
  return /\/api\/v3$/.test(base)
    ? `${base.slice(0, -'/v3'.length)}/graphql`
    : `${base}/graphql`;
}

/** @public */
export class FakeGithubRepo {
  readonly commits = new Map<string, FakeCommit>();
  /** Pull requests opened through {@link FakeGithubRepo.writeHandlers}. */
  readonly opened: FakeOpenedPull[] = [];
  /**
   * Who has access to the repo: when set, review requests for anyone else
   * are refused as GitHub refuses them. Logins and team slugs.
   */
  collaborators?: Set<string>;
  /** Access given through the API: `user:<login>` / `team:<org>/<slug>` → permission. */
  readonly access = new Map<string, string>();
  readonly branches = new Map<string, string>();
  readonly pulls: FakePull[] = [];
  readonly calls: string[] = [];
  /** Blobs and trees made through the Git database API. */
  private readonly blobs = new Map<string, string>();
  private readonly trees = new Map<string, Record<string, string>>();
  private counter = 0;

  constructor(readonly owner: string, readonly repo: string) {}

  commit(options: {
    branch: string;
    parents?: string[];
    message: string;
    login?: string;
    name?: string;
    date: string;
    files: Record<string, string>;
  }): string {
    const parents =
      options.parents ??
      (this.branches.has(options.branch)
        ? [this.branches.get(options.branch)!]
        : []);
    const parentFiles = parents[0] ? this.commits.get(parents[0])!.files : {};
    const sha = this.storeCommit({
      ...options,
      parents,
      files: { ...parentFiles, ...options.files },
    });
    this.branches.set(options.branch, sha);
    return sha;
  }

  /** Stores a commit with exactly these files, on no branch. */
  storeCommit(options: {
    parents: string[];
    message: string;
    login?: string;
    name?: string;
    date: string;
    files: Record<string, string>;
  }): string {
    this.counter += 1;
    const sha = createHash('sha1')
      .update(`${this.repo}:${this.counter}:${options.message}`)
      .digest('hex');
    this.commits.set(sha, {
      sha,
      parents: options.parents,
      message: options.message,
      login: options.login,
      name: options.name ?? options.login ?? 'someone',
      date: options.date,
      files: options.files,
    });
    return sha;
  }

  /** Whether `ancestor` is `sha` or one of its ancestors. */
  isAncestor(ancestor: string, sha: string): boolean {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next === ancestor) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(this.commits.get(next)?.parents ?? []));
    }
    return false;
  }

  handlers(apiBase = 'https://api.github.com') {
    const base = `${apiBase}/repos/${this.owner}/${this.repo}`;
    const fullName = `${this.owner}/${this.repo}`;
    const site = { api: apiBase };
    const notFound = () =>
      HttpResponse.json(
        {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest',
          status: '404',
        },
        { status: 404 },
      );
    const record = (what: string) => this.calls.push(what);
    let fakes = fakesByApi.get(apiBase);
    if (!fakes) {
      fakes = new Map();
      fakesByApi.set(apiBase, fakes);
    }
    fakes.set(`${this.owner}/${this.repo}`.toLowerCase(), this);
    return [
      // Shared by every fake of this API base: branch heads of many repos.
      http.post(graphqlUrl(apiBase), async ({ request }) =>
        HttpResponse.json(
          answerGraphql(
            fakesByApi.get(apiBase) ?? new Map(),
            (await request.json()) as never,
          ),
        ),
      ),
      // GitHub lists branches sorted by name, 30 a page by default and at
      // most 100 (per_page), with a Link header whose URLs name the repo by
      // id (docs.github.com, "List branches" and "Using pagination in the
      // REST API"). ETags are per answer and per token: the same page read
      // with another token is answered 200, not 304.
      http.get(`${base}/branches`, ({ request }) => {
        record('branches');
        const all = [...this.branches.entries()]
          .sort(([a], [b]) => Number(a > b) - Number(a < b))
          .map(([name, sha]) =>
            githubBranch(fullName, name, sha, {
              ...site,
              protected: name === 'production',
            }),
          );
        const { body, headers } = githubPage(apiBase, 'branches', request, all);
        headers.etag = `W/"${createHash('sha1')
          .update(JSON.stringify(body))
          .update(request.headers.get('authorization') ?? '')
          .digest('hex')}"`;
        if (request.headers.get('if-none-match') === headers.etag) {
          return new HttpResponse(null, { status: 304, headers });
        }
        return HttpResponse.json(body, { headers });
      }),
      http.get(`${base}/commits/:sha/pulls`, ({ params }) => {
        record(`pulls-of:${String(params.sha).slice(0, 7)}`);
        return HttpResponse.json(
          this.pulls
            .filter(p => p.mergeCommit === params.sha)
            .map(p => githubPull(fullName, this.mergedPullOptions(p, site))),
        );
      }),
      http.get(`${base}/commits/:sha`, ({ params }) => {
        record(`commit:${String(params.sha).slice(0, 7)}`);
        const c = this.commits.get(String(params.sha));
        if (!c) return notFound();
        return HttpResponse.json(
          githubCommit(fullName, {
            ...site,
            sha: c.sha,
            parents: c.parents,
            message: c.message,
            name: c.name,
            date: c.date,
            login: c.login,
            files: [],
          }),
        );
      }),
      http.get(`${base}/contents/*`, ({ request, params }) => {
        const path = String(params[0]);
        const ref = new URL(request.url).searchParams.get('ref') ?? '';
        record(`contents:${path}@${ref.slice(0, 7)}`);
        const sha = this.branches.get(ref) ?? ref;
        const content = this.commits.get(sha)?.files[path];
        if (content === undefined) return notFound();
        return new HttpResponse(content, {
          headers: { 'content-type': 'application/vnd.github.raw+json' },
        });
      }),
      http.get(`${base}/pulls/:number/reviews`, ({ params, request }) => {
        record(`reviews:${params.number}`);
        const pull = this.pulls.find(p => p.number === Number(params.number));
        if (!pull) return notFound();
        const { body, headers } = githubPage(
          apiBase,
          `pulls/${pull.number}/reviews`,
          request,
          [
            ...pull.approvers.map(user => ({
              user,
              state: 'APPROVED',
              commit: undefined as string | undefined,
            })),
            ...(pull.reviews ?? []),
          ].map((review, id) =>
            githubReview(fullName, {
              ...site,
              id: id + 1,
              pull: pull.number,
              user: review.user,
              state: review.state,
              // The head sha the pull's answers give (githubPull's
              // stand-in when the fake knows none).
              commitId:
                review.commit ??
                pull.headSha ??
                this.branches.get(pull.head) ??
                '0'.repeat(40),
              submittedAt: pull.mergedAt,
            }),
          ),
        );
        return HttpResponse.json(body, { headers });
      }),
      http.get(`${base}/pulls/:number`, ({ params }) => {
        record(`pull:${params.number}`);
        const pull = this.pulls.find(p => p.number === Number(params.number));
        if (!pull) return notFound();
        return HttpResponse.json(
          githubPull(fullName, {
            ...this.mergedPullOptions(pull, site),
            detail: { mergedBy: pull.mergedBy },
          }),
        );
      }),
    ];
  }

  /** What a merged pull's answers say of it. */
  private mergedPullOptions(p: FakePull, site: { api: string }) {
    return {
      ...site,
      number: p.number,
      state: 'closed' as const,
      title: p.title ?? `Merge ${p.head} into ${p.base}`,
      head: { ref: p.head, sha: p.headSha ?? this.branches.get(p.head) },
      base: { ref: p.base, sha: this.branches.get(p.base) },
      labels: p.labels,
      ...(p.user ? { user: p.user } : {}),
      ...(p.userType ? { userType: p.userType } : {}),
      ...(p.body !== undefined ? { body: p.body } : {}),
      mergedAt: p.mergedAt,
      mergeCommitSha: p.mergeCommit,
    };
  }

  /** The blob id Git gives a file's content. */
  static blobSha(content: string): string {
    const bytes = Buffer.from(content, 'utf8');
    return createHash('sha1')
      .update(`blob ${bytes.length}\0`)
      .update(bytes)
      .digest('hex');
  }

  /**
   * Handlers for the write side of GitHub's REST API that the scaffolder
   * actions use: refs, the contents API (JSON read and PUT), pull requests,
   * labels and review requests. Put them before {@link FakeGithubRepo.handlers}.
   */
  writeHandlers(apiBase = 'https://api.github.com') {
    const base = `${apiBase}/repos/${this.owner}/${this.repo}`;
    const fullName = `${this.owner}/${this.repo}`;
    const site = { api: apiBase };
    const record = (what: string) => this.calls.push(what);
    const error = (status: number, message: string) =>
      HttpResponse.json({ message }, { status });
    const pullJson = (p: FakeOpenedPull, detail = false) =>
      githubPull(fullName, {
        ...site,
        number: p.number,
        state: p.state ?? 'open',
        title: p.title,
        body: p.body,
        head: { ref: p.head, sha: this.branches.get(p.head) },
        base: { ref: p.base, sha: this.branches.get(p.base) },
        labels: p.labels,
        requestedReviewers: p.reviewers,
        ...(detail ? { detail: {} } : {}),
      });
    const nextNumber = () =>
      Math.max(
        100,
        ...this.pulls.map(p => p.number),
        ...this.opened.map(p => p.number),
      ) + 1;
    return [
      http.get(`${base}/git/ref/heads/*`, ({ params }) => {
        const branch = String(params[0]);
        record(`ref:${branch}`);
        const sha = this.branches.get(branch);
        if (!sha) return error(404, 'Not Found');
        return HttpResponse.json(
          githubRef(fullName, `refs/heads/${branch}`, sha, site),
        );
      }),
      http.post(`${base}/git/refs`, async ({ request }) => {
        const body = (await request.json()) as { ref: string; sha: string };
        const branch = body.ref.replace(/^refs\/heads\//, '');
        record(`create-ref:${branch}`);
        if (this.branches.has(branch)) {
          return error(422, 'Reference already exists');
        }
        if (!this.commits.has(body.sha)) {
          return error(422, 'Object does not exist');
        }
        this.branches.set(branch, body.sha);
        return HttpResponse.json(
          githubRef(fullName, body.ref, body.sha, site),
          { status: 201 },
        );
      }),
      http.get(`${base}/contents/*`, ({ request, params }) => {
        if (request.headers.get('accept') !== 'application/vnd.github+json') {
          return undefined; // raw reads are answered by handlers()
        }
        const path = String(params[0]);
        const ref = new URL(request.url).searchParams.get('ref') ?? '';
        record(`contents-json:${path}@${ref.slice(0, 7)}`);
        const sha = this.branches.get(ref) ?? ref;
        const content = this.commits.get(sha)?.files[path];
        if (content === undefined) return error(404, 'Not Found');
        return HttpResponse.json(
          githubContentFile(fullName, {
            ...site,
            path,
            ref,
            sha: FakeGithubRepo.blobSha(content),
            content,
          }),
        );
      }),
      http.put(`${base}/contents/*`, async ({ request, params }) => {
        const path = String(params[0]);
        const body = (await request.json()) as {
          message: string;
          content: string;
          sha?: string;
          branch: string;
          author?: { name: string; email: string };
        };
        record(`put:${path}@${body.branch}`);
        const head = this.branches.get(body.branch);
        if (!head) return error(404, `Branch ${body.branch} not found`);
        const current = this.commits.get(head)!.files[path];
        if (current !== undefined && !body.sha) {
          return error(422, '"sha" wasn\'t supplied.');
        }
        if (
          current !== undefined &&
          FakeGithubRepo.blobSha(current) !== body.sha
        ) {
          return error(409, `${path} does not match ${body.sha}`);
        }
        if (current === undefined && body.sha) {
          return error(404, `${path} not found`);
        }
        const content = Buffer.from(body.content, 'base64').toString('utf8');
        const sha = this.commit({
          branch: body.branch,
          message: body.message,
          ...(body.author
            ? { name: body.author.name }
            : { login: 'backstage-bot' }),
          date: new Date().toISOString(),
          files: { [path]: content },
        });
        // 201 for a new file, 200 for an update (docs.github.com, "Create
        // or update file contents").
        return HttpResponse.json(
          githubFileCommit(fullName, {
            ...site,
            path,
            branch: body.branch,
            blobSha: FakeGithubRepo.blobSha(content),
            size: Buffer.byteLength(content, 'utf8'),
            commit: { sha, parents: [head], message: body.message },
          }),
          { status: current === undefined ? 201 : 200 },
        );
      }),
      http.get(`${base}/pulls`, ({ request }) => {
        const query = new URL(request.url).searchParams;
        record(`list-pulls:${query.get('head')}->${query.get('base')}`);
        const head = query.get('head')?.replace(/^[^:]+:/, '');
        return HttpResponse.json(
          this.opened
            .filter(
              p =>
                (p.state ?? 'open') === 'open' &&
                (!head || p.head === head) &&
                (!query.get('base') || p.base === query.get('base')),
            )
            .map(p => pullJson(p)),
        );
      }),
      http.post(`${base}/pulls`, async ({ request }) => {
        const body = (await request.json()) as {
          title: string;
          body: string;
          head: string;
          base: string;
        };
        record(`open-pull:${body.head}->${body.base}`);
        if (!this.branches.has(body.head) || !this.branches.has(body.base)) {
          return error(422, 'Validation Failed');
        }
        if (
          this.opened.some(
            p =>
              (p.state ?? 'open') === 'open' &&
              p.head === body.head &&
              p.base === body.base,
          )
        ) {
          return error(422, 'A pull request already exists');
        }
        const pull: FakeOpenedPull = {
          number: nextNumber(),
          title: body.title,
          body: body.body,
          head: body.head,
          base: body.base,
          labels: [],
          reviewers: [],
          teamReviewers: [],
        };
        this.opened.push(pull);
        return HttpResponse.json(pullJson(pull, true), { status: 201 });
      }),
      // Git database API: blobs, trees on a base tree, commits
      // (docs.github.com, "Git database"). A commit's tree is named by the
      // commit's own sha in this fake (as its commit answers say).
      http.post(`${base}/git/blobs`, async ({ request }) => {
        const body = (await request.json()) as {
          content: string;
          encoding?: string;
        };
        record('blob');
        const content =
          body.encoding === 'base64'
            ? Buffer.from(body.content, 'base64').toString('utf8')
            : body.content;
        const sha = FakeGithubRepo.blobSha(content);
        this.blobs.set(sha, content);
        return HttpResponse.json(githubShortBlob(fullName, sha, site), {
          status: 201,
        });
      }),
      http.post(`${base}/git/trees`, async ({ request }) => {
        const body = (await request.json()) as {
          base_tree?: string;
          tree: Array<{ path: string; sha: string }>;
        };
        record('tree');
        const baseFiles = body.base_tree
          ? this.trees.get(body.base_tree) ??
            this.commits.get(body.base_tree)?.files
          : {};
        if (!baseFiles) return error(422, 'base_tree is not a valid tree');
        const files = { ...baseFiles };
        for (const entry of body.tree) {
          const content = this.blobs.get(entry.sha);
          if (content === undefined) return error(422, 'Invalid tree info');
          files[entry.path] = content;
        }
        const sha = createHash('sha1')
          .update(JSON.stringify(files))
          .digest('hex');
        this.trees.set(sha, files);
        return HttpResponse.json(
          githubTree(
            fullName,
            sha,
            Object.entries(files).map(([path, content]) => ({
              path,
              mode: '100644',
              type: 'blob' as const,
              sha: FakeGithubRepo.blobSha(content),
              size: Buffer.byteLength(content, 'utf8'),
            })),
            site,
          ),
          { status: 201 },
        );
      }),
      http.post(`${base}/git/commits`, async ({ request }) => {
        const body = (await request.json()) as {
          message: string;
          tree: string;
          parents: string[];
          author?: { name: string; email: string };
        };
        record(`commit-object:${body.parents.join(',').slice(0, 7)}`);
        const files = this.trees.get(body.tree);
        if (!files) return error(422, 'Tree SHA does not exist');
        if (!body.parents.every(p => this.commits.has(p))) {
          return error(422, 'Parent SHA does not exist');
        }
        const date = new Date().toISOString();
        const sha = this.storeCommit({
          parents: body.parents,
          message: body.message,
          ...(body.author
            ? { name: body.author.name }
            : { login: 'backstage-bot' }),
          date,
          files,
        });
        return HttpResponse.json(
          githubGitCommit(fullName, {
            ...site,
            sha,
            tree: body.tree,
            parents: body.parents,
            message: body.message,
            author: {
              name: body.author?.name ?? 'backstage-bot',
              email: body.author?.email ?? 'bot@example.com',
              date,
            },
          }),
          { status: 201 },
        );
      }),
      // Update a pull request: title, body, state (docs.github.com,
      // "Update a pull request").
      http.patch(`${base}/pulls/:number`, async ({ request, params }) => {
        record(`update-pull:${params.number}`);
        const pull = this.opened.find(p => p.number === Number(params.number));
        if (!pull) return error(404, 'Not Found');
        const body = (await request.json()) as {
          title?: string;
          body?: string;
          state?: 'open' | 'closed';
        };
        if (typeof body.title === 'string') pull.title = body.title;
        if (typeof body.body === 'string') pull.body = body.body;
        if (body.state) pull.state = body.state;
        return HttpResponse.json(pullJson(pull, true));
      }),
      http.post(
        `${base}/issues/:number/comments`,
        async ({ request, params }) => {
          record(`comment:${params.number}`);
          const pull = this.opened.find(
            p => p.number === Number(params.number),
          );
          if (!pull) return error(404, 'Not Found');
          const body = (await request.json()) as { body: string };
          (pull.comments ??= []).push(body.body);
          return HttpResponse.json(
            githubIssueComment(fullName, {
              ...site,
              id: githubId(
                `${fullName}#${pull.number}:${pull.comments.length}`,
              ),
              issue: pull.number,
              user: 'backstage-bot',
              body: body.body,
            }),
            { status: 201 },
          );
        },
      ),
      // Update a reference; `force` allows a non-fast-forward move
      // (docs.github.com, "Update a reference").
      http.patch(`${base}/git/refs/heads/*`, async ({ request, params }) => {
        const branch = String(params[0]);
        record(`update-ref:${branch}`);
        const body = (await request.json()) as { sha: string; force?: boolean };
        const old = this.branches.get(branch);
        if (!old) return error(422, 'Reference does not exist');
        if (!this.commits.has(body.sha)) {
          return error(422, 'Object does not exist');
        }
        if (!body.force && !this.isAncestor(old, body.sha)) {
          return error(422, 'Update is not a fast forward');
        }
        this.branches.set(branch, body.sha);
        return HttpResponse.json(
          githubRef(fullName, `refs/heads/${branch}`, body.sha, site),
        );
      }),
      http.post(
        `${base}/issues/:number/labels`,
        async ({ request, params }) => {
          record(`labels:${params.number}`);
          const pull = this.opened.find(
            p => p.number === Number(params.number),
          );
          if (!pull) return error(404, 'Not Found');
          const body = (await request.json()) as { labels: string[] };
          pull.labels = [...new Set([...pull.labels, ...body.labels])];
          return HttpResponse.json(
            pull.labels.map(name => githubLabel(fullName, name, site)),
          );
        },
      ),
      http.post(
        `${base}/pulls/:number/requested_reviewers`,
        async ({ request, params }) => {
          record(`reviewers:${params.number}`);
          const pull = this.opened.find(
            p => p.number === Number(params.number),
          );
          if (!pull) return error(404, 'Not Found');
          const body = (await request.json()) as {
            reviewers?: string[];
            team_reviewers?: string[];
          };
          // Reviews can be requested only from collaborators; one stranger
          // fails the whole request with 422 (docs.github.com, "Requesting
          // a pull request review").
          const strangers = [
            ...(body.reviewers ?? []),
            ...(body.team_reviewers ?? []),
          ].filter(r => this.collaborators && !this.collaborators.has(r));
          if (strangers.length > 0) {
            return HttpResponse.json(
              {
                message: `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${this.owner}/${this.repo} repository.`,
                documentation_url:
                  'https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request',
                status: '422',
              },
              { status: 422 },
            );
          }
          pull.reviewers.push(...(body.reviewers ?? []));
          pull.teamReviewers.push(...(body.team_reviewers ?? []));
          return HttpResponse.json(pullJson(pull), { status: 201 });
        },
      ),
      // Add a collaborator: 201 with an invitation, 204 when the user has
      // access already (docs.github.com, "Add a repository collaborator").
      http.put(`${base}/collaborators/:login`, async ({ request, params }) => {
        const login = String(params.login);
        const { permission = 'push' } = (await request.json()) as {
          permission?: string;
        };
        const known = this.access.has(`user:${login}`);
        this.access.set(`user:${login}`, permission);
        this.collaborators?.add(login);
        return known
          ? new HttpResponse(null, { status: 204 })
          : HttpResponse.json(
              githubInvitation(fullName, {
                ...site,
                invitee: login,
                permission,
              }),
              { status: 201 },
            );
      }),
      // Add or update team repository permissions: 204, or 404 for a team
      // the organisation does not have (docs.github.com, "Add or update
      // team repository permissions").
      http.put(
        `${apiBase}/orgs/:org/teams/:team/repos/${this.owner}/${this.repo}`,
        async ({ request, params }) => {
          const team = String(params.team);
          if (team.startsWith('missing-')) return error(404, 'Not Found');
          const { permission = 'push' } = (await request.json()) as {
            permission?: string;
          };
          this.access.set(`team:${params.org}/${team}`, permission);
          this.collaborators?.add(team);
          return new HttpResponse(null, { status: 204 });
        },
      ),
    ];
  }
}

/**
 * One page of a GitHub list: 30 a page by default and at most 100
 * (`per_page`), with a `Link` header whose URLs name the repo by id
 * (docs.github.com, "Using pagination in the REST API").
 */
function githubPage<T>(
  apiBase: string,
  resource: string,
  request: Request,
  all: T[],
): { body: T[]; headers: Record<string, string> } {
  const url = new URL(request.url);
  const perPage = Math.min(
    100,
    Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30),
  );
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const link = (p: number, rel: string) =>
    `<${apiBase}/repositories/1296269/${resource}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
  const links = [
    ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
  ];
  return {
    body: all.slice((page - 1) * perPage, page * perPage),
    headers: links.length ? { link: links.join(', ') } : {},
  };
}

/** A `deploy/model.yaml` as the config repo holds it. @public */
export function manifest(version: string, model = 'fraud-detector'): string {
  return `# Deployed by ML GitOps
model_name: ${model}
model_version: "${version}"
registry: mlflow-default
serving: { runtime: kserve, replicas: 2 }
gates:
  metrics:
    auc: { min: 0.92 }
`;
}
