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

/* The Git database API: refs, commits, trees, blobs (docs.github.com/rest/git). */

import { readJson, RouteContext, Router } from '../../lib/http';
import {
  githubBlob,
  githubShortBlob,
  githubTree,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { gitCommitJson, refJson } from '../render';
import { commitSignatures, DOCS, GitHubError, GitHubHost, REPO } from './host';

export function registerGitRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', `${REPO}/git/ref/*`, async ctx => {
    const repo = gh.repo(ctx.params);
    const ref = `refs/${ctx.params.rest}`;
    const sha = await gh.repos.refSha(repo, ref);
    if (!sha)
      throw new GitHubError(
        404,
        'Not Found',
        `${DOCS}/git/refs#get-a-reference`,
      );
    return gh.reply(ctx, 200, refJson(gh.urls(), repo, ref, sha));
  });
  const matching = async (ctx: RouteContext, prefix: string) => {
    const repo = gh.repo(ctx.params);
    const all = await gh.repos.refs(repo);
    return gh.reply(
      ctx,
      200,
      all
        .filter(x => x.ref.startsWith(prefix))
        .map(x => refJson(gh.urls(), repo, x.ref, x.sha)),
    );
  };
  r.add('GET', `${REPO}/git/matching-refs/*`, ctx =>
    matching(ctx, `refs/${ctx.params.rest}`),
  );
  r.add('GET', `${REPO}/git/refs`, ctx => matching(ctx, 'refs/'));
  r.add('GET', `${REPO}/git/refs/*`, async ctx => {
    const repo = gh.repo(ctx.params);
    const ref = `refs/${ctx.params.rest}`;
    const sha = await gh.repos.refSha(repo, ref);
    if (sha) return gh.reply(ctx, 200, refJson(gh.urls(), repo, ref, sha));
    return matching(ctx, ref);
  });
  r.add('POST', `${REPO}/git/refs`, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/git/refs#create-a-reference`;
    if (
      typeof body.ref !== 'string' ||
      !/^refs\/[^\s]+\/[^\s]+$/.test(body.ref) ||
      /\.\.|\/\/|\/$|\.lock$/.test(body.ref)
    ) {
      throw new GitHubError(
        422,
        `${body.ref ?? 'ref'} is not a valid ref name.`,
        docs,
      );
    }
    if (
      typeof body.sha !== 'string' ||
      (await gh.repos.objectType(repo, body.sha)) !== 'commit'
    ) {
      throw new GitHubError(422, 'Object does not exist', docs);
    }
    return gh.repos.withLock(repo, async () => {
      if (await gh.repos.refSha(repo, body.ref))
        throw new GitHubError(422, 'Reference already exists', docs);
      const sha = (await gh.repos.resolveCommit(repo, body.sha))!;
      await gh.repos.updateRef(repo, body.ref, sha, null, gh.pusher());
      return gh.reply(ctx, 201, refJson(gh.urls(), repo, body.ref, sha));
    });
  });
  r.add('PATCH', `${REPO}/git/refs/*`, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/git/refs#update-a-reference`;
    const ref = `refs/${ctx.params.rest}`;
    if (typeof body.sha !== 'string') {
      throw new GitHubError(
        422,
        'Invalid request.\n\n"sha" wasn\'t supplied.',
        docs,
      );
    }
    return gh.repos.withLock(repo, async () => {
      const old = await gh.repos.refSha(repo, ref);
      if (!old) throw new GitHubError(422, 'Reference does not exist', docs);
      const sha = await gh.repos.resolveCommit(repo, body.sha);
      if (!sha || !/^[0-9a-f]{40}$/.test(body.sha))
        throw new GitHubError(422, 'Object does not exist', docs);
      if (!body.force && !(await gh.repos.isAncestor(repo, old, sha))) {
        throw new GitHubError(422, 'Update is not a fast forward', docs);
      }
      // A protected branch: `force: true` does not make a force push
      // allowed, nor may a fast-forward skip a required pull request
      // (422, "Update a reference": Validation failed).
      await gh.refuseProtected(ctx, repo, ref, { old, new: sha }, 422, docs);
      if (!(await gh.repos.updateRef(repo, ref, sha, old, gh.pusher()))) {
        throw new GitHubError(422, 'Update is not a fast forward', docs);
      }
      return gh.reply(ctx, 200, refJson(gh.urls(), repo, ref, sha));
    });
  });
  r.add('DELETE', `${REPO}/git/refs/*`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/git/refs#delete-a-reference`;
    const ref = `refs/${ctx.params.rest}`;
    const ok = await gh.repos.withLock(repo, async () => {
      const old = await gh.repos.refSha(repo, ref);
      if (old) {
        await gh.refuseProtected(ctx, repo, ref, { old, new: null }, 422, docs);
      }
      return gh.repos.deleteRef(repo, ref, gh.pusher());
    });
    if (!ok) throw new GitHubError(422, 'Reference does not exist', docs);
    ctx.res.writeHead(204);
    ctx.res.end();
  });

  // git database: commits, trees, blobs
  r.add('GET', `${REPO}/git/commits/:sha`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/git/commits#get-a-commit-object`;
    if (!/^[0-9a-f]{4,40}$/.test(ctx.params.sha))
      throw new GitHubError(404, 'Not Found', docs);
    const c = await gh.repos.commit(repo, ctx.params.sha);
    if (!c) throw new GitHubError(404, 'Not Found', docs);
    return gh.reply(ctx, 200, gitCommitJson(gh.urls(), repo, c));
  });
  r.add('POST', `${REPO}/git/commits`, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/git/commits#create-a-commit`;
    if (typeof body.message !== 'string') {
      throw new GitHubError(
        422,
        'Invalid request.\n\n"message" wasn\'t supplied.',
        docs,
      );
    }
    if (
      typeof body.tree !== 'string' ||
      (await gh.repos.objectType(repo, body.tree)) !== 'tree'
    ) {
      throw new GitHubError(422, 'Tree SHA does not exist', docs);
    }
    const parents: string[] = Array.isArray(body.parents) ? body.parents : [];
    for (const p of parents) {
      if ((await gh.repos.objectType(repo, p)) !== 'commit') {
        throw new GitHubError(
          422,
          'Parent SHA does not exist or is not a commit object',
          docs,
        );
      }
    }
    const { author, committer } = commitSignatures(gh, body);
    const sha = await gh.repos.commitTree(
      repo,
      body.tree,
      parents,
      body.message,
      author,
      committer,
    );
    return gh.reply(
      ctx,
      201,
      gitCommitJson(gh.urls(), repo, (await gh.repos.commit(repo, sha))!),
    );
  });
  r.add('GET', `${REPO}/git/trees/:sha`, async ctx => {
    const repo = gh.repo(ctx.params);
    const docs = `${DOCS}/git/trees#get-a-tree`;
    let treeish = ctx.params.sha;
    const t = await gh.repos.objectType(repo, treeish);
    if (t !== 'tree') {
      const c = await gh.repos.resolveCommit(repo, treeish);
      if (!c) throw new GitHubError(404, 'Not Found', docs);
      treeish = (await gh.repos.commit(repo, c))!.tree;
    }
    const full = await gh.repos.tree(
      repo,
      treeish,
      Boolean(ctx.url.searchParams.get('recursive')),
    );
    return gh.reply(
      ctx,
      200,
      githubTree(repo.fullName, treeish, full, gh.urls()),
    );
  });
  r.add('POST', `${REPO}/git/trees`, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/git/trees#create-a-tree`;
    if (!Array.isArray(body.tree)) {
      throw new GitHubError(
        422,
        'Invalid request.\n\n"tree" wasn\'t supplied.',
        docs,
      );
    }
    if (
      body.base_tree &&
      (await gh.repos.objectType(repo, body.base_tree)) === null
    ) {
      throw new GitHubError(422, 'base_tree is not a valid tree oid', docs);
    }
    let baseTree: string | null = body.base_tree ?? null;
    if (baseTree && (await gh.repos.objectType(repo, baseTree)) === 'commit') {
      baseTree = (await gh.repos.commit(repo, baseTree))!.tree;
    }
    const entries: Array<{ path: string; mode: string; sha: string | null }> =
      [];
    for (const e of body.tree) {
      if (typeof e.path !== 'string' || typeof e.mode !== 'string') {
        throw new GitHubError(422, 'Invalid tree info', docs);
      }
      if (typeof e.content === 'string') {
        entries.push({
          path: e.path,
          mode: e.mode,
          sha: await gh.repos.writeBlob(repo, Buffer.from(e.content)),
        });
      } else if (e.sha === null) {
        entries.push({ path: e.path, mode: e.mode, sha: null });
      } else if (
        typeof e.sha === 'string' &&
        (await gh.repos.objectType(repo, e.sha))
      ) {
        entries.push({ path: e.path, mode: e.mode, sha: e.sha });
      } else {
        throw new GitHubError(
          422,
          `tree.sha ${e.sha} is not a valid blob`,
          docs,
        );
      }
    }
    const tree = await gh.repos.writeTree(repo, baseTree, entries);
    const listing = await gh.repos.tree(repo, tree, false);
    return gh.reply(
      ctx,
      201,
      githubTree(repo.fullName, tree, listing, gh.urls()),
    );
  });
  r.add('GET', `${REPO}/git/blobs/:sha`, async ctx => {
    const repo = gh.repo(ctx.params);
    if ((await gh.repos.objectType(repo, ctx.params.sha)) !== 'blob') {
      throw new GitHubError(404, 'Not Found', `${DOCS}/git/blobs#get-a-blob`);
    }
    const content = await gh.repos.blob(repo, ctx.params.sha);
    return gh.reply(
      ctx,
      200,
      githubBlob(repo.fullName, ctx.params.sha, content, {
        ...gh.urls(),
        nodeId: Buffer.from(`04:Blob${ctx.params.sha}`).toString('base64'),
      }),
    );
  });
  r.add('POST', `${REPO}/git/blobs`, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    if (typeof body.content !== 'string') {
      throw new GitHubError(
        422,
        'Invalid request.\n\n"content" wasn\'t supplied.',
        `${DOCS}/git/blobs#create-a-blob`,
      );
    }
    const sha = await gh.repos.writeBlob(
      repo,
      Buffer.from(body.content, body.encoding === 'base64' ? 'base64' : 'utf8'),
    );
    return gh.reply(ctx, 201, githubShortBlob(repo.fullName, sha, gh.urls()));
  });
}
