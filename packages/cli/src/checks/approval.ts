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

// The code owner approval check: who must approve what a pull request changes, and whether GitHub says they did.

import { ModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import {
  CODEOWNERS_PATHS,
  CodeownersRule,
  ownersOf,
  parseCodeowners,
} from '../lib/codeowners';
import { describeError } from '../lib/errors';
import { GitHubClient, GitHubError, GitHubReview } from '../lib/github';
import { positionOf } from '../lib/positions';
import { CheckResult, failed, Finding, passed } from '../report';
import { BaseState, git } from './changes';
import { ProtectedChange, protectedChanges } from './protectedChanges';
import type { ManifestLocation } from './registry';

const TITLE = 'Code owner approval';

/** Where the approval check reads the pull request on GitHub. */
export type GitHubContext = {
  /** The token; undefined when none was given. */
  token?: string;
  /** How the token is passed, for messages: "GITHUB_TOKEN", "--github-token-env X". */
  tokenHint: string;
  /** owner/name */
  repository?: string;
  pullRequest?: number;
  apiUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

/** The base branch's CODEOWNERS: its path and rules, or none. */
async function baseCodeowners(
  root: string,
  baseCommit: string,
): Promise<{ path: string; rules: CodeownersRule[] } | undefined> {
  for (const path of CODEOWNERS_PATHS) {
    const text = await git(root, ['show', `${baseCommit}:${path}`]).catch(
      () => undefined,
    );
    if (text !== undefined) return { path, rules: parseCodeowners(text) };
  }
  return undefined;
}

/**
 * The reviewers whose latest review approves `headSha`. As in GitHub's
 * branch protection, a later "commented" review does not undo an approval;
 * "changes requested" and "dismissed" do.
 */
export function approversOf(
  reviews: GitHubReview[],
  headSha: string,
): string[] {
  const latest = new Map<string, GitHubReview>();
  for (const review of reviews) {
    const login = review.user?.login;
    if (
      !login ||
      !['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'].includes(review.state)
    ) {
      continue;
    }
    latest.set(login.toLowerCase(), review);
  }
  return [...latest.values()]
    .filter(r => r.state === 'APPROVED' && r.commit_id === headSha)
    .map(r => r.user!.login);
}

/** The commit the check runs on, or the head of the merge ref it checked out. */
async function checkedHeads(root: string): Promise<string[]> {
  const parents = (
    await git(root, ['rev-list', '--parents', '-n', '1', 'HEAD'])
  )
    .trim()
    .split(' ');
  // HEAD itself; for GitHub's refs/pull/N/merge, its second parent is the
  // pull request's head.
  return parents.length === 3 ? [parents[0], parents[2]] : [parents[0]];
}

/**
 * With `--base`: a pull request that loosens the performance gate, changes
 * `checks:`, CODEOWNERS or a workflow passes only with the approval of a
 * code owner of that file, per the base branch's CODEOWNERS, on the pull
 * request's current head. Approvals are read from GitHub's REST API.
 * `gatesApproved` tells the gate check whose thresholds apply.
 */
export async function checkApproval(options: {
  root: string;
  manifestPath: string;
  location: ManifestLocation;
  base: BaseState;
  head?: ModelManifest;
  changedFiles: string[];
  github: GitHubContext;
}): Promise<{ result: CheckResult; gatesApproved: boolean }> {
  const { root, base, location, github } = options;
  const changes = protectedChanges({
    manifestPath: options.manifestPath,
    base: base.manifest,
    head: options.head,
    changedFiles: options.changedFiles,
  });
  const gateChanges = changes.filter(c => c.kind === 'a gate change');
  if (changes.length === 0) {
    return {
      result: passed(
        'approval',
        TITLE,
        'no gate, checks, CODEOWNERS or workflow change that needs a code owner',
      ),
      gatesApproved: true,
    };
  }
  const at = (change: ProtectedChange) =>
    change.manifestPath
      ? {
          file: location.file,
          ...positionOf(location.text, change.manifestPath),
        }
      : { file: change.path, line: 1 };
  const needs = (change: ProtectedChange) =>
    `${change.what}; ${change.kind} needs a code owner's approval`;
  const refuse = (
    summary: string,
    fixFor: (change: ProtectedChange) => string,
    extra: Finding[] = [],
    status: 'failed' | 'error' = 'failed',
  ) => ({
    result: {
      ...failed(
        'approval',
        TITLE,
        summary,
        [
          ...changes.map(change => ({
            severity: 'error' as const,
            ...at(change),
            message: needs(change),
            fix: fixFor(change),
          })),
          ...extra,
        ],
        { changes: changes.map(c => ({ path: c.path, what: c.what })) },
      ),
      status,
    },
    gatesApproved: false,
  });

  const owners = await baseCodeowners(root, base.commit);
  const ownerText = (change: ProtectedChange) => {
    const found = owners ? ownersOf(owners.rules, change.path) : undefined;
    return found?.owners.length
      ? `${found.owners.join(' ')} (${owners!.path}:${found.rule!.line} on ${
          base.ref
        })`
      : undefined;
  };
  const askFix = (change: ProtectedChange) => {
    const who = ownerText(change);
    return who
      ? `Ask a code owner of ${change.path}, ${who}, to approve the pull request's latest commit`
      : `${change.path} has no code owner in the CODEOWNERS of ${base.ref}: add one there in a pull request of its own first (or undo this change)`;
  };

  const missing: string[] = [];
  if (!github.token) {
    missing.push(
      `a GitHub token to read the pull request's reviews (${github.tokenHint}; in GitHub Actions pass GITHUB_TOKEN: \${{ github.token }} with permissions pull-requests: read)`,
    );
  }
  if (!github.repository) {
    missing.push(
      'the repository (GITHUB_REPOSITORY or --github-repo OWNER/NAME)',
    );
  }
  if (github.pullRequest === undefined) {
    missing.push(
      'the pull request number (--pr N, or the pull_request event at GITHUB_EVENT_PATH, or GITHUB_REF refs/pull/N/merge)',
    );
  }
  if (missing.length > 0) {
    const message = `cannot confirm a code owner's approval without ${missing.join(
      ', ',
    )}`;
    return refuse(
      `${changes.length} change${
        changes.length === 1 ? '' : 's'
      } need a code owner's approval; ${message}`,
      askFix,
      [
        {
          severity: 'error',
          message,
          fix: "Run the check with a token that can read the pull request (and, for team owners, the organisation's team memberships)",
        },
      ],
    );
  }

  const client = new GitHubClient({
    apiUrl: github.apiUrl,
    token: github.token!,
    fetch: github.fetch,
    timeoutMs: github.timeoutMs,
  });
  const repo = github.repository!;
  const pull = github.pullRequest!;
  let approvers: string[];
  let headSha: string;
  try {
    headSha = await client.headSha(repo, pull);
    const checked = await checkedHeads(root);
    if (!checked.includes(headSha)) {
      return refuse(
        `the pull request's head is ${headSha.slice(
          0,
          12,
        )}, not the commit this run checks (${checked[checked.length - 1].slice(
          0,
          12,
        )})`,
        () => "Re-run the check on the pull request's latest commit",
      );
    }
    approvers = approversOf(await client.reviews(repo, pull), headSha);
  } catch (error) {
    return refuse(
      `cannot read the approvals of ${repo}#${pull}: ${describeError(error)}`,
      askFix,
      [
        {
          severity: 'error',
          message: `cannot read the approvals of ${repo}#${pull}: ${describeError(
            error,
          )}`,
          fix:
            error instanceof GitHubError &&
            (error.status === 401 ||
              error.status === 403 ||
              error.status === 404)
              ? 'Give the token read access to pull requests (GitHub Actions: permissions: pull-requests: read)'
              : 'Re-run the check when GitHub answers',
        },
      ],
      'error',
    );
  }

  /** Team owners GitHub did not confirm an approver in (404 or not active). */
  const unconfirmedTeams = new Set<string>();
  const isOwner = async (owner: string, login: string) => {
    if (!owner.startsWith('@')) return false; // e-mail owners cannot be matched to a login
    const name = owner.slice(1);
    const slash = name.indexOf('/');
    if (slash < 0) return name.toLowerCase() === login.toLowerCase();
    const member = await client.isActiveTeamMember(
      name.slice(0, slash),
      name.slice(slash + 1),
      login,
    );
    if (!member) unconfirmedTeams.add(owner);
    return member;
  };
  const findings: Finding[] = [];
  const approvedBy: string[] = [];
  try {
    for (const change of changes) {
      const found = owners
        ? ownersOf(owners.rules, change.path)
        : { owners: [] };
      let by: string | undefined;
      for (const login of approvers) {
        for (const owner of found.owners) {
          if (await isOwner(owner, login)) {
            by = `@${login} (${owner})`;
            break;
          }
        }
        if (by) break;
      }
      if (by) {
        approvedBy.push(`${change.what}: approved by ${by}`);
      } else {
        findings.push({
          severity: 'error',
          ...at(change),
          message: `${needs(change)}${
            approvers.length
              ? ` (approvals of ${headSha.slice(0, 12)} by ${approvers
                  .map(a => `@${a}`)
                  .join(', ')}, none a code owner of ${change.path})`
              : ` (no approval of the latest commit ${headSha.slice(0, 12)})`
          }`,
          fix: `${askFix(change)}${
            found.owners.some(o => unconfirmedTeams.has(o))
              ? '. GitHub answers 404 both for a non-member and for a team the token cannot see: team owners need a token that can read the organisation\'s members (a GitHub App with "Members: read", or read:org); GITHUB_TOKEN cannot'
              : ''
          }`,
        });
      }
    }
  } catch (error) {
    const team = error instanceof GitHubError && error.status === 403;
    return refuse(
      `cannot read team memberships: ${describeError(error)}`,
      askFix,
      [
        {
          severity: 'error',
          message: `cannot read team memberships: ${describeError(error)}`,
          fix: team
            ? 'Team owners need a token that can read the organisation\'s members (a GitHub App with "Members: read", or a token with read:org); GITHUB_TOKEN cannot'
            : 'Re-run the check when GitHub answers',
        },
      ],
      'error',
    );
  }
  const details = { headSha, approvers, approved: approvedBy };
  if (findings.length > 0) {
    return {
      result: failed(
        'approval',
        TITLE,
        `${findings.length} change${
          findings.length === 1 ? '' : 's'
        } without a code owner's approval`,
        findings,
        details,
      ),
      gatesApproved: gateChanges.every(
        c => !findings.some(f => f.message.startsWith(c.what)),
      ),
    };
  }
  return {
    result: passed('approval', TITLE, approvedBy.join('; '), [], details),
    gatesApproved: true,
  };
}
