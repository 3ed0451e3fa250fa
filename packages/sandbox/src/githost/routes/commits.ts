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

/* Commits and the pull requests of a commit (docs.github.com/rest/commits/commits). */

import { Router } from '../../lib/http';
import { PullRecord } from '../GitRepos';
import { pullJson, restCommitJson } from '../render';
import { DOCS, GitHubError, GitHubHost, REPO } from './host';

export function registerCommitsRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', `${REPO}/commits`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/commits/commits#list-commits`;
    const ref = ctx.url.searchParams.get('sha') || repo.default_branch;
    const start = await gh.repos.resolveCommit(repo, ref);
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
    const shas = await gh.repos.log(repo, start, {
      path,
      max: perPage + 1,
      skip: (pageNo - 1) * perPage,
      since: ctx.url.searchParams.get('since') ?? undefined,
      until: ctx.url.searchParams.get('until') ?? undefined,
    });
    const u = gh.urls();
    const items = [];
    for (const sha of shas.slice(0, perPage)) {
      items.push(restCommitJson(u, repo, (await gh.repos.commit(repo, sha))!));
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
    return gh.reply(ctx, 200, items, headers);
  });
  r.add('GET', `${REPO}/commits/:ref`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/commits/commits#get-a-commit`;
    const sha = await gh.repos.resolveCommit(repo, ctx.params.ref);
    if (!sha)
      throw new GitHubError(
        422,
        `No commit found for SHA: ${ctx.params.ref}`,
        docs,
      );
    const u = gh.urls();
    const c = (await gh.repos.commit(repo, sha))!;
    const changes = await gh.repos.changes(repo, sha);
    const statusName: Record<string, 'added' | 'modified' | 'removed'> = {
      A: 'added',
      M: 'modified',
      D: 'removed',
    };
    return gh.reply(
      ctx,
      200,
      restCommitJson(
        u,
        repo,
        c,
        changes.map(f => ({
          filename: f.path,
          status: statusName[f.status[0]] ?? 'modified',
          additions: f.additions,
          deletions: f.deletions,
        })),
      ),
    );
  });
  r.add('GET', `${REPO}/commits/:sha/pulls`, async ctx => {
    const repo = gh.repo(ctx.params);
    const sha = await gh.commitOr404(
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
          (await gh.repos.commit(repo, pr.merge_commit_sha))?.parents ?? [];
        if (
          parents.length > 1 &&
          (await gh.repos.isAncestor(repo, sha, pr.head.sha)) &&
          !(await gh.repos.isAncestor(repo, sha, parents[0]))
        ) {
          found.push(pr);
        }
      }
    }
    return gh.reply(
      ctx,
      200,
      found.map(pr => pullJson(gh.urls(), repo, pr, false)),
    );
  });
}
