import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { manifest } from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import fs from 'node:fs';
import { setupServer } from 'msw/node';
import { fakePullsApi } from '../__testUtils__/fakePulls';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import {
  GITHUB_TOKEN,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createRollbackAction } from './rollback';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
// Real git repositories on disk: slower than the default 5s on a busy machine.
jest.setTimeout(60_000);

const MODEL = 'deploy/model.yaml';
let repo: LocalConfigRepo;

beforeEach(() => {
  repo = new LocalConfigRepo();
});
afterEach(() => repo.cleanup());

function setup() {
  const api = fakePullsApi();
  server.use(...api.handlers);
  const action = createRollbackAction({
    ...makeOptions(),
    remoteUrl: () => repo.bare,
  });
  return { api, action };
}

const input = {
  entityRef: 'component:default/fraud-detector',
  environment: 'dev',
};

describe('ml-gitops:rollback', () => {
  it('reverts a squash-merged deployment commit and opens the pull request', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    const deploy = repo.commit('Deploy fraud-detector 13 to dev (#5)', {
      [MODEL]: manifest('13'),
    });
    const later = repo.commit('Document the chart', { 'README.md': 'hi\n' });
    repo.pushAll();
    const { api, action } = setup();

    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);

    const branch = `ml-gitops/rollback-dev-${deploy.slice(0, 7)}-a1b2c3d4`;
    expect(outputsOf(ctx)).toEqual({
      revertedCommit: deploy,
      previousVersion: '12',
      pullRequestUrl: 'https://github.com/acme/fraud-detector-config/pull/201',
      pullRequestNumber: 201,
      branch,
    });
    expect(api.pulls).toEqual([
      expect.objectContaining({
        title: 'Rollback fraud-detector in dev: 13 → 12',
        head: branch,
        base: 'dev',
        labels: ['ml-gitops/rollback'],
      }),
    ]);
    expect(api.pulls[0].body).toContain(deploy.slice(0, 7));
    // A real revert on top of the branch head: only the deployment is undone.
    expect(repo.show(branch, MODEL)).toBe(manifest('12'));
    expect(repo.show(branch, 'README.md')).toBe('hi\n');
    expect(repo.remoteGit('rev-parse', `${branch}^`)).toBe(later);
    expect(repo.remoteGit('log', '-1', '--format=%B', branch)).toContain(
      `This reverts commit ${deploy}.`,
    );
    expect(repo.remoteGit('rev-parse', 'dev')).toBe(later); // dev untouched
    // The token goes to the API, never to logs or outputs; the clone was
    // made outside the task workspace and is gone.
    expect(api.authHeaders[0]).toContain(GITHUB_TOKEN);
    expect(logs.join('\n')).not.toContain(GITHUB_TOKEN);
    expect(JSON.stringify(outputsOf(ctx))).not.toContain(GITHUB_TOKEN);
    expect(
      fs.existsSync(ctx.workspacePath)
        ? fs.readdirSync(ctx.workspacePath, { recursive: true })
        : [],
    ).toEqual([]);
  });

  it('reverts a merge commit against its first parent (-m 1)', async () => {
    repo.git('checkout', '--quiet', '-b', 'production');
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.git('checkout', '--quiet', '-b', 'staging');
    repo.commit('Deploy fraud-detector 13 to staging (#6)', {
      [MODEL]: manifest('13'),
      'deploy/chart/values.yaml': 'replicas: 3\n',
    });
    repo.git('checkout', '--quiet', 'production');
    repo.git(
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      'Merge pull request #7 from acme/staging',
      'staging',
    );
    const merge = repo.git('rev-parse', 'HEAD');
    repo.pushAll();
    const { api, action } = setup();

    const { ctx } = makeContext({ ...input, environment: 'production' });
    await action.handler(ctx);

    const branch = outputsOf(ctx).branch as string;
    expect(outputsOf(ctx).revertedCommit).toBe(merge);
    expect(api.pulls[0].title).toBe(
      'Rollback fraud-detector in production: 13 → 12',
    );
    expect(api.pulls[0].body).toContain(
      'a merge; reverted against its first parent',
    );
    expect(repo.show(branch, MODEL)).toBe(manifest('12'));
    expect(() => repo.show(branch, 'deploy/chart/values.yaml')).toThrow();
    expect(repo.remoteGit('log', '-1', '--format=%B', branch)).toMatch(
      /reversing\s+changes made to/,
    );
  });

  it('refuses a revert that conflicts, naming the commit', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    const deploy = repo.commit('Deploy fraud-detector 13 to dev (#5)', {
      [MODEL]: manifest('13'),
    });
    repo.commit('Pin the version with a comment', {
      [MODEL]: manifest('13').replace(
        'model_version: "13"',
        'model_version: "13" # pinned for the audit',
      ),
    });
    repo.pushAll();
    const { api, action } = setup();

    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      `Reverting ${deploy.slice(
        0,
        7,
      )} ("Deploy fraud-detector 13 to dev (#5)") on dev conflicts in deploy/model.yaml`,
    );
    expect(api.pulls).toEqual([]);
    expect(repo.remoteGit('branch', '--list')).not.toContain('rollback');
  });

  it('refuses when there is no earlier version', async () => {
    const first = repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Document the chart', { 'README.md': 'hi\n' });
    repo.pushAll();
    const { api, action } = setup();

    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      `Nothing to roll back on dev: ${first.slice(
        0,
        7,
      )} ("Initial config") is the first commit that declares a version in deploy/model.yaml (12); there is no earlier version`,
    );
    expect(api.pulls).toEqual([]);
  });

  it('does not push twice or open a second pull request when retried', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy 13', { [MODEL]: manifest('13') });
    repo.pushAll();
    const { api, action } = setup();

    const checkpoints = new Map<string, unknown>();
    await action.handler(makeContext(input, { checkpoints }).ctx);
    const branch = repo.remoteGit('branch', '--list', 'ml-gitops/*');
    const pushed = repo.remoteGit('rev-parse', branch.trim());
    await action.handler(makeContext(input, { checkpoints }).ctx);
    // Checkpoints lost (e.g. a crash before they were stored): still one PR.
    const again = makeContext(input);
    await action.handler(again.ctx);

    expect(api.pulls).toHaveLength(1);
    expect(repo.remoteGit('rev-parse', branch.trim())).toBe(pushed);
    expect(outputsOf(again.ctx).pullRequestNumber).toBe(201);
  });

  it('touches nothing in a dry run', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy 13', { [MODEL]: manifest('13') });
    repo.pushAll();
    const { api, action } = setup();
    const { ctx, logs } = makeContext(input, { isDryRun: true });
    await action.handler(ctx);
    expect(api.pulls).toEqual([]);
    expect(repo.remoteGit('branch', '--list').trim()).toBe('dev');
    expect(outputsOf(ctx).previousVersion).toBe('12');
    expect(logs.join('\n')).toMatch(/Dry run: would push the revert/);
  });

  it('refuses an environment that is not configured or has no branch', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.pushAll();
    const { action } = setup();
    await expect(
      action.handler(makeContext({ ...input, environment: 'qa' }).ctx),
    ).rejects.toThrow(/"qa" is not a configured environment/);
    await expect(
      action.handler(makeContext({ ...input, environment: 'staging' }).ctx),
    ).rejects.toThrow(/has no branch "staging"/);
  });
});
