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
 * GitLab REST objects as GitLab's REST API v4 answers them, written from
 * the pages of docs.gitlab.com/api (named at each renderer): the one place
 * the GitLab fakes render GitLab's JSON, for the msw fakes of the plugins'
 * tests and a sandbox emulator. A caller passes what it knows (ids, times,
 * accounts); the rest takes GitLab's shape with plain values.
 */
import { createHash } from 'node:crypto';
import { githubId } from './githubAnswers';

const WEB = 'https://gitlab.example.com';
const TIME = '2026-01-01T00:00:00.000Z';

/** A small stable id from a name (ids of fixture objects). @public */
export function gitlabId(name: string): number {
  return githubId(`gitlab:${name}`);
}

/** Where a GitLab's web pages are (`web_url`s). @public */
export type GitlabSite = { web?: string };

const webOf = (s: GitlabSite = {}) => (s.web ?? WEB).replace(/\/+$/, '');

/**
 * A user as other objects embed it (docs.gitlab.com "Users API", the
 * basic user: author, merge_user, approved_by[].user).
 * @public
 */
export function gitlabUserBasic(
  username: string,
  options: GitlabSite & { id?: number; name?: string } = {},
) {
  const web = webOf(options);
  return {
    id: options.id ?? gitlabId(username),
    username,
    public_email: null,
    name: options.name ?? username,
    state: 'active',
    locked: false,
    avatar_url: `${web}/uploads/-/system/user/avatar/${username}.png`,
    web_url: `${web}/${username}`,
  };
}

/** `GET /users/:id` and `GET /users?username=` (docs.gitlab.com "Users API"): with `bot`. @public */
export function gitlabUser(
  username: string,
  options: GitlabSite & { id?: number; name?: string; bot?: boolean } = {},
) {
  return {
    ...gitlabUserBasic(username, options),
    created_at: TIME,
    bio: '',
    location: '',
    job_title: '',
    organization: '',
    pronouns: null,
    bot: options.bot ?? false,
    work_information: null,
    followers: 0,
    following: 0,
    local_time: null,
  };
}

/** A commit's facts, as a fake knows them. @public */
export type GitlabCommitFacts = {
  id: string;
  parentIds: string[];
  message: string;
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committerName?: string;
  committerEmail?: string;
  committedDate?: string;
};

/**
 * `GET /projects/:id/repository/commits/:sha` (docs.gitlab.com "Commits
 * API", single commit; the list entries and a created commit share it).
 * @public
 */
export function gitlabCommit(
  fullPath: string,
  c: GitlabCommitFacts,
  options: GitlabSite = {},
) {
  const title = c.message.split('\n')[0];
  return {
    id: c.id,
    short_id: c.id.slice(0, 8),
    created_at: c.committedDate ?? c.authoredDate,
    parent_ids: c.parentIds,
    title,
    message: c.message,
    author_name: c.authorName,
    author_email: c.authorEmail,
    authored_date: c.authoredDate,
    committer_name: c.committerName ?? c.authorName,
    committer_email: c.committerEmail ?? c.authorEmail,
    committed_date: c.committedDate ?? c.authoredDate,
    trailers: {},
    extended_trailers: {},
    web_url: `${webOf(options)}/${fullPath}/-/commit/${c.id}`,
  };
}

/** `GET /projects/:id/repository/branches` entries (docs.gitlab.com "Branches API"). @public */
export function gitlabBranch(
  fullPath: string,
  name: string,
  commit: GitlabCommitFacts,
  options: GitlabSite & { protected?: boolean; default?: boolean } = {},
) {
  return {
    name,
    merged: false,
    protected: options.protected ?? false,
    default: options.default ?? false,
    developers_can_push: !options.protected,
    developers_can_merge: !options.protected,
    can_push: true,
    web_url: `${webOf(options)}/${fullPath}/-/tree/${name}`,
    commit: gitlabCommit(fullPath, commit, options),
  };
}

/**
 * `GET /projects/:id/repository/files/:file_path?ref=` (docs.gitlab.com
 * "Repository files API"): the content base64-encoded, the blob and the
 * last commit that changed the file (the optimistic lock of a commit).
 * @public
 */
export function gitlabFile(f: {
  path: string;
  content: string;
  ref: string;
  blobId: string;
  commitId: string;
  lastCommitId: string;
}) {
  const bytes = Buffer.from(f.content, 'utf8');
  return {
    file_name: f.path.split('/').pop(),
    file_path: f.path,
    size: bytes.length,
    encoding: 'base64',
    content: bytes.toString('base64'),
    content_sha256: createHash('sha256').update(bytes).digest('hex'),
    ref: f.ref,
    blob_id: f.blobId,
    commit_id: f.commitId,
    last_commit_id: f.lastCommitId,
    execute_filemode: false,
  };
}

/** A merge request's facts, as a fake knows them. @public */
export type GitlabMergeRequestFacts = {
  iid: number;
  projectId: number;
  title: string;
  description?: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  sourceBranch: string;
  targetBranch: string;
  sha: string;
  mergeCommitSha?: string | null;
  squashCommitSha?: string | null;
  mergedAt?: string | null;
  mergedBy?: string | null;
  author: { username: string; id?: number };
  labels?: string[];
  reviewers?: string[];
  createdAt?: string;
};

/**
 * A merge request as `GET /projects/:id/merge_requests/:iid` answers it
 * (docs.gitlab.com "Merge requests API"); the lists carry the same fields
 * but `detailed_merge_status`'s companions.
 * @public
 */
export function gitlabMergeRequest(
  fullPath: string,
  mr: GitlabMergeRequestFacts,
  options: GitlabSite = {},
) {
  const user = (username: string) => gitlabUserBasic(username, options);
  const merged = mr.state === 'merged';
  const mergedBy = mr.mergedBy ? user(mr.mergedBy) : null;
  return {
    id: gitlabId(`${fullPath}!${mr.iid}`),
    iid: mr.iid,
    project_id: mr.projectId,
    title: mr.title,
    description: mr.description ?? '',
    state: mr.state,
    created_at: mr.createdAt ?? TIME,
    updated_at: mr.mergedAt ?? mr.createdAt ?? TIME,
    merged_by: merged ? mergedBy : null,
    merge_user: merged ? mergedBy : null,
    merged_at: merged ? mr.mergedAt ?? TIME : null,
    closed_by: null,
    closed_at: null,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    user_notes_count: 0,
    upvotes: 0,
    downvotes: 0,
    author: {
      ...user(mr.author.username),
      ...(mr.author.id ? { id: mr.author.id } : {}),
    },
    assignees: [],
    assignee: null,
    reviewers: (mr.reviewers ?? []).map(user),
    source_project_id: mr.projectId,
    target_project_id: mr.projectId,
    labels: mr.labels ?? [],
    draft: false,
    work_in_progress: false,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: 'can_be_merged',
    detailed_merge_status: merged ? 'not_open' : 'mergeable',
    sha: mr.sha,
    merge_commit_sha: mr.mergeCommitSha ?? null,
    squash_commit_sha: mr.squashCommitSha ?? null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: true,
    reference: `!${mr.iid}`,
    references: {
      short: `!${mr.iid}`,
      relative: `!${mr.iid}`,
      full: `${fullPath}!${mr.iid}`,
    },
    web_url: `${webOf(options)}/${fullPath}/-/merge_requests/${mr.iid}`,
    time_stats: {
      time_estimate: 0,
      total_time_spent: 0,
      human_time_estimate: null,
      human_total_time_spent: null,
    },
    squash: false,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: false,
    blocking_discussions_resolved: true,
  };
}

/**
 * `GET /projects/:id/merge_requests/:iid/approvals` (docs.gitlab.com
 * "Merge request approvals API", approval state of a merge request).
 * @public
 */
export function gitlabApprovals(
  mr: { iid: number; projectId: number; state: string },
  approvedBy: string[],
  options: GitlabSite & { approvalsRequired?: number } = {},
) {
  const required = options.approvalsRequired ?? 0;
  return {
    id: mr.iid,
    iid: mr.iid,
    project_id: mr.projectId,
    state: mr.state,
    approved: approvedBy.length >= required,
    approvals_required: required,
    approvals_left: Math.max(0, required - approvedBy.length),
    approved_by: approvedBy.map(username => ({
      user: gitlabUserBasic(username, options),
    })),
  };
}

/** `GET /projects/:id` (docs.gitlab.com "Projects API"), the fields a client reads. @public */
export function gitlabProject(
  p: {
    id: number;
    fullPath: string;
    namespace: { id: number; kind: 'group' | 'user'; fullPath: string };
    defaultBranch?: string | null;
    visibility?: 'private' | 'internal' | 'public';
    description?: string | null;
    onlyAllowMergeIfPipelineSucceeds?: boolean;
  },
  options: GitlabSite = {},
) {
  const web = webOf(options);
  const path = p.fullPath.split('/').pop()!;
  return {
    id: p.id,
    description: p.description ?? null,
    name: path,
    name_with_namespace: p.fullPath.split('/').join(' / '),
    path,
    path_with_namespace: p.fullPath,
    created_at: TIME,
    default_branch: p.defaultBranch ?? null,
    visibility: p.visibility ?? 'private',
    ssh_url_to_repo: `git@${new URL(web).host}:${p.fullPath}.git`,
    http_url_to_repo: `${web}/${p.fullPath}.git`,
    web_url: `${web}/${p.fullPath}`,
    empty_repo: !p.defaultBranch,
    archived: false,
    namespace: {
      id: p.namespace.id,
      name: p.namespace.fullPath.split('/').pop(),
      path: p.namespace.fullPath.split('/').pop(),
      kind: p.namespace.kind,
      full_path: p.namespace.fullPath,
      parent_id: null,
      web_url: `${web}/${p.namespace.fullPath}`,
    },
    only_allow_merge_if_pipeline_succeeds:
      p.onlyAllowMergeIfPipelineSucceeds ?? false,
    merge_method: 'merge',
    remove_source_branch_after_merge: true,
  };
}

/** `GET /namespaces/:id` (docs.gitlab.com "Namespaces API"). @public */
export function gitlabNamespace(
  n: { id: number; kind: 'group' | 'user'; fullPath: string },
  options: GitlabSite = {},
) {
  const path = n.fullPath.split('/').pop();
  return {
    id: n.id,
    name: path,
    path,
    kind: n.kind,
    full_path: n.fullPath,
    parent_id: null,
    avatar_url: null,
    web_url: `${webOf(options)}/${n.fullPath}`,
  };
}

/** `GET /groups/:id` (docs.gitlab.com "Groups API"), the fields a client reads. @public */
export function gitlabGroup(
  g: { id: number; fullPath: string },
  options: GitlabSite = {},
) {
  const path = g.fullPath.split('/').pop();
  return {
    id: g.id,
    name: path,
    path,
    full_name: g.fullPath.split('/').join(' / '),
    full_path: g.fullPath,
    visibility: 'private',
    web_url: `${webOf(options)}/groups/${g.fullPath}`,
    parent_id: null,
  };
}

/** How GitLab describes an access level. */
const ACCESS_LEVELS: Record<number, string> = {
  0: 'No one',
  30: 'Developers + Maintainers',
  40: 'Maintainers',
};

/**
 * `POST|GET /projects/:id/protected_branches` (docs.gitlab.com "Protected
 * branches API"); access levels 0 no one, 30 Developer, 40 Maintainer.
 * @public
 */
export function gitlabProtectedBranch(p: {
  id: number;
  name: string;
  pushAccessLevel: number;
  mergeAccessLevel: number;
  allowForcePush: boolean;
  codeOwnerApprovalRequired: boolean;
}) {
  const level = (n: number) => ({
    id: gitlabId(`${p.name}:${n}`),
    access_level: n,
    access_level_description: ACCESS_LEVELS[n] ?? 'Maintainers',
    deploy_key_id: null,
    user_id: null,
    group_id: null,
  });
  return {
    id: p.id,
    name: p.name,
    push_access_levels: [level(p.pushAccessLevel)],
    merge_access_levels: [level(p.mergeAccessLevel)],
    unprotect_access_levels: [],
    allow_force_push: p.allowForcePush,
    code_owner_approval_required: p.codeOwnerApprovalRequired,
  };
}

/** `POST /projects/:id/approval_rules` (docs.gitlab.com "Merge request approvals API", project rules). @public */
export function gitlabApprovalRule(r: {
  id: number;
  name: string;
  /** `any_approver` ("All eligible users") or `regular` (the default) */
  ruleType?: 'regular' | 'any_approver';
  approvalsRequired: number;
  protectedBranches: Array<{ id: number; name: string }>;
}) {
  return {
    id: r.id,
    name: r.name,
    rule_type: r.ruleType ?? 'regular',
    eligible_approvers: [],
    approvals_required: r.approvalsRequired,
    users: [],
    groups: [],
    contains_hidden_groups: false,
    protected_branches: r.protectedBranches.map(b => ({
      id: b.id,
      name: b.name,
      push_access_levels: [],
      merge_access_levels: [],
      unprotect_access_levels: [],
      code_owner_approval_required: false,
    })),
    applies_to_all_protected_branches: false,
  };
}

/** `POST /projects/:id/members` (docs.gitlab.com "Group and project members API"). @public */
export function gitlabMember(
  username: string,
  accessLevel: number,
  options: GitlabSite & { id?: number } = {},
) {
  return {
    ...gitlabUserBasic(username, options),
    access_level: accessLevel,
    created_at: TIME,
    expires_at: null,
  };
}

/** `POST /projects/:id/merge_requests/:iid/notes` (docs.gitlab.com "Notes API"). @public */
export function gitlabNote(
  n: { id: number; body: string; author: string; iid: number },
  options: GitlabSite = {},
) {
  return {
    id: n.id,
    type: null,
    body: n.body,
    author: gitlabUserBasic(n.author, options),
    created_at: TIME,
    updated_at: TIME,
    system: false,
    noteable_id: n.iid,
    noteable_type: 'MergeRequest',
    noteable_iid: n.iid,
    resolvable: false,
    confidential: false,
    internal: false,
  };
}

/**
 * The paging headers of a list (docs.gitlab.com "REST API", offset-based
 * pagination): `x-next-page` empty on the last page, `Link` with rel next.
 * @public
 */
export function gitlabPageHeaders(
  url: URL,
  page: number,
  perPage: number,
  total: number,
): Record<string, string> {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number, rel: string) => {
    const u = new URL(url);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    return `<${u}>; rel="${rel}"`;
  };
  return {
    'x-page': String(page),
    'x-per-page': String(perPage),
    'x-total': String(total),
    'x-total-pages': String(pages),
    'x-next-page': page < pages ? String(page + 1) : '',
    'x-prev-page': page > 1 ? String(page - 1) : '',
    link: [
      ...(page < pages ? [link(page + 1, 'next')] : []),
      link(1, 'first'),
      link(pages, 'last'),
    ].join(', '),
  };
}

/** One page of a list as `?page=&per_page=` asks (per_page at most 100). @public */
export function gitlabPage<T>(
  url: URL,
  items: T[],
): { body: T[]; headers: Record<string, string> } {
  const perPage = Math.min(
    100,
    Math.max(1, Number(url.searchParams.get('per_page')) || 20),
  );
  const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
  return {
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: gitlabPageHeaders(url, page, perPage, items.length),
  };
}
