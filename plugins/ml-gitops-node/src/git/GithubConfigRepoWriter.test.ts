import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { setupServer } from 'msw/node';
import { FakeGithubRepo, manifest } from '../testUtils';
import { GithubConfigRepoClient } from './GithubConfigRepoClient';
import { GithubConfigRepoWriter } from './GithubConfigRepoWriter';

const server = setupServer();
registerMswTestHooks(server);

const integrations = ScmIntegrations.fromConfig(
  mockServices.rootConfig({
    data: {
      integrations: { github: [{ host: 'github.com', token: 'ghp_token' }] },
    },
  }),
);
const loc = GithubConfigRepoClient.fromIntegrations({
  integrations,
  cache: { get: async () => undefined, set: async () => {} },
}).locate('https://github.com/acme/fraud-detector-config');

function setup() {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  const dev = repo.commit({
    branch: 'dev',
    message: 'init',
    date: '2026-11-01T10:00:00Z',
    files: { 'deploy/model.yaml': manifest('12') },
  });
  server.use(...repo.writeHandlers(), ...repo.handlers());
  const writer = GithubConfigRepoWriter.fromIntegrations({ integrations });
  return { repo, dev, writer };
}

describe('GithubConfigRepoWriter', () => {
  it('reads branch heads and files', async () => {
    const { dev, writer } = setup();
    expect(await writer.getBranchHead(loc, 'dev')).toBe(dev);
    expect(await writer.getBranchHead(loc, 'nope')).toBeUndefined();
    expect(await writer.getFile(loc, 'deploy/model.yaml', dev)).toEqual({
      text: manifest('12'),
      blobSha: FakeGithubRepo.blobSha(manifest('12')),
    });
    expect(await writer.getFile(loc, 'missing.yaml', dev)).toBeUndefined();
    expect(await writer.getToken(loc)).toBe('ghp_token');
  });

  it('creates a branch once and finds it on a repeat', async () => {
    const { repo, dev, writer } = setup();
    expect(await writer.createBranch(loc, 'feature/x', dev)).toEqual({
      sha: dev,
      created: true,
    });
    expect(await writer.createBranch(loc, 'feature/x', dev)).toEqual({
      sha: dev,
      created: false,
    });
    expect(repo.branches.get('feature/x')).toBe(dev);
  });

  it('commits a file and refuses a stale blob', async () => {
    const { repo, dev, writer } = setup();
    await writer.createBranch(loc, 'feature/x', dev);
    const file = (await writer.getFile(loc, 'deploy/model.yaml', 'feature/x'))!;
    const sha = await writer.commitFile(loc, {
      branch: 'feature/x',
      path: 'deploy/model.yaml',
      content: manifest('13'),
      blobSha: file.blobSha,
      message: 'Deploy 13',
    });
    expect(repo.branches.get('feature/x')).toBe(sha);
    expect(repo.commits.get(sha)!.files['deploy/model.yaml']).toBe(
      manifest('13'),
    );
    await expect(
      writer.commitFile(loc, {
        branch: 'feature/x',
        path: 'deploy/model.yaml',
        content: manifest('14'),
        blobSha: file.blobSha,
        message: 'Deploy 14',
      }),
    ).rejects.toMatchObject({ name: 'ConflictError' });
  });

  it('opens a pull request once, labels it and requests users and teams', async () => {
    const { repo, dev, writer } = setup();
    await writer.createBranch(loc, 'feature/x', dev);
    const options = { head: 'feature/x', base: 'dev', title: 't', body: 'b' };
    const first = await writer.openPullRequest(loc, options);
    const second = await writer.openPullRequest(loc, options);
    expect(first).toEqual({
      number: 101,
      url: 'https://github.com/acme/fraud-detector-config/pull/101',
      created: true,
    });
    expect(second).toEqual({ ...first, created: false });
    await writer.addLabels(loc, 101, ['ml-gitops/deploy']);
    await writer.requestReviewers(loc, 101, ['@alice', 'acme/ml-platform']);
    expect(repo.opened).toEqual([
      expect.objectContaining({
        labels: ['ml-gitops/deploy'],
        reviewers: ['alice'],
        teamReviewers: ['ml-platform'],
      }),
    ]);
  });

  it('says what to fix when GitHub refuses', async () => {
    const { writer } = setup();
    await expect(
      writer.openPullRequest(loc, {
        head: 'nope',
        base: 'dev',
        title: 't',
        body: 'b',
      }),
    ).rejects.toThrow(
      'Opening a pull request from nope into dev in acme/fraud-detector-config on github.com failed with 422: Validation Failed',
    );
    await expect(writer.addLabels(loc, 999, ['x'])).rejects.toThrow(
      /failed with 404.*Check the repo URL and that the integration token of github.com can write to the repo/,
    );
  });
});
