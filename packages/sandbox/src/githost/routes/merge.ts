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

/* Merging a pull request (docs.github.com/rest/pulls/pulls#merge-a-pull-request). */

import { readJson, Router } from '../../lib/http';
import { API_USER } from '../../seed/data';
import { GITHUB_COMMITTER } from '../../seed/seedGit';
import { Signature } from '../GitRepos';
import {
  DOCS,
  GitHubError,
  GitHubHost,
  REPO,
  pullOr404,
  validationFailed,
} from './host';

export function registerMergeRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', `${REPO}/pulls/:number/merge`, async ctx => {
    const repo = gh.repo(ctx.params);
    const pr = pullOr404(
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
  r.add('PUT', `${REPO}/pulls/:number/merge`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/pulls/pulls#merge-a-pull-request`;
    const pr = pullOr404(repo, ctx.params.number, docs);
    const body = await readJson(ctx.req);
    return gh.repos.withLock(repo, async () => {
      await gh.refreshHeads(repo);
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
      const { reason } = await gh.mergeability(repo, pr);
      if (reason) throw new GitHubError(405, reason, docs);
      const baseRef = `refs/heads/${pr.base.ref}`;
      const baseSha = (await gh.repos.refSha(repo, baseRef))!;
      const tree = await gh.repos.mergeTree(repo, baseSha, pr.head.sha);
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
        sha = await gh.repos.commitTree(
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
        sha = await gh.repos.commitTree(
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
        const picked = await gh.repos.newCommits(
          repo,
          baseSha,
          pr.head.sha,
          250,
        );
        let tip = baseSha;
        let tipTree = (await gh.repos.commit(repo, baseSha))!.tree;
        const rebased: string[] = [];
        for (const original of picked) {
          const c = (await gh.repos.commit(repo, original))!;
          if (c.parents.length > 1) {
            throw new GitHubError(405, "This branch can't be rebased", docs);
          }
          // Where the replayed tip has the tree the commit was made on,
          // the replay is the commit's own tree; otherwise git merges it
          // (git merge-tree, from the common ancestor).
          const parentTree = (await gh.repos.commit(repo, c.parents[0]))!.tree;
          const replayed =
            tipTree === parentTree
              ? c.tree
              : await gh.repos.mergeTree(repo, tip, original);
          if (!replayed) {
            throw new GitHubError(405, "This branch can't be rebased", docs);
          }
          tip = await gh.repos.commitTree(
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
        !(await gh.repos.updateRef(repo, baseRef, sha, baseSha, {
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
      return gh.reply(ctx, 200, {
        sha,
        merged: true,
        message: 'Pull Request successfully merged',
      });
    });
  });
}
