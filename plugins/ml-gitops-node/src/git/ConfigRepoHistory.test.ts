import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { setupServer } from 'msw/node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { FakeGithubRepo, manifest } from '../testUtils';
import { changeRecordBlock } from './changes';
import { ConfigRepoHistory, EnvironmentDeclaration } from './ConfigRepoHistory';
import { GithubConfigRepoClient } from './GithubConfigRepoClient';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const ENVIRONMENTS = ['dev', 'staging', 'production'];
const MODEL = 'deploy/model.yaml';

function history() {
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
  const memory = new Map<string, EnvironmentDeclaration>();
  const reader = new ConfigRepoHistory(
    client,
    {
      get: async key => memory.get(key),
      set: async (key, value) => {
        memory.set(key, value);
      },
    },
    { environments: ENVIRONMENTS, maxBackfill: 50 },
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
    },
  ) => {
    const branch = options.branch ?? `ml-gitops/${kind}/production/${version}`;
    const head = repo.commit({
      branch,
      parents: [repo.branches.get('production')!],
      message: `${kind} ${version}`,
      login: options.author,
      date: '2026-11-02T10:00:00Z',
      files: { [MODEL]: manifest(version) },
    });
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
});
