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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { setupServer } from 'msw/node';
import { FakeGithubRepo } from './FakeGithubRepo';

const server = setupServer();
registerMswTestHooks(server);

const API = 'https://api.github.com';

const HEAD_FACTS = `query MlGitopsHeadFacts($o0: String!, $n0: String!, $c0: GitObjectID!, $f0: String!, $c1: GitObjectID!, $f1: String!) {
  r0: repository(owner: $o0, name: $n0) {
    c0: object(oid: $c0) { ...Facts }
    f0: object(expression: $f0) { ... on Blob { text isBinary isTruncated byteSize } }
    c1: object(oid: $c1) { ...Facts }
    f1: object(expression: $f1) { ... on Blob { text isBinary isTruncated byteSize } }
  }
  rateLimit { cost remaining resetAt }
}
fragment Facts on Commit {
  oid message committedDate authoredDate
  author { name user { login } }
  parents(first: 100) { totalCount nodes { oid } }
}`;

const post = async (query: string, variables: Record<string, unknown>) =>
  (
    await fetch(`${API}/graphql`, {
      method: 'POST',
      body: JSON.stringify({ query, variables }),
    })
  ).json();

describe('the fake GitHub GraphQL endpoint', () => {
  it('answers head facts from the commits and files its REST routes serve', async () => {
    const repo = new FakeGithubRepo('acme', 'fraud-config');
    const root = repo.commit({
      branch: 'dev',
      message: 'Initial config\n',
      name: 'Ada Lovelace',
      login: 'ada',
      date: '2026-01-01T00:00:00Z',
      files: { 'deploy/model.yaml': 'model_version: "1"\n' },
    });
    const side = repo.storeCommit({
      parents: [root],
      message: 'Deploy 2',
      name: 'Outside Contributor',
      date: '2026-01-02T00:00:00Z',
      files: { 'deploy/model.yaml': 'model_version: "2"\n' },
    });
    const merge = repo.commit({
      branch: 'dev',
      parents: [root, side],
      message: 'Merge pull request #1',
      name: 'Outside Contributor',
      date: '2026-01-03T00:00:00Z',
      files: { 'deploy/model.yaml': 'model_version: "2"\n' },
    });
    server.use(...repo.handlers(API));

    const body = await post(HEAD_FACTS, {
      o0: 'acme',
      n0: 'fraud-config',
      c0: merge,
      f0: `${merge}:deploy/model.yaml`,
      c1: root,
      f1: `${root}:deploy/missing.yaml`,
    });
    const rest = await (
      await fetch(`${API}/repos/acme/fraud-config/commits/${merge}`)
    ).json();
    expect(body).toEqual({
      data: {
        r0: {
          c0: {
            oid: merge,
            message: rest.commit.message,
            committedDate: rest.commit.committer.date,
            authoredDate: rest.commit.author.date,
            author: { name: 'Outside Contributor', user: null },
            parents: {
              totalCount: 2,
              nodes: rest.parents.map((p: { sha: string }) => ({ oid: p.sha })),
            },
          },
          f0: {
            text: 'model_version: "2"\n',
            isBinary: false,
            isTruncated: false,
            byteSize: 19,
          },
          c1: expect.objectContaining({
            oid: root,
            message: 'Initial config',
            author: { name: 'Ada Lovelace', user: { login: 'ada' } },
            parents: { totalCount: 0, nodes: [] },
          }),
          f1: null,
        },
        rateLimit: {
          cost: 1,
          remaining: 4999,
          resetAt: expect.any(String),
        },
      },
    });
  });

  it('answers null for an unknown oid, charges a point per 100 parents connections and refuses unknown fields', async () => {
    const repo = new FakeGithubRepo('acme', 'other-config');
    const head = repo.commit({
      branch: 'dev',
      message: 'Initial config',
      date: '2026-01-01T00:00:00Z',
      files: {},
    });
    server.use(...repo.handlers(API));
    const many = Array.from(
      { length: 300 },
      (_, i) =>
        `c${i}: object(oid: $h) { ... on Commit { parents(first: 100) { totalCount } } }`,
    ).join('\n');
    const body = await post(
      `query($h: GitObjectID!) {
        repository(owner: "acme", name: "other-config") {
          unknown: object(oid: "${'0'.repeat(40)}") { oid }
          ${many}
        }
        rateLimit { cost }
      }`,
      { h: head },
    );
    expect(body.data.repository.unknown).toBeNull();
    expect(body.data.repository.c299).toEqual({ parents: { totalCount: 0 } });
    expect(body.data.rateLimit).toEqual({ cost: 3 });

    const refused = await post(
      `query($h: GitObjectID!) { repository(owner: "acme", name: "other-config") {
        object(oid: $h) { ... on Commit { signature { isValid } } }
      } }`,
      { h: head },
    );
    expect(refused.errors[0].message).toBe(
      "Field 'signature' doesn't exist on type 'Commit'",
    );
  });
});
