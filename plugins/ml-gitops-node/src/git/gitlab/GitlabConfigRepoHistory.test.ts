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

// ConfigRepoHistory driven by the GitLab reader: the history of a real Git repository on disk, its merge requests answered by FakeGitlabRepo.
import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { setupServer } from 'msw/node';
import { changeRecordBlock } from '@ml-gitops/plugin-ml-gitops-common';
import { FakeGitlabRepo, GitBackedRepo, manifest } from '../../testUtils';
import { ConfigRepoHistory } from '../ConfigRepoHistory';
import {
  EnvironmentDeclaration,
  HistoryBudget,
  MAX_REQUESTS_PER_COMMIT,
} from '../historyDeclarations';
import { GitlabConfigRepoClient } from './GitlabConfigRepoClient';

const WEB = 'https://gitlab.example.com';
const MODEL = 'deploy/model.yaml';
const ENVIRONMENTS = ['dev', 'staging', 'production'];

const server = setupServer();
registerMswTestHooks(server);

const repos: GitBackedRepo[] = [];
afterAll(() => repos.forEach(r => r.cleanup()));

function history(
  memory = new Map<string, EnvironmentDeclaration>(),
  firstPage = 50,
) {
  const integrations = ScmIntegrations.fromConfig(
    mockServices.rootConfig({
      data: {
        integrations: {
          gitlab: [
            {
              host: 'gitlab.example.com',
              token: 'glpat-secret',
              apiBaseUrl: `${WEB}/api/v4`,
            },
          ],
        },
      },
    }),
  );
  const client = GitlabConfigRepoClient.fromIntegrations({
    integrations,
    cache: { get: async () => undefined, set: async () => {} },
  });
  const reader = new ConfigRepoHistory(
    client,
    {
      get: async key => memory.get(key),
      set: async (key, value) => {
        memory.set(key, value);
      },
    },
    { environments: ENVIRONMENTS, firstPage },
  );
  return { reader, loc: client.locate(`${WEB}/acme/ml/fraud-detector-config`) };
}

/**
 * production as the actions leave it on GitLab: each change a one-commit
 * branch cut from production, merged with a merge commit by a reviewer; the
 * merge requests opened by the bot user for the person named as the head
 * commit's author.
 */
function productionRepo() {
  const git = new GitBackedRepo('acme', 'fraud-detector-config', 'production');
  repos.push(git);
  git.commit(
    'Create config repo',
    { [MODEL]: manifest('11') },
    { author: 'ada', date: '2026-11-01T10:00:00Z' },
  );
  git.pushAll();
  const fake = new FakeGitlabRepo(git, 'acme/ml/fraud-detector-config', WEB);
  fake.user('ml-gitops-app', { bot: true });
  const change = (
    kind: 'promote' | 'rollback' | 'deploy',
    version: string,
    options: {
      label: string;
      author: string;
      opener?: string;
      reason?: string;
      branch?: string;
      approvedBy?: string[];
    },
  ) => {
    const branch = options.branch ?? `ml-gitops/${kind}/production/${version}`;
    git.git('checkout', '--quiet', '-b', branch, 'production');
    const head = git.commit(
      `${kind} ${version}`,
      { [MODEL]: manifest(version) },
      { author: options.author, date: '2026-11-02T10:00:00Z' },
    );
    git.git('checkout', '--quiet', 'production');
    git.git(
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      `Merge branch '${branch}' into 'production'`,
      branch,
    );
    git.git('branch', '-D', branch);
    git.pushAll();
    const merge = git.git('rev-parse', 'HEAD');
    fake.merged({
      sourceBranch: branch,
      targetBranch: 'production',
      sha: head,
      mergeCommitSha: merge,
      mergedBy: 'grace',
      author: options.opener ?? 'ml-gitops-app',
      approvedBy: options.approvedBy ?? ['linus'],
      title: `Set production to ${version}`,
      labels: [options.label],
      mergedAt: '2026-11-02T11:00:00Z',
      description: `Made by ML GitOps.\n\n${changeRecordBlock({
        kind,
        environment: 'production',
        to: version,
        ...(options.reason ? { reason: options.reason } : {}),
        requestedBy: `user:default/${options.author}`,
      })}`,
    });
    return merge;
  };
  return { git, fake, change };
}

async function readProduction(git: GitBackedRepo, fake: FakeGitlabRepo) {
  server.use(...fake.handlers());
  const { reader, loc } = history();
  const { deployments } = await reader.read({
    loc,
    manifestPath: MODEL,
    environment: 'production',
    head: git.branches().get('production')!,
  });
  return deployments;
}

describe('ConfigRepoHistory on GitLab', () => {
  it('reads promotions and rollbacks from their labels and branches, authored by the person the bot opened them for', async () => {
    const { git, fake, change } = productionRepo();
    const promoted = change('promote', '12', {
      label: 'ml-gitops/promotion',
      author: 'alice',
    });
    const rolledBack = change('rollback', '11', {
      label: 'ml-gitops/rollback',
      author: 'bob',
      reason: 'p95 latency doubled',
      approvedBy: ['linus', 'ken'],
    });
    const deployments = await readProduction(git, fake);
    expect(
      deployments.map(d => [d.kind, d.previousVersion, d.version, d.author]),
    ).toEqual([
      ['deploy', undefined, '11', 'ada'],
      ['promotion', '11', '12', 'alice'],
      ['rollback', '12', '11', 'bob'],
    ]);
    expect(deployments.slice(1).map(d => d.commit)).toEqual([
      promoted,
      rolledBack,
    ]);
    expect(deployments[2].reason).toBe('p95 latency doubled');
    expect(deployments[2].pullRequest).toMatchObject({
      number: 2,
      url: `${WEB}/acme/ml/fraud-detector-config/-/merge_requests/2`,
      mergedBy: 'grace',
      reviewers: ['linus', 'ken'],
    });
  });

  it('names the person who opened a merge request by hand, not the merger', async () => {
    const { git, fake, change } = productionRepo();
    change('deploy', '12', {
      label: 'documentation',
      author: 'carol',
      opener: 'carol-gl',
      branch: 'carol/bump-model',
    });
    const deployments = await readProduction(git, fake);
    expect(deployments[1]).toMatchObject({
      kind: 'deploy',
      version: '12',
      author: 'carol-gl',
    });
  });

  it('reads older history within a budget of requests, resuming where it stopped', async () => {
    const { git, fake } = productionRepo();
    for (let i = 0; i < 12; i++) {
      git.commit(
        `change ${i}`,
        i % 3 === 0
          ? { [MODEL]: manifest(String(20 + i)) }
          : { [`notes/${i}.md`]: `note ${i}` },
        {
          author: 'alan',
          date: new Date(Date.UTC(2026, 10, 3) + i * 3600_000).toISOString(),
        },
      );
    }
    git.pushAll();
    server.use(...fake.handlers());
    const memory = new Map<string, EnvironmentDeclaration>();
    const head = git.branches().get('production')!;
    const read = (budget?: HistoryBudget) => {
      const { reader, loc } = history(memory, 3);
      return reader.read({
        loc,
        manifestPath: MODEL,
        environment: 'production',
        head,
        budget,
      });
    };
    const first = await read();
    expect(first.deployments.map(d => d.version)).toEqual(['29']);

    const perCycle = MAX_REQUESTS_PER_COMMIT * 2;
    const budget = new HistoryBudget(perCycle);
    const found = [...first.deployments];
    let cycles = 0;
    while (memory.get([...memory.keys()][0])!.unread!.length > 0) {
      cycles += 1;
      expect(cycles).toBeLessThan(20);
      budget.startCycle();
      const before = fake.requests.length;
      const { backfilled } = await read(budget);
      // GitLab's requests count against the budget as GitHub's do.
      expect(fake.requests.length - before).toBe(perCycle - budget.remaining);
      found.push(...backfilled);
    }
    expect(cycles).toBeGreaterThan(1);
    expect(found.map(d => d.version)).toEqual(['29', '26', '23', '20', '11']);
    expect(found.every(d => d.kind === 'deploy')).toBe(true);
  });
});
