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

/* Pull requests: list, get, create, update (docs.github.com/rest/pulls/pulls). */

import { readJson, Router } from '../../lib/http';
import { API_USER } from '../../seed/data';
import { PullRecord } from '../GitRepos';
import { pullJson } from '../render';
import { DOCS, GitHubHost, REPO, pullOr404, validationFailed } from './host';

export function registerPullsRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', `${REPO}/pulls`, async ctx => {
    const repo = gh.repo(ctx.params);
    const q = ctx.url.searchParams;
    const state = q.get('state') ?? 'open';
    let list = [...repo.pulls];
    await gh.refreshHeads(repo);
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
    const { page, headers } = gh.paginate(
      ctx,
      list.map(p => pullJson(gh.urls(), repo, p, false)),
    );
    return gh.reply(ctx, 200, page, headers);
  });
  r.add('GET', `${REPO}/pulls/:number`, async ctx => {
    const repo = gh.repo(ctx.params);
    const pr = pullOr404(
      repo,
      ctx.params.number,
      `${DOCS}/pulls/pulls#get-a-pull-request`,
    );
    await gh.refreshHeads(repo);
    const m = pr.state === 'open' ? await gh.mergeability(repo, pr) : null;
    return gh.reply(
      ctx,
      200,
      pullJson(gh.urls(), repo, pr, true, {
        mergeable: m ? m.mergeable : null,
        mergeable_state: m ? m.state : 'unknown',
      }),
    );
  });
  r.add('POST', `${REPO}/pulls`, async ctx => {
    const repo = gh.repo(ctx.params);
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
    const headSha = await gh.repos.refSha(repo, `refs/heads/${headRef}`);
    const baseSha = await gh.repos.refSha(repo, `refs/heads/${body.base}`);
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
    if (await gh.repos.isAncestor(repo, headSha, baseSha)) {
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
      id: gh.repos.nextObjectId(),
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
    gh.repos.emitPullRequest({ repo, pull: pr, action: 'opened' });
    return gh.reply(ctx, 201, pullJson(gh.urls(), repo, pr, true));
  });
  r.add('PATCH', `${REPO}/pulls/:number`, async ctx => {
    const repo = gh.repo(ctx.params);
    const pr = pullOr404(
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
      await gh.refreshHeads(repo);
      gh.repos.emitPullRequest({ repo, pull: pr, action: 'reopened' });
    }
    return gh.reply(ctx, 200, pullJson(gh.urls(), repo, pr, true));
  });
}
