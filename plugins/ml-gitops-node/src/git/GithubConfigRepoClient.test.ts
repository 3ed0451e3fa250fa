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
import { FakeGithubRepo, githubCommit, githubUser } from '../testUtils';
import { BranchHeadsCacheEntry } from './configRepoTypes';
import { GithubConfigRepoClient } from './GithubConfigRepoClient';

const API = 'https://api.github.com/repos/acme/fraud-detector-config';
const SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';

const server = setupServer();
registerMswTestHooks(server);
const contracts = registerContractChecks(server);

function client(
  timeoutMs?: number,
  extra: Partial<
    Parameters<typeof GithubConfigRepoClient.fromIntegrations>[0]
  > = {},
) {
  const integrations = ScmIntegrations.fromConfig(
    mockServices.rootConfig({
      data: {
        integrations: {
          github: [
            { host: 'github.com', token: 'ghp_token' },
            { host: 'ghe.example.com', token: 'ghp_other' },
          ],
        },
      },
    }),
  );
  const c = GithubConfigRepoClient.fromIntegrations({
    integrations,
    cache: { get: async () => undefined, set: async () => {} },
    timeoutMs,
    ...extra,
  });
  return { c, loc: c.locate('https://github.com/acme/fraud-detector-config') };
}

/** A commit as `GET /repos/{owner}/{repo}/commits/{ref}` returns it. */
function commit(overrides: object = {}) {
  const answer = githubCommit('acme/fraud-detector-config', {
    sha: SHA,
    parents: ['a'.repeat(40)],
    message: 'Deploy 12',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    date: '2026-11-01T10:00:00Z',
  });
  return {
    ...answer,
    commit: {
      ...answer.commit,
      committer: {
        name: 'GitHub',
        email: 'noreply@github.com',
        date: '2026-11-01T10:05:00Z',
      },
    },
    // null when the author's email belongs to no GitHub account
    author: null,
    committer: githubUser('web-flow', { id: 19864447 }),
    ...overrides,
  };
}

describe('GithubConfigRepoClient', () => {
  it('reads a commit whose author has no GitHub account', async () => {
    server.use(
      http.get(`${API}/commits/:sha`, () => HttpResponse.json(commit())),
    );
    const { c, loc } = client();
    expect(await c.getCommit(loc, SHA)).toEqual({
      sha: SHA,
      parents: ['a'.repeat(40)],
      message: 'Deploy 12',
      author: 'Ada Lovelace',
      authorDate: '2026-11-01T10:00:00.000Z',
      committedAt: '2026-11-01T10:05:00.000Z',
    });
  });

  it.each([
    [
      401,
      {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      },
      {},
      'Listing branches of acme/fraud-detector-config on github.com failed with 401: Bad credentials. Check the token of integrations.github for github.com.',
    ],
    [
      403,
      {
        message: 'API rate limit exceeded for installation ID 123.',
        documentation_url:
          'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '4102444800' },
      "Listing branches of acme/fraud-detector-config on github.com failed with 403: API rate limit exceeded for installation ID 123. (GitHub's primary rate limit: rate limited until 2100-01-01T",
    ],
    [
      404,
      {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
        status: '404',
      },
      {},
      'Listing branches of acme/fraud-detector-config on github.com failed with 404: Not Found. Check the ml-gitops/config-repo annotation and that the integration token can read the repo.',
    ],
    [
      500,
      { message: 'Server Error' },
      {},
      'Listing branches of acme/fraud-detector-config on github.com failed with 500: Server Error',
    ],
  ])(
    'names the repo and the fix when GitHub answers %i',
    async (status, body, headers, message) => {
      server.use(
        http.get(`${API}/branches`, () =>
          HttpResponse.json(body, { status, headers }),
        ),
      );
      const { c, loc } = client();
      await expect(c.getBranchHeads(loc)).rejects.toThrow(message);
    },
  );

  it('reads every page of branches, so production is seen behind many ml-gitops branches', async () => {
    const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
    for (const env of ['dev', 'staging', 'production']) {
      repo.commit({
        branch: env,
        message: `Create ${env}`,
        login: 'ada',
        date: '2026-11-01T10:00:00Z',
        files: {},
      });
    }
    // Sorted by name, these come before production and staging.
    for (let i = 0; i < 150; i++) {
      repo.branches.set(`ml-gitops/promote/production/${i}`, SHA);
    }
    server.use(...repo.handlers());
    const entries = new Map<string, BranchHeadsCacheEntry>();
    const integrations = ScmIntegrations.fromConfig(
      mockServices.rootConfig({
        data: {
          integrations: {
            github: [{ host: 'github.com', token: 'ghp_token' }],
          },
        },
      }),
    );
    const c = GithubConfigRepoClient.fromIntegrations({
      integrations,
      cache: {
        get: async k => entries.get(k),
        set: async (k, v) => {
          entries.set(k, v);
        },
      },
    });
    const loc = c.locate('https://github.com/acme/fraud-detector-config');

    const first = await c.getBranchHeads(loc);
    expect(first.changed).toBe(true);
    expect(first.heads.production).toBe(repo.branches.get('production'));
    expect(first.heads.staging).toBe(repo.branches.get('staging'));
    expect(Object.keys(first.heads)).toHaveLength(153);
    expect(repo.calls.filter(x => x === 'branches')).toHaveLength(2);

    // Nothing moved: both pages answer 304.
    const again = await c.getBranchHeads(loc);
    expect(again).toEqual({ heads: first.heads, changed: false });

    // staging, on the second page, moves: seen although page 1 is unchanged.
    const moved = repo.commit({
      branch: 'staging',
      message: 'Promote 13',
      login: 'ada',
      date: '2026-11-02T10:00:00Z',
      files: {},
    });
    const after = await c.getBranchHeads(loc);
    expect(after.changed).toBe(true);
    expect(after.heads.staging).toBe(moved);
  });

  it('reads every page of a pull request’s reviews', async () => {
    const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
    const merge = repo.commit({
      branch: 'production',
      message: 'Merge pull request #7',
      login: 'ada',
      date: '2026-11-01T10:00:00Z',
      files: {},
    });
    // 120 approvals: the last 20 are on the second page.
    const approvers = Array.from({ length: 120 }, (_, i) => `reviewer-${i}`);
    repo.pulls.push({
      number: 7,
      mergeCommit: merge,
      base: 'production',
      head: 'ml-gitops/promote/production/13',
      mergedAt: '2026-11-01T10:00:00Z',
      mergedBy: 'ada',
      approvers,
    });
    server.use(...repo.handlers());
    const { c, loc } = client();
    const pull = await c.getMergedPullRequest(loc, merge, 'production');
    expect(pull?.reviewers).toEqual(approvers);
    expect(repo.calls.filter(x => x === 'reviews:7')).toHaveLength(2);
  });

  it('sends no request for a file path that would leave the repo contents', async () => {
    const seen: string[] = [];
    server.use(
      http.get('https://api.github.com/*', ({ request }) => {
        seen.push(new URL(request.url).pathname);
        return HttpResponse.json({});
      }),
    );
    const { c, loc } = client();
    await expect(
      c.getFile(loc, '../../../user/repos.yaml', SHA),
    ).rejects.toThrow(
      '"../../../user/repos.yaml" is not a path inside the config repo',
    );
    expect(seen).toEqual([]);
  });

  it('refuses a manifest larger than 64 KiB without keeping it', async () => {
    server.use(
      http.get(`${API}/contents/*`, () =>
        HttpResponse.text(`model_version: "1"\n# ${'x'.repeat(70_000)}\n`),
      ),
    );
    const { c, loc } = client();
    await expect(c.getFile(loc, 'deploy/model.yaml', SHA)).rejects.toThrow(
      `deploy/model.yaml@${SHA.slice(
        0,
        12,
      )} in acme/fraud-detector-config is larger than 64 KiB; a manifest must be smaller`,
    );
  });

  it('gives up after the request timeout', async () => {
    server.use(
      http.get(`${API}/branches`, async () => {
        await delay(10_000);
        return HttpResponse.json([]);
      }),
    );
    const { c, loc } = client(100);
    const started = Date.now();
    await expect(c.getBranchHeads(loc)).rejects.toThrow(
      'Git host github.com did not answer for acme/fraud-detector-config within 0.1 s',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('says so when the Git host cannot be reached', async () => {
    server.use(http.get(`${API}/branches`, () => HttpResponse.error()));
    const { c, loc } = client();
    await expect(c.getBranchHeads(loc)).rejects.toThrow(
      'Git host github.com is unreachable',
    );
  });

  it('refuses an answer that is not JSON, e.g. a proxy page', async () => {
    server.use(
      http.get(`${API}/branches`, () =>
        HttpResponse.html(
          '<html><body>Unicorn! Try again later.</body></html>',
        ),
      ),
    );
    const { c, loc } = client();
    await expect(c.getBranchHeads(loc)).rejects.toThrow(
      'Listing branches of acme/fraud-detector-config on github.com got an answer that is not JSON ("<html><body>Unicorn! Try again later.</body></html>"); check the apiBaseUrl of integrations.github for github.com',
    );
  });

  it.each([
    [{ message: 'a single object, not a list' }, 'got JSON that is not a list'],
    [[{ name: 'dev' }], 'got a branch without name or commit sha'],
  ])('refuses branches of the wrong shape: %j', async (body, message) => {
    contracts.deliberatelyBroken();
    server.use(http.get(`${API}/branches`, () => HttpResponse.json(body)));
    const { c, loc } = client();
    await expect(c.getBranchHeads(loc)).rejects.toThrow(
      `Listing branches of acme/fraud-detector-config on github.com ${message}`,
    );
  });

  it('refuses a commit of the wrong shape', async () => {
    contracts.deliberatelyBroken();
    server.use(
      http.get(`${API}/commits/:sha`, () =>
        HttpResponse.json(commit({ parents: undefined, commit: {} })),
      ),
    );
    const { c, loc } = client();
    await expect(c.getCommit(loc, SHA)).rejects.toThrow(
      `Reading commit ${SHA} of acme/fraud-detector-config on github.com got a commit without sha, parents or dates`,
    );
  });

  it('reads pull requests with missing optional fields', async () => {
    // Fields GitHub's description requires are left out on purpose: the
    // client must cope with a GitHub Enterprise Server or proxy that omits them.
    contracts.deliberatelyBroken();
    server.use(
      http.get(`${API}/commits/:sha/pulls`, () =>
        HttpResponse.json([
          { number: 6, merged_at: null, base: { ref: 'dev' } },
          {
            number: 7,
            merged_at: '2026-11-01T10:05:00Z',
            base: { ref: 'dev' },
          },
        ]),
      ),
      http.get(`${API}/pulls/7`, () =>
        HttpResponse.json({
          number: 7,
          html_url: 'https://github.com/acme/fraud-detector-config/pull/7',
          merged_at: '2026-11-01T10:05:00Z',
          merged_by: null,
          base: { ref: 'dev' },
          head: { ref: 'deploy-12' },
        }),
      ),
      http.get(`${API}/pulls/7/reviews`, () =>
        HttpResponse.json([
          { user: null, state: 'APPROVED' },
          { user: { login: 'grace' }, state: 'APPROVED' },
          { user: { login: 'linus' }, state: 'COMMENTED' },
        ]),
      ),
    );
    const { c, loc } = client();
    expect(await c.getMergedPullRequest(loc, SHA, 'dev')).toEqual({
      number: 7,
      url: 'https://github.com/acme/fraud-detector-config/pull/7',
      title: '',
      labels: [],
      mergedAt: '2026-11-01T10:05:00.000Z',
      mergedBy: undefined,
      baseRef: 'dev',
      headRef: 'deploy-12',
      reviewers: ['grace'],
    });
  });
});

describe('GithubConfigRepoClient: guards', () => {
  const allowedOwners = ['acme', 'ghe.example.com/ml'];
  it.each([
    ['an owner of the list', 'https://github.com/acme/x-config'],
    ['the same owner in other case', 'https://github.com/ACME/x-config'],
    [
      'an owner allowed on one host only, there',
      'https://ghe.example.com/ml/x-config',
    ],
  ])('mlGitops.allowedOwners admits %s', (_, url) => {
    const { c } = client(undefined, { allowedOwners });
    expect(c.locate(url).url).toBe(url);
  });

  it.each([
    ['that owner on another host', 'https://github.com/ml/x-config'],
    ['another owner', 'https://github.com/evil/x-config'],
    [
      'an owner that only starts like one of the list',
      'https://github.com/acme-evil/x-config',
    ],
  ])('mlGitops.allowedOwners refuses %s before any request', (_, url) => {
    const { c } = client(undefined, { allowedOwners });
    expect(() => c.locate(url)).toThrow(
      /is not among the owners whose repos may be config repos \(mlGitops.allowedOwners: acme, ghe.example.com\/ml\); move the config repo to one of them, or ask the Backstage operators to add the owner/,
    );
  });

  it('refuses a config repo on a GitLab host or on no configured host, saying which', () => {
    const c = GithubConfigRepoClient.fromIntegrations({
      integrations: ScmIntegrations.fromConfig(
        mockServices.rootConfig({
          data: {
            integrations: {
              github: [{ host: 'github.com', token: 'ghp_token' }],
              gitlab: [
                {
                  host: 'gitlab.example.com',
                  apiBaseUrl: 'https://gitlab.example.com/api/v4',
                  token: 'glpat-token',
                },
              ],
            },
          },
        }),
      ),
      cache: { get: async () => undefined, set: async () => {} },
    });
    expect(() =>
      c.locate(
        'https://gitlab.example.com/ml-platform/demand-forecaster-config',
      ),
    ).toThrow(
      'The config repo https://gitlab.example.com/ml-platform/demand-forecaster-config is on gitlab.example.com, a GitLab host (integrations.gitlab); the GitHub config repo client reads config repos on the hosts of integrations.github only',
    );
    expect(() => c.locate('https://git.example.com/acme/x-config')).toThrow(
      'No GitHub integration is configured for git.example.com; add it under integrations.github in app-config.yaml',
    );
  });

  it('waits out a short secondary rate limit while polling, and not a long one', async () => {
    const waits: number[] = [];
    const { c, loc } = client(undefined, {
      rateLimitRetry: {
        sleep: async ms => {
          waits.push(ms);
        },
      },
    });
    let asked = 0;
    server.use(
      http.get(`${API}/commits/:sha`, () => {
        asked++;
        return asked === 1
          ? HttpResponse.json(
              { message: 'You have exceeded a secondary rate limit.' },
              { status: 429, headers: { 'retry-after': '3' } },
            )
          : HttpResponse.json(commit());
      }),
    );
    await expect(c.getCommit(loc, SHA)).resolves.toMatchObject({ sha: SHA });
    expect(waits).toEqual([3000]);

    server.use(
      http.get(`${API}/commits/:sha`, () =>
        HttpResponse.json(
          { message: 'You have exceeded a secondary rate limit.' },
          { status: 429, headers: { 'retry-after': '600' } },
        ),
      ),
    );
    await expect(c.getCommit(loc, 'a'.repeat(40))).rejects.toThrow(
      /failed with 429: You have exceeded a secondary rate limit. \(GitHub's secondary rate limit: rate limited until \S+\)/,
    );
    expect(waits).toEqual([3000]);
  });
});
