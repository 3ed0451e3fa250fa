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
 * The points GitHub charges, as docs.github.com "Rate limits and node limits
 * for the GraphQL API" calculates them: the requests of every connection
 * (each multiplied by its parent connections' first/last), divided by 100,
 * rounded, at least 1.
 */

import { parse } from 'graphql';
import { headFactsQuery } from '../__testUtils__/headFacts';
import { queryCost } from './graphqlCost';
import { SCHEMA } from './graphqlSchema';

const cost = (
  query: string,
  variables?: Record<string, unknown>,
  operationName?: string,
) => queryCost(SCHEMA, parse(query), operationName, variables);

const OID = 'a'.repeat(40);

describe('queryCost', () => {
  it('charges 1 point for a query without connections', () => {
    expect(
      cost(`{ repository(owner: "o", name: "n") {
        ref(qualifiedName: "refs/heads/dev") { target { oid } }
      } rateLimit { cost } }`),
    ).toEqual({ cost: 1, nodeCount: 0 });
  });

  it('charges 1 point at least, and rounds the requests / 100', () => {
    const commits = (n: number) =>
      Array.from({ length: n }, () => ({
        oid: OID,
        path: 'deploy/model.yaml',
      }));
    const priced = (n: number) => {
      const q = headFactsQuery([{ fullName: 'o/n', commits: commits(n) }]);
      return cost(q.query, q.variables);
    };
    expect(priced(1)).toEqual({ cost: 1, nodeCount: 100 });
    expect(priced(149)).toEqual({ cost: 1, nodeCount: 14_900 });
    expect(priced(150)).toEqual({ cost: 2, nodeCount: 15_000 });
    // 300 parents connections, each under a single object: 300 requests.
    expect(priced(300)).toEqual({ cost: 3, nodeCount: 30_000 });
  });

  it('multiplies a nested connection by its parent connection, through fragments', () => {
    const query = `query Nested($n: Int!) {
      repository(owner: "o", name: "n") {
        object(oid: "${OID}") { ...History }
      }
    }
    fragment History on Commit {
      parents(last: $n) { nodes { parents(first: 100) { totalCount } } }
    }`;
    // 1 request for the outer, 50 for the inner: 51 requests round to 1;
    // with 100 outer records, 101 requests still round to 1.
    expect(cost(query, { n: 50 })).toEqual({ cost: 1, nodeCount: 5_050 });
    const deeper = `{ repository(owner: "o", name: "n") {
      object(oid: "${OID}") { ... on Commit {
        parents(first: 100) { nodes {
          parents(first: 100) { nodes { parents(first: 10) { totalCount } } }
        } }
      } }
    } }`;
    // 1 + 100 + 100 * 100 = 10,101 requests: 101 points.
    expect(cost(deeper)).toEqual({
      cost: 101,
      nodeCount: 100 + 10_000 + 100_000,
    });
  });

  it('refuses a connection without first/last or beyond 100 records', () => {
    const errors = (query: string) => {
      const result = cost(query);
      if (!Array.isArray(result)) throw new Error('expected errors');
      return result.map(e => ({
        type: e.extensions.type,
        path: e.path,
        message: e.message,
      }));
    };
    expect(
      errors(`{ r: repository(owner: "o", name: "n") {
        c: object(oid: "${OID}") { ... on Commit { parents { totalCount } } }
      } }`),
    ).toEqual([
      {
        type: 'MISSING_PAGINATION_BOUNDARIES',
        path: ['r', 'c', 'parents'],
        message:
          'You must provide a `first` or `last` value to properly paginate the `parents` connection.',
      },
    ]);
    expect(
      errors(`{ repository(owner: "o", name: "n") {
        object(oid: "${OID}") { ... on Commit { parents(first: 101) { totalCount } } }
      } }`),
    ).toEqual([
      {
        type: 'EXCESSIVE_PAGINATION',
        path: ['repository', 'object', 'parents'],
        message:
          'Requesting 101 records on the `parents` connection exceeds the `first` limit of 100 records.',
      },
    ]);
  });
});
