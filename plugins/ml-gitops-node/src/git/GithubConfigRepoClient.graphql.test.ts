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
import { NotFoundError } from '@backstage/errors';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { FakeGithubRepo } from '../testUtils';
import { ConfigRepoLocation } from './configRepoTypes';
import { GithubConfigRepoClient } from './GithubConfigRepoClient';
import { graphqlEndpoint } from './githubGraphql';

const GRAPHQL = 'https://api.github.com/graphql';
const ENVIRONMENTS = ['dev', 'staging', 'production'];

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

function sha(n: number) {
  return n.toString(16).padStart(40, '0');
}

function client(options: { timeoutMs?: number; github?: object[] } = {}) {
  const integrations = ScmIntegrations.fromConfig(
    mockServices.rootConfig({
      data: {
        integrations: {
          github: options.github ?? [
            { host: 'github.com', token: 'ghp_token' },
          ],
        },
      },
    }),
  );
  return GithubConfigRepoClient.fromIntegrations({
    integrations,
    cache: { get: async () => undefined, set: async () => {} },
    timeoutMs: options.timeoutMs,
  });
}

type Query = {
  query: string;
  variables: Record<string, string>;
  authorization: string | null;
};

/**
 * The GraphQL endpoint of the fake GitHub at `apiBase` with a repo for each
 * entry of `repos` (`owner/name` → branch → sha), recording the queries it
 * gets; repos not named are unknown to it unless an earlier test made them.
 */
function graphqlHost(
  repos: Record<string, Record<string, string>>,
  seen: Query[] = [],
  apiBase = 'https://api.github.com',
) {
  const fakes = Object.entries(repos).map(([name, heads]) => {
    const [owner, repo] = name.split('/');
    const fake = new FakeGithubRepo(owner, repo);
    for (const [branch, head] of Object.entries(heads)) {
      fake.branches.set(branch, head);
    }
    return fake;
  });
  // Registers every fake; the first handler answers GraphQL for them all.
  const answer = fakes.map(f => f.handlers(apiBase)[0])[0];
  return [
    http.post(answer.info.path, async ({ request }) => {
      const body = (await request.clone().json()) as {
        query: string;
        variables: Record<string, string>;
      };
      seen.push({
        ...body,
        authorization: request.headers.get('authorization'),
      });
      return undefined; // on to the fake
    }),
    answer,
  ];
}

function locs(c: GithubConfigRepoClient, n: number, owner = 'acme') {
  return Array.from({ length: n }, (_, i) =>
    c.locate(`https://github.com/${owner}/model-${i}-config`),
  );
}

function fleet(ls: ConfigRepoLocation[]) {
  return Object.fromEntries(
    ls.map((l, i) => [
      `${l.owner}/${l.repo}`,
      {
        dev: sha(i * 3 + 1),
        staging: sha(i * 3 + 2),
        production: sha(i * 3 + 3),
      },
    ]),
  );
}

describe('GithubConfigRepoClient.prefetchBranchHeads', () => {
  it('reads 250 repos in 3 queries of at most 100, with variables and the token', async () => {
    const c = client();
    const all = locs(c, 250);
    const seen: Query[] = [];
    server.use(...graphqlHost(fleet(all), seen));

    const prefetch = c.prefetchBranchHeads(all, ENVIRONMENTS);
    expect(prefetch.size).toBe(250);
    for (const [i, loc] of all.entries()) {
      await expect(prefetch.get(loc.url)).resolves.toEqual({
        dev: sha(i * 3 + 1),
        staging: sha(i * 3 + 2),
        production: sha(i * 3 + 3),
      });
    }
    expect(seen).toHaveLength(3);
    expect(
      seen.map(q => Object.keys(q.variables).filter(k => /^o/.test(k)).length),
    ).toEqual([100, 100, 50]);
    expect(seen[0].authorization).toBe('Bearer ghp_token');
    // Names travel as variables, never spliced into the query text.
    expect(seen[0].query).not.toContain('model-0-config');
    expect(seen[0].variables).toMatchObject({
      o0: 'acme',
      n0: 'model-0-config',
      b0: 'refs/heads/dev',
      b2: 'refs/heads/production',
    });
  });

  it('keeps the lowest rate limit GitHub reported in a window, whatever the order of the answers', async () => {
    const c = client();
    const all = locs(c, 300);
    // The first query is answered last, with the most points left.
    let n = 0;
    server.use(
      http.post(GRAPHQL, async () => {
        const i = n++;
        await delay(i === 0 ? 200 : 10);
        return HttpResponse.json({
          data: {
            rateLimit: {
              cost: 1,
              remaining: 4999 - i,
              resetAt: '2026-11-28T10:00:00Z',
            },
          },
        });
      }),
    );
    const prefetch = c.prefetchBranchHeads(all, ['dev']);
    await Promise.allSettled([...prefetch.values()]);
    expect(n).toBe(3);
    expect(c.graphqlRateLimits.get('github.com')).toEqual({
      host: 'github.com',
      cost: 1,
      remaining: 4997,
      resetAt: '2026-11-28T10:00:00Z',
    });
  });

  it('asks each repo once, however many models share it', async () => {
    const c = client();
    const [a, b] = locs(c, 2);
    const seen: Query[] = [];
    server.use(...graphqlHost(fleet([a, b]), seen));
    const prefetch = c.prefetchBranchHeads([a, b, a, a], ENVIRONMENTS);
    expect(prefetch.size).toBe(2);
    await prefetch.get(a.url);
    await prefetch.get(b.url);
    expect(seen).toHaveLength(1);
    expect(seen[0].variables).toEqual(
      expect.not.objectContaining({ o2: expect.anything() }),
    );
  });

  it('leaves out a missing branch and fails only the repo that does not exist', async () => {
    const c = client();
    const [present, partial] = locs(c, 2);
    const missing = c.locate('https://github.com/acme/never-created-config');
    server.use(
      ...graphqlHost({
        [`${present.owner}/${present.repo}`]: {
          dev: sha(1),
          staging: sha(2),
          production: sha(3),
        },
        [`${partial.owner}/${partial.repo}`]: { dev: sha(4) },
      }),
    );
    const prefetch = c.prefetchBranchHeads(
      [present, missing, partial],
      ENVIRONMENTS,
    );
    await expect(prefetch.get(present.url)).resolves.toEqual({
      dev: sha(1),
      staging: sha(2),
      production: sha(3),
    });
    await expect(prefetch.get(partial.url)).resolves.toEqual({ dev: sha(4) });
    const error = await prefetch.get(missing.url)!.catch(e => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe(
      "Reading the branches of acme/never-created-config on github.com failed: Could not resolve to a Repository with the name 'acme/never-created-config'. Check the ml-gitops/config-repo annotation and that the integration token can read the repo.",
    );
  });

  it('groups repos by credentials: one query per token', async () => {
    const c = client({
      github: [
        { host: 'github.com', token: 'ghp_token' },
        {
          host: 'ghe.example.com',
          apiBaseUrl: 'https://ghe.example.com/api/v3',
          token: 'ghe_token',
        },
      ],
    });
    const onCom = locs(c, 2);
    const onGhe = [c.locate('https://ghe.example.com/risk/scoring-config')];
    const seenCom: Query[] = [];
    const seenGhe: Query[] = [];
    server.use(
      ...graphqlHost(fleet(onCom), seenCom),
      ...graphqlHost(
        { 'risk/scoring-config': { dev: sha(9) } },
        seenGhe,
        'https://ghe.example.com/api/v3',
      ),
    );
    const prefetch = c.prefetchBranchHeads([...onCom, ...onGhe], ['dev']);
    await expect(prefetch.get(onGhe[0].url)).resolves.toEqual({ dev: sha(9) });
    await expect(prefetch.get(onCom[1].url)).resolves.toEqual({ dev: sha(4) });
    expect(seenCom.map(q => q.authorization)).toEqual(['Bearer ghp_token']);
    expect(seenGhe.map(q => q.authorization)).toEqual(['Bearer ghe_token']);
  });

  it('asks the integration for credentials once an owner, not once a repo', async () => {
    const c = client();
    const acme = locs(c, 120);
    const other = locs(c, 3, 'globex');
    server.use(...graphqlHost(fleet([...acme, ...other])));
    const asked = jest.spyOn(
      DefaultGithubCredentialsProvider.prototype,
      'getCredentials',
    );
    try {
      const prefetch = c.prefetchBranchHeads([...acme, ...other], ['dev']);
      await expect(prefetch.get(acme[119].url)).resolves.toEqual({
        dev: expect.any(String),
      });
      await expect(prefetch.get(other[2].url)).resolves.toEqual({
        dev: expect.any(String),
      });
      expect(asked).toHaveBeenCalledTimes(2);
    } finally {
      asked.mockRestore();
    }
  });

  it('falls back to REST (undefined) where the host has no GraphQL API, and does not ask it again', async () => {
    const c = client();
    const all = locs(c, 2);
    let calls = 0;
    server.use(
      http.post(GRAPHQL, () => {
        calls++;
        return HttpResponse.json(
          {
            message: 'Not Found',
            documentation_url: 'https://docs.github.com/graphql',
          },
          { status: 404 },
        );
      }),
    );
    const first = c.prefetchBranchHeads(all, ENVIRONMENTS);
    await expect(first.get(all[0].url)).resolves.toBeUndefined();
    await expect(first.get(all[1].url)).resolves.toBeUndefined();
    const second = c.prefetchBranchHeads(all, ENVIRONMENTS);
    await expect(second.get(all[0].url)).resolves.toBeUndefined();
    expect(calls).toBe(1);
  });

  it.each([
    [
      'a bad token',
      () =>
        HttpResponse.json(
          {
            message: 'Bad credentials',
            documentation_url: 'https://docs.github.com/graphql',
          },
          { status: 401 },
        ),
      'Reading the branch heads of 2 repo(s) on github.com through GraphQL failed with 401: Bad credentials. Check the token of integrations.github for github.com.',
    ],
    [
      'a server error',
      () => new HttpResponse('upstream error', { status: 502 }),
      'Reading the branch heads of 2 repo(s) on github.com through GraphQL failed with 502',
    ],
    [
      'an answer that is not JSON',
      () =>
        new HttpResponse('<html>login</html>', {
          headers: { 'content-type': 'text/html' },
        }),
      'Reading the branch heads of 2 repo(s) on github.com through GraphQL got an answer that is not JSON ("<html>login</html>"); check the apiBaseUrl of integrations.github for github.com',
    ],
    [
      'JSON that is not a GraphQL answer',
      () => HttpResponse.json([1, 2]),
      'Reading the branch heads of 2 repo(s) on github.com through GraphQL got JSON that is not a GraphQL answer; check the apiBaseUrl of integrations.github for github.com',
    ],
    [
      'a branch without a commit id',
      () =>
        HttpResponse.json({
          data: {
            r0: { b0: { target: { oid: 42 } } },
            r1: { b0: { target: null } },
          },
        }),
      'Reading the branches of acme/model-0-config on github.com through GraphQL got branch dev without a commit id',
    ],
  ])(
    'fails every repo of the query with a clear error on %s',
    async (_, reply, message) => {
      const c = client();
      const all = locs(c, 2);
      server.use(http.post(GRAPHQL, reply));
      const prefetch = c.prefetchBranchHeads(all, ['dev']);
      await expect(prefetch.get(all[0].url)).rejects.toThrow(message);
      await expect(prefetch.get(all[1].url)).rejects.toThrow(
        /acme\/model-1-config|2 repo\(s\)/,
      );
    },
  );

  it.each([
    [
      'an exhausted primary rate limit (403)',
      () =>
        HttpResponse.json(
          {
            message: 'API rate limit exceeded for installation ID 1.',
            documentation_url: 'https://docs.github.com/graphql',
          },
          {
            status: 403,
            headers: {
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset': String(
                Date.parse('2030-11-28T08:00:00Z') / 1000,
              ),
            },
          },
        ),
      { kind: 'primary', until: '2030-11-28T08:00:00.000Z' },
    ],
    [
      'a rate limit reported in the body (200, RATE_LIMITED)',
      () =>
        HttpResponse.json(
          {
            errors: [
              {
                type: 'RATE_LIMITED',
                message: 'API rate limit already exceeded for user ID 1.',
              },
            ],
          },
          {
            headers: {
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset': String(
                Date.parse('2030-11-28T09:00:00Z') / 1000,
              ),
            },
          },
        ),
      { kind: 'primary', until: '2030-11-28T09:00:00.000Z' },
    ],
    [
      'a secondary rate limit (429 with Retry-After)',
      () =>
        HttpResponse.json(
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
          { status: 429, headers: { 'retry-after': '120' } },
        ),
      { kind: 'secondary', until: expect.any(String) },
    ],
  ])(
    'reads the batch through REST on %s, and leaves GraphQL alone until then',
    async (_, reply, limited) => {
      const c = client();
      const all = locs(c, 2);
      let calls = 0;
      server.use(
        http.post(GRAPHQL, () => {
          calls++;
          return reply();
        }),
      );
      const first = c.prefetchBranchHeads(all, ['dev']);
      // undefined: the poller reads these repos through REST
      await expect(first.get(all[0].url)).resolves.toBeUndefined();
      await expect(first.get(all[1].url)).resolves.toBeUndefined();
      expect(c.graphqlLimited.get('github.com')).toEqual({
        host: 'github.com',
        ...limited,
        message: expect.stringContaining('rate limit'),
      });
      const second = c.prefetchBranchHeads(all, ['dev']);
      await expect(second.get(all[0].url)).resolves.toBeUndefined();
      expect(calls).toBe(1);
    },
  );

  it('gives up on a query that does not answer within the timeout', async () => {
    const c = client({ timeoutMs: 100 });
    const all = locs(c, 1);
    server.use(
      http.post(GRAPHQL, async () => {
        await delay(2_000);
        return HttpResponse.json({ data: {} });
      }),
    );
    await expect(
      c.prefetchBranchHeads(all, ['dev']).get(all[0].url),
    ).rejects.toThrow(
      'Git host github.com did not answer within 0.1 s (Reading the branch heads of 1 repo(s) on github.com through GraphQL)',
    );
  });

  it('tries a query once more when the connection broke', async () => {
    const c = client();
    const all = locs(c, 1);
    const seen: Query[] = [];
    let broken = 0;
    server.use(
      http.post(
        GRAPHQL,
        () => {
          broken++;
          return HttpResponse.error();
        },
        { once: true },
      ),
      ...graphqlHost(fleet(all), seen),
    );
    await expect(
      c.prefetchBranchHeads(all, ['dev']).get(all[0].url),
    ).resolves.toEqual({ dev: sha(1) });
    expect(broken).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('sends a query once more when GitHub answered 5xx', async () => {
    const c = client();
    const all = locs(c, 1);
    const seen: Query[] = [];
    let failed = 0;
    server.use(
      http.post(
        GRAPHQL,
        () => {
          failed++;
          return new HttpResponse('upstream error', { status: 502 });
        },
        { once: true },
      ),
      ...graphqlHost(fleet(all), seen),
    );
    await expect(
      c.prefetchBranchHeads(all, ['dev']).get(all[0].url),
    ).resolves.toEqual({ dev: sha(1) });
    expect(failed).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('does not wait out a GraphQL rate limit, however short: the batch goes to REST at once', async () => {
    const c = client();
    const all = locs(c, 1);
    let calls = 0;
    server.use(
      http.post(GRAPHQL, () => {
        calls++;
        return HttpResponse.json(
          { message: 'You have exceeded a secondary rate limit.' },
          { status: 429, headers: { 'retry-after': '1' } },
        );
      }),
    );
    const started = Date.now();
    await expect(
      c.prefetchBranchHeads(all, ['dev']).get(all[0].url),
    ).resolves.toBeUndefined();
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports an unreachable host after the second broken connection', async () => {
    const c = client();
    const all = locs(c, 1);
    server.use(http.post(GRAPHQL, () => HttpResponse.error()));
    await expect(
      c.prefetchBranchHeads(all, ['dev']).get(all[0].url),
    ).rejects.toThrow('Git host github.com is unreachable: Failed to fetch');
  });
});

describe('graphqlEndpoint', () => {
  it.each([
    ['https://api.github.com', 'https://api.github.com/graphql'],
    ['https://api.github.com/', 'https://api.github.com/graphql'],
    ['https://ghe.example.com/api/v3', 'https://ghe.example.com/api/graphql'],
    ['https://ghe.example.com/api/v3/', 'https://ghe.example.com/api/graphql'],
    ['http://localhost:7010/api/v3', 'http://localhost:7010/api/graphql'],
  ])('%s → %s', (base, endpoint) => {
    expect(graphqlEndpoint(base)).toBe(endpoint);
  });
});
