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

/* Where open pull requests stand: their heads, and whether and why their merge is refused. */

import {
  BranchProtection,
  GitRepos,
  PullRecord,
  RepoRecord,
  ZERO_SHA,
} from '../GitRepos';
import {
  checkFailure,
  checksExpected,
  CODEOWNERS_PATHS,
  hasWriteAccess,
  isOwner,
  ownerList,
  ownersOf,
  parseCodeOwners,
  requiredChecks,
} from '../protection';
import { combinedState, latestStatuses } from '../render';

/** What a pull request's merge would meet: GitHub's `mergeable`, `mergeable_state` and the 405 message. */
export type Mergeability = {
  mergeable: boolean;
  state: 'dirty' | 'blocked' | 'behind' | 'unstable' | 'clean';
  reason: string | null;
};

/** Open PRs follow their head branch, as on GitHub. */
export async function refreshHeads(repos: GitRepos, repo: RepoRecord) {
  const open = repo.pulls.filter(pr => pr.state === 'open');
  if (open.length === 0) return;
  // every branch head at one moment, in one read
  const heads = new Map(
    (await repos.refs(repo, 'refs/heads/')).map(r => [r.ref, r.sha]),
  );
  for (const pr of open) {
    const head = heads.get(`refs/heads/${pr.head.ref}`);
    if (head && head !== pr.head.sha) pr.head.sha = head;
    const baseSha = heads.get(`refs/heads/${pr.base.ref}`);
    if (baseSha) pr.base.sha = baseSha;
    // GitHub closes a pull request whose head branch comes to point at
    // its base's commit (nothing is left to merge), for good: it cannot
    // be reopened. The docs do not describe it; it is what github.com
    // does, and what a force push that "rebuilds" a branch from its base
    // in two steps runs into.
    if (baseSha && pr.head.sha === baseSha) {
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      pr.state = 'closed';
      pr.closed_at = now;
      pr.updated_at = now;
    }
  }
}

/**
 * Whether a pull request can be merged and, if not, why: the REST
 * `mergeable` and `mergeable_state` of "Get a pull request" and the 405
 * message of "Merge a pull request". The states are those of GraphQL's
 * MergeStateStatus, lower-cased as REST answers them (docs.github.com,
 * GraphQL reference, enum MergeStateStatus: DIRTY "The merge commit cannot
 * be cleanly created.", BLOCKED "The merge is blocked.", BEHIND "The head
 * ref is out of date.", UNSTABLE "Mergeable with non-passing commit
 * status.", CLEAN "Mergeable and passing commit status.").
 *
 * The order: conflicts first (there is nothing to merge), then pull
 * request reviews (changes requested, the number of approvals, code
 * owners), then required status checks, then whether the head is up to
 * date with the base. GitHub's documentation names no order; reviews come
 * before checks because GitHub's own answers that list several say so
 * ("Waiting on code owner review from … 4 of 4 required status checks
 * have not succeeded …"), and a head that is behind is `behind` only when
 * nothing else blocks it (otherwise GitHub answers `blocked`).
 */
export async function mergeability(
  repos: GitRepos,
  repo: RepoRecord,
  pr: PullRecord,
): Promise<Mergeability> {
  const baseSha = await repos.refSha(repo, `refs/heads/${pr.base.ref}`);
  if (
    !baseSha ||
    !pr.head.sha ||
    pr.head.sha === ZERO_SHA ||
    (await repos.mergeTree(repo, baseSha, pr.head.sha)) === null
  ) {
    return {
      mergeable: false,
      state: 'dirty',
      reason: 'Pull Request is not mergeable',
    };
  }
  const p = repo.protection[pr.base.ref];
  const blocked =
    p &&
    ((await reviewsBlock(repos, repo, pr, p, baseSha)) ??
      checksBlock(repo, pr, p));
  if (blocked) return { mergeable: true, state: 'blocked', reason: blocked };
  // docs.github.com, "About protected branches", Require status checks
  // before merging: Strict, "The branch must be up to date with the base
  // branch before merging"; Loose, "does not have to be". Up to date means
  // the head contains the base's head (git merge-base --is-ancestor).
  // Strict has nothing to enforce without a required check (GitHub then
  // reports such a head `clean`). GitHub refuses the merge of a head that
  // is behind as it refuses one whose checks were not reported: the
  // checks of an out-of-date head count as expected.
  const checks = requiredChecks(p);
  if (
    p?.required_status_checks?.strict &&
    checks.length > 0 &&
    !(await repos.isAncestor(repo, baseSha, pr.head.sha))
  ) {
    return {
      mergeable: true,
      state: 'behind',
      reason: checksExpected(checks),
    };
  }
  const statuses = latestStatuses(repo.statuses[pr.head.sha] ?? []);
  if (statuses.length > 0 && combinedState(statuses) !== 'success') {
    return { mergeable: true, state: 'unstable', reason: null };
  }
  return { mergeable: true, state: 'clean', reason: null };
}

/**
 * Why the reviews do not yet allow the merge, in GitHub's words, or null
 * (docs.github.com, "About protected branches", Require pull request
 * reviews before merging): only reviews of people with write access count
 * ("approved by the required number of reviewers with write
 * permissions"), each person's latest review counts, and with
 * `dismiss_stale_reviews` an approval of an older head is stale ("If the
 * diff changes from this state … the approving review is dismissed as
 * stale"); the push that moves the head also marks it DISMISSED
 * (GitRepos.emitPush).
 */
async function reviewsBlock(
  repos: GitRepos,
  repo: RepoRecord,
  pr: PullRecord,
  p: BranchProtection,
  baseSha: string,
): Promise<string | null> {
  const rules = p.required_pull_request_reviews;
  if (!rules) return null;
  const latest = new Map<string, PullRecord['reviews'][number]>();
  for (const rv of pr.reviews) {
    if (rv.state !== 'COMMENTED' && hasWriteAccess(repo, rv.user)) {
      latest.set(rv.user, rv);
    }
  }
  if ([...latest.values()].some(rv => rv.state === 'CHANGES_REQUESTED'))
    return 'Changes must be made through a pull request. Changes requested by a reviewer.';
  const approvers = [...latest.values()]
    .filter(
      rv =>
        rv.state === 'APPROVED' &&
        (!rules.dismiss_stale_reviews || rv.commit_id === pr.head.sha),
    )
    .map(rv => rv.user);
  const needed = rules.required_approving_review_count;
  if (approvers.length < needed) {
    return `At least ${needed} approving review${
      needed > 1 ? 's are' : ' is'
    } required by reviewers with write access.`;
  }
  if (rules.require_code_owner_reviews) {
    const waiting = await codeOwnersWaiting(
      repos,
      repo,
      pr,
      baseSha,
      approvers,
    );
    // GitHub's 405 names the owners: "Waiting on code owner review from
    // <login or org/team> and/or <…>."
    if (waiting) return `Waiting on code owner review from ${waiting}.`;
  }
  return null;
}

/**
 * The owners still to approve, or null (docs.github.com, "About protected
 * branches": "any pull request that affects code with a code owner must be
 * approved by that code owner"; "About code owners": the CODEOWNERS file of
 * the pull request's base branch, searched in `.github/`, the root and
 * `docs/` "in that order", the first one found; the last matching pattern
 * of a file names its owners, any one of whom may approve; a file without
 * owners needs none). The files are those the pull request changes
 * (`git diff base...head`).
 */
async function codeOwnersWaiting(
  repos: GitRepos,
  repo: RepoRecord,
  pr: PullRecord,
  baseSha: string,
  approvers: string[],
): Promise<string | null> {
  let text: Buffer | null = null;
  for (const file of CODEOWNERS_PATHS) {
    text = await repos.readFile(repo, baseSha, file);
    if (text) break;
  }
  if (!text) return null;
  const rules = parseCodeOwners(text.toString('utf8'));
  for (const file of await repos.changedFiles(repo, baseSha, pr.head.sha)) {
    const owners = ownersOf(rules, file);
    if (owners.length > 0 && !approvers.some(a => isOwner(owners, a))) {
      return ownerList(owners);
    }
  }
  return null;
}

/**
 * Why a required status check does not pass on the head, or null
 * (docs.github.com, "Troubleshooting required status checks": "all
 * required checks must pass against the latest commit SHA"; a check bound
 * to an app counts only the app's statuses, protection.ts checkFailure).
 */
function checksBlock(
  repo: RepoRecord,
  pr: PullRecord,
  p: BranchProtection,
): string | null {
  for (const check of requiredChecks(p)) {
    const failure = checkFailure(check, repo.statuses[pr.head.sha] ?? []);
    if (failure) return failure;
  }
  return null;
}
