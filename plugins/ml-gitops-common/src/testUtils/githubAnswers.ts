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
 * GitHub REST objects as GitHub answers them, whole: every property GitHub's
 * OpenAPI description requires (contracts/github/restContract.json), for
 * msw fixtures. A fixture passes what it cares about; the rest takes
 * GitHub's shape with plain values.
 */

/** Where the API and the web pages of a GitHub live. @public */
export type GithubSite = { api?: string; web?: string };

const API = 'https://api.github.com';
const WEB = 'https://github.com';
const TIME = '2026-01-01T00:00:00Z';

const site = (s: GithubSite = {}) => ({
  api: (s.api ?? API).replace(/\/+$/, ''),
  web: (s.web ?? WEB).replace(/\/+$/, ''),
});

/** A small stable number from a name (ids of fixture objects). @public */
export function githubId(name: string): number {
  let hash = 2166136261; // FNV-1a
  for (const char of name) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  }
  return (hash % 99_999_999) + 1;
}

/** GitHub's simple-user (an account in any answer). @public */
export function githubUser(
  login: string,
  options: GithubSite & {
    type?: 'User' | 'Organization' | 'Bot';
    id?: number;
  } = {},
) {
  const { api, web } = site(options);
  const url = `${api}/users/${login}`;
  const id = options.id ?? githubId(login);
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `${web}/avatars/${login}`,
    gravatar_id: '',
    url,
    html_url: `${web}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: options.type ?? 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

/** GitHub's public-user (`GET /users/{username}`). @public */
export function githubPublicUser(
  login: string,
  options: GithubSite & {
    type?: 'User' | 'Organization';
    name?: string | null;
    email?: string | null;
  } = {},
) {
  return {
    ...githubUser(login, options),
    name: options.name ?? null,
    company: null,
    blog: '',
    location: null,
    email: options.email ?? null,
    hireable: null,
    bio: null,
    public_repos: 1,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: TIME,
    updated_at: TIME,
  };
}

/** Options of {@link githubRepository} and {@link githubRepositoryMinimal}. @public */
export type GithubRepositoryOptions = GithubSite & {
  private?: boolean;
  defaultBranch?: string;
  ownerType?: 'User' | 'Organization';
};

/**
 * GitHub's repository (a pull request's head.repo and base.repo); with
 * `full`, the full-repository of GET/PATCH/POST of a repository.
 * @public
 */
export function githubRepository(
  fullName: string,
  options: GithubRepositoryOptions & { full?: boolean } = {},
) {
  const { api: apiBase, web: webBase } = site(options);
  const [owner, name] = fullName.split('/');
  const api = `${apiBase}/repos/${fullName}`;
  const web = `${webBase}/${fullName}`;
  const id = githubId(fullName);
  const isPrivate = options.private ?? true;
  const repository = {
    id,
    node_id: `R_${id}`,
    name,
    full_name: fullName,
    private: isPrivate,
    owner: githubUser(owner, { ...options, type: options.ownerType }),
    html_url: web,
    description: null,
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
    git_url: `git://${new URL(webBase).host}/${fullName}.git`,
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
    ssh_url: `git@${new URL(webBase).host}:${fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${web}.git`,
    mirror_url: null,
    svn_url: web,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 12,
    default_branch: options.defaultBranch ?? 'main',
    open_issues_count: 0,
    open_issues: 0,
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
    visibility: isPrivate ? 'private' : 'public',
    license: null,
    pushed_at: TIME,
    created_at: TIME,
    updated_at: TIME,
    permissions: {
      admin: true,
      maintain: true,
      push: true,
      triage: true,
      pull: true,
    },
    allow_forking: true,
    web_commit_signoff_required: false,
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    delete_branch_on_merge: false,
  };
  return options.full
    ? { ...repository, network_count: 0, subscribers_count: 0 }
    : repository;
}

/** GitHub's label. @public */
export function githubLabel(
  fullName: string,
  name: string,
  site_: GithubSite = {},
) {
  const { api } = site(site_);
  const id = githubId(`${fullName}#${name}`);
  return {
    id,
    node_id: `LA_${id}`,
    url: `${api}/repos/${fullName}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: 'ededed',
    default: false,
  };
}

/** @public */
export type GithubPullOptions = GithubSite & {
  number: number;
  state?: 'open' | 'closed';
  title?: string;
  body?: string | null;
  user?: string;
  /** An app's account opens PRs as `<slug>[bot]` with type Bot. */
  userType?: 'User' | 'Bot';
  head: { ref: string; sha?: string };
  base: { ref: string; sha?: string };
  labels?: string[];
  requestedReviewers?: string[];
  createdAt?: string;
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  /** the pull-request of GET/POST of one pull (merge facts and counts) */
  detail?: { mergedBy?: string | null };
};

/**
 * GitHub's pull-request-simple (pulls list, `commits/{sha}/pulls`,
 * requested_reviewers), or with `detail` its pull-request.
 * @public
 */
export function githubPull(fullName: string, options: GithubPullOptions) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}`;
  const html = `${s.web}/${fullName}/pull/${options.number}`;
  const owner = fullName.split('/')[0];
  const id = githubId(`${fullName}#${options.number}`);
  const merged = options.mergedAt ?? null;
  const side = (x: { ref: string; sha?: string }) => ({
    label: `${owner}:${x.ref}`,
    ref: x.ref,
    sha: x.sha ?? '0'.repeat(40),
    user: githubUser(owner, { ...s, type: 'Organization' }),
    repo: githubRepository(fullName, { ...s, ownerType: 'Organization' }),
  });
  const headSha = options.head.sha ?? '0'.repeat(40);
  const pull = {
    url: `${api}/pulls/${options.number}`,
    id,
    node_id: `PR_${id}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${options.number}`,
    commits_url: `${api}/pulls/${options.number}/commits`,
    review_comments_url: `${api}/pulls/${options.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${options.number}/comments`,
    statuses_url: `${api}/statuses/${headSha}`,
    number: options.number,
    state: options.state ?? (merged ? 'closed' : 'open'),
    locked: false,
    title:
      options.title ?? `Merge ${options.head.ref} into ${options.base.ref}`,
    user: githubUser(options.user ?? 'backstage-bot', {
      ...s,
      ...(options.userType ? { type: options.userType } : {}),
    }),
    body: options.body ?? null,
    labels: (options.labels ?? []).map(l => githubLabel(fullName, l, s)),
    milestone: null,
    active_lock_reason: null,
    created_at: options.createdAt ?? TIME,
    updated_at: merged ?? options.createdAt ?? TIME,
    closed_at: merged,
    merged_at: merged,
    merge_commit_sha: options.mergeCommitSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: (options.requestedReviewers ?? []).map(r =>
      githubUser(r, s),
    ),
    requested_teams: [],
    head: side(options.head),
    base: side(options.base),
    _links: {
      self: { href: `${api}/pulls/${options.number}` },
      html: { href: html },
      issue: { href: `${api}/issues/${options.number}` },
      comments: { href: `${api}/issues/${options.number}/comments` },
      review_comments: { href: `${api}/pulls/${options.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${options.number}/commits` },
      statuses: { href: `${api}/statuses/${headSha}` },
    },
    author_association: 'MEMBER',
    auto_merge: null,
    draft: false,
  };
  if (!options.detail) {
    return pull;
  }
  const { mergedBy } = options.detail;
  return {
    ...pull,
    merged: merged !== null,
    mergeable: merged ? null : true,
    rebaseable: merged ? null : true,
    mergeable_state: merged ? 'unknown' : 'clean',
    merged_by: mergedBy ? githubUser(mergedBy, s) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 1,
    deletions: 1,
    changed_files: 1,
  };
}

/** GitHub's pull-request-review. @public */
export function githubReview(
  fullName: string,
  options: GithubSite & {
    id: number;
    pull: number;
    user: string;
    state: string;
    commitId: string;
    submittedAt?: string;
    body?: string;
  },
) {
  const s = site(options);
  const html = `${s.web}/${fullName}/pull/${options.pull}#pullrequestreview-${options.id}`;
  const pullUrl = `${s.api}/repos/${fullName}/pulls/${options.pull}`;
  return {
    id: options.id,
    node_id: `PRR_${options.id}`,
    user: githubUser(options.user, s),
    body: options.body ?? '',
    state: options.state,
    html_url: html,
    pull_request_url: pullUrl,
    author_association: 'MEMBER',
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    ...(options.submittedAt ? { submitted_at: options.submittedAt } : {}),
    commit_id: options.commitId,
  };
}

const verification = {
  verified: false,
  reason: 'unsigned',
  signature: null,
  payload: null,
  verified_at: null,
};

/** GitHub's commit (`GET /repos/{owner}/{repo}/commits/{ref}`). @public */
export function githubCommit(
  fullName: string,
  options: GithubSite & {
    sha: string;
    parents: string[];
    message: string;
    name: string;
    email?: string;
    date: string;
    /** the GitHub account of the author and committer, if one matches */
    login?: string;
    files?: Array<{ filename: string; status?: string }>;
  },
) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}`;
  const person = {
    name: options.name,
    email: options.email ?? `${options.name}@example.com`,
    date: options.date,
  };
  const account = options.login ? githubUser(options.login, s) : null;
  return {
    sha: options.sha,
    node_id: `C_${options.sha.slice(0, 12)}`,
    commit: {
      author: person,
      committer: person,
      message: options.message,
      tree: {
        sha: options.sha,
        url: `${api}/git/trees/${options.sha}`,
      },
      url: `${api}/git/commits/${options.sha}`,
      comment_count: 0,
      verification,
    },
    url: `${api}/commits/${options.sha}`,
    html_url: `${s.web}/${fullName}/commit/${options.sha}`,
    comments_url: `${api}/commits/${options.sha}/comments`,
    author: account,
    committer: account,
    parents: options.parents.map(sha => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${s.web}/${fullName}/commit/${sha}`,
    })),
    ...(options.files
      ? {
          files: options.files.map(f => ({
            sha: null,
            filename: f.filename,
            status: f.status ?? 'modified',
            additions: 1,
            deletions: 1,
            changes: 2,
            blob_url: `${s.web}/${fullName}/blob/${options.sha}/${f.filename}`,
            raw_url: `${s.web}/${fullName}/raw/${options.sha}/${f.filename}`,
            contents_url: `${api}/contents/${f.filename}?ref=${options.sha}`,
          })),
        }
      : {}),
  };
}

/** GitHub's git-ref (`GET .../git/ref/{ref}`, `POST .../git/refs`). @public */
export function githubRef(
  fullName: string,
  ref: string,
  sha: string,
  s_: GithubSite = {},
) {
  const { api } = site(s_);
  return {
    ref,
    node_id: `REF_${githubId(`${fullName}:${ref}`)}`,
    url: `${api}/repos/${fullName}/git/${ref}`,
    object: {
      type: 'commit',
      sha,
      url: `${api}/repos/${fullName}/git/commits/${sha}`,
    },
  };
}

/** GitHub's short-branch (an entry of GET .../branches). @public */
export function githubBranch(
  fullName: string,
  name: string,
  sha: string,
  options: GithubSite & { protected?: boolean } = {},
) {
  const { api } = site(options);
  return {
    name,
    commit: { sha, url: `${api}/repos/${fullName}/commits/${sha}` },
    protected: options.protected ?? false,
  };
}

/** GitHub's content-file (`GET .../contents/{path}`, JSON). @public */
export function githubContentFile(
  fullName: string,
  options: GithubSite & {
    path: string;
    ref: string;
    sha: string;
    content: string;
  },
) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}/contents/${options.path}?ref=${options.ref}`;
  const html = `${s.web}/${fullName}/blob/${options.ref}/${options.path}`;
  const git = `${s.api}/repos/${fullName}/git/blobs/${options.sha}`;
  return {
    type: 'file',
    encoding: 'base64',
    size: Buffer.byteLength(options.content, 'utf8'),
    name: options.path.split('/').pop()!,
    path: options.path,
    content: Buffer.from(options.content, 'utf8').toString('base64'),
    sha: options.sha,
    url: api,
    git_url: git,
    html_url: html,
    download_url: `${s.web}/${fullName}/raw/${options.ref}/${options.path}`,
    _links: { self: api, git, html },
  };
}

/** GitHub's file-commit (`PUT .../contents/{path}`). @public */
export function githubFileCommit(
  fullName: string,
  options: GithubSite & {
    path: string;
    branch: string;
    blobSha: string;
    commitSha: string;
    parent: string;
    message: string;
    size: number;
  },
) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}`;
  const person = {
    name: 'backstage-bot',
    email: 'bot@example.com',
    date: TIME,
  };
  return {
    content: {
      name: options.path.split('/').pop(),
      path: options.path,
      sha: options.blobSha,
      size: options.size,
      url: `${api}/contents/${options.path}?ref=${options.branch}`,
      html_url: `${s.web}/${fullName}/blob/${options.branch}/${options.path}`,
      git_url: `${api}/git/blobs/${options.blobSha}`,
      download_url: `${s.web}/${fullName}/raw/${options.branch}/${options.path}`,
      type: 'file',
      _links: {
        self: `${api}/contents/${options.path}?ref=${options.branch}`,
        git: `${api}/git/blobs/${options.blobSha}`,
        html: `${s.web}/${fullName}/blob/${options.branch}/${options.path}`,
      },
    },
    commit: {
      sha: options.commitSha,
      node_id: `C_${options.commitSha.slice(0, 12)}`,
      url: `${api}/git/commits/${options.commitSha}`,
      html_url: `${s.web}/${fullName}/commit/${options.commitSha}`,
      author: person,
      committer: person,
      message: options.message,
      tree: {
        url: `${api}/git/trees/${options.commitSha}`,
        sha: options.commitSha,
      },
      parents: [
        {
          url: `${api}/git/commits/${options.parent}`,
          html_url: `${s.web}/${fullName}/commit/${options.parent}`,
          sha: options.parent,
        },
      ],
      verification,
    },
  };
}

/**
 * GitHub's repository-invitation (`PUT .../collaborators/{username}` → 201).
 * GitHub names the permission `write` where the request said `push`, and
 * `read` for `pull`.
 * @public
 */
export function githubInvitation(
  fullName: string,
  options: GithubSite & {
    invitee: string;
    inviter?: string;
    permission: string;
  },
) {
  const s = site(options);
  const id = githubId(`${fullName}@${options.invitee}`);
  const names: Record<string, string> = { push: 'write', pull: 'read' };
  return {
    id,
    node_id: `RI_${id}`,
    repository: githubRepositoryMinimal(fullName, s),
    invitee: githubUser(options.invitee, s),
    inviter: githubUser(options.inviter ?? 'backstage-bot', s),
    permissions: names[options.permission] ?? options.permission,
    created_at: TIME,
    expired: false,
    url: `${s.api}/user/repository_invitations/${id}`,
    html_url: `${s.web}/${fullName}/invitations`,
  };
}

/** GitHub's minimal-repository (an invitation's, a combined status'). @public */
export function githubRepositoryMinimal(
  fullName: string,
  options: GithubRepositoryOptions = {},
) {
  const {
    allow_merge_commit,
    allow_squash_merge,
    allow_rebase_merge,
    ...minimal
  } = githubRepository(fullName, options);
  return minimal;
}
