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
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { FakeGithubRepo, manifest } from '../testUtils';
import { changeRecordBlock } from '@ml-gitops/plugin-ml-gitops-common';
import { ConfigRepoHistory } from './ConfigRepoHistory';
import {
  EnvironmentDeclaration,
  HistoryBudget,
  MAX_REQUESTS_PER_COMMIT,
} from './historyDeclarations';
import { GithubConfigRepoClient } from './GithubConfigRepoClient';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const ENVIRONMENTS = ['dev', 'staging', 'production'];
const MODEL = 'deploy/model.yaml';

function history(
  memory = new Map<string, EnvironmentDeclaration>(),
  firstPage = 50,
) {
  const integrations = ScmIntegrations.fromConfig(
    mockServices.rootConfig({
      data: {
        integrations: { github: [{ host: 'github.com', token: 'ghp_token' }] },
      },
    }),
  );
  const client = GithubConfigRepoClient.fromIntegrations({
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
  return {
    reader,
    loc: client.locate('https://github.com/acme/fraud-detector-config'),
  };
}

/** The deployments of production, read for the first time. */
async function readProduction(repo: FakeGithubRepo) {
  server.use(...repo.handlers());
  const { reader, loc } = history();
  const { deployments } = await reader.read({
    loc,
    manifestPath: MODEL,
    environment: 'production',
    head: repo.branches.get('production')!,
  });
  return deployments;
}

/**
 * production as the actions leave it: each change a one-commit branch cut
 * from production, merged by a reviewer; the PRs were opened by the GitHub
 * App for the person named as the head commit's author.
 */
function productionRepo() {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  const base = repo.commit({
    branch: 'production',
    message: 'Create config repo',
    login: 'ada',
    date: '2026-11-01T10:00:00Z',
    files: { [MODEL]: manifest('11') },
  });
  let number = 10;
  const change = (
    kind: 'promote' | 'rollback' | 'deploy',
    version: string,
    options: {
      label: string;
      author: string;
      opener?: { user: string; userType: 'User' | 'Bot' };
      reason?: string;
      branch?: string;
      /** Reviews after the approvers'; `onFirstHead` marks one given before the last push. */
      reviews?: Array<{
        user: string;
        state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
        onFirstHead?: boolean;
      }>;
    },
  ) => {
    const branch = options.branch ?? `ml-gitops/${kind}/production/${version}`;
    const firstHead = repo.commit({
      branch,
      parents: [repo.branches.get('production')!],
      message: `${kind} ${version}`,
      login: options.author,
      date: '2026-11-02T10:00:00Z',
      files: { [MODEL]: manifest(version) },
    });
    // A second push when some review was given before it.
    const head = options.reviews?.some(r => r.onFirstHead)
      ? repo.commit({
          branch,
          message: `Fix the ${kind} of ${version}`,
          login: options.author,
          date: '2026-11-02T10:30:00Z',
          files: { 'README.md': 'reviewed' },
        })
      : firstHead;
    number += 1;
    const merge = repo.commit({
      branch: 'production',
      parents: [repo.branches.get('production')!, head],
      message: `Merge pull request #${number} from acme/${branch}`,
      login: 'grace',
      date: '2026-11-02T11:00:00Z',
      files: { [MODEL]: manifest(version) },
    });
    repo.pulls.push({
      number,
      mergeCommit: merge,
      base: 'production',
      head: branch,
      headSha: head,
      mergedAt: '2026-11-02T11:00:00Z',
      mergedBy: 'grace',
      approvers: ['linus'],
      reviews: (options.reviews ?? []).map(r => ({
        user: r.user,
        state: r.state,
        ...(r.onFirstHead ? { commit: firstHead } : {}),
      })),
      title: `Set production to ${version}`,
      labels: [options.label],
      ...(options.opener ?? { user: 'ml-gitops[bot]', userType: 'Bot' }),
      body: `Made by ML GitOps.\n\n${changeRecordBlock({
        kind: kind === 'promote' ? 'promote' : kind,
        environment: 'production',
        to: version,
        ...(options.reason ? { reason: options.reason } : {}),
        requestedBy: `user:default/${options.author}`,
      })}`,
    });
    repo.branches.delete(branch);
    return merge;
  };
  return { repo, base, change };
}

describe('ConfigRepoHistory', () => {
  it('reads value promotions and rollbacks from their labels and branches, authored by the person the app opened them for', async () => {
    const { repo, change } = productionRepo();
    const promoted = change('promote', '12', {
      label: 'ml-gitops/promotion',
      author: 'alice',
    });
    const rolledBack = change('rollback', '11', {
      label: 'ml-gitops/rollback',
      author: 'bob',
      reason: 'p95 latency doubled',
    });
    const deployments = await readProduction(repo);

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
    expect(deployments[1].reason).toBeUndefined();
    expect(deployments[2].pullRequest).toMatchObject({
      mergedBy: 'grace',
      reviewers: ['linus'],
    });
  });

  it('names the person who opened a PR by hand, not the merger', async () => {
    const { repo, change } = productionRepo();
    change('deploy', '12', {
      label: 'documentation',
      author: 'carol',
      opener: { user: 'carol-gh', userType: 'User' },
      branch: 'carol/bump-model',
    });
    const deployments = await readProduction(repo);
    expect(deployments[1]).toMatchObject({
      kind: 'deploy',
      version: '12',
      author: 'carol-gh',
    });
  });

  it('takes a PR from a rollback branch for a rollback even without its label', async () => {
    const { repo, change } = productionRepo();
    change('rollback', '10', { label: 'urgent', author: 'dan' });
    const deployments = await readProduction(repo);
    expect(deployments[1]).toMatchObject({ kind: 'rollback', version: '10' });
  });

  it('counts as approvers only reviews that approved the merged head and were not dismissed or followed by a request for changes', async () => {
    const { repo, change } = productionRepo();
    change('promote', '12', {
      label: 'ml-gitops/promotion',
      author: 'alice',
      reviews: [
        { user: 'margaret', state: 'APPROVED', onFirstHead: true },
        { user: 'barbara', state: 'DISMISSED' },
        { user: 'ken', state: 'APPROVED' },
        { user: 'ken', state: 'COMMENTED' },
        { user: 'dennis', state: 'APPROVED' },
        { user: 'dennis', state: 'CHANGES_REQUESTED' },
        { user: 'linus', state: 'APPROVED' },
      ],
    });
    const deployments = await readProduction(repo);
    expect(deployments[1].pullRequest).toEqual(
      expect.objectContaining({
        mergedBy: 'grace',
        reviewers: ['linus', 'ken'],
      }),
    );
    // The opener, the merger and the approvers are three different people.
    expect(deployments[1].author).toBe('alice');
  });

  describe('older history', () => {
    /**
     * production with `commits` first-parent commits (pushed directly, no
     * PRs); every third one changes the version, so the version is the
     * commit's index divided by three.
     */
    function longBranch(commits: number) {
      const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
      for (let i = 0; i < commits; i++) {
        repo.commit({
          branch: 'production',
          message: `change ${i}`,
          login: i % 2 ? 'ada' : 'alan',
          date: new Date(Date.UTC(2026, 0, 1) + i * 3600_000).toISOString(),
          files:
            i % 3 === 0
              ? { [MODEL]: manifest(String(i / 3 + 1)) }
              : { [`notes/${i}.md`]: `note ${i}` },
        });
      }
      return repo;
    }

    it('reads a 300-commit branch to its first commit over cycles, newest first, never over the budget, resuming after a restart', async () => {
      const repo = longBranch(300);
      server.use(...repo.handlers());
      const memory = new Map<string, EnvironmentDeclaration>();
      const head = repo.branches.get('production')!;
      const read = (budget?: HistoryBudget) => {
        // A new reader (and client, with empty caches) each time: only
        // what the memory kept carries over, as after a restart.
        const { reader, loc } = history(memory);
        return reader.read({
          loc,
          manifestPath: MODEL,
          environment: 'production',
          head,
          budget,
        });
      };

      const first = await read();
      expect(first.deployments.map(d => d.version)).toEqual(
        Array.from({ length: 16 }, (_, i) => String(i + 85)),
      );
      expect(first.declaration.unread).toHaveLength(1);

      const perCycle = 60;
      const budget = new HistoryBudget(perCycle);
      const found = [...first.deployments].reverse();
      let cycles = 0;
      while (memory.get([...memory.keys()][0])!.unread!.length > 0) {
        cycles += 1;
        expect(cycles).toBeLessThan(40);
        budget.startCycle();
        const before = repo.calls.length;
        const { backfilled, deployments } = await read(budget);
        expect(repo.calls.length - before).toBeLessThanOrEqual(perCycle);
        expect(repo.calls.length - before).toBe(perCycle - budget.remaining);
        expect(deployments).toEqual([]);
        expect(backfilled.length).toBeGreaterThan(0);
        // Newest first, continuing below what was read before.
        expect(Number(backfilled[0].version)).toBe(
          Number(found[found.length - 1].version) - 1,
        );
        found.push(...backfilled);
      }
      // About 2 requests a commit (the commit and one manifest): 250 commits
      // read in 60-request cycles.
      expect(cycles).toBeGreaterThanOrEqual(9);
      expect(found.map(d => d.version)).toEqual(
        Array.from({ length: 100 }, (_, i) => String(100 - i)),
      );
      expect(found.map(d => d.previousVersion)).toEqual(
        Array.from({ length: 100 }, (_, i) =>
          i === 99 ? undefined : String(99 - i),
        ),
      );
      expect(found.every(d => d.kind === 'deploy')).toBe(true);

      // Complete: another cycle sends nothing.
      budget.startCycle();
      const before = repo.calls.length;
      const again = await read(budget);
      expect(again.backfilled).toEqual([]);
      expect(repo.calls.length).toBe(before);
    }, 30_000); // 300 real commits and their fake host answers: seconds under load

    it('names the head as declaring until the backfill finds the commit that set the version', async () => {
      const repo = longBranch(30);
      for (let i = 0; i < 10; i++) {
        repo.commit({
          branch: 'production',
          message: `docs ${i}`,
          login: 'ada',
          date: `2026-03-01T0${i}:00:00Z`,
          files: { 'README.md': `docs ${i}` },
        });
      }
      server.use(...repo.handlers());
      const memory = new Map<string, EnvironmentDeclaration>();
      // A first page of 5 commits sees no version change.
      const { reader: small, loc } = history(memory, 5);
      const head = repo.branches.get('production')!;
      const options = {
        loc,
        manifestPath: MODEL,
        environment: 'production',
        head,
      };
      const first = await small.read(options);
      expect(first.declaration).toMatchObject({
        version: '10',
        declaring: { commit: head },
        declaringGuessed: true,
      });
      const budget = new HistoryBudget(MAX_REQUESTS_PER_COMMIT * 100);
      budget.startCycle();
      const next = await small.read({ ...options, budget });
      expect(next.backfilled[0].version).toBe('10');
      expect(next.declaration.declaring.commit).toBe(next.backfilled[0].commit);
      expect(next.declaration.declaringGuessed).toBeUndefined();
      expect(next.declaration.unread).toEqual([]);
    });

    it('declares a branch from its head alone when the first reads have spent their budget, and reads its history as older history', async () => {
      const repo = longBranch(30);
      server.use(...repo.handlers());
      const memory = new Map<string, EnvironmentDeclaration>();
      const { reader, loc } = history(memory);
      const head = repo.branches.get('production')!;
      const options = {
        loc,
        manifestPath: MODEL,
        environment: 'production',
        head,
      };
      const firstReads = new HistoryBudget(MAX_REQUESTS_PER_COMMIT);
      firstReads.startCycle();
      firstReads.spend(1);
      const before = repo.calls.length;
      const first = await reader.read({ ...options, firstReads });
      // The head commit and the manifest there: nothing else.
      expect(repo.calls.length - before).toBe(2);
      expect(first.deployments).toEqual([]);
      expect(first.declaration).toMatchObject({
        version: '10',
        head,
        declaring: { commit: head },
        declaringGuessed: true,
        unread: [{ from: head }],
      });

      // The older history's budget reads it, newest first, and puts the
      // commit that set the version in place.
      const budget = new HistoryBudget(MAX_REQUESTS_PER_COMMIT * 100);
      budget.startCycle();
      const next = await reader.read({ ...options, budget, firstReads });
      expect(next.backfilled.map(d => d.version)).toEqual(
        Array.from({ length: 10 }, (_, i) => String(10 - i)),
      );
      expect(next.declaration.declaring.commit).toBe(next.backfilled[0].commit);
      expect(next.declaration.declaringGuessed).toBeUndefined();
      expect(next.declaration.unread).toEqual([]);
    });

    it('reads the newest commits of a first read within its budget, and fails a first read whose head cannot be read', async () => {
      const repo = longBranch(30);
      server.use(...repo.handlers());
      const head = repo.branches.get('production')!;
      const firstReads = new HistoryBudget(1000);
      firstReads.startCycle();
      const { reader, loc } = history();
      const options = {
        loc,
        manifestPath: MODEL,
        environment: 'production',
        head,
      };
      const before = repo.calls.length;
      const first = await reader.read({ ...options, firstReads });
      expect(first.deployments.map(d => d.version)).toEqual(
        Array.from({ length: 10 }, (_, i) => String(i + 1)),
      );
      expect(1000 - firstReads.remaining).toBe(repo.calls.length - before);

      server.use(
        http.get(
          'https://api.github.com/repos/acme/fraud-detector-config/*',
          () => HttpResponse.json({ message: 'Server Error' }, { status: 502 }),
        ),
      );
      const { reader: fresh } = history();
      await expect(fresh.read({ ...options, firstReads })).rejects.toThrow(
        /502|Server Error/,
      );
    });

    it('keeps the place where a failing read of older history stopped and goes on from there', async () => {
      const repo = longBranch(90);
      const memory = new Map<string, EnvironmentDeclaration>();
      const head = repo.branches.get('production')!;
      server.use(...repo.handlers());
      const { reader, loc } = history(memory);
      const options = {
        loc,
        manifestPath: MODEL,
        environment: 'production',
        head,
      };
      await reader.read(options);
      const gap = [...memory.values()][0].unread![0];

      // GitHub fails every request for a while.
      server.use(
        http.get(
          'https://api.github.com/repos/acme/fraud-detector-config/*',
          () => HttpResponse.json({ message: 'Server Error' }, { status: 502 }),
        ),
      );
      const budget = new HistoryBudget(200);
      budget.startCycle();
      const failed = await reader.read({ ...options, budget });
      expect(failed.backfillFailure).toBeDefined();
      expect(failed.backfilled).toEqual([]);
      expect(failed.declaration.unread).toEqual([gap]);

      server.resetHandlers(...repo.handlers());
      budget.startCycle();
      const resumed = await reader.read({ ...options, budget });
      expect(resumed.backfillFailure).toBeUndefined();
      expect(resumed.backfilled.map(d => d.version)).toEqual(
        Array.from({ length: 14 }, (_, i) => String(14 - i)),
      );
      expect(resumed.declaration.unread).toEqual([]);
    });

    it('reads again the whole past of a declaration remembered before history was read in pages', async () => {
      const repo = longBranch(12);
      server.use(...repo.handlers());
      const memory = new Map<string, EnvironmentDeclaration>();
      const { reader, loc } = history(memory);
      const head = repo.branches.get('production')!;
      const options = {
        loc,
        manifestPath: MODEL,
        environment: 'production',
        head,
      };
      await reader.read(options);
      // As an earlier version left it: no `unread`, history read partly.
      const [key, remembered] = [...memory.entries()][0];
      const { unread: _unread, ...legacy } = remembered;
      memory.set(key, legacy);

      const budget = new HistoryBudget(200);
      budget.startCycle();
      const again = await reader.read({ ...options, budget });
      expect(again.deployments).toEqual([]);
      expect(again.backfilled.map(d => d.version)).toEqual([
        '4',
        '3',
        '2',
        '1',
      ]);
      expect(again.declaration.unread).toEqual([]);
    });
  });
});
