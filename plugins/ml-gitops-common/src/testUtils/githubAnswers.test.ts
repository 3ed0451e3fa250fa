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
  githubCommit,
  githubContentFile,
  githubFileCommit,
  githubInvitation,
  githubLabel,
  githubPublicUser,
  githubPull,
  githubRef,
  githubRepository,
  githubReview,
} from './githubAnswers';
import { githubContractProblems } from './publishedContracts';

const REPO = 'acme/fraud-detector-config';
const SHA = 'a'.repeat(40);

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
        commitSha: SHA,
        parent: SHA,
        message: 'm',
        size: 4,
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
      'PUT /repos/{owner}/{repo}/collaborators/{username}',
      githubInvitation(REPO, { invitee: 'ada', permission: 'push' }),
      201,
    ],
  ])('%s', (operation, body, status) => {
    expect(githubContractProblems(operation, body, status)).toEqual([]);
  });
});
