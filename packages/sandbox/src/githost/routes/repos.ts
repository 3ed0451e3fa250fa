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

/* Repositories: get, update, create (docs.github.com/rest/repos/repos). */

import { readJson, RouteContext, Router } from '../../lib/http';
import { API_USER } from '../../seed/data';
import { fullRepoJson } from '../render';
import { DOCS, GitHubHost, REPO, validationFailed } from './host';

export function registerReposRoutes(r: Router, gh: GitHubHost) {
  r.add('GET', REPO, ctx =>
    gh.reply(ctx, 200, fullRepoJson(gh.urls(), gh.repo(ctx.params))),
  );
  // Update a repository: the default branch and the description.
  r.add('PATCH', REPO, async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/repos/repos#update-a-repository`;
    if (body.default_branch !== undefined) {
      const branch = String(body.default_branch);
      if (!(await gh.repos.refSha(repo, `refs/heads/${branch}`))) {
        throw validationFailed(
          [
            {
              resource: 'Repository',
              code: 'invalid',
              field: 'default_branch',
              message: `The branch ${branch} was not found. Please push that ref first or create it via the Git Data API.`,
            },
          ],
          docs,
        );
      }
      repo.default_branch = branch;
    }
    if (typeof body.description === 'string') {
      repo.description = body.description;
    }
    return gh.reply(ctx, 200, fullRepoJson(gh.urls(), repo));
  });
  const createRepo = async (ctx: RouteContext, owner: string) => {
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/repos/repos#create-an-organization-repository`;
    if (typeof body.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(body.name)) {
      throw validationFailed(
        [{ resource: 'Repository', code: 'missing_field', field: 'name' }],
        docs,
      );
    }
    if (gh.repos.get(owner, body.name)) {
      throw validationFailed(
        [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name already exists on this account',
          },
        ],
        docs,
      );
    }
    const repo = await gh.repos.create(owner, body.name, {
      description: body.description ?? undefined,
    });
    // `visibility` (organisations) wins over `private`; a new repo is
    // reachable only by whoever made it until access is given.
    const visibilities = ['public', 'private', 'internal'] as const;
    repo.visibility = visibilities.includes(body.visibility)
      ? body.visibility
      : (body.private === false && 'public') || 'private';
    repo.collaborators = new Set([API_USER.login]);
    if (body.auto_init) {
      const blob = await gh.repos.writeBlob(
        repo,
        Buffer.from(`# ${body.name}\n\n${body.description ?? ''}\n`),
      );
      const tree = await gh.repos.writeTree(repo, null, [
        { path: 'README.md', mode: '100644', sha: blob },
      ]);
      const sha = await gh.repos.commitTree(
        repo,
        tree,
        [],
        'Initial commit',
        gh.apiUser(),
      );
      await gh.repos.updateRef(
        repo,
        `refs/heads/${repo.default_branch}`,
        sha,
        null,
        gh.pusher(),
      );
    }
    return gh.reply(ctx, 201, fullRepoJson(gh.urls(), repo));
  };
  r.add('POST', '/orgs/:org/repos', ctx => createRepo(ctx, ctx.params.org));
  r.add('POST', '/user/repos', ctx => createRepo(ctx, API_USER.login));
}
