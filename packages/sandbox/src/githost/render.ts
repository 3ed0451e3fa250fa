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
 * GitHub's JSON for the emulator's records. The shapes are the ones every
 * GitHub fake of this project renders, @ml-gitops/plugin-ml-gitops-node's
 * testUtils (githubAnswers, written from the schemas on docs.github.com/rest);
 * this maps the emulator's repositories, commits, pull requests and
 * statuses onto them, with the emulator's own ids: the seeded users', and
 * GitHub's base64 node ids ("04:User1", "010:Repository7", …).
 */

import {
  githubBranchDetail,
  githubBranchProtection,
  githubCombinedStatus,
  githubCommit,
  GithubCommitFile,
  githubGitCommit,
  githubIssueComment,
  githubLabel,
  githubPublicUser,
  githubPull,
  githubRef,
  githubRepository,
  githubRepositoryMinimal,
  githubReview,
  GithubSite,
  githubSimpleStatus,
  GithubStatusFacts,
  githubStatus,
  githubUser,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { GITHUB_ACTIONS_APP, USERS } from '../seed/data';
import {
  BranchProtection,
  CommitInfo,
  PullRecord,
  RepoRecord,
  StatusRecord,
} from './GitRepos';
import { requiredChecks } from './protection';

export type Urls = { web: string; api: string };

const nodeId = (text: string) => Buffer.from(text).toString('base64');

/** How the emulator's GitHub shows accounts inside other objects. */
function siteOf(urls: Urls): GithubSite {
  return { ...urls, account: login => userJson(urls, login)! };
}

export function userJson(urls: Urls, login: string | null) {
  if (!login) return null;
  // an app's bot account (`<slug>[bot]`) is of type Bot
  if (login === GITHUB_ACTIONS_APP.login) {
    const id = GITHUB_ACTIONS_APP.userId;
    return githubUser(login, {
      ...urls,
      id,
      nodeId: nodeId(`04:Bot${id}`),
      type: 'Bot',
    });
  }
  const id = USERS[login]?.id ?? 1;
  return githubUser(login, {
    ...urls,
    id,
    nodeId: nodeId(`04:User${id}`),
    type: 'User',
  });
}

/**
 * GET /users/{username}: GitHub's public-user, the simple-user and the
 * profile (what a profile leaves empty is null, counts are numbers).
 */
export function publicUserJson(
  account: ReturnType<typeof userJson> & {},
  profile: { name: string | null; email: string | null; created_at: string },
) {
  return githubPublicUser(account.login, {
    user: account,
    name: profile.name,
    email: profile.email,
    createdAt: profile.created_at,
  });
}

export function loginForEmail(email: string): string | null {
  if (email === 'noreply@github.com') return 'web-flow';
  return Object.values(USERS).find(u => u.email === email)?.login ?? null;
}

export function ownerJson(urls: Urls, owner: string) {
  return githubUser(owner, {
    ...urls,
    id: 90000 + owner.length,
    nodeId: nodeId(`04:Organization${owner}`),
    type: USERS[owner] ? 'User' : 'Organization',
  });
}

function repoFacts(urls: Urls, repo: RepoRecord) {
  return {
    ...urls,
    id: repo.id,
    nodeId: nodeId(`010:Repository${repo.id}`),
    visibility: repo.visibility ?? 'public',
    description: repo.description,
    defaultBranch: repo.default_branch,
    owner: ownerJson(urls, repo.owner),
    createdAt: repo.created_at,
    pushedAt: repo.pushed_at,
    deleteBranchOnMerge: true,
  };
}

/** GitHub's minimal-repository (e.g. in a combined status). */
export function minimalRepoJson(urls: Urls, repo: RepoRecord) {
  return githubRepositoryMinimal(repo.fullName, repoFacts(urls, repo));
}

/** GitHub's repository (e.g. a pull request's head.repo): with its merge settings. */
export function repoJson(urls: Urls, repo: RepoRecord) {
  return githubRepository(repo.fullName, repoFacts(urls, repo));
}

/** GitHub's full-repository: GET, PATCH and POST of a repository. */
export function fullRepoJson(urls: Urls, repo: RepoRecord) {
  return githubRepository(repo.fullName, {
    ...repoFacts(urls, repo),
    full: true,
  });
}

/** A commit's facts as GitHub's git-commit shows them. */
export function gitCommitFacts(c: CommitInfo) {
  return {
    sha: c.sha,
    nodeId: nodeId(`06:Commit${c.sha}`),
    tree: c.tree,
    parents: c.parents,
    message: c.message,
    author: c.author,
    committer: c.committer,
  };
}

export function gitCommitJson(urls: Urls, repo: RepoRecord, c: CommitInfo) {
  return githubGitCommit(repo.fullName, { ...urls, ...gitCommitFacts(c) });
}

/** The "commit" object of the REST commits endpoints (repos/{o}/{r}/commits). */
export function restCommitJson(
  urls: Urls,
  repo: RepoRecord,
  c: CommitInfo,
  files?: GithubCommitFile[],
) {
  return githubCommit(repo.fullName, {
    ...siteOf(urls),
    sha: c.sha,
    nodeId: nodeId(`06:Commit${c.sha}`),
    tree: c.tree,
    parents: c.parents,
    message: c.message,
    author: c.author,
    committer: c.committer,
    authorLogin: loginForEmail(c.author.email),
    committerLogin: loginForEmail(c.committer.email),
    files,
  });
}

function statusFacts(s: StatusRecord): GithubStatusFacts {
  return {
    id: s.id,
    state: s.state,
    context: s.context,
    description: s.description,
    targetUrl: s.target_url,
    createdAt: s.created_at,
    updatedAt: s.updated_at,
    creator: s.creator,
  };
}

/** A status in a combined status (simple-commit-status: no creator). */
export function simpleStatusJson(
  urls: Urls,
  repo: RepoRecord,
  s: StatusRecord,
) {
  return githubSimpleStatus(repo.fullName, statusFacts(s), siteOf(urls));
}

export function statusJson(urls: Urls, repo: RepoRecord, s: StatusRecord) {
  return githubStatus(repo.fullName, statusFacts(s), siteOf(urls));
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
export function labelJson(urls: Urls, repo: RepoRecord, name: string) {
  return githubLabel(repo.fullName, name, urls);
}

export function pullJson(
  urls: Urls,
  repo: RepoRecord,
  pr: PullRecord,
  detail: boolean,
  merge: { mergeable?: boolean | null; mergeable_state?: string } = {},
) {
  return githubPull(repo.fullName, {
    ...siteOf(urls),
    id: pr.id,
    nodeId: nodeId(`011:PullRequest${pr.id}`),
    number: pr.number,
    state: pr.state,
    title: pr.title,
    body: pr.body,
    user: pr.user,
    head: pr.head,
    base: pr.base,
    repository: repoJson(urls, repo),
    labels: pr.labels,
    requestedReviewers: pr.requested_reviewers,
    draft: pr.draft,
    createdAt: pr.created_at,
    updatedAt: pr.updated_at,
    closedAt: pr.closed_at,
    mergedAt: pr.merged_at,
    mergeCommitSha: pr.merge_commit_sha,
    ...(detail
      ? {
          detail: {
            mergedBy: pr.merged_by,
            mergeable: merge.mergeable,
            mergeableState: merge.mergeable_state,
          },
        }
      : {}),
  });
}

export function reviewJson(
  urls: Urls,
  repo: RepoRecord,
  pr: PullRecord,
  r: PullRecord['reviews'][number],
) {
  return githubReview(repo.fullName, {
    ...siteOf(urls),
    id: r.id,
    nodeId: nodeId(`017:PullRequestReview${r.id}`),
    pull: pr.number,
    user: r.user,
    state: r.state,
    body: r.body,
    submittedAt: r.submitted_at,
    commitId: r.commit_id,
  });
}

/** A comment on a pull request (issues API: every pull request is an issue). */
export function commentJson(
  urls: Urls,
  repo: RepoRecord,
  pr: PullRecord,
  c: NonNullable<PullRecord['comments']>[number],
) {
  return githubIssueComment(repo.fullName, {
    ...siteOf(urls),
    id: c.id,
    issue: pr.number,
    user: c.user,
    body: c.body,
    createdAt: c.created_at,
  });
}

export function refJson(
  urls: Urls,
  repo: RepoRecord,
  ref: string,
  sha: string,
  type = 'commit',
) {
  return githubRef(repo.fullName, ref, sha, {
    ...urls,
    type,
    nodeId: nodeId(`03:Ref${repo.id}:${ref}`),
  });
}

/** GET .../branches/{branch}: the head commit and the branch's required checks. */
export function branchJson(
  urls: Urls,
  repo: RepoRecord,
  name: string,
  c: CommitInfo,
) {
  const p = repo.protection[name];
  return githubBranchDetail(repo.fullName, name, {
    ...urls,
    commit: restCommitJson(urls, repo, c),
    protected: Boolean(p),
    checks: requiredChecks(p),
  });
}

export function protectionJson(urls: Urls, repo: RepoRecord, branch: string) {
  const p: BranchProtection = repo.protection[branch];
  return githubBranchProtection(
    repo.fullName,
    branch,
    {
      ...p,
      required_status_checks: p.required_status_checks && {
        ...p.required_status_checks,
        checks: requiredChecks(p),
      },
    },
    urls,
  );
}

/** GET .../commits/{ref}/status: the latest status of each context, combined. */
export function combinedStatusJson(
  urls: Urls,
  repo: RepoRecord,
  sha: string,
  list: StatusRecord[],
) {
  return githubCombinedStatus(repo.fullName, {
    ...siteOf(urls),
    sha,
    state: combinedState(list),
    statuses: latestStatuses(list).map(statusFacts),
    repository: minimalRepoJson(urls, repo),
  });
}
