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
 * GitLab's JSON for the emulator's records, field by field as the REST API
 * pages describe them (docs.gitlab.com/api/projects, /branches,
 * /repository_files, /commits, /merge_requests, /merge_request_approvals,
 * /pipelines, /protected_branches, /merge_request_approvals#project-approval-rules,
 * /members, /users, /groups, /namespaces).
 */

import { CommitInfo } from '../githost/GitRepos';
import { ApprovalState, GitLabHost } from './GitLabHost';
import {
  fullPath,
  GlApprovalRule,
  GlGroup,
  GlJob,
  GlMergeRequest,
  GlNote,
  GlPipeline,
  GlProject,
  GlProtectedBranch,
  GlUser,
  protectionOf,
} from './model';

export function renderUser(host: GitLabHost, user: GlUser | undefined) {
  if (!user) return null;
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: null,
    web_url: `${host.baseUrl()}/${user.username}`,
    bot: user.bot,
  };
}

export function renderCurrentUser(host: GitLabHost, user: GlUser) {
  return {
    ...renderUser(host, user),
    email: user.email,
    public_email: null,
    created_at: '2026-01-05T09:00:00.000Z',
    is_admin: false,
  };
}

export function renderNamespace(host: GitLabHost, group: GlGroup) {
  return {
    id: group.id,
    name: group.name,
    path: group.path,
    kind: 'group',
    full_path: group.full_path,
    parent_id: group.parent_id,
    avatar_url: null,
    web_url: `${host.baseUrl()}/groups/${group.full_path}`,
  };
}

export function renderGroup(host: GitLabHost, group: GlGroup) {
  const parent = group.parent_id ? host.group(group.parent_id) : undefined;
  return {
    id: group.id,
    name: group.name,
    path: group.path,
    description: group.description,
    visibility: 'internal',
    full_name: parent ? `${parent.name} / ${group.name}` : group.name,
    full_path: group.full_path,
    parent_id: group.parent_id,
    web_url: `${host.baseUrl()}/groups/${group.full_path}`,
    avatar_url: null,
  };
}

export function renderProject(
  host: GitLabHost,
  project: GlProject,
  user: GlUser | undefined,
  emptyRepo: boolean,
) {
  const path = fullPath(project);
  const web = host.webUrl(project);
  const direct = user ? project.members.get(user.id) : undefined;
  const group = user ? host.groupAccess(project.namespace, user.id) : 0;
  return {
    id: project.id,
    description: project.description,
    name: project.name,
    name_with_namespace: `${project.namespace.name} / ${project.name}`,
    path: project.path,
    path_with_namespace: path,
    created_at: project.created_at,
    default_branch: emptyRepo ? null : project.repo.default_branch,
    ssh_url_to_repo: `git@localhost:${path}.git`,
    http_url_to_repo: `${web}.git`,
    web_url: web,
    visibility: project.visibility,
    namespace: renderNamespace(host, project.namespace),
    empty_repo: emptyRepo,
    archived: false,
    last_activity_at: project.last_activity_at,
    merge_method: 'merge',
    squash_option: 'default_off',
    only_allow_merge_if_pipeline_succeeds:
      project.only_allow_merge_if_pipeline_succeeds,
    only_allow_merge_if_all_discussions_are_resolved: false,
    merge_requests_enabled: true,
    jobs_enabled: true,
    permissions: {
      project_access: direct
        ? { access_level: direct, notification_level: 3 }
        : null,
      group_access: group
        ? { access_level: group, notification_level: 3 }
        : null,
    },
  };
}

export function renderCommit(
  host: GitLabHost,
  project: GlProject,
  c: CommitInfo,
) {
  const [title] = c.message.split('\n');
  return {
    id: c.sha,
    short_id: c.sha.slice(0, 8),
    created_at: c.committer.date,
    parent_ids: c.parents,
    title,
    message: c.message,
    author_name: c.author.name,
    author_email: c.author.email,
    authored_date: c.author.date,
    committer_name: c.committer.name,
    committer_email: c.committer.email,
    committed_date: c.committer.date,
    trailers: {},
    extended_trailers: {},
    web_url: `${host.webUrl(project)}/-/commit/${c.sha}`,
  };
}

export function renderBranch(
  host: GitLabHost,
  project: GlProject,
  name: string,
  commit: CommitInfo,
  user: GlUser | undefined,
) {
  const protectedRule = Boolean(protectionOf(project, name));
  return {
    name,
    merged: false,
    protected: protectedRule,
    default: name === project.repo.default_branch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: user ? host.canPush(project, user, name) : false,
    web_url: `${host.webUrl(project)}/-/tree/${encodeURIComponent(name)}`,
    commit: renderCommit(host, project, commit),
  };
}

const LEVEL_DESCRIPTION: Record<number, string> = {
  0: 'No one',
  30: 'Developers + Maintainers',
  40: 'Maintainers',
  60: 'Admins',
};

export function renderProtectedBranch(p: GlProtectedBranch) {
  const level = (access_level: number, offset: number) => [
    {
      id: p.id * 10 + offset,
      access_level,
      access_level_description: LEVEL_DESCRIPTION[access_level] ?? 'Custom',
      deploy_key_id: null,
      user_id: null,
      group_id: null,
    },
  ];
  return {
    id: p.id,
    name: p.name,
    push_access_levels: level(p.push_access_level, 1),
    merge_access_levels: level(p.merge_access_level, 2),
    unprotect_access_levels: [],
    allow_force_push: p.allow_force_push,
    code_owner_approval_required: p.code_owner_approval_required,
  };
}

export function renderApprovalRule(
  host: GitLabHost,
  project: GlProject,
  r: GlApprovalRule,
) {
  const users = r.user_ids.map(id => renderUser(host, host.user(id)));
  const groups = r.group_ids
    .map(id => host.group(id))
    .filter((g): g is GlGroup => Boolean(g))
    .map(g => renderGroup(host, g));
  const eligible = new Set(r.user_ids);
  for (const id of r.group_ids) {
    const g = host.group(id);
    if (g) for (const u of host.groupMembers(g)) eligible.add(u);
  }
  return {
    id: r.id,
    name: r.name,
    rule_type: r.rule_type,
    eligible_approvers: [...eligible].map(id =>
      renderUser(host, host.user(id)),
    ),
    approvals_required: r.approvals_required,
    users,
    groups,
    contains_hidden_groups: false,
    protected_branches: r.protected_branch_ids
      .map(id => project.protected_branches.find(p => p.id === id))
      .filter((p): p is GlProtectedBranch => Boolean(p))
      .map(renderProtectedBranch),
    applies_to_all_protected_branches: false,
  };
}

export async function renderMergeRequest(
  host: GitLabHost,
  project: GlProject,
  mr: GlMergeRequest,
  detail: boolean,
) {
  const path = fullPath(project);
  const status = await host.detailedMergeStatus(project, mr);
  const conflicts = status === 'conflict';
  const head = host.headPipeline(project, mr);
  const author = renderUser(host, host.user(mr.author_id));
  const mergeUser = mr.merge_user_id
    ? renderUser(host, host.user(mr.merge_user_id))
    : null;
  const base = {
    id: mr.id,
    iid: mr.iid,
    project_id: project.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.created_at,
    updated_at: mr.updated_at,
    merged_by: mergeUser,
    merge_user: mergeUser,
    merged_at: mr.merged_at,
    closed_by: mr.closed_by_id
      ? renderUser(host, host.user(mr.closed_by_id))
      : null,
    closed_at: mr.closed_at,
    target_branch: mr.target_branch,
    source_branch: mr.source_branch,
    user_notes_count: mr.notes.filter(n => !n.system).length,
    upvotes: 0,
    downvotes: 0,
    author,
    assignees: [],
    assignee: null,
    reviewers: mr.reviewer_ids.map(id => renderUser(host, host.user(id))),
    source_project_id: project.id,
    target_project_id: project.id,
    labels: mr.labels,
    draft: mr.draft,
    work_in_progress: mr.draft,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: conflicts ? 'cannot_be_merged' : 'can_be_merged',
    detailed_merge_status: status,
    sha: mr.sha,
    merge_commit_sha: mr.merge_commit_sha,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: false,
    reference: `!${mr.iid}`,
    references: {
      short: `!${mr.iid}`,
      relative: `!${mr.iid}`,
      full: `${path}!${mr.iid}`,
    },
    web_url: `${host.webUrl(project)}/-/merge_requests/${mr.iid}`,
    squash: false,
    has_conflicts: conflicts,
    blocking_discussions_resolved: true,
  };
  if (!detail) return base;
  return {
    ...base,
    pipeline: head ? renderPipelineBasic(host, project, head) : null,
    head_pipeline: head ? renderPipeline(host, project, head) : null,
    diff_refs: {
      base_sha: (await host.branchSha(project, mr.target_branch)) ?? null,
      head_sha: mr.sha,
      start_sha: (await host.branchSha(project, mr.target_branch)) ?? null,
    },
    changes_count: null,
    first_contribution: false,
  };
}

export function renderApprovals(
  host: GitLabHost,
  project: GlProject,
  mr: GlMergeRequest,
  state: ApprovalState,
  user: GlUser | undefined,
) {
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: project.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.created_at,
    updated_at: mr.updated_at,
    merge_status: 'can_be_merged',
    approved: state.approved,
    approvals_required: state.approvals_required,
    approvals_left: state.approvals_left,
    require_password_to_approve: false,
    approved_by: state.approved_by.map(id => ({
      user: renderUser(host, host.user(id)),
    })),
    suggested_approvers: [],
    approvers: [],
    approver_groups: [],
    user_has_approved: user ? state.approved_by.includes(user.id) : false,
    user_can_approve: user
      ? mr.author_id !== user.id && !state.approved_by.includes(user.id)
      : false,
    approval_rules_left: state.rules
      .filter(r => !r.approved)
      .map(r => ({ name: r.name, rule_type: r.rule_type })),
    has_approval_rules: state.rules.length > 0,
    merge_request_approvers_available: host.tier === 'premium',
    multiple_approval_rules_available: host.tier === 'premium',
  };
}

export function renderNote(host: GitLabHost, mr: GlMergeRequest, n: GlNote) {
  return {
    id: n.id,
    type: null,
    body: n.body,
    author: renderUser(host, host.user(n.author_id)),
    created_at: n.created_at,
    updated_at: n.created_at,
    system: n.system,
    noteable_id: mr.id,
    noteable_type: 'MergeRequest',
    noteable_iid: mr.iid,
    resolvable: false,
    confidential: false,
    internal: false,
  };
}

export function renderPipelineBasic(
  host: GitLabHost,
  project: GlProject,
  p: GlPipeline,
) {
  return {
    id: p.id,
    iid: p.iid,
    project_id: project.id,
    sha: p.sha,
    ref: p.ref,
    status: p.status,
    source: p.source,
    created_at: p.created_at,
    updated_at: p.updated_at,
    web_url: `${host.webUrl(project)}/-/pipelines/${p.id}`,
  };
}

export function renderPipeline(
  host: GitLabHost,
  project: GlProject,
  p: GlPipeline,
) {
  const finished = p.jobs
    .map(j => j.finished_at)
    .filter((x): x is string => Boolean(x))
    .sort()
    .pop();
  return {
    ...renderPipelineBasic(host, project, p),
    before_sha: '0000000000000000000000000000000000000000',
    tag: false,
    user: renderUser(host, host.user(p.user_id)),
    started_at: p.jobs.length ? p.created_at : null,
    finished_at: ['success', 'failed', 'canceled'].includes(p.status)
      ? finished ?? p.updated_at
      : null,
    committed_at: null,
    duration: null,
    queued_duration: null,
    coverage: null,
    detailed_status: { text: p.status, label: p.status, group: p.status },
  };
}

export function renderCommitStatus(
  host: GitLabHost,
  pipeline: GlPipeline,
  job: GlJob,
) {
  return {
    id: job.id,
    sha: pipeline.sha,
    ref: pipeline.ref,
    status: job.status,
    name: job.name,
    target_url: job.target_url,
    description: job.description,
    created_at: job.created_at,
    started_at: job.created_at,
    finished_at: job.finished_at,
    allow_failure: false,
    coverage: null,
    pipeline_id: pipeline.id,
    author: renderUser(host, host.user(job.author_id)),
  };
}
