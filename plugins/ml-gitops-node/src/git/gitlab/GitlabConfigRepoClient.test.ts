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
import {
  FakeGitlabRepo,
  GitBackedRepo,
  gitlabCommit,
  manifest,
} from '../../testUtils';
import type { BranchHeadsCacheEntry } from '../configRepoTypes';
import { GitlabConfigRepoClient } from './GitlabConfigRepoClient';

const WEB = 'https://gitlab.example.com';
const API = `${WEB}/api/v4`;
const PROJECT = `${API}/projects/acme%2Fml%2Ffraud-detector-config`;
const SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';

const server = setupServer();
registerMswTestHooks(server);

const repos: GitBackedRepo[] = [];
afterAll(() => repos.forEach(r => r.cleanup()));

function integrations() {
  return ScmIntegrations.fromConfig(
    mockServices.rootConfig({
      data: {
        integrations: {
          gitlab: [
            {
              host: 'gitlab.example.com',
              token: 'glpat-secret',
              apiBaseUrl: API,
            },
            {
              host: 'code.example.com',
              token: 'glpat-other',
              apiBaseUrl: 'https://code.example.com/gitlab/api/v4',
              baseUrl: 'https://code.example.com/gitlab',
            },
          ],
        },
      },
    }),
  );
}

function memoryCache() {
  const entries = new Map<string, BranchHeadsCacheEntry>();
  return {
    entries,
    get: async (key: string) => entries.get(key),
    set: async (key: string, value: BranchHeadsCacheEntry) => {
      entries.set(key, value);
    },
  };
}

function client(
  extra: Partial<
    Parameters<typeof GitlabConfigRepoClient.fromIntegrations>[0]
  > = {},
) {
  const c = GitlabConfigRepoClient.fromIntegrations({
    integrations: integrations(),
    cache: memoryCache(),
    ...extra,
  });
  return { c, loc: c.locate(`${WEB}/acme/ml/fraud-detector-config`) };
}

/** A project on disk with dev and production, served by a FakeGitlabRepo. */
function project() {
  const git = new GitBackedRepo('acme', 'fraud-detector-config', 'dev');
  repos.push(git);
  const first = git.commit(
    'Create config repo',
    { 'deploy/model.yaml': manifest('11') },
    { author: 'Ada Lovelace', date: '2026-11-01T10:00:00Z' },
  );
  git.git('branch', 'production');
  git.pushAll();
  const fake = new FakeGitlabRepo(git, 'acme/ml/fraud-detector-config', WEB);
  server.use(...fake.handlers());
  return { git, fake, first };
}

describe('GitlabConfigRepoClient.locate', () => {
  const { c } = client({
    allowedOwners: ['acme', 'code.example.com/platform'],
  });

  it.each([
    [`${WEB}/acme/ml/fraud-detector-config`],
    [`${WEB}/acme/ml/fraud-detector-config.git`],
    [`${WEB}/acme/ml/fraud-detector-config/`],
    [`${WEB}/acme/ml/fraud-detector-config/-/tree/production/deploy`],
  ])('reads nested groups from %s', url => {
    expect(c.locate(url)).toEqual({
      url: `${WEB}/acme/ml/fraud-detector-config`,
      host: 'gitlab.example.com',
      owner: 'acme/ml',
      repo: 'fraud-detector-config',
      apiBaseUrl: API,
    });
  });

  it('reads a GitLab installed below a path', () => {
    expect(
      c.locate('https://code.example.com/gitlab/platform/models/cfg'),
    ).toMatchObject({
      url: 'https://code.example.com/gitlab/platform/models/cfg',
      owner: 'platform/models',
      repo: 'cfg',
      apiBaseUrl: 'https://code.example.com/gitlab/api/v4',
    });
  });

  it('refuses hosts without an integrations.gitlab entry, URLs without a group, and owners not allowed', () => {
    expect(() => c.locate('https://github.com/acme/cfg')).toThrow(
      'No GitLab integration is configured for github.com; add it under integrations.gitlab',
    );
    expect(() => c.locate(`${WEB}/cfg`)).toThrow(
      'must name a group and a project',
    );
    expect(() => c.locate('not a url')).toThrow('is not a URL');
    expect(() => c.locate(`${WEB}/acme-evil/cfg`)).toThrow(
      /gitlab\.example\.com\/acme-evil is not among the owners .*mlGitops\.allowedOwners: acme, code\.example\.com\/platform/,
    );
    expect(() => c.locate('https://code.example.com/gitlab/other/cfg')).toThrow(
      'not among the owners',
    );
  });
});

describe('GitlabConfigRepoClient reads', () => {
  it('reads every page of branches and says whether any head moved', async () => {
    const { git, fake } = project();
    for (let i = 0; i < 130; i++) {
      git.git('branch', `ml-gitops/deploy/dev/${String(i).padStart(3, '0')}`);
    }
    git.pushAll();
    const { c, loc } = client();
    const first = await c.getBranchHeads(loc);
    expect(Object.keys(first.heads)).toHaveLength(132);
    expect(first.heads.production).toBe(git.branches().get('production'));
    expect(first.changed).toBe(true);
    expect(
      fake.requests.filter(r => r.includes('/repository/branches')),
    ).toEqual([
      'GET /projects/acme%2Fml%2Ffraud-detector-config/repository/branches',
      'GET /projects/acme%2Fml%2Ffraud-detector-config/repository/branches',
    ]);

    expect((await c.getBranchHeads(loc)).changed).toBe(false);
    git.git('checkout', '--quiet', 'production');
    const moved = git.commit('Set 12', { 'deploy/model.yaml': manifest('12') });
    git.pushAll();
    const after = await c.getBranchHeads(loc);
    expect(after).toMatchObject({ changed: true });
    expect(after.heads.production).toBe(moved);
  });

  it('refuses a branch without name or commit id', async () => {
    // docs.gitlab.com "Branches API": each entry names its head as commit.id.
    server.use(
      http.get(`${PROJECT}/repository/branches`, () =>
        HttpResponse.json([
          { name: 'dev', commit: { id: SHA } },
          { name: 'production', commit: {} },
        ]),
      ),
    );
    const { c, loc } = client();
    await expect(c.getBranchHeads(loc)).rejects.toThrow(
      'Listing branches of acme/ml/fraud-detector-config on gitlab.example.com got a branch without name or commit id',
    );
  });

  it('reads a file at a commit, null where it is absent, and a commit with its author name and dates', async () => {
    const { first } = project();
    const { c, loc } = client();
    expect(await c.getFile(loc, 'deploy/model.yaml', first)).toBe(
      manifest('11'),
    );
    expect(await c.getFile(loc, 'deploy/other.yaml', first)).toBeNull();
    expect(await c.getCommit(loc, first)).toEqual({
      sha: first,
      parents: [],
      message: 'Create config repo',
      author: 'Ada Lovelace',
      authorDate: '2026-11-01T10:00:00.000Z',
      committedAt: '2026-11-01T10:00:00.000Z',
    });
  });

  it('caches files and commits by commit', async () => {
    const { first, fake } = project();
    const { c, loc } = client();
    await c.getFile(loc, 'deploy/model.yaml', first);
    await c.getFile(loc, 'deploy/model.yaml', first);
    await c.getCommit(loc, first);
    await c.getCommit(loc, first);
    expect(fake.requests).toHaveLength(2);
  });

  it('reads the merged merge request of a commit with approvers, merger and whether a bot opened it (asked once per user)', async () => {
    const { git, fake } = project();
    git.git(
      'checkout',
      '--quiet',
      '-b',
      'ml-gitops/promote/production/12',
      'production',
    );
    const head = git.commit(
      'Promote 12',
      { 'deploy/model.yaml': manifest('12') },
      { author: 'alice' },
    );
    git.git('checkout', '--quiet', 'production');
    git.git(
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      'Merge branch ml-gitops/promote/production/12',
      'ml-gitops/promote/production/12',
    );
    const merge = git.git('rev-parse', 'HEAD');
    git.pushAll();
    fake.user('ml-gitops-app', { bot: true });
    fake.merged({
      sourceBranch: 'ml-gitops/promote/production/12',
      targetBranch: 'production',
      sha: head,
      mergeCommitSha: merge,
      mergedBy: 'grace',
      author: 'ml-gitops-app',
      approvedBy: ['linus', 'ken'],
      title: 'Promote 12 to production',
      description: 'Made by ML GitOps.',
      labels: ['ml-gitops/promotion'],
      mergedAt: '2026-11-02T11:00:00Z',
    });
    const { c, loc } = client();
    const facts = await c.getMergedPullRequest(loc, merge, 'production');
    expect(facts).toEqual({
      number: 1,
      url: `${WEB}/acme/ml/fraud-detector-config/-/merge_requests/1`,
      title: 'Promote 12 to production',
      labels: ['ml-gitops/promotion'],
      mergedAt: '2026-11-02T11:00:00.000Z',
      mergedBy: 'grace',
      baseRef: 'production',
      headRef: 'ml-gitops/promote/production/12',
      headSha: head,
      reviewers: ['linus', 'ken'],
      author: 'ml-gitops-app',
      authorIsBot: true,
      body: 'Made by ML GitOps.',
    });
    expect(await c.getMergedPullRequest(loc, merge, 'dev')).toBeUndefined();
    await c.getMergedPullRequest(loc, merge, 'production');
    expect(fake.requests.filter(r => r.startsWith('GET /users/'))).toHaveLength(
      1,
    );

    // An author whose account was deleted since is no bot.
    fake.users.delete('ml-gitops-app');
    const { c: fresh } = client();
    expect(
      await fresh.getMergedPullRequest(loc, merge, 'production'),
    ).toMatchObject({ author: 'ml-gitops-app', authorIsBot: false });
  });
});

describe('GitlabConfigRepoClient.prefetchBranchHeads', () => {
  it('reads the heads of a project in one GraphQL query, leaving out a missing branch', async () => {
    const { git } = project();
    const { c, loc } = client();
    const prefetch = c.prefetchBranchHeads(
      [loc, loc],
      ['dev', 'staging', 'production'],
    );
    expect([...prefetch.keys()]).toEqual([loc.url]);
    expect(await prefetch.get(loc.url)).toEqual({
      dev: git.branches().get('dev'),
      production: git.branches().get('production'),
    });
  });

  it('asks 120 projects in 3 queries of at most 50 (GitLab takes no more full paths), with the token and branch names as variables', async () => {
    const bodies: Array<{ query: string; variables: Record<string, unknown> }> =
      [];
    const auth: string[] = [];
    server.use(
      http.post(`${WEB}/api/graphql`, async ({ request }) => {
        auth.push(request.headers.get('authorization') ?? '');
        const body = (await request.json()) as (typeof bodies)[number];
        bodies.push(body);
        // docs.gitlab.com GraphQL reference: Query.projects, Repository.commit
        return HttpResponse.json({
          data: {
            projects: {
              nodes: (body.variables.paths as string[]).map(fullPath => ({
                fullPath,
                repository: { b0: { sha: SHA }, b1: null },
              })),
            },
          },
        });
      }),
    );
    const { c } = client();
    const locs = Array.from({ length: 120 }, (_, i) =>
      c.locate(`${WEB}/acme/cfg-${i}`),
    );
    const prefetch = c.prefetchBranchHeads(locs, ['dev', 'prod"uction']);
    expect(await prefetch.get(locs[119].url)).toEqual({ dev: SHA });
    expect(bodies.map(b => (b.variables.paths as string[]).length)).toEqual([
      50, 50, 20,
    ]);
    expect(bodies[0].variables).toMatchObject({ b0: 'dev', b1: 'prod"uction' });
    expect(bodies[0].query).toContain('projects(fullPaths: $paths, first: 50)');
    expect(new Set(auth)).toEqual(new Set(['Bearer glpat-secret']));
  });

  it('splits a query GitLab finds too complex, and starts the next prefetch at the size it answered', async () => {
    const sizes: number[] = [];
    server.use(
      http.post(`${WEB}/api/graphql`, async ({ request }) => {
        const { variables } = (await request.json()) as {
          variables: { paths: string[] };
        };
        sizes.push(variables.paths.length);
        // GitLab's refusal of a query over its limit (docs.gitlab.com
        // "GraphQL API": max query complexity), answered 200 with errors.
        return variables.paths.length > 20
          ? HttpResponse.json({
              errors: [
                {
                  message: `Query has complexity of ${
                    variables.paths.length * 12
                  }, which exceeds max complexity of 250`,
                },
              ],
            })
          : HttpResponse.json({
              data: {
                projects: {
                  nodes: variables.paths.map(fullPath => ({
                    fullPath,
                    repository: { b0: { sha: SHA } },
                  })),
                },
              },
            });
      }),
    );
    const { c } = client();
    const locs = Array.from({ length: 50 }, (_, i) =>
      c.locate(`${WEB}/acme/cfg-${i}`),
    );
    const first = c.prefetchBranchHeads(locs, ['dev']);
    for (const loc of locs) {
      expect(await first.get(loc.url)).toEqual({ dev: SHA });
    }
    expect(sizes).toEqual([50, 25, 13, 12, 25, 13, 12]);
    sizes.length = 0;
    const second = c.prefetchBranchHeads(locs, ['dev']);
    await second.get(locs[49].url);
    expect(sizes.every(size => size <= 13)).toBe(true);
  });

  it('falls back to REST (undefined) on a GitLab before 17.10, and does not ask it again for a while', async () => {
    const { fake } = project();
    fake.graphqlCommitField = false;
    let queries = 0;
    server.use(
      http.post(`${WEB}/api/graphql`, () => {
        queries += 1;
        return undefined;
      }),
    );
    const { c, loc } = client();
    expect(
      await c.prefetchBranchHeads([loc], ['dev']).get(loc.url),
    ).toBeUndefined();
    expect(
      await c.prefetchBranchHeads([loc], ['dev']).get(loc.url),
    ).toBeUndefined();
    expect(queries).toBe(1);
    expect((await c.getBranchHeads(loc)).heads).toHaveProperty('dev');
  });

  it('leaves a project GraphQL did not find to REST, and fails every project of a query refused for its token', async () => {
    server.use(
      http.post(`${WEB}/api/graphql`, () =>
        HttpResponse.json({ data: { projects: { nodes: [] } } }),
      ),
    );
    const { c, loc } = client();
    expect(
      await c.prefetchBranchHeads([loc], ['dev']).get(loc.url),
    ).toBeUndefined();
    server.use(
      http.post(`${WEB}/api/graphql`, () =>
        HttpResponse.json({ message: '401 Unauthorized' }, { status: 401 }),
      ),
    );
    const other = client();
    await expect(
      other.c.prefetchBranchHeads([other.loc], ['dev']).get(other.loc.url),
    ).rejects.toThrow(
      'Reading the branch heads of 1 project(s) on gitlab.example.com through GraphQL failed with 401. Check the token of integrations.gitlab for gitlab.example.com (it needs the scope read_api)',
    );
  });
});

describe('GitlabConfigRepoClient faults', () => {
  const commitAt = `${PROJECT}/repository/commits/:sha`;

  it.each([
    [
      401,
      { message: '401 Unauthorized' },
      /failed with 401: 401 Unauthorized\. The token of integrations\.gitlab for gitlab\.example\.com is invalid, expired or revoked; replace it/,
    ],
    [
      403,
      { message: '403 Forbidden' },
      /failed with 403: 403 Forbidden\. The token of integrations\.gitlab for gitlab\.example\.com lacks the scope read_api \(or api\)/,
    ],
    [
      404,
      { message: '404 Project Not Found' },
      /failed with 404: 404 Project Not Found\. The project was not found or the token of integrations\.gitlab for gitlab\.example\.com has no access to it; check the ml-gitops\/config-repo annotation/,
    ],
    [
      500,
      { error: 'internal' },
      /Reading commit 6dcb09b5.* of acme\/ml\/fraud-detector-config on gitlab\.example\.com failed with 500: internal$/,
    ],
  ])(
    'says what to fix when GitLab answers %s',
    async (status, body, expected) => {
      server.use(http.get(commitAt, () => HttpResponse.json(body, { status })));
      const { c, loc } = client();
      await expect(c.getCommit(loc, SHA)).rejects.toThrow(expected);
    },
  );

  it('throws, not null, for a file of a project it cannot see', async () => {
    server.use(
      http.get(`${PROJECT}/repository/files/:path/raw`, () =>
        HttpResponse.json(
          { message: '404 Project Not Found' },
          { status: 404 },
        ),
      ),
    );
    const { c, loc } = client();
    await expect(c.getFile(loc, 'deploy/model.yaml', SHA)).rejects.toThrow(
      'The project was not found',
    );
  });

  it('waits out a short rate limit (Retry-After) and not a long one (RateLimit-Reset)', async () => {
    let calls = 0;
    const now = Date.parse('2026-11-01T10:00:00Z');
    const sleeps: number[] = [];
    server.use(
      http.get(commitAt, () => {
        calls += 1;
        return calls === 1
          ? HttpResponse.json(
              { message: 'Retry later' },
              { status: 429, headers: { 'Retry-After': '2' } },
            )
          : HttpResponse.json(
              gitlabCommit('acme/ml/fraud-detector-config', {
                id: SHA,
                parentIds: [],
                message: 'Deploy 12',
                authorName: 'Ada',
                authorEmail: 'ada@example.com',
                authoredDate: '2026-11-01T10:00:00Z',
              }),
            );
      }),
    );
    const rateLimitRetry = {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    };
    const { c, loc } = client({ rateLimitRetry });
    await expect(c.getCommit(loc, SHA)).resolves.toMatchObject({ sha: SHA });
    expect(sleeps).toEqual([2000]);

    server.use(
      http.get(commitAt, () =>
        HttpResponse.json(
          { message: 'Retry later' },
          {
            status: 429,
            headers: { 'RateLimit-Reset': String(now / 1000 + 600) },
          },
        ),
      ),
    );
    await expect(c.getCommit(loc, 'a'.repeat(40))).rejects.toThrow(
      "failed with 429: Retry later (GitLab's rate limit: rate limited until 2026-11-01T10:10:00.000Z)",
    );
    expect(sleeps).toEqual([2000]);
  });

  it('gives up after the request timeout', async () => {
    server.use(
      http.get(commitAt, async () => {
        await delay(2000);
        return HttpResponse.json({});
      }),
    );
    const { c, loc } = client({ timeoutMs: 50 });
    await expect(c.getCommit(loc, SHA)).rejects.toThrow(
      'GitLab gitlab.example.com did not answer for acme/ml/fraud-detector-config within 0.05 s',
    );
  });

  it('refuses an answer that is not JSON, e.g. a sign-in page, and a commit of the wrong shape', async () => {
    server.use(
      http.get(commitAt, () => HttpResponse.text('<html>Sign in</html>')),
    );
    const { c, loc } = client();
    await expect(c.getCommit(loc, SHA)).rejects.toThrow(
      'got an answer that is not JSON ("<html>Sign in</html>"); check the apiBaseUrl of integrations.gitlab for gitlab.example.com (it ends in /api/v4)',
    );
    server.use(http.get(commitAt, () => HttpResponse.json({ id: SHA })));
    await expect(c.getCommit(loc, 'b'.repeat(40))).rejects.toThrow(
      'got a commit without id, parent_ids or dates',
    );
  });

  it('never puts the token in an error', async () => {
    server.use(
      http.get(commitAt, ({ request }) =>
        HttpResponse.json(
          { message: `bad ${request.headers.get('authorization')?.length}` },
          { status: 401 },
        ),
      ),
    );
    const { c, loc } = client();
    const error = await c.getCommit(loc, SHA).catch(e => e as Error);
    expect(String(error.message)).not.toContain('glpat-secret');
  });
});
