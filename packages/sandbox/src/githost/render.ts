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
import { GITHUB_ACTIONS_APP, USERS } from '../seed/data';
import { CommitInfo, PullRecord, RepoRecord, StatusRecord } from './GitRepos';

export type Urls = { web: string; api: string };

/**
 * GitHub's simple-user: the account fields and hypermedia links every user
 * object carries (components/schemas/simple-user in GitHub's description).
 */
function accountJson(
  urls: Urls,
  login: string,
  id: number,
  nodeId: string,
  type: 'User' | 'Organization' | 'Bot',
) {
  const api = `${urls.api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId,
    avatar_url: `${urls.web}/avatars/${login}`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.web}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

export function userJson(urls: Urls, login: string | null) {
  if (!login) return null;
  // an app's bot account (`<slug>[bot]`) is of type Bot
  if (login === GITHUB_ACTIONS_APP.login) {
    const id = GITHUB_ACTIONS_APP.userId;
    return accountJson(
      urls,
      login,
      id,
      Buffer.from(`04:Bot${id}`).toString('base64'),
      'Bot',
    );
  }
  const id = USERS[login]?.id ?? 1;
  return accountJson(
    urls,
    login,
    id,
    Buffer.from(`04:User${id}`).toString('base64'),
    'User',
  );
}

/**
 * GET /users/{username}: GitHub's public-user, the simple-user and the
 * profile (what a profile leaves empty is null, counts are numbers).
 */
export function publicUserJson(
  account: ReturnType<typeof userJson> & {},
  profile: { name: string | null; email: string | null; created_at: string },
) {
  return {
    ...account,
    name: profile.name,
    company: null,
    blog: '',
    location: null,
    email: profile.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: profile.created_at,
    updated_at: profile.created_at,
  };
}

export function loginForEmail(email: string): string | null {
  if (email === 'noreply@github.com') return 'web-flow';
  return Object.values(USERS).find(u => u.email === email)?.login ?? null;
}

export function ownerJson(urls: Urls, owner: string) {
  return accountJson(
    urls,
    owner,
    90000 + owner.length,
    Buffer.from(`04:Organization${owner}`).toString('base64'),
    USERS[owner] ? 'User' : 'Organization',
  );
}

/**
 * GitHub's minimal-repository (e.g. in a combined status): identity, the
 * hypermedia links, and the counters and flags of the repository.
 */
export function minimalRepoJson(urls: Urls, repo: RepoRecord) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  const web = `${urls.web}/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: repo.fullName,
    private: (repo.visibility ?? 'public') !== 'public',
    owner: ownerJson(urls, repo.owner),
    html_url: web,
    description: repo.description,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    hooks_url: `${api}/hooks`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    git_url: `${urls.web.replace(/^http/, 'git')}/${repo.fullName}.git`,
    ssh_url: `git@${new URL(urls.web).host}:${repo.fullName}.git`,
    clone_url: `${web}.git`,
    svn_url: web,
    mirror_url: null,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    open_issues_count: 0,
    open_issues: 0,
    size: 64,
    default_branch: repo.default_branch,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.visibility ?? 'public',
    license: null,
    allow_forking: true,
    web_commit_signoff_required: false,
    created_at: repo.created_at,
    updated_at: repo.pushed_at,
    pushed_at: repo.pushed_at,
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

/** GitHub's repository (e.g. a pull request's head.repo): with its merge settings. */
export function repoJson(urls: Urls, repo: RepoRecord) {
  return {
    ...minimalRepoJson(urls, repo),
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    allow_update_branch: false,
  };
}

/** GitHub's full-repository: GET, PATCH and POST of a repository. */
export function fullRepoJson(urls: Urls, repo: RepoRecord) {
  return {
    ...repoJson(urls, repo),
    network_count: 0,
    subscribers_count: 0,
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
      verified_at: null,
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
        verified_at: null,
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

/** A status in a combined status (simple-commit-status: no creator). */
export function simpleStatusJson(
  urls: Urls,
  repo: RepoRecord,
  s: StatusRecord,
) {
  const { creator, ...simple } = statusJson(urls, repo, s);
  return simple;
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
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pr.number}/comments`,
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
      issue: { href: `${api}/issues/${pr.number}` },
      comments: { href: `${api}/issues/${pr.number}/comments` },
      review_comments: { href: `${api}/pulls/${pr.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${pr.number}/commits` },
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
