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

/* Review requests and reviews of pull requests (docs.github.com/rest/pulls/review-requests, /rest/pulls/reviews). */

import { readJson, Router } from '../../lib/http';
import { API_USER, USERS } from '../../seed/data';
import { PullRecord } from '../GitRepos';
import { pullJson, reviewJson } from '../render';
import {
  DOCS,
  GitHubError,
  GitHubHost,
  REPO,
  pullOr404,
  validationFailed,
} from './host';

export function registerReviewsRoutes(r: Router, gh: GitHubHost) {
  r.add('POST', `${REPO}/pulls/:number/requested_reviewers`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/pulls/review-requests#request-reviewers-for-a-pull-request`;
    const pr = pullOr404(repo, ctx.params.number, docs);
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
    ].filter(who => !gh.isCollaborator(repo, who));
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
    return gh.reply(ctx, 201, pullJson(gh.urls(), repo, pr, false));
  });
  r.add('GET', `${REPO}/pulls/:number/reviews`, async ctx => {
    const repo = gh.repo(ctx.params);
    const pr = pullOr404(
      repo,
      ctx.params.number,
      `${DOCS}/pulls/reviews#list-reviews-for-a-pull-request`,
    );
    return gh.reply(
      ctx,
      200,
      pr.reviews.map(rv => reviewJson(gh.urls(), repo, pr, rv)),
    );
  });
  r.add('POST', `${REPO}/pulls/:number/reviews`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/pulls/reviews#create-a-review-for-a-pull-request`;
    const pr = pullOr404(repo, ctx.params.number, docs);
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
      id: gh.repos.nextObjectId(),
      user: login,
      state: states[body.event],
      body: typeof body.body === 'string' ? body.body : '',
      submitted_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      commit_id: pr.head.sha,
    };
    pr.reviews.push(review);
    return gh.reply(ctx, 200, reviewJson(gh.urls(), repo, pr, review));
  });
}
