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

// Commits and the files at them, of many config repos, in one GitHub GraphQL query: what a branch read for the first time needs of its head.
import { MAX_MANIFEST_BYTES } from '@ml-gitops/plugin-ml-gitops-common';
import type { CommitInfo } from './configRepoTypes';

/** A commit, and a file at it, to read. */
export type CommitAndFile = { sha: string; path: string };

/** What a query found of one {@link CommitAndFile}: what it could not tell is left out. */
export type CommitAndFileFacts = {
  commit?: CommitInfo;
  /** The file's text, or null when the commit has no such file. */
  file?: { text: string | null };
};

/**
 * The fields of a commit as the REST commit answer gives them: its parents
 * in order (the first parent first; a connection, so up to 100 of them at
 * one request each, docs.github.com "Rate limits and node limits for the
 * GraphQL API"), the author's login when GitHub links the author's email
 * to a user, else the Git author name.
 */
const COMMIT_FIELDS =
  '... on Commit { oid message committedDate authoredDate author { name user { login } } parents(first: 100) { totalCount nodes { oid } } }';
/** A blob's text: null for a binary one; `isTruncated` for one too large to return. */
const BLOB_FIELDS = '... on Blob { text isBinary isTruncated byteSize }';

/**
 * One query for `items` of each repo of `repos`: per repo an aliased
 * `repository` (`r0`, `r1`, …) with, per item, the commit by its id
 * (`c<j>`) and the file through a `<sha>:<path>` expression (`f<j>`), both
 * through `Repository.object`; and the `rateLimit` the answer costs. Names,
 * commit ids and paths travel as variables.
 */
export function buildCommitsAndFilesQuery(
  repos: Array<{ owner: string; repo: string; items: CommitAndFile[] }>,
): { query: string; variables: Record<string, string> } {
  const params: string[] = [];
  const variables: Record<string, string> = {};
  const fields = repos.map((r, i) => {
    params.push(`$o${i}: String!`, `$n${i}: String!`);
    variables[`o${i}`] = r.owner;
    variables[`n${i}`] = r.repo;
    const objects = r.items.map((item, j) => {
      const c = `c${i}_${j}`;
      const f = `f${i}_${j}`;
      params.push(`$${c}: GitObjectID!`, `$${f}: String!`);
      variables[c] = item.sha;
      variables[f] = `${item.sha}:${item.path}`;
      return `c${j}: object(oid: $${c}) { ${COMMIT_FIELDS} } f${j}: object(expression: $${f}) { ${BLOB_FIELDS} }`;
    });
    return `r${i}: repository(owner: $o${i}, name: $n${i}) { ${objects.join(
      ' ',
    )} }`;
  });
  const query = `query MlGitopsCommitsAndFiles(${params.join(
    ', ',
  )}) { ${fields.join(' ')} rateLimit { cost remaining resetAt } }`;
  return { query, variables };
}

/**
 * The facts of each item from the `data` of an answer to
 * {@link buildCommitsAndFilesQuery}, in the order asked. Anything not
 * shaped as GitHub's schema says is left out, to be read through REST: a
 * repo or commit the answer has not, a commit with more parents than it
 * listed, a binary, truncated or over-large file. A file is known absent
 * only when its commit was found.
 */
export function readCommitsAndFilesAnswer(
  data: Record<string, unknown>,
  repos: Array<{ items: CommitAndFile[] }>,
): CommitAndFileFacts[][] {
  return repos.map((r, i) => {
    const node = record(data[`r${i}`]);
    return r.items.map((item, j) => {
      const facts: CommitAndFileFacts = {};
      if (!node) return facts;
      // The file's answer counts only where the commit was found.
      if (record(node[`c${j}`])?.oid !== item.sha) return facts;
      const commit = readCommit(node[`c${j}`], item.sha);
      if (commit) facts.commit = commit;
      const blob = node[`f${j}`];
      if (blob === null) {
        facts.file = { text: null };
        return facts;
      }
      const b = record(blob);
      if (
        b &&
        b.isBinary === false &&
        b.isTruncated === false &&
        typeof b.text === 'string' &&
        typeof b.byteSize === 'number' &&
        b.byteSize <= MAX_MANIFEST_BYTES
      ) {
        facts.file = { text: b.text };
      }
      return facts;
    });
  });
}

function readCommit(value: unknown, sha: string): CommitInfo | undefined {
  const c = record(value);
  const parents = record(c?.parents);
  const nodes = parents?.nodes;
  const author = record(c?.author);
  const login = record(author?.user)?.login;
  if (
    !c ||
    c.oid !== sha ||
    typeof c.message !== 'string' ||
    !isDate(c.committedDate) ||
    !isDate(c.authoredDate) ||
    !Array.isArray(nodes) ||
    parents?.totalCount !== nodes.length ||
    !nodes.every(p => typeof record(p)?.oid === 'string')
  ) {
    return undefined;
  }
  let name: string | undefined;
  if (typeof login === 'string') name = login;
  else if (typeof author?.name === 'string') name = author.name;
  if (name === undefined) return undefined;
  return {
    sha,
    parents: nodes.map(p => record(p)!.oid as string),
    message: c.message,
    author: name,
    authorDate: new Date(c.authoredDate).toISOString(),
    committedAt: new Date(c.committedDate).toISOString(),
  };
}

function isDate(value: unknown): value is string {
  return typeof value === 'string' && Number.isFinite(Date.parse(value));
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
