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
 * OpenAPI description requires (contracts/github/restContract.json in
 * -common's testUtils), written from the schemas on docs.github.com/rest
 * (users, repos, git database, pulls, commits, statuses, branches, branch
 * protection, contents, issues). The one place the GitHub fakes render
 * GitHub's JSON: the msw fakes of the plugins' tests, the demo sandbox's
 * repository-backed GitHub and the scale sandbox's generated fleet. A caller
 * passes what it knows (its ids, times, accounts); the rest takes GitHub's
 * shape with plain values.
 */

/** GitHub's simple-user: an account in any answer. @public */
export type GithubAccount = ReturnType<typeof githubUser>;

/**
 * Where the API and the web pages of a GitHub live, and how it shows the
 * account of a login inside other objects (its id, node id and type;
 * {@link githubUser} with the login's {@link githubId} by default).
 * @public
 */
export type GithubSite = {
  api?: string;
  web?: string;
  account?: (login: string) => GithubAccount;
};

const API = 'https://api.github.com';
const WEB = 'https://github.com';
const TIME = '2026-01-01T00:00:00Z';

const site = (s: GithubSite = {}) => ({
  api: (s.api ?? API).replace(/\/+$/, ''),
  web: (s.web ?? WEB).replace(/\/+$/, ''),
  account: s.account,
});

/** The account of `login` as this site shows it. */
function accountOf(s: GithubSite, login: string): GithubAccount {
  return s.account ? s.account(login) : githubUser(login, s);
}

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
    nodeId?: string;
  } = {},
) {
  const { api, web } = site(options);
  const url = `${api}/users/${login}`;
  const id = options.id ?? githubId(login);
  return {
    login,
    id,
    node_id: options.nodeId ?? `U_${id}`,
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

/**
 * GitHub's public-user (`GET /users/{username}`): the simple-user and the
 * profile (what a profile leaves empty is null, counts are numbers).
 * `user` is the simple-user part when the caller has one already.
 * @public
 */
export function githubPublicUser(
  login: string,
  options: GithubSite & {
    type?: 'User' | 'Organization';
    name?: string | null;
    email?: string | null;
    createdAt?: string;
    user?: GithubAccount;
  } = {},
) {
  const createdAt = options.createdAt ?? TIME;
  return {
    ...(options.user ?? githubUser(login, options)),
    name: options.name ?? null,
    company: null,
    blog: '',
    location: null,
    email: options.email ?? null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: createdAt,
    updated_at: createdAt,
  };
}

/** Options of {@link githubRepository} and {@link githubRepositoryMinimal}. @public */
export type GithubRepositoryOptions = GithubSite & {
  id?: number;
  nodeId?: string;
  /** private by default; `visibility` wins where both are given */
  private?: boolean;
  visibility?: 'public' | 'private' | 'internal';
  description?: string | null;
  defaultBranch?: string;
  /** the owner's account; else {@link githubUser} of `ownerType` */
  owner?: GithubAccount;
  ownerType?: 'User' | 'Organization';
  createdAt?: string;
  pushedAt?: string;
  deleteBranchOnMerge?: boolean;
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
  const id = options.id ?? githubId(fullName);
  const visibility =
    options.visibility ?? (options.private ?? true ? 'private' : 'public');
  const pushedAt = options.pushedAt ?? options.createdAt ?? TIME;
  const repository = {
    id,
    node_id: options.nodeId ?? `R_${id}`,
    name,
    full_name: fullName,
    private: visibility !== 'public',
    owner:
      options.owner ??
      githubUser(owner, {
        api: options.api,
        web: options.web,
        type: options.ownerType,
      }),
    html_url: web,
    description: options.description ?? null,
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
    size: 64,
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
    visibility,
    license: null,
    pushed_at: pushedAt,
    created_at: options.createdAt ?? TIME,
    updated_at: pushedAt,
    permissions: {
      admin: true,
      maintain: true,
      push: true,
      triage: true,
      pull: true,
    },
    allow_forking: true,
    web_commit_signoff_required: false,
    delete_branch_on_merge: options.deleteBranchOnMerge ?? false,
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    allow_update_branch: false,
  };
  return options.full
    ? { ...repository, network_count: 0, subscribers_count: 0 }
    : repository;
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
    allow_auto_merge,
    allow_update_branch,
    ...minimal
  } = githubRepository(fullName, options);
  return minimal;
}

/** GitHub's label; the id is stable per repository and name. @public */
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
  id?: number;
  nodeId?: string;
  state?: 'open' | 'closed';
  title?: string;
  body?: string | null;
  user?: string;
  /** An app's account opens PRs as `<slug>[bot]` with type Bot. */
  userType?: 'User' | 'Bot';
  head: { ref: string; sha?: string };
  base: { ref: string; sha?: string };
  /** head.repo and base.repo (same-repository pulls); with its owner as head.user and base.user */
  repository?: ReturnType<typeof githubRepository>;
  labels?: string[];
  requestedReviewers?: string[];
  draft?: boolean;
  createdAt?: string;
  updatedAt?: string;
  closedAt?: string | null;
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  /**
   * the pull-request of GET/POST of one pull (merge facts and counts);
   * `mergeable` and `mergeableState` as the host computed them, else an
   * open pull is mergeable and clean, a closed one unknown
   */
  detail?: {
    mergedBy?: string | null;
    mergeable?: boolean | null;
    mergeableState?: string;
  };
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
  const id = options.id ?? githubId(`${fullName}#${options.number}`);
  const merged = options.mergedAt ?? null;
  const state = options.state ?? (merged ? 'closed' : 'open');
  const repository =
    options.repository ??
    githubRepository(fullName, { ...s, ownerType: 'Organization' });
  const side = (x: { ref: string; sha?: string }) => ({
    label: `${owner}:${x.ref}`,
    ref: x.ref,
    sha: x.sha ?? '0'.repeat(40),
    user: repository.owner,
    repo: repository,
  });
  const headSha = options.head.sha ?? '0'.repeat(40);
  const pull = {
    url: `${api}/pulls/${options.number}`,
    id,
    node_id: options.nodeId ?? `PR_${id}`,
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
    state,
    locked: false,
    title:
      options.title ?? `Merge ${options.head.ref} into ${options.base.ref}`,
    user: options.userType
      ? githubUser(options.user ?? 'backstage-bot', {
          ...s,
          type: options.userType,
        })
      : accountOf(s, options.user ?? 'backstage-bot'),
    body: options.body || null,
    labels: (options.labels ?? []).map(l => githubLabel(fullName, l, s)),
    milestone: null,
    active_lock_reason: null,
    created_at: options.createdAt ?? TIME,
    updated_at: options.updatedAt ?? merged ?? options.createdAt ?? TIME,
    closed_at: options.closedAt !== undefined ? options.closedAt : merged,
    merged_at: merged,
    merge_commit_sha: options.mergeCommitSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: (options.requestedReviewers ?? []).map(r =>
      accountOf(s, r),
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
    draft: options.draft ?? false,
  };
  if (!options.detail) {
    return pull;
  }
  const { mergedBy } = options.detail;
  const open = state === 'open';
  const mergeable =
    options.detail.mergeable !== undefined
      ? options.detail.mergeable
      : open || null;
  return {
    ...pull,
    merged: merged !== null,
    mergeable,
    rebaseable: open ? mergeable : null,
    mergeable_state:
      options.detail.mergeableState ?? (open ? 'clean' : 'unknown'),
    merged_by: mergedBy ? accountOf(s, mergedBy) : null,
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
    nodeId?: string;
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
    node_id: options.nodeId ?? `PRR_${options.id}`,
    user: accountOf(s, options.user),
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

/** GitHub's issue-comment (comments on a pull request go through the issues API). @public */
export function githubIssueComment(
  fullName: string,
  options: GithubSite & {
    id: number;
    issue: number;
    user: string;
    body: string;
    createdAt?: string;
  },
) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}`;
  return {
    id: options.id,
    node_id: `IC_${options.id}`,
    url: `${api}/issues/comments/${options.id}`,
    html_url: `${s.web}/${fullName}/pull/${options.issue}#issuecomment-${options.id}`,
    issue_url: `${api}/issues/${options.issue}`,
    body: options.body,
    user: accountOf(s, options.user),
    created_at: options.createdAt ?? TIME,
    updated_at: options.createdAt ?? TIME,
    author_association: 'MEMBER',
  };
}

const verification = {
  verified: false,
  reason: 'unsigned',
  signature: null,
  payload: null,
  verified_at: null,
};

/** A Git signature: who, with which e-mail, when. @public */
export type GithubSignature = { name: string; email: string; date: string };

/**
 * GitHub's git-commit (the Git database's commit object: GET/POST
 * .../git/commits, and the commit of a file-commit). Its message is Git's
 * without the final newline.
 * @public
 */
export function githubGitCommit(
  fullName: string,
  options: GithubSite & {
    sha: string;
    /** the tree's sha; the commit's own by default */
    tree?: string;
    parents: string[];
    message: string;
    author: GithubSignature;
    committer?: GithubSignature;
    nodeId?: string;
  },
) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}`;
  const tree = options.tree ?? options.sha;
  return {
    sha: options.sha,
    node_id: options.nodeId ?? `C_${options.sha.slice(0, 12)}`,
    url: `${api}/git/commits/${options.sha}`,
    html_url: `${s.web}/${fullName}/commit/${options.sha}`,
    author: options.author,
    committer: options.committer ?? options.author,
    tree: { sha: tree, url: `${api}/git/trees/${tree}` },
    message: options.message.replace(/\n$/, ''),
    parents: options.parents.map(p => ({
      sha: p,
      url: `${api}/git/commits/${p}`,
      html_url: `${s.web}/${fullName}/commit/${p}`,
    })),
    verification,
  };
}

/** A file a commit changes, as a commit's `files` lists it. @public */
export type GithubCommitFile = {
  filename: string;
  status?: 'added' | 'modified' | 'removed' | 'renamed';
  additions?: number;
  deletions?: number;
};

/**
 * GitHub's commit (`GET .../commits/{ref}`, an entry of GET .../commits).
 * `name`, `email` and `date` sign as author and committer unless `author`
 * or `committer` say otherwise; `login` is the account of both unless
 * `authorLogin` / `committerLogin` name another or none (null: the e-mail
 * belongs to no GitHub account). With `files`, the changed files and their
 * `stats`, as GET of one commit answers.
 * @public
 */
export function githubCommit(
  fullName: string,
  options: GithubSite & {
    sha: string;
    parents: string[];
    message: string;
    name?: string;
    email?: string;
    date?: string;
    author?: GithubSignature;
    committer?: GithubSignature;
    login?: string;
    authorLogin?: string | null;
    committerLogin?: string | null;
    tree?: string;
    nodeId?: string;
    files?: GithubCommitFile[];
  },
) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}`;
  const name = options.name ?? 'someone';
  const person = {
    name,
    email: options.email ?? `${name}@example.com`,
    date: options.date ?? TIME,
  };
  const author = options.author ?? person;
  const committer = options.committer ?? options.author ?? person;
  const account = (login: string | null | undefined) =>
    login ? accountOf(s, login) : null;
  const tree = options.tree ?? options.sha;
  const files = options.files?.map(f => {
    const status = f.status ?? 'modified';
    const additions = f.additions ?? 1;
    const deletions = f.deletions ?? (status === 'added' ? 0 : 1);
    return {
      sha: null,
      filename: f.filename,
      status,
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${s.web}/${fullName}/blob/${options.sha}/${f.filename}`,
      raw_url: `${s.web}/${fullName}/raw/${options.sha}/${f.filename}`,
      contents_url: `${api}/contents/${f.filename}?ref=${options.sha}`,
    };
  });
  const additions = files?.reduce((a, f) => a + f.additions, 0) ?? 0;
  const deletions = files?.reduce((a, f) => a + f.deletions, 0) ?? 0;
  return {
    sha: options.sha,
    node_id: options.nodeId ?? `C_${options.sha.slice(0, 12)}`,
    commit: {
      author,
      committer,
      message: options.message.replace(/\n$/, ''),
      tree: { sha: tree, url: `${api}/git/trees/${tree}` },
      url: `${api}/git/commits/${options.sha}`,
      comment_count: 0,
      verification,
    },
    url: `${api}/commits/${options.sha}`,
    html_url: `${s.web}/${fullName}/commit/${options.sha}`,
    comments_url: `${api}/commits/${options.sha}/comments`,
    author: account(
      options.authorLogin !== undefined ? options.authorLogin : options.login,
    ),
    committer: account(
      options.committerLogin !== undefined
        ? options.committerLogin
        : options.login,
    ),
    parents: options.parents.map(sha => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${s.web}/${fullName}/commit/${sha}`,
    })),
    ...(files
      ? {
          stats: { total: additions + deletions, additions, deletions },
          files,
        }
      : {}),
  };
}

/** GitHub's git-ref (`GET .../git/ref/{ref}`, POST and PATCH .../git/refs). @public */
export function githubRef(
  fullName: string,
  ref: string,
  sha: string,
  options: GithubSite & {
    /** what the ref points at: a commit, or an annotated tag */
    type?: string;
    nodeId?: string;
  } = {},
) {
  const { api } = site(options);
  const type = options.type ?? 'commit';
  return {
    ref,
    node_id: options.nodeId ?? `REF_${githubId(`${fullName}:${ref}`)}`,
    url: `${api}/repos/${fullName}/git/${ref}`,
    object: {
      type,
      sha,
      url: `${api}/repos/${fullName}/git/${type}s/${sha}`,
    },
  };
}

/** An entry of a Git tree. @public */
export type GithubTreeEntry = {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
};

/**
 * GitHub's git-tree (GET and POST .../git/trees): the entries with their
 * URLs, a blob's with its size.
 * @public
 */
export function githubTree(
  fullName: string,
  sha: string,
  entries: GithubTreeEntry[],
  site_: GithubSite = {},
) {
  const api = `${site(site_).api}/repos/${fullName}`;
  return {
    sha,
    url: `${api}/git/trees/${sha}`,
    tree: entries.map(e => ({
      path: e.path,
      mode: e.mode,
      type: e.type,
      sha: e.sha,
      ...(e.type === 'blob' ? { size: e.size ?? 0 } : {}),
      url: `${api}/git/${e.type}s/${e.sha}`,
    })),
    truncated: false,
  };
}

/** GitHub's short-blob (POST .../git/blobs). @public */
export function githubShortBlob(
  fullName: string,
  sha: string,
  site_: GithubSite = {},
) {
  return { sha, url: `${site(site_).api}/repos/${fullName}/git/blobs/${sha}` };
}

/** GitHub's blob (`GET .../git/blobs/{sha}`): the content in base64. @public */
export function githubBlob(
  fullName: string,
  sha: string,
  content: Buffer,
  options: GithubSite & { nodeId?: string } = {},
) {
  return {
    ...githubShortBlob(fullName, sha, options),
    node_id: options.nodeId ?? `B_${sha.slice(0, 12)}`,
    size: content.length,
    content: content.toString('base64'),
    encoding: 'base64',
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

/** A required status check: its context and the app that must set it (null: any). @public */
export type GithubRequiredCheck = { context: string; app_id: number | null };

/**
 * GitHub's branch-with-protection (`GET .../branches/{branch}`): the head
 * commit as {@link githubCommit} renders it, and the required checks of
 * its protection, if any.
 * @public
 */
export function githubBranchDetail(
  fullName: string,
  name: string,
  options: GithubSite & {
    commit: ReturnType<typeof githubCommit>;
    protected: boolean;
    checks: GithubRequiredCheck[];
  },
) {
  const s = site(options);
  return {
    name,
    commit: options.commit,
    _links: {
      self: `${s.api}/repos/${fullName}/branches/${name}`,
      html: `${s.web}/${fullName}/tree/${name}`,
    },
    protected: options.protected,
    protection: {
      enabled: options.protected,
      required_status_checks: {
        enforcement_level: options.protected ? 'non_admins' : 'off',
        contexts: options.checks.map(check => check.context),
        checks: options.checks,
      },
    },
    protection_url: `${s.api}/repos/${fullName}/branches/${name}/protection`,
  };
}

/** The rules of a protected branch, as "Update branch protection" sets them. @public */
export type GithubProtectionRules = {
  required_status_checks: {
    strict: boolean;
    contexts: string[];
    checks: GithubRequiredCheck[];
  } | null;
  required_pull_request_reviews: {
    required_approving_review_count: number;
    dismiss_stale_reviews: boolean;
    require_code_owner_reviews: boolean;
  } | null;
  enforce_admins: boolean;
  allow_force_pushes?: boolean;
  allow_deletions?: boolean;
};

/**
 * GitHub's protected-branch (`GET and PUT .../branches/{branch}/protection`):
 * the rules that are set, each with its URL; what is not set is absent.
 * @public
 */
export function githubBranchProtection(
  fullName: string,
  branch: string,
  rules: GithubProtectionRules,
  site_: GithubSite = {},
) {
  const u = `${
    site(site_).api
  }/repos/${fullName}/branches/${branch}/protection`;
  return {
    url: u,
    required_status_checks: rules.required_status_checks
      ? {
          url: `${u}/required_status_checks`,
          strict: rules.required_status_checks.strict,
          contexts: rules.required_status_checks.contexts,
          checks: rules.required_status_checks.checks,
          contexts_url: `${u}/required_status_checks/contexts`,
        }
      : undefined,
    required_pull_request_reviews: rules.required_pull_request_reviews
      ? {
          url: `${u}/required_pull_request_reviews`,
          ...rules.required_pull_request_reviews,
        }
      : undefined,
    enforce_admins: {
      url: `${u}/enforce_admins`,
      enabled: rules.enforce_admins,
    },
    required_linear_history: { enabled: false },
    allow_force_pushes: { enabled: Boolean(rules.allow_force_pushes) },
    allow_deletions: { enabled: Boolean(rules.allow_deletions) },
    block_creations: { enabled: false },
    required_conversation_resolution: { enabled: false },
    lock_branch: { enabled: false },
    allow_fork_syncing: { enabled: false },
  };
}

/**
 * GitHub's content-tree entry (an item of `GET .../contents/{dir}`): a file,
 * a directory (`dir`), a submodule or a symlink at `ref`.
 * @public
 */
export function githubContentEntry(
  fullName: string,
  options: GithubSite & {
    path: string;
    ref: string;
    sha: string;
    type?: 'file' | 'dir' | 'submodule' | 'symlink';
    size?: number;
  },
) {
  const s = site(options);
  const type = options.type ?? 'file';
  const api = `${s.api}/repos/${fullName}/contents/${
    options.path
  }?ref=${encodeURIComponent(options.ref)}`;
  const html = `${s.web}/${fullName}/${type === 'dir' ? 'tree' : 'blob'}/${
    options.ref
  }/${options.path}`;
  const git = `${s.api}/repos/${fullName}/git/${
    type === 'dir' ? 'trees' : 'blobs'
  }/${options.sha}`;
  return {
    type,
    size: options.size ?? 0,
    name: options.path.split('/').pop()!,
    path: options.path,
    sha: options.sha,
    url: api,
    git_url: git,
    html_url: html,
    download_url:
      type === 'file'
        ? `${s.web}/${fullName}/raw/${options.ref}/${options.path}`
        : null,
    _links: { self: api, git, html },
  };
}

/**
 * GitHub's content-file (`GET .../contents/{path}`, JSON): the entry with its
 * content in base64, in lines of 60 characters each ending in a newline, as
 * GitHub sends it.
 * @public
 */
export function githubContentFile(
  fullName: string,
  options: GithubSite & {
    path: string;
    ref: string;
    sha: string;
    content: string | Buffer;
  },
) {
  const bytes = Buffer.isBuffer(options.content)
    ? options.content
    : Buffer.from(options.content, 'utf8');
  const base64 = bytes.toString('base64').replace(/(.{60})/g, '$1\n');
  return {
    ...githubContentEntry(fullName, {
      ...options,
      type: 'file',
      size: bytes.length,
    }),
    encoding: 'base64',
    content: base64.endsWith('\n') ? base64 : `${base64}\n`,
  };
}

/**
 * GitHub's file-commit (`PUT .../contents/{path}`): the file as it is on
 * `branch` now, and the commit that made it ({@link githubGitCommit}).
 * @public
 */
export function githubFileCommit(
  fullName: string,
  options: GithubSite & {
    path: string;
    branch: string;
    blobSha: string;
    size: number;
    commit: {
      sha: string;
      tree?: string;
      parents: string[];
      message: string;
      author?: GithubSignature;
      committer?: GithubSignature;
      nodeId?: string;
    };
  },
) {
  const s = site(options);
  const api = `${s.api}/repos/${fullName}`;
  const self = `${api}/contents/${options.path}?ref=${options.branch}`;
  const html = `${s.web}/${fullName}/blob/${options.branch}/${options.path}`;
  const git = `${api}/git/blobs/${options.blobSha}`;
  return {
    content: {
      name: options.path.split('/').pop(),
      path: options.path,
      sha: options.blobSha,
      size: options.size,
      url: self,
      html_url: html,
      git_url: git,
      download_url: `${s.web}/${fullName}/raw/${options.branch}/${options.path}`,
      type: 'file',
      _links: { self, git, html },
    },
    commit: githubGitCommit(fullName, {
      ...s,
      ...options.commit,
      author: options.commit.author ?? {
        name: 'backstage-bot',
        email: 'bot@example.com',
        date: TIME,
      },
    }),
  };
}

/** A commit status as it was created. @public */
export type GithubStatusFacts = {
  id: number;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
  updatedAt: string;
  /** the login of who created it (a user, or an app's bot account) */
  creator: string;
};

/** GitHub's status (`POST .../statuses/{sha}`, `GET .../commits/{ref}/statuses`). @public */
export function githubStatus(
  fullName: string,
  status: GithubStatusFacts,
  site_: GithubSite = {},
) {
  return {
    ...githubSimpleStatus(fullName, status, site_),
    creator: accountOf(site_, status.creator),
  };
}

/** GitHub's simple-commit-status (a status in a combined status: no creator). @public */
export function githubSimpleStatus(
  fullName: string,
  status: GithubStatusFacts,
  site_: GithubSite = {},
) {
  return {
    url: `${site(site_).api}/repos/${fullName}/statuses/${status.id}`,
    avatar_url: null,
    id: status.id,
    node_id: `SC_${status.id}`,
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.updatedAt,
  };
}

/**
 * GitHub's combined-commit-status (`GET .../commits/{ref}/status`): the
 * latest status of each context, and their combined `state`.
 * @public
 */
export function githubCombinedStatus(
  fullName: string,
  options: GithubSite & {
    sha: string;
    state: 'failure' | 'pending' | 'success';
    statuses: GithubStatusFacts[];
    repository: ReturnType<typeof githubRepositoryMinimal>;
  },
) {
  const api = `${site(options).api}/repos/${fullName}`;
  return {
    state: options.state,
    statuses: options.statuses.map(st =>
      githubSimpleStatus(fullName, st, options),
    ),
    sha: options.sha,
    total_count: options.statuses.length,
    repository: options.repository,
    commit_url: `${api}/commits/${options.sha}`,
    url: `${api}/commits/${options.sha}/status`,
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
    invitee: accountOf(s, options.invitee),
    inviter: accountOf(s, options.inviter ?? 'backstage-bot'),
    permissions: names[options.permission] ?? options.permission,
    created_at: TIME,
    expired: false,
    url: `${s.api}/user/repository_invitations/${id}`,
    html_url: `${s.web}/${fullName}/invitations`,
  };
}
