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

import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';

/** A repo as the batch query names it. */
export type BatchedRepo = {
  url: string;
  host: string;
  owner: string;
  repo: string;
};

/**
 * One GraphQL query for the heads of `branches` in every repo of `repos`:
 * one aliased `repository` field per repo (`r0`, `r1`, …) with one aliased
 * `ref` per branch (`b0`, `b1`, …), and the `rateLimit` the answer costs.
 * Names travel as variables, never spliced into the query text. GitHub
 * charges such a query one point, as it has no connections
 * (docs.github.com, "Rate limits and node limits for the GraphQL API").
 */
export function buildBranchHeadsQuery(
  repos: Array<Pick<BatchedRepo, 'owner' | 'repo'>>,
  branches: string[],
): { query: string; variables: Record<string, string> } {
  const params: string[] = [];
  const variables: Record<string, string> = {};
  branches.forEach((branch, j) => {
    params.push(`$b${j}: String!`);
    variables[`b${j}`] = `refs/heads/${branch}`;
  });
  const refs = branches
    .map((_, j) => `b${j}: ref(qualifiedName: $b${j}) { target { oid } }`)
    .join(' ');
  const fields = repos.map((r, i) => {
    params.push(`$o${i}: String!`, `$n${i}: String!`);
    variables[`o${i}`] = r.owner;
    variables[`n${i}`] = r.repo;
    return `r${i}: repository(owner: $o${i}, name: $n${i}) { ${refs} }`;
  });
  const query = `query MlGitopsBranchHeads(${params.join(
    ', ',
  )}) { ${fields.join(' ')} rateLimit { cost remaining resetAt } }`;
  return { query, variables };
}

/** A GraphQL error as GitHub reports it beside (or instead of) data. */
export type GraphqlError = {
  type?: unknown;
  path?: unknown;
  message?: unknown;
};

/**
 * Each repo's branch heads from the `data` and `errors` of an answer to
 * {@link buildBranchHeadsQuery}: by repo URL, its heads (a missing branch
 * left out), or the error that names the repo (NOT_FOUND, or a field
 * without a commit id). `general` are the errors that name no repo.
 */
export function readBranchHeadsAnswer(
  data: Record<string, unknown>,
  errors: GraphqlError[],
  repos: BatchedRepo[],
  branches: string[],
): Map<string, Record<string, string> | Error> {
  const answers = new Map<string, Record<string, string> | Error>();
  const { byAlias, general } = splitErrors(errors);
  repos.forEach((loc, i) => {
    const repoName = `${loc.owner}/${loc.repo} on ${loc.host}`;
    const node = data[`r${i}`] as Record<string, unknown> | null | undefined;
    if (node === null || node === undefined) {
      const error = byAlias.get(`r${i}`);
      const detail =
        typeof error?.message === 'string'
          ? `: ${error.message.replace(/\.$/, '')}`
          : '';
      answers.set(
        loc.url,
        error?.type === 'NOT_FOUND' || (!error && general.length === 0)
          ? new NotFoundError(
              `Reading the branches of ${repoName} failed${detail}. Check the ml-gitops/config-repo annotation and that the integration token can read the repo.`,
            )
          : new ServiceUnavailableError(
              `Reading the branches of ${repoName} failed${
                detail || `: ${general.join('; ')}`
              }`,
            ),
      );
      return;
    }
    if (typeof node !== 'object' || Array.isArray(node)) {
      answers.set(
        loc.url,
        new ServiceUnavailableError(
          `Reading the branches of ${repoName} through GraphQL got a repository that is not an object`,
        ),
      );
      return;
    }
    const heads: Record<string, string> = {};
    for (let j = 0; j < branches.length; j++) {
      const ref = node[`b${j}`] as
        | { target?: { oid?: unknown } | null }
        | null
        | undefined;
      if (ref === null || ref === undefined) continue;
      const oid = ref?.target?.oid;
      if (typeof oid !== 'string' || !/^[0-9a-f]{40,64}$/.test(oid)) {
        answers.set(
          loc.url,
          new ServiceUnavailableError(
            `Reading the branches of ${repoName} through GraphQL got branch ${branches[j]} without a commit id`,
          ),
        );
        return;
      }
      heads[branches[j]] = oid;
    }
    answers.set(loc.url, heads);
  });
  return answers;
}

/** The messages of the errors that name no repo of the batch. */
export function generalErrors(errors: GraphqlError[]): string[] {
  return splitErrors(errors).general;
}

/** Errors by the repo alias they name (the first of each), and the others' messages. */
function splitErrors(errors: GraphqlError[]): {
  byAlias: Map<string, GraphqlError>;
  general: string[];
} {
  const byAlias = new Map<string, GraphqlError>();
  const general: string[] = [];
  for (const e of errors) {
    const alias =
      Array.isArray(e?.path) && typeof e.path[0] === 'string'
        ? e.path[0]
        : undefined;
    if (alias && /^r\d+$/.test(alias)) {
      if (!byAlias.has(alias)) byAlias.set(alias, e);
    } else {
      general.push(String(e?.message ?? 'unknown error'));
    }
  }
  return { byAlias, general };
}
