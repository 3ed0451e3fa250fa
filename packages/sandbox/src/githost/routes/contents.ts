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

/* Repository contents: read and create or update a file (docs.github.com/rest/repos/contents). */

import { readJson, RouteContext, Router } from '../../lib/http';
import {
  githubContentEntry,
  githubContentFile,
  githubFileCommit,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { gitCommitFacts } from '../render';
import { commitSignatures, DOCS, GitHubError, GitHubHost, REPO } from './host';

export function registerContentsRoutes(r: Router, gh: GitHubHost) {
  const getContents = async (ctx: RouteContext) => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/repos/contents#get-repository-content`;
    const filePath = (ctx.params.rest ?? '').replace(/^\/+|\/+$/g, '');
    const ref = ctx.url.searchParams.get('ref') || repo.default_branch;
    const commit = await gh.repos.resolveCommit(repo, ref);
    if (!commit)
      throw new GitHubError(404, `No commit found for the ref ${ref}`, docs);
    const entry = await gh.repos.entryAt(repo, commit, filePath);
    if (!entry) throw new GitHubError(404, 'Not Found', docs);
    const u = gh.urls();
    const types: Record<string, 'dir' | 'submodule'> = {
      tree: 'dir',
      commit: 'submodule',
    };
    const item = (e: {
      path: string;
      sha: string;
      type: string;
      size?: number;
    }) =>
      githubContentEntry(repo.fullName, {
        ...u,
        path: e.path,
        ref,
        sha: e.sha,
        type: types[e.type] ?? 'file',
        size: e.size,
      });
    if (entry.type === 'tree') {
      const children = await gh.repos.tree(repo, entry.sha, false);
      return gh.reply(
        ctx,
        200,
        children.map(c =>
          item({ ...c, path: filePath ? `${filePath}/${c.path}` : c.path }),
        ),
      );
    }
    const content = await gh.repos.blob(repo, entry.sha);
    const accept = String(ctx.req.headers.accept ?? '');
    if (accept.includes('.raw')) {
      ctx.res.writeHead(200, {
        'content-type': 'application/vnd.github.raw; charset=utf-8',
        etag: `"${entry.sha}"`,
      });
      ctx.res.end(content);
      return undefined;
    }
    return gh.reply(
      ctx,
      200,
      githubContentFile(repo.fullName, {
        ...u,
        path: entry.path,
        ref,
        sha: entry.sha,
        content,
      }),
    );
  };
  r.add('GET', `${REPO}/contents`, getContents);
  r.add('GET', `${REPO}/contents/*`, getContents);
  r.add('PUT', `${REPO}/contents/*`, async ctx => {
    const repo = gh.repo(ctx.params);
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
    return gh.repos.withLock(repo, async () => {
      const ref = `refs/heads/${branch}`;
      const parent = await gh.repos.refSha(repo, ref);
      if (!parent && branch !== repo.default_branch) {
        throw new GitHubError(404, `Branch ${branch} not found`, docs);
      }
      const existing = parent
        ? await gh.repos.entryAt(repo, parent, filePath)
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
      const { author, committer } = commitSignatures(gh, body);
      const blob = await gh.repos.writeBlob(
        repo,
        Buffer.from(body.content, 'base64'),
      );
      const parentInfo = parent ? await gh.repos.commit(repo, parent) : null;
      const tree = await gh.repos.writeTree(repo, parentInfo?.tree ?? null, [
        { path: filePath, mode: '100644', sha: blob },
      ]);
      const sha = await gh.repos.commitTree(
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
        await gh.refuseProtected(
          ctx,
          repo,
          ref,
          { old: parent, new: sha },
          409,
          docs,
        );
      }
      if (!(await gh.repos.updateRef(repo, ref, sha, parent, gh.pusher()))) {
        throw new GitHubError(
          409,
          `${filePath} does not match ${body.sha ?? ''}`,
          docs,
        );
      }
      const commit = (await gh.repos.commit(repo, sha))!;
      const entry = (await gh.repos.entryAt(repo, sha, filePath))!;
      const u = gh.urls();
      return gh.reply(
        ctx,
        existing ? 200 : 201,
        githubFileCommit(repo.fullName, {
          ...u,
          path: filePath,
          branch,
          blobSha: entry.sha,
          size: Buffer.from(body.content, 'base64').length,
          commit: gitCommitFacts(commit),
        }),
      );
    });
  });
}
