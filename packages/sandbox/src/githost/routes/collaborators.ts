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

/* Access to a repository: collaborators and teams (docs.github.com/rest/collaborators, /rest/teams). */

import { readJson, Router } from '../../lib/http';
import { USERS } from '../../seed/data';
import { DOCS, GitHubError, GitHubHost, REPO, validationFailed } from './host';

export function registerCollaboratorsRoutes(r: Router, gh: GitHubHost) {
  // Add a repository collaborator: an organisation member gets access at
  // once (204), as does someone who has it already; an unknown login is
  // 404 (docs.github.com, "Add a repository collaborator").
  r.add('PUT', `${REPO}/collaborators/:login`, async ctx => {
    const repo = gh.repo(ctx.params);
    await readJson(ctx.req);
    if (!USERS[ctx.params.login]) {
      throw new GitHubError(
        404,
        'Not Found',
        `${DOCS}/collaborators/collaborators#add-a-repository-collaborator`,
      );
    }
    repo.collaborators?.add(ctx.params.login);
    ctx.res.writeHead(204);
    ctx.res.end();
  });
  // Add or update team repository permissions: 204; a team of another
  // organisation than the repo's is 422 (docs.github.com, "Add or
  // update team repository permissions").
  r.add('PUT', '/orgs/:org/teams/:team/repos/:owner/:repo', async ctx => {
    const repo = gh.repo(ctx.params);
    const body = await readJson(ctx.req);
    const docs = `${DOCS}/teams/teams#add-or-update-team-repository-permissions`;
    if (ctx.params.org.toLowerCase() !== repo.owner.toLowerCase()) {
      throw validationFailed(
        [{ resource: 'Team', code: 'invalid', field: 'org' }],
        docs,
      );
    }
    if (
      body.permission !== undefined &&
      !['pull', 'triage', 'push', 'maintain', 'admin'].includes(body.permission)
    ) {
      throw validationFailed(
        [{ resource: 'Team', code: 'invalid', field: 'permission' }],
        docs,
      );
    }
    repo.collaborators?.add(`${repo.owner}/${ctx.params.team}`);
    ctx.res.writeHead(204);
    ctx.res.end();
  });
}
