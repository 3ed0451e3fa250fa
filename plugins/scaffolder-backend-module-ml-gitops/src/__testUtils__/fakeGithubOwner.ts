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

import { http, HttpResponse } from 'msw';
import {
  githubInvitation,
  githubPublicUser,
  githubRepository,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';

/** msw handlers for GitHub's repository creation, settings and branch protection. */
export function fakeGithubOwner(options: {
  owner: string;
  type: 'Organization' | 'User';
  existing?: string[];
}) {
  const api = 'https://api.github.com';
  const repos = new Set(options.existing ?? []);
  const created: Array<Record<string, unknown>> = [];
  const settings: Record<string, Record<string, unknown>> = {};
  const protections: Record<string, any> = {};
  /** Access given to the new repos: `team:<org>/<slug>` or `user:<login>` → permission. */
  const access: Record<string, string> = {};
  const repository = (
    name: string,
    extra: { private?: boolean; defaultBranch?: string } = {},
  ) =>
    githubRepository(`${options.owner}/${name}`, {
      full: true,
      ownerType: options.type,
      ...extra,
    });
  const handlers = [
    http.get(`${api}/repos/${options.owner}/:repo`, ({ params }) =>
      repos.has(String(params.repo))
        ? HttpResponse.json(repository(String(params.repo)))
        : HttpResponse.json({ message: 'Not Found' }, { status: 404 }),
    ),
    http.get(`${api}/users/${options.owner}`, () =>
      HttpResponse.json(
        githubPublicUser(options.owner, { type: options.type }),
      ),
    ),
    http.post(
      options.type === 'Organization'
        ? `${api}/orgs/${options.owner}/repos`
        : `${api}/user/repos`,
      async ({ request }) => {
        const body = (await request.json()) as {
          name: string;
          private?: boolean;
        };
        if (repos.has(body.name)) {
          return HttpResponse.json(
            { message: 'Repository creation failed.' },
            { status: 422 },
          );
        }
        repos.add(body.name);
        created.push(body);
        return HttpResponse.json(
          repository(body.name, { private: body.private ?? false }),
          { status: 201 },
        );
      },
    ),
    http.patch(
      `${api}/repos/${options.owner}/:repo`,
      async ({ request, params }) => {
        const body = (await request.json()) as Record<string, unknown>;
        settings[String(params.repo)] = body;
        return HttpResponse.json(
          repository(String(params.repo), {
            ...(typeof body.default_branch === 'string'
              ? { defaultBranch: body.default_branch }
              : {}),
          }),
        );
      },
    ),
    http.put(
      `${api}/repos/${options.owner}/:repo/branches/:branch/protection`,
      async ({ request, params }) => {
        protections[String(params.branch)] = await request.json();
        // GitHub answers the protection it now holds (protected-branch).
        return HttpResponse.json({
          url: `${api}/repos/${options.owner}/${params.repo}/branches/${params.branch}/protection`,
        });
      },
    ),
    // docs.github.com, "Add or update team repository permissions": 204.
    http.put(
      `${api}/orgs/:org/teams/:team/repos/${options.owner}/:repo`,
      async ({ request, params }) => {
        const body = (await request.json()) as { permission?: string };
        access[`team:${params.org}/${params.team}`] = body.permission ?? 'push';
        return new HttpResponse(null, { status: 204 });
      },
    ),
    // docs.github.com, "Add a repository collaborator": 201 (invitation).
    http.put(
      `${api}/repos/${options.owner}/:repo/collaborators/:login`,
      async ({ request, params }) => {
        const body = (await request.json()) as { permission?: string };
        access[`user:${params.login}`] = body.permission ?? 'push';
        return HttpResponse.json(
          githubInvitation(`${options.owner}/${params.repo}`, {
            invitee: String(params.login),
            permission: body.permission ?? 'push',
          }),
          { status: 201 },
        );
      },
    ),
  ];
  return { handlers, repos, created, settings, protections, access };
}
