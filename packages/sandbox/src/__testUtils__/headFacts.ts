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
 * The backend's head-facts GraphQL query (a commit by oid and a file at it,
 * for many repos and branches in one query) and the same facts read from an
 * emulator's REST API, so tests can check that both APIs agree.
 */

export type HeadFactsRequest = {
  fullName: string;
  commits: Array<{ oid: string; path: string }>;
};

const COMMIT_FIELDS = `... on Commit {
  oid message committedDate authoredDate
  author { name user { login } }
  parents(first: 100) { totalCount nodes { oid } }
}`;
const BLOB_FIELDS = '... on Blob { text isBinary isTruncated byteSize }';

/** The query with aliases r<i> per repo and c<j>/f<j> per commit; names as variables. */
export function headFactsQuery(repos: HeadFactsRequest[]): {
  query: string;
  variables: Record<string, string>;
} {
  const params: string[] = [];
  const variables: Record<string, string> = {};
  let j = 0;
  const blocks = repos.map((repo, i) => {
    const [owner, name] = repo.fullName.split('/');
    params.push(`$o${i}: String!`, `$n${i}: String!`);
    variables[`o${i}`] = owner;
    variables[`n${i}`] = name;
    const fields = repo.commits.map(c => {
      params.push(`$c${j}: GitObjectID!`, `$f${j}: String!`);
      variables[`c${j}`] = c.oid;
      variables[`f${j}`] = `${c.oid}:${c.path}`;
      const text = `c${j}: object(oid: $c${j}) { ${COMMIT_FIELDS} }
        f${j}: object(expression: $f${j}) { ${BLOB_FIELDS} }`;
      j++;
      return text;
    });
    return `r${i}: repository(owner: $o${i}, name: $n${i}) { ${fields.join(
      '\n',
    )} }`;
  });
  return {
    query: `query MlGitopsHeadFacts(${params.join(', ')}) {
      ${blocks.join('\n')}
      rateLimit { cost remaining resetAt }
    }`,
    variables,
  };
}

/** Posts a GraphQL query; returns the HTTP answer and its body. */
export async function postGraphql(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { res, body: await res.json() };
}

/**
 * What the head-facts query should answer for one commit and file, read
 * from the REST API (GET .../commits/{sha}, GET .../contents/{path}?ref=);
 * the file is null when REST answers 404.
 */
export async function restHeadFacts(
  api: string,
  fullName: string,
  oid: string,
  path: string,
) {
  const res = await fetch(`${api}/repos/${fullName}/commits/${oid}`);
  if (res.status !== 200) {
    throw new Error(`GET commits/${oid} answered ${res.status}`);
  }
  const c = await res.json();
  const file = await fetch(
    `${api}/repos/${fullName}/contents/${path}?ref=${oid}`,
    { headers: { accept: 'application/vnd.github.raw+json' } },
  );
  if (file.status !== 200 && file.status !== 404) {
    throw new Error(`GET contents/${path} answered ${file.status}`);
  }
  const text = file.status === 200 ? await file.text() : null;
  return {
    commit: {
      oid: c.sha,
      message: c.commit.message,
      committedDate: c.commit.committer.date,
      authoredDate: c.commit.author.date,
      author: {
        name: c.commit.author.name,
        user: c.author ? { login: c.author.login } : null,
      },
      parents: {
        totalCount: c.parents.length,
        nodes: c.parents.map((p: { sha: string }) => ({ oid: p.sha })),
      },
    },
    file:
      text === null
        ? null
        : {
            text,
            isBinary: false,
            isTruncated: false,
            byteSize: Buffer.byteLength(text),
          },
  };
}
