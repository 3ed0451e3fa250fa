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

// Approvals from GitHub: the pull request's reviews on its head, and team memberships of team owners.

import { CODEOWNERS_PATHS } from '../lib/codeowners';
import { GitHubClient, GitHubError, GitHubReview } from '../lib/github';
import { ApprovalSource } from './approvalSource';

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

const TEAM_TOKEN =
  'a GitHub App with "Members: read", or a token with read:org); GITHUB_TOKEN cannot';

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

export function gitHubApprovals(github: GitHubContext): ApprovalSource {
  const client = new GitHubClient({
    apiUrl: github.apiUrl,
    token: github.token ?? '',
    fetch: github.fetch,
    timeoutMs: github.timeoutMs,
  });
  const repo = github.repository ?? '';
  const pull = github.pullRequest ?? 0;
  /** Team owners GitHub did not confirm an approver in (404 or not active). */
  const unconfirmedTeams = new Set<string>();
  return {
    name: `${repo}#${pull}`,
    noun: 'pull request',
    codeownersPaths: CODEOWNERS_PATHS,
    flavor: 'github',
    missing() {
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
      return missing;
    },
    missingFix:
      "Run the check with a token that can read the pull request (and, for team owners, the organisation's team memberships)",
    headSha: () => client.headSha(repo, pull),
    approvers: async headSha =>
      approversOf(await client.reviews(repo, pull), headSha),
    async isOwner(owner, login) {
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
    },
    unconfirmedHint: owners =>
      owners.some(o => unconfirmedTeams.has(o))
        ? `GitHub answers 404 both for a non-member and for a team the token cannot see: team owners need a token that can read the organisation's members (${TEAM_TOKEN}`
        : undefined,
    readFix: error =>
      error instanceof GitHubError &&
      (error.status === 401 || error.status === 403 || error.status === 404)
        ? 'Give the token read access to pull requests (GitHub Actions: permissions: pull-requests: read)'
        : 'Re-run the check when GitHub answers',
    memberships: 'team memberships',
    membershipFix: error =>
      error instanceof GitHubError && error.status === 403
        ? `Team owners need a token that can read the organisation's members (${TEAM_TOKEN}`
        : 'Re-run the check when GitHub answers',
  };
}
