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
 * JSON shapes of GitHub's REST API objects, written from the schemas on
 * docs.github.com/rest (repos, git database, pulls, commits, branches).
 */

import crypto from 'node:crypto';
import { USERS } from '../seed/data';
import { CommitInfo, PullRecord, RepoRecord, StatusRecord } from './GitRepos';

export type Urls = { web: string; api: string };

export function userJson(urls: Urls, login: string | null) {
  if (!login) return null;
  const u = USERS[login];
  return {
    login,
    id: u?.id ?? 1,
    node_id: Buffer.from(`04:User${u?.id ?? 1}`).toString('base64'),
    avatar_url: `${urls.web}/avatars/${login}`,
    url: `${urls.api}/users/${login}`,
    html_url: `${urls.web}/${login}`,
    type: login === 'web-flow' ? 'User' : 'User',
    site_admin: false,
  };
}

export function loginForEmail(email: string): string | null {
  if (email === 'noreply@github.com') return 'web-flow';
  return Object.values(USERS).find(u => u.email === email)?.login ?? null;
}

export function ownerJson(urls: Urls, owner: string) {
  return {
    login: owner,
    id: 90000 + owner.length,
    node_id: Buffer.from(`04:Organization${owner}`).toString('base64'),
    avatar_url: `${urls.web}/avatars/${owner}`,
    url: `${urls.api}/users/${owner}`,
    html_url: `${urls.web}/${owner}`,
    type: USERS[owner] ? 'User' : 'Organization',
    site_admin: false,
  };
}

export function repoJson(urls: Urls, repo: RepoRecord) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: repo.fullName,
    private: (repo.visibility ?? 'public') !== 'public',
    visibility: repo.visibility ?? 'public',
    owner: ownerJson(urls, repo.owner),
    html_url: `${urls.web}/${repo.fullName}`,
    description: repo.description,
    fork: false,
    url: api,
    branches_url: `${api}/branches{/branch}`,
    commits_url: `${api}/commits{/sha}`,
    contents_url: `${api}/contents/{+path}`,
    pulls_url: `${api}/pulls{/number}`,
    git_url: `${urls.web.replace(/^http/, 'git')}/${repo.fullName}.git`,
    ssh_url: `git@${new URL(urls.web).host}:${repo.fullName}.git`,
    clone_url: `${urls.web}/${repo.fullName}.git`,
    created_at: repo.created_at,
    updated_at: repo.pushed_at,
    pushed_at: repo.pushed_at,
    size: 64,
    default_branch: repo.default_branch,
    archived: false,
    disabled: false,
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    delete_branch_on_merge: true,
    permissions: {
      admin: true,
      maintain: true,
      push: true,
      triage: true,
      pull: true,
    },
  };
}

export function gitCommitJson(urls: Urls, repo: RepoRecord, c: CommitInfo) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha: c.sha,
    node_id: Buffer.from(`06:Commit${c.sha}`).toString('base64'),
    url: `${api}/git/commits/${c.sha}`,
    html_url: `${urls.web}/${repo.fullName}/commit/${c.sha}`,
    author: c.author,
    committer: c.committer,
    tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
    message: c.message.replace(/\n$/, ''),
    parents: c.parents.map(p => ({
      sha: p,
      url: `${api}/git/commits/${p}`,
      html_url: `${urls.web}/${repo.fullName}/commit/${p}`,
    })),
    verification: {
      verified: false,
      reason: 'unsigned',
      signature: null,
      payload: null,
    },
  };
}

/** The "commit" object of the REST commits endpoints (repos/{o}/{r}/commits). */
export function restCommitJson(urls: Urls, repo: RepoRecord, c: CommitInfo) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    sha: c.sha,
    node_id: Buffer.from(`06:Commit${c.sha}`).toString('base64'),
    commit: {
      author: c.author,
      committer: c.committer,
      message: c.message.replace(/\n$/, ''),
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
      url: `${api}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
      },
    },
    url: `${api}/commits/${c.sha}`,
    html_url: `${urls.web}/${repo.fullName}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    author: userJson(urls, loginForEmail(c.author.email)),
    committer: userJson(urls, loginForEmail(c.committer.email)),
    parents: c.parents.map(p => ({
      sha: p,
      url: `${api}/commits/${p}`,
      html_url: `${urls.web}/${repo.fullName}/commit/${p}`,
    })),
  };
}

export function statusJson(urls: Urls, repo: RepoRecord, s: StatusRecord) {
  return {
    url: `${urls.api}/repos/${repo.fullName}/statuses/${s.id}`,
    avatar_url: null,
    id: s.id,
    node_id: Buffer.from(`013:StatusContext${s.id}`).toString('base64'),
    state: s.state,
    description: s.description,
    target_url: s.target_url,
    context: s.context,
    created_at: s.created_at,
    updated_at: s.updated_at,
    creator: userJson(urls, s.creator),
  };
}

/** Latest status per context, newest first (as GitHub lists them). */
export function latestStatuses(list: StatusRecord[]): StatusRecord[] {
  const byContext = new Map<string, StatusRecord>();
  for (const s of [...list].sort((a, b) => a.id - b.id))
    byContext.set(s.context, s);
  return [...byContext.values()].sort((a, b) => b.id - a.id);
}

export function combinedState(
  list: StatusRecord[],
): 'success' | 'pending' | 'failure' {
  const latest = latestStatuses(list);
  if (latest.some(s => s.state === 'failure' || s.state === 'error'))
    return 'failure';
  if (latest.length === 0 || latest.some(s => s.state === 'pending'))
    return 'pending';
  return 'success';
}

/** A label as GitHub's issues API answers it; the id is stable per name. */
export function labelJson(repoApiUrl: string, name: string) {
  const id =
    parseInt(
      crypto.createHash('sha1').update(name).digest('hex').slice(0, 8),
      16,
    ) || 1;
  return {
    id,
    node_id: `LA_${id}`,
    url: `${repoApiUrl}/labels/${encodeURIComponent(name)}`,
    name,
    color: 'ededed',
    default: false,
    description: null,
  };
}

export function pullJson(
  urls: Urls,
  repo: RepoRecord,
  pr: PullRecord,
  detail: boolean,
  extra: Record<string, unknown> = {},
) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const html = `${urls.web}/${repo.fullName}/pull/${pr.number}`;
  const side = (s: { ref: string; sha: string }) => ({
    label: `${repo.owner}:${s.ref}`,
    ref: s.ref,
    sha: s.sha,
    user: ownerJson(urls, repo.owner),
    repo: repoJson(urls, repo),
  });
  const body: Record<string, unknown> = {
    url: `${api}/pulls/${pr.number}`,
    id: pr.id,
    node_id: Buffer.from(`011:PullRequest${pr.id}`).toString('base64'),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    review_comments_url: `${api}/pulls/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${pr.head.sha}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userJson(urls, pr.user),
    body: pr.body || null,
    labels: (pr.labels ?? []).map(name => labelJson(api, name)),
    milestone: null,
    active_lock_reason: null,
    created_at: pr.created_at,
    updated_at: pr.updated_at,
    closed_at: pr.closed_at,
    merged_at: pr.merged_at,
    merge_commit_sha: pr.merge_commit_sha,
    assignee: null,
    assignees: [],
    requested_reviewers: pr.requested_reviewers.map(r => userJson(urls, r)),
    requested_teams: [],
    head: side(pr.head),
    base: side(pr.base),
    _links: {
      self: { href: `${api}/pulls/${pr.number}` },
      html: { href: html },
      statuses: { href: `${api}/statuses/${pr.head.sha}` },
    },
    author_association: 'MEMBER',
    auto_merge: null,
    draft: pr.draft,
  };
  if (detail) {
    Object.assign(body, {
      merged: pr.merged_at !== null,
      mergeable: pr.state === 'open' ? true : null,
      mergeable_state: pr.state === 'open' ? 'clean' : 'unknown',
      merged_by: userJson(urls, pr.merged_by),
      comments: 0,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: 1,
      deletions: 1,
      changed_files: 1,
      ...extra,
    });
  }
  return body;
}

export function reviewJson(
  urls: Urls,
  repo: RepoRecord,
  pr: PullRecord,
  r: PullRecord['reviews'][number],
) {
  const html = `${urls.web}/${repo.fullName}/pull/${pr.number}`;
  return {
    id: r.id,
    node_id: Buffer.from(`017:PullRequestReview${r.id}`).toString('base64'),
    user: userJson(urls, r.user),
    body: r.body,
    state: r.state,
    html_url: `${html}#pullrequestreview-${r.id}`,
    pull_request_url: `${urls.api}/repos/${repo.fullName}/pulls/${pr.number}`,
    author_association: 'MEMBER',
    submitted_at: r.submitted_at,
    commit_id: r.commit_id,
    _links: {
      html: { href: `${html}#pullrequestreview-${r.id}` },
      pull_request: {
        href: `${urls.api}/repos/${repo.fullName}/pulls/${pr.number}`,
      },
    },
  };
}
