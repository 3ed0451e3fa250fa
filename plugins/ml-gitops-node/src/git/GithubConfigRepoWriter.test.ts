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
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { FakeGithubRepo, githubPull, manifest } from '../testUtils';
import { GithubConfigRepoClient } from './GithubConfigRepoClient';
import { GithubConfigRepoWriter } from './GithubConfigRepoWriter';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

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

  it('requests the collaborators among the reviewers and says who GitHub refused', async () => {
    const { repo, dev, writer } = setup();
    repo.collaborators = new Set(['alice', 'ml-platform']);
    await writer.createBranch(loc, 'feature/x', dev);
    await writer.openPullRequest(loc, {
      head: 'feature/x',
      base: 'dev',
      title: 't',
      body: 'b',
    });
    const result = await writer.requestReviewers(loc, 101, [
      '@alice',
      'mallory',
      'acme/ml-platform',
    ]);
    expect(result).toEqual({
      requested: ['@alice', 'acme/ml-platform'],
      refused: [
        {
          reviewer: 'mallory',
          reason:
            'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/fraud-detector-config repository.; give mallory access to acme/fraud-detector-config',
        },
      ],
    });
    expect(repo.opened[0]).toMatchObject({
      reviewers: ['alice'],
      teamReviewers: ['ml-platform'],
    });
  });

  it('gives code owners write access: teams of the org, users, never e-mails', async () => {
    const { repo, writer } = setup();
    const result = await writer.grantAccess(loc, [
      '@acme/fraud-team',
      '@ada',
      '@other-org/team',
      'owner@example.com',
      '@acme/missing-team',
    ]);
    expect(result.granted).toEqual([
      { owner: '@acme/fraud-team', permission: 'push' },
      { owner: '@ada', permission: 'push' },
    ]);
    expect(result.skipped.map(s => [s.owner, s.reason])).toEqual([
      [
        '@other-org/team',
        'a team of other-org cannot be given access to a repo of acme',
      ],
      [
        'owner@example.com',
        'an e-mail address cannot be given access; add the person as a collaborator by login',
      ],
      [
        '@acme/missing-team',
        expect.stringContaining(
          'Giving @acme/missing-team push access in acme/fraud-detector-config on github.com failed with 404',
        ),
      ],
    ]);
    expect([...repo.access]).toEqual([
      ['team:acme/fraud-team', 'push'],
      ['user:ada', 'push'],
    ]);
  });

  it.each([
    [
      'the Free plan cannot protect a private repo',
      403,
      {
        message:
          'Upgrade to GitHub Pro or make this repository public to enable this feature.',
      },
      {},
      /failed with 403: Upgrade to GitHub Pro .* The plan of acme cannot protect branches of a private repo, so production could be changed without a review: make the repo internal or public \(visibility\), or move it to an organisation on GitHub Team or Enterprise, then run the task again; https:\/\/github.com\/acme\/fraud-detector-config exists without branch protection until then/,
    ],
    [
      'the primary rate limit is spent',
      403,
      { message: 'API rate limit exceeded for installation ID 1.' },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '4102444800' },
      /GitHub's primary rate limit is exhausted until 2100-01-01T\S+; run the task again after that/,
    ],
    [
      'a secondary rate limit applies',
      429,
      { message: 'You have exceeded a secondary rate limit.' },
      { 'retry-after': '3600' },
      /GitHub's secondary rate limit is exhausted until \S+; run the task again after that/,
    ],
  ])('says what to do when %s', async (_, status, body, headers, message) => {
    const { writer } = setup();
    server.use(
      http.put(
        'https://api.github.com/repos/acme/fraud-detector-config/branches/:branch/protection',
        () => HttpResponse.json(body, { status, headers }),
      ),
    );
    await expect(
      writer.protectBranch(loc, 'production', { checks: [], approvals: 1 }),
    ).rejects.toThrow(message);
  });

  it('waits out a short secondary rate limit, says so, and goes on', async () => {
    const { repo, dev } = setup();
    let refused = 0;
    server.use(
      http.post(
        'https://api.github.com/repos/acme/fraud-detector-config/git/refs',
        () => {
          if (refused < 2) {
            refused++;
            return HttpResponse.json(
              {
                message:
                  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
              },
              { status: 403, headers: { 'retry-after': '2' } },
            );
          }
          return undefined;
        },
      ),
    );
    const waits: number[] = [];
    const warnings: string[] = [];
    const writer = GithubConfigRepoWriter.fromIntegrations({
      integrations,
      rateLimitRetry: {
        sleep: async ms => {
          waits.push(ms);
        },
      },
      logger: { warn: m => warnings.push(m) },
    });
    await writer.createBranch(loc, 'feature/y', dev);
    expect(repo.branches.get('feature/y')).toBe(dev);
    // Retry-After says 2 s; the second wait doubles the first try's base.
    expect(waits).toEqual([2000, 2000]);
    expect(warnings[0]).toMatch(
      /^GitHub rate limit on POST \/git\/refs for acme\/fraud-detector-config: waiting 2 s \(until \S+\) before try 2$/,
    );
  });

  it('stops waiting after three retries and says until when it is limited', async () => {
    setup();
    let asked = 0;
    server.use(
      http.get(
        'https://api.github.com/repos/acme/fraud-detector-config/git/ref/heads/*',
        () => {
          asked++;
          return HttpResponse.json(
            { message: 'You have exceeded a secondary rate limit.' },
            { status: 429, headers: { 'retry-after': '1' } },
          );
        },
      ),
    );
    const waits: number[] = [];
    const writer = GithubConfigRepoWriter.fromIntegrations({
      integrations,
      rateLimitRetry: {
        sleep: async ms => {
          waits.push(ms);
        },
      },
    });
    await expect(writer.getBranchHead(loc, 'dev')).rejects.toThrow(
      /GitHub's secondary rate limit is exhausted until \S+; run the task again after that/,
    );
    expect(asked).toBe(4);
    // Exponential: base 1 s doubled on every retry, never below Retry-After.
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it('gives up on a request after the timeout', async () => {
    setup();
    server.use(
      http.get(
        'https://api.github.com/repos/acme/fraud-detector-config/git/ref/heads/*',
        async () => {
          await delay(5_000);
          return HttpResponse.json({});
        },
      ),
    );
    const writer = GithubConfigRepoWriter.fromIntegrations({
      integrations,
      timeoutMs: 100,
    });
    await expect(writer.getBranchHead(loc, 'dev')).rejects.toThrow(
      'Git host github.com did not answer GET /git/ref/heads/dev for acme/fraud-detector-config within 0.1 s',
    );
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

  it('lists the open pull requests into a branch, page by page, leaving out forks', async () => {
    const { writer } = setup();
    const base = 'https://api.github.com/repos/acme/fraud-detector-config';
    // GitHub's pull-request-simple; a fork's head names the fork's repo.
    const pull = (number: number, head: string, repo: string) => {
      const answer = githubPull('acme/fraud-detector-config', {
        number,
        head: { ref: head },
        base: { ref: 'production' },
      });
      return {
        ...answer,
        head: {
          ...answer.head,
          repo: { ...answer.head.repo, full_name: repo },
        },
      };
    };
    server.use(
      http.get(`${base}/pulls`, ({ request }) => {
        const page = new URL(request.url).searchParams.get('page');
        return HttpResponse.json(
          page === '1'
            ? Array.from({ length: 100 }, (_, i) =>
                pull(
                  i + 1,
                  `ml-gitops/deploy/production/${i}`,
                  'acme/fraud-detector-config',
                ),
              )
            : [
                pull(
                  101,
                  'ml-gitops/promote/production/13',
                  'mallory/fraud-detector-config',
                ),
                pull(
                  102,
                  'ml-gitops/promote/production/14',
                  'acme/fraud-detector-config',
                ),
              ],
        );
      }),
    );
    const open = await writer.listOpenPullRequests(loc, 'production');
    expect(open).toHaveLength(101);
    expect(open.map(p => p.number)).not.toContain(101);
    expect(open.at(-1)).toMatchObject({
      number: 102,
      head: 'ml-gitops/promote/production/14',
    });
  });

  it('makes a commit on a parent without moving a branch, then comments on and closes a pull request', async () => {
    const { repo, dev, writer } = setup();
    const sha = await writer.createCommit(loc, {
      parent: dev,
      parentTree: dev,
      files: { 'deploy/model.yaml': manifest('13') },
      message: 'Deploy 13',
      author: { name: 'Alice', email: 'alice@example.com' },
    });
    expect(repo.branches.get('dev')).toBe(dev);
    expect(repo.commits.get(sha)).toMatchObject({
      parents: [dev],
      name: 'Alice',
      files: { 'deploy/model.yaml': manifest('13') },
    });

    await writer.createBranch(loc, 'ml-gitops/deploy/dev/13', sha);
    const opened = await writer.openPullRequest(loc, {
      head: 'ml-gitops/deploy/dev/13',
      base: 'dev',
      title: 'Deploy 13',
      body: 'b',
    });
    await writer.closePullRequest(loc, opened.number, 'Superseded by #7');
    expect(repo.opened[0]).toMatchObject({
      state: 'closed',
      comments: ['Superseded by #7'],
    });
  });

  it('says which step of a commit the Git host refused', async () => {
    const { dev, writer } = setup();
    await expect(
      writer.createCommit(loc, {
        parent: dev,
        parentTree: 'no-such-tree',
        files: { 'deploy/model.yaml': manifest('13') },
        message: 'Deploy 13',
      }),
    ).rejects.toThrow(
      'Writing the tree of a commit in acme/fraud-detector-config on github.com failed with 422: base_tree is not a valid tree',
    );
  });
});
