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
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { setupServer } from 'msw/node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { GitBackedRepo, manifest } from '../testUtils';
import { directSteps } from '../git/changePullRequest';
import {
  parseChangeRecord,
  rollbackCandidates,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ConfigRepoHistory } from '../git/ConfigRepoHistory';
import { GithubConfigRepoClient } from '../git/GithubConfigRepoClient';
import { GithubConfigRepoWriter } from '../git/GithubConfigRepoWriter';
import { registryAccess } from '../registries';
import { proposeRollback } from './proposeRollback';
import { RollbackRefusedError, RollbackRequest } from './rollbackTypes';

/*
 * The rollback core against a real Git repository on disk (clone, revert,
 * push) whose branches and commits GitHub's REST API answers through the
 * FakeGithubRepo (pull requests, labels).
 */

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
// Real git repositories on disk: slower than the default 5s on a busy machine.
jest.setTimeout(60_000);

const MODEL = 'deploy/model.yaml';
const integrations = ScmIntegrations.fromConfig(
  mockServices.rootConfig({
    data: {
      integrations: { github: [{ host: 'github.com', token: 'app-token' }] },
    },
  }),
);
const gitHost = () =>
  GithubConfigRepoClient.fromIntegrations({
    integrations,
    cache: { get: async () => undefined, set: async () => {} },
  });
const loc = gitHost().locate('https://github.com/acme/fraud-detector-config');

let repo: GitBackedRepo;
beforeEach(() => {
  repo = new GitBackedRepo('acme', 'fraud-detector-config', 'production');
  server.use(...repo.handlers());
});
afterEach(() => repo.cleanup());

function run(overrides: Partial<RollbackRequest> = {}) {
  const logs: string[] = [];
  const logger = {
    info: (m: string) => logs.push(m),
    warn: (m: string) => logs.push(`warn: ${m}`),
  };
  const result = proposeRollback(
    {
      writer: GithubConfigRepoWriter.fromIntegrations({ integrations }),
      environments: ['dev', 'staging', 'production'],
      registryFor: options => registryAccess([], options),
      remoteUrl: () => repo.bare,
    },
    {
      loc,
      manifestPath: MODEL,
      environment: 'production',
      reason: 'Automatic rollback: canary analysis fd-1 failed: error-rate',
      rejectVersion: false,
      author: { name: 'ML GitOps', email: 'ml-gitops@example.com' },
      rejectedBy: 'ml-gitops:auto-rollback',
      openedBy: '_Opened automatically._',
      ...overrides,
    },
    directSteps(logger),
  );
  return { result, logs };
}

function story() {
  repo.commit('Initial config', { [MODEL]: manifest('11') });
  const deploy = repo.commit('Promote fraud-detector to production: → 12', {
    [MODEL]: manifest('12'),
  });
  repo.pushAll();
  return deploy;
}

describe('proposeRollback', () => {
  it('reverts the last deployment and opens one labelled pull request with its record, however often it runs', async () => {
    const deploy = story();
    const first = await run().result;
    expect(first).toMatchObject({
      branch: 'ml-gitops/rollback/production/11',
      previousVersion: '11',
      rolledBackFrom: '12',
      method: 'revert',
      revertedCommit: deploy,
      pullRequest: {
        number: 101,
        url: 'https://github.com/acme/fraud-detector-config/pull/101',
      },
    });
    expect(repo.show('ml-gitops/rollback/production/11', MODEL)).toBe(
      manifest('11'),
    );
    const message = repo.remoteGit(
      'log',
      '-1',
      '--format=%an%n%B',
      'ml-gitops/rollback/production/11',
    );
    expect(message).toContain('ML GitOps');
    expect(message).toContain(`This reverts commit ${deploy}.`);
    expect(message).toContain('ML-GitOps-Change: rollback');
    expect(repo.fake.opened).toHaveLength(1);
    const [pull] = repo.fake.opened;
    expect(pull).toMatchObject({
      title: 'Roll back fraud-detector in production: 12 → 11',
      head: 'ml-gitops/rollback/production/11',
      base: 'production',
      labels: ['ml-gitops/rollback'],
    });
    expect(pull.body).toContain(
      '**Reason:** Automatic rollback: canary analysis fd-1 failed: error-rate',
    );
    expect(pull.body).toContain('_Opened automatically._');
    expect(parseChangeRecord(pull.body)).toEqual({
      kind: 'rollback',
      environment: 'production',
      from: '12',
      to: '11',
      reason: 'Automatic rollback: canary analysis fd-1 failed: error-rate',
      rejected: false,
    });
    // production itself is untouched: merging stays with people.
    expect(repo.remoteGit('rev-parse', 'production')).toBe(deploy);

    const pushed = repo.remoteGit(
      'rev-parse',
      'ml-gitops/rollback/production/11',
    );
    const again = await run().result;
    expect(again.pullRequest?.number).toBe(101);
    expect(repo.fake.opened).toHaveLength(1);
    expect(
      repo.remoteGit('rev-parse', 'ml-gitops/rollback/production/11'),
    ).toBe(pushed);
  });

  it('refuses, pushing nothing, when the environment no longer declares the expected version', async () => {
    story();
    const { result } = run({ expectVersion: '13' });
    await expect(result).rejects.toThrow(
      'production no longer declares fraud-detector version 13 (it declares 12); nothing to roll back',
    );
    await expect(run({ expectVersion: '13' }).result).rejects.toMatchObject({
      refusal: 'moved-on',
    });
    expect([...repo.branches().keys()]).toEqual(['production']);
    expect(repo.fake.opened).toEqual([]);
  });

  it('leaves a version brought back by a rollback to people when asked to', async () => {
    const deploy = story();
    repo.git('revert', '--no-edit', deploy);
    repo.pushAll();
    const refused = run({ refuseWhenDeclaredByRollback: true }).result;
    await expect(refused).rejects.toBeInstanceOf(RollbackRefusedError);
    await expect(
      run({ refuseWhenDeclaredByRollback: true }).result,
    ).rejects.toMatchObject({
      refusal: 'declared-by-rollback',
      message: expect.stringMatching(
        /^production declares fraud-detector version 11 through a rollback \([0-9a-f]{7}, "Revert /,
      ),
    });
    expect(repo.fake.opened).toEqual([]);
  });

  it('says when there is no candidate', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.pushAll();
    await expect(run().result).rejects.toMatchObject({
      refusal: 'no-candidate',
      message:
        'Nothing to roll back on production: no earlier version of fraud-detector served there in the last 500 commits of deploy/model.yaml',
    });
    expect(repo.fake.opened).toEqual([]);
  });

  it('warns, and still opens the pull request, when the version left cannot be rejected', async () => {
    story();
    const { result, logs } = run({ rejectVersion: true });
    expect((await result).registry).toEqual({
      name: 'mlflow-default',
      problem:
        'the registry "mlflow-default" is not configured under mlGitops.registries (configured: none)',
    });
    expect(repo.fake.opened).toHaveLength(1);
    expect(logs).toContain(
      'warn: Version 12 is not marked rejected: the registry "mlflow-default" is not configured under mlGitops.registries (configured: none)',
    );
  });

  it('takes for a rollback what the history shows as one: a merged branch whose head reverts the last deployment', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('11') });
    repo.commit('Deploy fraud-detector 12', { [MODEL]: manifest('12') });
    const bad = repo.commit('Deploy fraud-detector 13', {
      [MODEL]: manifest('13'),
    });
    // Someone reverts 13 on a branch of their own and merges it with a
    // message of their words: only the merged head says "revert".
    repo.git('checkout', '--quiet', '-b', 'carol/undo');
    repo.git('revert', '--no-edit', bad);
    repo.git('checkout', '--quiet', 'production');
    repo.git(
      'merge',
      '--no-ff',
      '-m',
      'Merge pull request #9 from acme/carol/undo\n\nUndo 13: p95 latency doubled',
      'carol/undo',
    );
    repo.pushAll();

    // Made in the test, so it sends through msw.
    const reader = new ConfigRepoHistory(
      gitHost(),
      { get: async () => undefined, set: async () => {} },
      { environments: ['dev', 'staging', 'production'], firstPage: 50 },
    );
    const { deployments } = await reader.read({
      loc,
      manifestPath: MODEL,
      environment: 'production',
      head: repo.git('rev-parse', 'production'),
    });
    expect(deployments.map(d => [d.kind, d.version])).toEqual([
      ['deploy', '11'],
      ['deploy', '12'],
      ['deploy', '13'],
      ['rollback', '12'],
    ]);
    // What the tab offers as the default target, from the history.
    const offered = rollbackCandidates(
      [...deployments].reverse().map(d => ({
        version: d.version,
        previous: d.previousVersion,
        rollback: d.kind === 'rollback',
      })),
    );
    expect(offered.candidates[0]).toBe('11');

    const result = await run().result;
    expect(result).toMatchObject({
      previousVersion: '11',
      rolledBackFrom: '12',
      method: 'value',
    });
    expect(repo.show(result.branch, MODEL)).toBe(manifest('11'));
  });
});
