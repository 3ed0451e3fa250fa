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

import { changeTrailer } from './changeRequest';
import { deploymentKindOf, VersionChangeFacts } from './deploymentKind';

const where = {
  environments: ['dev', 'staging', 'production'],
  environment: 'production',
};
const pull = (
  title: string,
  headRef: string,
  labels: string[] = [],
): VersionChangeFacts['pullRequest'] => ({ title, headRef, labels });

describe('deploymentKindOf', () => {
  it.each<[string, VersionChangeFacts, string]>([
    [
      'the rollback trailer',
      { message: `Roll back to 11\n\n${changeTrailer('rollback')}` },
      'rollback',
    ],
    [
      'a revert made with git',
      { message: 'Revert "Deploy 12"\n\nThis reverts commit abcdef1.' },
      'rollback',
    ],
    [
      'a commit pushed by hand whose subject says so',
      { message: 'Roll back fraud-detector to 11' },
      'rollback',
    ],
    [
      'the rollback label, whatever the title',
      {
        message: 'Merge pull request #3 from acme/carol/fix',
        pullRequest: pull('Go back to 11', 'carol/fix', ['ml-gitops/rollback']),
      },
      'rollback',
    ],
    [
      'a pull request from a rollback branch',
      {
        message: 'Go back to 11 (#3)',
        pullRequest: pull('Go back to 11', 'ml-gitops/rollback/production/11'),
      },
      'rollback',
    ],
    [
      'a pull request titled as a revert',
      {
        message: 'Merge pull request #4 from acme/carol/fix\n\nRevert 12',
        pullRequest: pull('Revert 12', 'carol/fix'),
      },
      'rollback',
    ],
    [
      'the promotion label',
      {
        message: 'Set production to 12 (#5)',
        pullRequest: pull('Set production to 12', 'x', ['ml-gitops/promotion']),
      },
      'promotion',
    ],
    [
      "a pull request from another environment's branch",
      {
        message: 'Merge pull request #6 from acme/staging',
        pullRequest: pull('Staging to production', 'staging'),
      },
      'promotion',
    ],
    [
      "a merge of another environment's branch made with git",
      { message: "Merge branch 'staging' into production" },
      'promotion',
    ],
    [
      'the promotion trailer, though the subject reads like a rollback',
      { message: `Revert to what staging has\n\n${changeTrailer('promote')}` },
      'promotion',
    ],
    [
      'a plain change',
      {
        message: 'Deploy fraud-detector 13 (#7)',
        pullRequest: pull('Deploy fraud-detector 13', 'carol/bump'),
      },
      'deploy',
    ],
  ])('%s', async (_what, facts, kind) => {
    await expect(deploymentKindOf(facts, where)).resolves.toBe(kind);
  });

  it("reads a merged branch's head only when nothing else decides", async () => {
    const asked: string[] = [];
    const head = (message: string) => async () => {
      asked.push(message);
      return message;
    };
    await expect(
      deploymentKindOf(
        {
          message: 'Merge pull request #9 from acme/carol/undo\n\nUndo 13',
          mergedHeadMessage: head(
            'Revert "Deploy 13"\n\nThis reverts commit abcdef1.',
          ),
        },
        where,
      ),
    ).resolves.toBe('rollback');
    await expect(
      deploymentKindOf(
        {
          message: 'Merge pull request #10 from acme/carol/bump',
          mergedHeadMessage: head('Deploy 14'),
        },
        where,
      ),
    ).resolves.toBe('deploy');
    await expect(
      deploymentKindOf(
        {
          message:
            'Merge pull request #11 from acme/ml-gitops/rollback/production/12',
          mergedHeadMessage: head('never read'),
        },
        where,
      ),
    ).resolves.toBe('rollback');
    expect(asked).toEqual([
      'Revert "Deploy 13"\n\nThis reverts commit abcdef1.',
      'Deploy 14',
    ]);
  });
});
