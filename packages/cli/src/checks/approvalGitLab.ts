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

// Approvals from GitLab: the merge request's approvers, and direct memberships of group owners.

import { GITLAB_CODEOWNERS_PATHS } from '../lib/codeowners';
import { GITLAB_DEVELOPER, GitLabClient, GitLabError } from '../lib/gitlab';
import { ApprovalSource } from './approvalSource';

/** Where the approval check reads the merge request on GitLab. */
export type GitLabContext = {
  /** The token; undefined when none was given. */
  token?: string;
  /** How the token is passed, for messages. */
  tokenHint: string;
  /** The project's ID or full path (group/subgroup/name). */
  project?: string;
  mergeRequest?: number;
  /** The REST API v4 root, e.g. https://gitlab.example.com/api/v4. */
  apiUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

const TOKEN_KIND =
  "a personal, group or project access token with the read_api scope and at least the Reporter role, kept as the project's masked CI/CD variable GITLAB_TOKEN; CI_JOB_TOKEN cannot read merge request approvals";

const authFailed = (error: unknown) =>
  error instanceof GitLabError &&
  (error.status === 401 || error.status === 403);

export function gitLabApprovals(gitlab: GitLabContext): ApprovalSource {
  const client = new GitLabClient({
    apiUrl: gitlab.apiUrl,
    token: gitlab.token ?? '',
    fetch: gitlab.fetch,
    timeoutMs: gitlab.timeoutMs,
  });
  const project = gitlab.project ?? '';
  const iid = gitlab.mergeRequest ?? 0;
  /** username (lower case) → user id, from the approvals */
  const ids = new Map<string, number>();
  const access = new Map<string, Promise<number | undefined>>();
  const unconfirmed = new Set<string>();
  return {
    name: `${project}!${iid}`,
    noun: 'merge request',
    codeownersPaths: GITLAB_CODEOWNERS_PATHS,
    flavor: 'gitlab',
    missing() {
      const missing: string[] = [];
      if (!gitlab.token) {
        missing.push(
          `a GitLab token to read the merge request's approvals (${gitlab.tokenHint}: ${TOKEN_KIND})`,
        );
      }
      if (!gitlab.project) {
        missing.push(
          'the project (CI_PROJECT_ID or CI_PROJECT_PATH, or --gitlab-project ID|GROUP/NAME)',
        );
      }
      if (gitlab.mergeRequest === undefined) {
        missing.push(
          "the merge request's IID (CI_MERGE_REQUEST_IID in a merge request pipeline, or --merge-request N)",
        );
      }
      return missing;
    },
    missingFix:
      "Run the check in a merge request pipeline with a token that can read the merge request and the owning groups' members (read_api)",
    headSha: () => client.headSha(project, iid),
    // GitLab's approvals name no commit: they are the head's because the
    // check runs on the head and "Reset approvals on push" removes older ones.
    async approvers() {
      if ((await client.resetsApprovalsOnPush(project)) === false) {
        throw new GitLabError(
          `${project} keeps approvals when commits are added to a merge request (reset_approvals_on_push and selective_code_owner_removals are off), so an approval may be of an older commit`,
          undefined,
          'Turn on "Remove all approvals when commits are added to the source branch" (or "Remove approvals by Code Owners if their files changed") in the project\'s Settings > Merge requests > Approval settings',
        );
      }
      const users = await client.approvers(project, iid);
      for (const u of users) ids.set(u.username.toLowerCase(), u.id);
      return users.map(u => u.username);
    },
    async isOwner(owner, username) {
      // e-mail owners cannot be matched to a username; `@@role` owners
      // (GitLab roles) are not read
      if (!owner.startsWith('@') || owner.startsWith('@@')) {
        if (owner.startsWith('@@')) unconfirmed.add(owner);
        return false;
      }
      const name = owner.slice(1);
      if (name.toLowerCase() === username.toLowerCase()) return true;
      const id = ids.get(username.toLowerCase());
      if (id === undefined) return false;
      // any other @name may be a group; GitLab counts its direct members
      // with the Developer role or higher (docs.gitlab.com/user/project/codeowners/reference)
      const key = `${name.toLowerCase()} ${id}`;
      if (!access.has(key)) access.set(key, client.directGroupAccess(name, id));
      const level = await access.get(key)!;
      if (level === undefined) unconfirmed.add(owner);
      return level !== undefined && level >= GITLAB_DEVELOPER;
    },
    unconfirmedHint(owners) {
      const roles = owners.filter(
        o => o.startsWith('@@') && unconfirmed.has(o),
      );
      if (roles.length) {
        return `role owners (${roles.join(
          ', ',
        )}) are not read by this check: name users or groups in CODEOWNERS`;
      }
      const groups = owners.filter(o => unconfirmed.has(o));
      return groups.length
        ? `GitLab did not confirm an approver as a direct member of ${groups.join(
            ', ',
          )}: it answers 404 both for a non-member and for a group the token cannot see, so group owners need a token whose user can see the group (read_api)`
        : undefined;
    },
    readFix(error) {
      if (error instanceof GitLabError && error.fix) return error.fix;
      if (authFailed(error)) {
        return `Give the check ${TOKEN_KIND}`;
      }
      if (error instanceof GitLabError && error.status === 404) {
        return `Check the project (${project}) and the merge request (!${iid}), and that the token's user can see the project (at least Reporter, read_api)`;
      }
      return 'Re-run the check when GitLab answers';
    },
    memberships: 'group memberships',
    membershipFix: error =>
      authFailed(error)
        ? `Group owners need a token that can read the groups' members: ${TOKEN_KIND}`
        : 'Re-run the check when GitLab answers',
  };
}
