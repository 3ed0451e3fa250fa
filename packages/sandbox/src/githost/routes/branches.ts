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

/* Branches (docs.github.com/rest/branches/branches). */

import { Router } from '../../lib/http';
import { githubBranch } from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { branchJson } from '../render';
import { DOCS, GitHubError, GitHubHost, REPO } from './host';

export function registerBranchesRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', `${REPO}/branches`, async ctx => {
    const repo = gh.repo(ctx.params);
    const heads = await gh.repos.refs(repo, 'refs/heads/');
    const u = gh.urls();
    let list = heads.map(h => {
      const name = h.ref.slice('refs/heads/'.length);
      return githubBranch(repo.fullName, name, h.sha, {
        ...u,
        protected: Boolean(repo.protection[name]),
      });
    });
    const prot = ctx.url.searchParams.get('protected');
    if (prot === 'true') list = list.filter(b => b.protected);
    if (prot === 'false') list = list.filter(b => !b.protected);
    const { page, headers } = gh.paginate(ctx, list);
    return gh.reply(ctx, 200, page, headers);
  });
  r.add('GET', `${REPO}/branches/:branch`, async ctx => {
    const repo = gh.repo(ctx.params);
    const sha = await gh.repos.refSha(repo, `refs/heads/${ctx.params.branch}`);
    if (!sha)
      throw new GitHubError(
        404,
        'Branch not found',
        `${DOCS}/branches/branches#get-a-branch`,
      );
    return gh.reply(
      ctx,
      200,
      branchJson(
        gh.urls(),
        repo,
        ctx.params.branch,
        (await gh.repos.commit(repo, sha))!,
      ),
    );
  });
}
