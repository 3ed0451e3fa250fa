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

import {
  githubBranch,
  githubBranchProtection,
  githubCombinedStatus,
  githubCommit,
  githubContentFile,
  githubFileCommit,
  githubInvitation,
  githubLabel,
  githubPublicUser,
  githubPull,
  githubRef,
  githubRepository,
  githubRepositoryMinimal,
  githubReview,
  githubUser,
  githubStatus,
  GithubStatusFacts,
} from './githubAnswers';
import { githubContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const REPO = 'acme/fraud-detector-config';
const SHA = 'a'.repeat(40);
const TIME = '2026-01-02T03:04:05Z';

const STATUS: GithubStatusFacts = {
  id: 3,
  state: 'success',
  context: 'ml-gitops/validate',
  description: 'ok',
  targetUrl: null,
  createdAt: '2026-01-02T03:04:05Z',
  updatedAt: '2026-01-02T03:04:05Z',
  creator: 'ada',
};

describe("the GitHub answers for fixtures follow GitHub's description", () => {
  const pull = {
    number: 7,
    head: { ref: 'deploy', sha: SHA },
    base: { ref: 'dev', sha: SHA },
    labels: ['ml-gitops'],
    requestedReviewers: ['ada'],
  };
  it.each([
    ['GET /repos/{owner}/{repo}', githubRepository(REPO, { full: true }), 200],
    ['GET /users/{username}', githubPublicUser('ada', { name: 'Ada' }), 200],
    [
      'GET /repos/{owner}/{repo}/branches',
      [githubBranch(REPO, 'dev', SHA)],
      200,
    ],
    [
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      githubRef(REPO, 'refs/heads/dev', SHA),
      200,
    ],
    [
      'GET /repos/{owner}/{repo}/contents/{path}',
      githubContentFile(REPO, {
        path: 'deploy/model.yaml',
        ref: 'dev',
        sha: SHA,
        content: 'x: 1\n',
      }),
      200,
    ],
    [
      'PUT /repos/{owner}/{repo}/contents/{path}',
      githubFileCommit(REPO, {
        path: 'deploy/model.yaml',
        branch: 'dev',
        blobSha: SHA,
        size: 4,
        commit: { sha: SHA, parents: [SHA], message: 'm' },
      }),
      200,
    ],
    [
      'GET /repos/{owner}/{repo}/commits/{ref}',
      githubCommit(REPO, {
        sha: SHA,
        parents: [SHA],
        message: 'm',
        name: 'ada',
        date: '2026-01-02T03:04:05Z',
        login: 'ada',
        files: [{ filename: 'deploy/model.yaml' }],
      }),
      200,
    ],
    [
      'GET /repos/{owner}/{repo}/pulls',
      [githubPull(REPO, pull), githubPull(REPO, { ...pull, number: 8 })],
      200,
    ],
    [
      'GET /repos/{owner}/{repo}/pulls/{pull_number}',
      githubPull(REPO, {
        ...pull,
        mergedAt: '2026-01-02T03:04:05Z',
        mergeCommitSha: SHA,
        detail: { mergedBy: 'ada' },
      }),
      200,
    ],
    [
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      [
        githubReview(REPO, {
          id: 1,
          pull: 7,
          user: 'ada',
          state: 'APPROVED',
          commitId: SHA,
          submittedAt: '2026-01-02T03:04:05Z',
        }),
      ],
      200,
    ],
    [
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
      [githubLabel(REPO, 'ml-gitops')],
      200,
    ],
    [
      'POST /repos/{owner}/{repo}/git/refs',
      githubRef(REPO, 'refs/heads/deploy', SHA),
      201,
    ],
    [
      'GET /repos/{owner}/{repo}/commits/{ref}',
      githubCommit(REPO, {
        sha: SHA,
        parents: [SHA],
        message: 'm\n',
        author: { name: 'Ada', email: 'ada@example.com', date: TIME },
        committer: { name: 'GitHub', email: 'noreply@github.com', date: TIME },
        authorLogin: 'ada',
        committerLogin: 'web-flow',
        files: [
          { filename: 'deploy/model.yaml', status: 'added', additions: 3 },
        ],
      }),
      200,
    ],
    [
      'PUT /repos/{owner}/{repo}/branches/{branch}/protection',
      githubBranchProtection(REPO, 'production', {
        required_status_checks: {
          strict: true,
          contexts: ['ml-gitops/validate'],
          checks: [{ context: 'ml-gitops/validate', app_id: null }],
        },
        required_pull_request_reviews: {
          required_approving_review_count: 1,
          dismiss_stale_reviews: true,
          require_code_owner_reviews: false,
        },
        enforce_admins: false,
      }),
      200,
    ],
    [
      'POST /repos/{owner}/{repo}/statuses/{sha}',
      githubStatus(REPO, STATUS),
      201,
    ],
    [
      'GET /repos/{owner}/{repo}/commits/{ref}/statuses',
      [githubStatus(REPO, STATUS)],
      200,
    ],
    [
      'GET /repos/{owner}/{repo}/commits/{ref}/status',
      githubCombinedStatus(REPO, {
        sha: SHA,
        state: 'success',
        statuses: [STATUS],
        repository: githubRepositoryMinimal(REPO),
      }),
      200,
    ],
    [
      'PUT /repos/{owner}/{repo}/collaborators/{username}',
      githubInvitation(REPO, { invitee: 'ada', permission: 'push' }),
      201,
    ],
  ])('%s', (operation, body, status) => {
    expect(githubContractProblems(operation, body, status)).toEqual([]);
  });
});

describe('what a fake knows wins over the plain values', () => {
  it('shows accounts the way the fake resolves logins', () => {
    const account = (login: string) =>
      githubUser(login, { id: 7, nodeId: 'MDQ6VXNlcjc=', type: 'Bot' });
    const pull = githubPull(REPO, {
      number: 7,
      head: { ref: 'deploy', sha: SHA },
      base: { ref: 'dev', sha: SHA },
      user: 'ml-gitops-bot',
      requestedReviewers: ['ada'],
      account,
    });
    expect(pull.user).toEqual(account('ml-gitops-bot'));
    expect(pull.requested_reviewers).toEqual([account('ada')]);
  });

  it('keeps a commit without a GitHub account for its e-mail unlinked', () => {
    const commit = githubCommit(REPO, {
      sha: SHA,
      parents: [],
      message: 'm',
      name: 'Ada',
      login: 'ada',
      committerLogin: null,
    });
    expect(commit.author?.login).toBe('ada');
    expect(commit.committer).toBeNull();
  });

  it('sends content in base64 lines of 60 characters, as GitHub does', () => {
    const content = 'x'.repeat(100);
    const file = githubContentFile(REPO, {
      path: 'deploy/model.yaml',
      ref: 'dev',
      sha: SHA,
      content,
    });
    const lines = file.content.split('\n');
    expect(lines[0]).toHaveLength(60);
    expect(lines[lines.length - 1]).toBe('');
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toBe(content);
    expect(file.size).toBe(100);
  });
});
