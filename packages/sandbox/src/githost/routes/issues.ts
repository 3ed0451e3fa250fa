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

/* The issues API's side of pull requests: labels and comments (docs.github.com/rest/issues). */

import { readJson, Router } from '../../lib/http';
import { API_USER } from '../../seed/data';
import { commentJson, labelJson } from '../render';
import { DOCS, GitHubHost, REPO, pullOr404, validationFailed } from './host';

export function registerIssuesRoutes(r: Router, gh: GitHubHost) {
  // Labels (issues API, which covers pull requests) and review requests.
  r.add('POST', `${REPO}/issues/:number/labels`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/issues/labels#add-labels-to-an-issue`;
    const pr = pullOr404(repo, ctx.params.number, docs);
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
        gh.repos.emitPullRequest({
          repo,
          pull: pr,
          action: 'labeled',
          label,
        });
      }
    }
    return gh.reply(
      ctx,
      200,
      pr.labels.map(name => labelJson(gh.urls(), repo, name)),
    );
  });
  // Comments on a pull request go through the issues API, as on GitHub
  // (docs.github.com, "Create an issue comment": every pull request is an
  // issue). The answer is the issue-comment object.
  r.add('POST', `${REPO}/issues/:number/comments`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/issues/comments#create-an-issue-comment`;
    const pr = pullOr404(repo, ctx.params.number, docs);
    const body = await readJson(ctx.req);
    if (typeof body.body !== 'string' || !body.body) {
      throw validationFailed(
        [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }],
        docs,
      );
    }
    const comment = {
      id: gh.repos.nextObjectId(),
      user: API_USER.login,
      body: body.body,
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    (pr.comments ??= []).push(comment);
    return gh.reply(ctx, 201, commentJson(gh.urls(), repo, pr, comment));
  });
  r.add('GET', `${REPO}/issues/:number/comments`, async ctx => {
    const repo = gh.repo(ctx.params);
    const pr = pullOr404(
      repo,
      ctx.params.number,
      `${DOCS}/issues/comments#list-issue-comments`,
    );
    return gh.reply(
      ctx,
      200,
      (pr.comments ?? []).map(c => commentJson(gh.urls(), repo, pr, c)),
    );
  });
}
