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

/*
 * The scale sandbox's GitHub answers the backend's head-facts GraphQL query
 * with the facts its REST routes give for the same commits and files.
 */

import {
  headFactsQuery,
  postGraphql,
  restHeadFacts,
} from '../__testUtils__/headFacts';
import { ScaleSandbox, startScaleSandbox } from './startScaleSandbox';

jest.setTimeout(60_000);

describe('scale sandbox GitHub GraphQL', () => {
  let sandbox: ScaleSandbox;

  beforeAll(async () => {
    sandbox = await startScaleSandbox({ models: 3, log: () => {} });
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('answers the head-facts query as its REST routes answer', async () => {
    const repos = [...sandbox.fleet.repos.values()].map(repo => ({
      fullName: repo.record.fullName,
      commits: Object.values(repo.heads).flatMap(oid => [
        { oid, path: 'deploy/model.yaml' },
        { oid, path: 'deploy/other.yaml' },
      ]),
    }));
    const { res, body } = await postGraphql(
      `${sandbox.urls.git}/api/graphql`,
      headFactsQuery(repos),
    );
    expect(res.status).toBe(200);
    expect(body.errors).toBeUndefined();
    let merges = 0;
    let j = 0;
    for (const [i, repo] of repos.entries()) {
      for (const c of repo.commits) {
        const rest = await restHeadFacts(
          sandbox.urls.gitApi,
          repo.fullName,
          c.oid,
          c.path,
        );
        expect(body.data[`r${i}`][`c${j}`]).toEqual(rest.commit);
        expect(body.data[`r${i}`][`f${j}`]).toEqual(rest.file);
        if (rest.commit.parents.totalCount === 2) merges++;
        j++;
      }
    }
    // The fleet's heads are merge commits by known users and root commits.
    expect(merges).toBeGreaterThan(0);
    expect(body.data.r0.c0.author.user).toEqual({
      login: expect.any(String),
    });
    expect(body.data.r0.f0.text).toContain('model_version');
    expect(body.data.r0.f1).toBeNull();
    expect(body.data.rateLimit.cost).toBe(1);

    const unknown = await postGraphql(`${sandbox.urls.git}/api/graphql`, {
      query: `query($o: String!, $n: String!) { repository(owner: $o, name: $n) {
        object(oid: "${'0'.repeat(40)}") { oid }
      } }`,
      variables: {
        o: repos[0].fullName.split('/')[0],
        n: repos[0].fullName.split('/')[1],
      },
    });
    expect(unknown.body).toEqual({ data: { repository: { object: null } } });
  });
});
