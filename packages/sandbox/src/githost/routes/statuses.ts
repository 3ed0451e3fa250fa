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

/* Commit statuses, one by one and combined (docs.github.com/rest/commits/statuses): the checks that branch protection requires. */

import { readJson, Router } from '../../lib/http';
import { combinedStatusJson, statusJson } from '../render';
import { DOCS, GitHubHost, REPO, validationFailed } from './host';

export function registerStatusesRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', `${REPO}/commits/:ref/statuses`, async ctx => {
    const repo = gh.repo(ctx.params);
    const sha = await gh.commitOr404(
      repo,
      ctx.params.ref,
      `${DOCS}/commits/statuses#list-commit-statuses-for-a-reference`,
    );
    const list = [...(repo.statuses[sha] ?? [])]
      .sort((a, b) => b.id - a.id)
      .map(s => statusJson(gh.urls(), repo, s));
    const { page, headers } = gh.paginate(ctx, list);
    return gh.reply(ctx, 200, page, headers);
  });
  r.add('GET', `${REPO}/commits/:ref/status`, async ctx => {
    const repo = gh.repo(ctx.params);
    const sha = await gh.commitOr404(
      repo,
      ctx.params.ref,
      `${DOCS}/commits/statuses#get-the-combined-status-for-a-specific-reference`,
    );
    const list = repo.statuses[sha] ?? [];
    return gh.reply(ctx, 200, combinedStatusJson(gh.urls(), repo, sha, list));
  });
  r.add('POST', `${REPO}/statuses/:sha`, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/commits/statuses#create-a-commit-status`;
    const sha = ctx.params.sha;
    if (
      !/^[0-9a-f]{40}$/.test(sha) ||
      (await gh.repos.objectType(repo, sha)) !== 'commit'
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
    const actor = gh.actor(ctx.req);
    const s = {
      id: gh.repos.nextObjectId(),
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
    return gh.reply(ctx, 201, statusJson(gh.urls(), repo, s));
  });
}
