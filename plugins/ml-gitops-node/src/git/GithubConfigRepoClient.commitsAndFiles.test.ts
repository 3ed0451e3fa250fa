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
import { GithubConfigRepoClient } from './GithubConfigRepoClient';

const GRAPHQL = 'https://api.github.com/graphql';
const REST = 'https://api.github.com/repos/acme';
const MODEL = 'deploy/model.yaml';

const server = setupServer();
registerMswTestHooks(server);

function sha(n: number) {
  return n.toString(16).padStart(40, '0');
}

function client() {
  const integrations = ScmIntegrations.fromConfig(
    mockServices.rootConfig({
      data: {
        integrations: { github: [{ host: 'github.com', token: 'ghp_token' }] },
      },
    }),
  );
  return GithubConfigRepoClient.fromIntegrations({
    integrations,
    cache: { get: async () => undefined, set: async () => {} },
  });
}

/**
 * A commit object as GitHub's GraphQL API returns it for the fields the
 * reader asks (docs.github.com GraphQL reference, objects `Commit`,
 * `GitActor`, `User`, `CommitConnection`).
 */
function commitNode(oid: string, parents: string[], login: string | null) {
  return {
    oid,
    message: `Deploy ${oid.slice(-4)}`,
    committedDate: '2026-11-02T10:00:05Z',
    authoredDate: '2026-11-02T09:59:00Z',
    author: { name: 'Ada Lovelace', user: login ? { login } : null },
    parents: {
      totalCount: parents.length,
      nodes: parents.map(p => ({ oid: p })),
    },
  };
}

/** A `Blob` as GitHub returns it; `text` is null for a binary blob. */
function blobNode(text: string) {
  return {
    text,
    isBinary: false,
    isTruncated: false,
    byteSize: Buffer.byteLength(text),
  };
}

type Answer = (
  variables: Record<string, string>,
) => Record<string, unknown> | undefined;

/**
 * A GraphQL endpoint that answers each repo alias `r<i>` and item alias
 * `c<j>`/`f<j>` through `answer` (by its variables), recording the queries.
 */
function graphqlHost(answer: Answer, seen: Array<Record<string, string>>) {
  return http.post(GRAPHQL, async ({ request }) => {
    const body = (await request.json()) as {
      query: string;
      variables: Record<string, string>;
    };
    expect(body.query).toMatch(/^query MlGitopsCommitsAndFiles\(/);
    seen.push(body.variables);
    const data: Record<string, unknown> = {
      rateLimit: { cost: 1, remaining: 4990, resetAt: '2030-01-01T00:00:00Z' },
    };
    for (let i = 0; body.variables[`o${i}`] !== undefined; i++) {
      const node: Record<string, unknown> = {};
      for (let j = 0; body.variables[`c${i}_${j}`] !== undefined; j++) {
        const found = answer({
          owner: body.variables[`o${i}`],
          name: body.variables[`n${i}`],
          oid: body.variables[`c${i}_${j}`],
          expression: body.variables[`f${i}_${j}`],
        });
        node[`c${j}`] = found?.commit ?? null;
        node[`f${j}`] = found?.file ?? null;
      }
      data[`r${i}`] = node;
    }
    return HttpResponse.json({ data });
  });
}

/** REST reads of commits and contents, counted; none expected unless said. */
function restHost(calls: string[]) {
  return [
    http.get(`${REST}/:repo/commits/:sha`, ({ params }) => {
      calls.push(`commit ${params.sha}`);
      return HttpResponse.json({
        sha: params.sha,
        parents: [{ sha: sha(1) }],
        author: { login: 'ada' },
        commit: {
          message: 'Deploy',
          author: { name: 'Ada Lovelace', date: '2026-11-02T09:59:00Z' },
          committer: { name: 'GitHub', date: '2026-11-02T10:00:05Z' },
        },
      });
    }),
    http.get(`${REST}/:repo/contents/*`, ({ request }) => {
      calls.push(`contents ${new URL(request.url).searchParams.get('ref')}`);
      return new HttpResponse('model_version: "7"\n');
    }),
  ];
}

describe('GithubConfigRepoClient.prefetchCommitsAndFiles', () => {
  it('reads commits and manifests of many repos in queries of 100 repos, then answers from memory without REST', async () => {
    const c = client();
    const seen: Array<Record<string, string>> = [];
    const rest: string[] = [];
    server.use(
      graphqlHost(v => {
        const n = Number(v.name.split('-')[1]);
        return {
          commit: commitNode(
            v.oid,
            [sha(1), sha(2)].slice(0, 1 + (n % 2)),
            n % 3 ? 'ada' : null,
          ),
          file: blobNode(`model_version: "${n}"\n`),
        };
      }, seen),
      ...restHost(rest),
    );
    const items = Array.from({ length: 150 }, (_, n) => ({
      loc: c.locate(`https://github.com/acme/model-${n}-config`),
      sha: sha(1000 + n),
      path: MODEL,
    }));
    await c.prefetchCommitsAndFiles(items);
    expect(
      seen.map(v => Object.keys(v).filter(k => /^o\d+$/.test(k)).length),
    ).toEqual([100, 50]);
    expect(seen[0]).toMatchObject({
      o0: 'acme',
      n0: 'model-0-config',
      c0_0: sha(1000),
      f0_0: `${sha(1000)}:${MODEL}`,
    });

    const commit = await c.getCommit(items[3].loc, sha(1003));
    expect(commit).toEqual({
      sha: sha(1003),
      parents: [sha(1), sha(2)],
      message: 'Deploy 03eb',
      // No GitHub user linked to the author's email: the Git author name,
      // as the REST answer's `commit.author.name` gives it.
      author: 'Ada Lovelace',
      authorDate: '2026-11-02T09:59:00.000Z',
      committedAt: '2026-11-02T10:00:05.000Z',
    });
    expect((await c.getCommit(items[4].loc, sha(1004))).author).toBe('ada');
    expect(await c.getFile(items[7].loc, MODEL, sha(1007))).toBe(
      'model_version: "7"\n',
    );
    expect(rest).toEqual([]);
  });

  it('knows a file absent only at a commit it found, and leaves to REST what the answer could not tell', async () => {
    const c = client();
    const rest: string[] = [];
    const names = ['absent', 'binary', 'truncated', 'octopus', 'unknown'];
    server.use(
      graphqlHost(v => {
        const kind = v.name.split('-')[0];
        const commit = commitNode(v.oid, [sha(1)], 'ada');
        switch (kind) {
          case 'absent':
            return { commit, file: null };
          case 'binary':
            return {
              commit,
              file: { ...blobNode(''), text: null, isBinary: true },
            };
          case 'truncated':
            return {
              commit,
              file: { ...blobNode('model'), isTruncated: true },
            };
          case 'octopus':
            // More parents than listed: the commit is read through REST.
            return {
              commit: { ...commit, parents: { totalCount: 101, nodes: [] } },
              file: blobNode('model_version: "1"\n'),
            };
          default:
            return undefined;
        }
      }, []),
      ...restHost(rest),
    );
    const items = names.map((name, n) => ({
      loc: c.locate(`https://github.com/acme/${name}-config`),
      sha: sha(2000 + n),
      path: MODEL,
    }));
    await c.prefetchCommitsAndFiles(items);
    const [absent, binary, truncated, octopus, unknown] = items;

    expect(await c.getFile(absent.loc, MODEL, absent.sha)).toBeNull();
    await c.getCommit(absent.loc, absent.sha);
    expect(rest).toEqual([]);

    await c.getFile(binary.loc, MODEL, binary.sha);
    await c.getFile(truncated.loc, MODEL, truncated.sha);
    await c.getCommit(octopus.loc, octopus.sha);
    expect(await c.getFile(octopus.loc, MODEL, octopus.sha)).toBe(
      'model_version: "1"\n',
    );
    // An unknown commit tells nothing of the file either.
    await c.getCommit(unknown.loc, unknown.sha);
    await c.getFile(unknown.loc, MODEL, unknown.sha);
    expect(rest).toEqual([
      `contents ${binary.sha}`,
      `contents ${truncated.sha}`,
      `commit ${octopus.sha}`,
      `commit ${unknown.sha}`,
      `contents ${unknown.sha}`,
    ]);
  });

  it('never fails: a host whose GraphQL fails or refuses leaves every read to REST', async () => {
    const c = client();
    const rest: string[] = [];
    server.use(
      http.post(GRAPHQL, () =>
        HttpResponse.json({ message: 'Server Error' }, { status: 502 }),
      ),
      ...restHost(rest),
    );
    const loc = c.locate('https://github.com/acme/fraud-config');
    await expect(
      c.prefetchCommitsAndFiles([{ loc, sha: sha(3000), path: MODEL }]),
    ).resolves.toBeUndefined();
    expect((await c.getCommit(loc, sha(3000))).sha).toBe(sha(3000));
    expect(await c.getFile(loc, MODEL, sha(3000))).toBe('model_version: "7"\n');
    expect(rest).toEqual([`commit ${sha(3000)}`, `contents ${sha(3000)}`]);
  });
});
