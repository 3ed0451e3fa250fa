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

// The writer's repository set-up: creating a config repo, its default branch, branch protection and access for code owners.
import type { ConfigRepoLocation } from './configRepoTypes';
import type { NewRepositoryOptions } from './GitHost';
import { GithubWrites, json } from './githubWrites';
import type {
  AccessGrantResult,
  BranchProtection,
} from './GithubConfigRepoWriter';

/**
 * Gives the code owners of a new repo write access, so that their reviews
 * count: GitHub requests and counts code-owner reviews only from people
 * and teams with write access (docs.github.com, "About code owners"). An
 * `@org/team` of the repo's organisation gets the team permission
 * (`PUT /orgs/{org}/teams/{team}/repos/{owner}/{repo}`), an `@user` an
 * invitation as collaborator (`PUT /repos/{owner}/{repo}/collaborators/{user}`).
 * E-mail owners and teams of another organisation cannot be granted
 * access this way and are returned as skipped, with the reason.
 */
export async function grantAccess(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  owners: string[],
  permission: 'push' | 'maintain' = 'push',
): Promise<AccessGrantResult> {
  const result: AccessGrantResult = { granted: [], skipped: [] };
  for (const owner of owners) {
    const team = /^@([^/\s]+)\/([^/\s]+)$/.exec(owner);
    const user = /^@([^/\s]+)$/.exec(owner);
    let path: string;
    if (team) {
      if (team[1].toLowerCase() !== loc.owner.toLowerCase()) {
        result.skipped.push({
          owner,
          reason: `a team of ${team[1]} cannot be given access to a repo of ${loc.owner}`,
        });
        continue;
      }
      path = `//orgs/${encodeURIComponent(team[1])}/teams/${encodeURIComponent(
        team[2],
      )}/repos/${encodeURIComponent(loc.owner)}/${encodeURIComponent(
        loc.repo,
      )}`;
    } else if (user) {
      if (user[1].toLowerCase() === loc.owner.toLowerCase()) {
        continue; // the owner of a personal repo has access already
      }
      path = `/collaborators/${encodeURIComponent(user[1])}`;
    } else {
      result.skipped.push({
        owner,
        reason:
          'an e-mail address cannot be given access; add the person as a collaborator by login',
      });
      continue;
    }
    const response = await api.request(loc, 'PUT', path, { permission });
    if (!response.ok) {
      const error = api.failure(
        loc,
        `Giving ${owner} ${permission} access`,
        response,
      );
      if (response.status === 404 || response.status === 422) {
        result.skipped.push({ owner, reason: error.message });
        continue;
      }
      throw error;
    }
    result.granted.push({ owner, permission });
  }
  return result;
}

/** Whether the repository exists (and the token can see it). */
export async function repositoryExists(
  api: GithubWrites,
  loc: ConfigRepoLocation,
): Promise<boolean> {
  const response = await api.request(loc, 'GET', '');
  if (response.status === 404) {
    return false;
  }
  if (!response.ok) {
    throw api.failure(loc, 'Reading the repository', response);
  }
  return true;
}

/**
 * Creates the repository `loc.repo` under `loc.owner`: an organization's
 * repo, or the authenticated user's when the owner is a user. Empty, so
 * the first push decides its branches.
 */
export async function createRepository(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  options: NewRepositoryOptions,
): Promise<{ url: string; created: boolean }> {
  if (await repositoryExists(api, loc)) {
    return { url: loc.url, created: false };
  }
  const ownerResponse = await api.request(
    loc,
    'GET',
    `//users/${encodeURIComponent(loc.owner)}`,
  );
  if (!ownerResponse.ok) {
    throw api.failure(loc, `Reading the owner ${loc.owner}`, ownerResponse);
  }
  const owner = json(ownerResponse) as { type?: string };
  const path =
    owner.type === 'Organization'
      ? `//orgs/${encodeURIComponent(loc.owner)}/repos`
      : '//user/repos';
  const response = await api.request(loc, 'POST', path, {
    name: loc.repo,
    description: options.description,
    private: options.visibility !== 'public',
    ...(owner.type === 'Organization'
      ? { visibility: options.visibility }
      : {}),
    auto_init: false,
    has_issues: true,
    has_wiki: false,
    delete_branch_on_merge: true,
  });
  if (!response.ok) {
    throw api.failure(loc, 'Creating the repository', response);
  }
  const body = json(response) as { html_url: string };
  return { url: body.html_url, created: true };
}

/** Sets the branch that clones check out and pull requests target by default. */
export async function setDefaultBranch(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  branch: string,
): Promise<void> {
  const response = await api.request(loc, 'PATCH', '', {
    default_branch: branch,
  });
  if (!response.ok) {
    throw api.failure(loc, `Setting the default branch to ${branch}`, response);
  }
}

/**
 * Protects a branch: changes only through pull requests that pass the
 * given status checks, with `approvals` approving reviews (code owners'
 * when more than zero); no force pushes or deletion, admins included.
 */
export async function protectBranch(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  branch: string,
  options: BranchProtection,
): Promise<void> {
  const response = await api.request(
    loc,
    'PUT',
    `/branches/${encodeURIComponent(branch)}/protection`,
    {
      // `checks` binds a check to the app that must set it; without
      // app_id GitHub picks the app that set it last, or any
      // (docs.github.com, "Update branch protection").
      required_status_checks: {
        strict: true,
        checks: options.checks.map(c => ({
          context: c.context,
          ...(c.appId !== undefined ? { app_id: c.appId } : {}),
        })),
      },
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: options.approvals,
        require_code_owner_reviews: options.approvals > 0,
        dismiss_stale_reviews: true,
      },
      restrictions: null,
      allow_force_pushes: false,
      allow_deletions: false,
    },
  );
  if (!response.ok) {
    throw api.failure(loc, `Protecting branch ${branch}`, response);
  }
}
