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

/*
 * The records a GitLab instance keeps next to its repositories: users and
 * their tokens, groups, projects with members, protected branches, approval
 * rules, merge requests, pipelines and commit statuses.
 */

import { RepoRecord } from '../githost/GitRepos';
import { USERS } from '../seed/data';

/**
 * Access levels (docs.gitlab.com/api/members, "Roles"): 0 no access, 10
 * guest, 20 reporter, 30 developer, 40 maintainer, 50 owner.
 */
export const ACCESS = {
  none: 0,
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

export type GlUser = {
  id: number;
  username: string;
  name: string;
  email: string;
  bot: boolean;
  /** a token that acts as this user (a personal or project access token) */
  token: string;
};

/**
 * The seeded people of the GitHub emulator, as GitLab users with the same
 * ids, and the bot whose token Backstage uses. Not secrets: they exist only
 * in the sandbox.
 */
export const GITLAB_BOT_TOKEN = 'sandbox-gitlab-token';

export function seedUsers(): GlUser[] {
  return Object.values(USERS).map(u => ({
    id: u.id,
    username: u.login,
    name: u.name,
    email: u.email,
    bot: u.login === 'ml-gitops-bot',
    token:
      u.login === 'ml-gitops-bot'
        ? GITLAB_BOT_TOKEN
        : `sandbox-gitlab-${u.login}-token`,
  }));
}

export type GlGroup = {
  id: number;
  name: string;
  path: string;
  full_path: string;
  parent_id: number | null;
  description: string;
  /** direct members: user id → access level */
  members: Map<number, number>;
};

export type GlProtectedBranch = {
  id: number;
  /** a branch name or a wildcard such as `release/*` */
  name: string;
  push_access_level: number;
  merge_access_level: number;
  allow_force_push: boolean;
  code_owner_approval_required: boolean;
};

export type GlApprovalRule = {
  id: number;
  name: string;
  rule_type: 'regular' | 'any_approver';
  approvals_required: number;
  /** empty: every branch */
  protected_branch_ids: number[];
  user_ids: number[];
  group_ids: number[];
};

export type GlApproval = { user_id: number; at: string };

export type GlNote = {
  id: number;
  body: string;
  author_id: number;
  created_at: string;
  system: boolean;
};

export type GlMergeRequest = {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged';
  source_branch: string;
  target_branch: string;
  /** the head of the source branch */
  sha: string;
  author_id: number;
  labels: string[];
  reviewer_ids: number[];
  draft: boolean;
  created_at: string;
  updated_at: string;
  merged_at: string | null;
  merge_user_id: number | null;
  merge_commit_sha: string | null;
  closed_at: string | null;
  closed_by_id: number | null;
  approvals: GlApproval[];
  notes: GlNote[];
};

export type GlJob = {
  id: number;
  name: string;
  stage: string;
  status: GlPipelineStatus;
  log: string[];
  description: string | null;
  target_url: string | null;
  created_at: string;
  finished_at: string | null;
  /** who created an external commit status (null: the pipeline's user) */
  author_id: number;
};

export type GlPipelineStatus =
  | 'created'
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'canceled'
  | 'skipped';

export type GlPipeline = {
  id: number;
  iid: number;
  project_id: number;
  sha: string;
  ref: string;
  /** `merge_request_event` for a merge request pipeline, `external` for commit statuses */
  source: 'merge_request_event' | 'external' | 'push';
  status: GlPipelineStatus;
  user_id: number;
  merge_request_iid: number | null;
  created_at: string;
  updated_at: string;
  jobs: GlJob[];
};

export type GlProject = {
  id: number;
  name: string;
  path: string;
  namespace: GlGroup;
  description: string | null;
  visibility: 'private' | 'internal' | 'public';
  created_at: string;
  repo: RepoRecord;
  /** "Pipelines must succeed" (docs.gitlab.com/user/project/merge_requests/auto_merge) */
  only_allow_merge_if_pipeline_succeeds: boolean;
  /**
   * "Reset approvals on push" (docs.gitlab.com/user/project/merge_requests/
   * approvals/settings): on here, as the product sets it.
   */
  reset_approvals_on_push: boolean;
  /** "Prevent approval by author": author approval off by default */
  merge_requests_author_approval: boolean;
  /** direct members: user id → access level */
  members: Map<number, number>;
  /** groups the project is shared with: group id → access level */
  shared_with: Map<number, number>;
  protected_branches: GlProtectedBranch[];
  approval_rules: GlApprovalRule[];
  merge_requests: GlMergeRequest[];
  pipelines: GlPipeline[];
  last_activity_at: string;
};

export function fullPath(project: GlProject) {
  return `${project.namespace.full_path}/${project.path}`;
}

/** GitLab's branch name wildcards (docs.gitlab.com/user/project/repository/branches/protected): `*` matches any characters. */
export function branchPatternMatches(pattern: string, branch: string) {
  const re = pattern
    .split('*')
    .map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`).test(branch);
}

/**
 * The protected branch rule for a branch: an exact name first, then the
 * wildcards; of several matching rules the most permissive access level
 * applies (docs.gitlab.com/user/project/repository/branches/protected, "When
 * a branch matches multiple rules").
 */
export function protectionOf(
  project: GlProject,
  branch: string,
): GlProtectedBranch | undefined {
  const matches = project.protected_branches.filter(p =>
    branchPatternMatches(p.name, branch),
  );
  if (matches.length <= 1) return matches[0];
  // 0 (no one) is the least permissive level
  const least = (a: number, b: number) => {
    if (a === 0) return b;
    if (b === 0) return a;
    return Math.min(a, b);
  };
  return matches.reduce((acc, p) => ({
    ...acc,
    push_access_level: least(acc.push_access_level, p.push_access_level),
    merge_access_level: least(acc.merge_access_level, p.merge_access_level),
    allow_force_push: acc.allow_force_push || p.allow_force_push,
    code_owner_approval_required:
      acc.code_owner_approval_required || p.code_owner_approval_required,
  }));
}

/**
 * Refuses pushes as GitLab's pre-receive checks do (lib/gitlab/checks/
 * branch_check.rb; docs.gitlab.com/user/project/repository/branches/
 * protected): the message goes to the client as `remote: GitLab: …`.
 * `sandbox-protection` has one line per protected branch rule: its name
 * (a shell pattern: GitLab's `*` wildcard), whether force pushes are
 * allowed (1/0), and the usernames who may push (none when
 * push_access_level is 0).
 */
export const GITLAB_PRE_RECEIVE_HOOK = `#!/bin/sh
[ -f "$GIT_DIR/sandbox-protection" ] || exit 0
status=0
zero=0000000000000000000000000000000000000000
tab=$(printf '\\t')
while read old new ref; do
  case "$ref" in refs/heads/*) ;; *) continue ;; esac
  branch=\${ref#refs/heads/}
  found=
  force=0
  pushers=
  while IFS="$tab" read -r pattern allow users; do
    case "$branch" in
      $pattern) found=1; [ "$allow" = 1 ] && force=1; pushers="$pushers $users" ;;
    esac
  done < "$GIT_DIR/sandbox-protection"
  [ -n "$found" ] || continue
  msg=
  allowed=
  case " $pushers " in *" $SANDBOX_PUSH_USER "*) allowed=1 ;; esac
  if [ "$new" = "$zero" ]; then
    msg="You can only delete protected branches using the web interface."
  elif [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
    [ "$force" = 1 ] && [ -n "$allowed" ] || msg="You are not allowed to force push code to a protected branch on this project."
  elif [ -z "$allowed" ]; then
    if [ "$old" = "$zero" ]; then
      msg="You are not allowed to create protected branches on this project."
    else
      msg="You are not allowed to push code to protected branches on this project."
    fi
  fi
  if [ -n "$msg" ]; then
    echo "GitLab: $msg" >&2
    status=1
  fi
done
exit $status
`;
