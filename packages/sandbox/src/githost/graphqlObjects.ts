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
 * The Git objects of the GraphQL API (docs.github.com/graphql/reference/
 * objects: Commit, Blob, GitActor, User, CommitConnection) as values that
 * graphql-js resolves: a field that costs a lookup is a function, so a
 * parent commit asked only for its `oid` is never read.
 */

import crypto from 'node:crypto';
import { GraphQLError } from 'graphql';

/** A commit as the emulators know it. */
export type GraphqlCommit = {
  oid: string;
  /** Without the final newline, as GitHub shows it. */
  message: string;
  committedDate: string;
  authoredDate: string;
  author: {
    name: string;
    email: string;
    date: string;
    /** The GitHub account the author's email belongs to, or null. */
    login: string | null;
  };
  /** First parent first. */
  parents: string[];
};

type Awaitable<T> = Promise<T> | T;

/** What the Git objects of one repository are read from. */
export interface GraphqlObjectSource {
  nameWithOwner: string;
  /** The commit with this full oid, or undefined when the repository has none. */
  commit(oid: string): Awaitable<GraphqlCommit | undefined>;
}

type PageArgs = {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
};

/** A Commit object; `known` saves reading a commit already at hand. */
export function commitObject(
  repo: GraphqlObjectSource,
  web: string,
  oid: string,
  known?: GraphqlCommit,
): Record<string, unknown> {
  let loaded: Promise<GraphqlCommit> | undefined;
  const load = () =>
    (loaded ??= Promise.resolve(known ?? repo.commit(oid)).then(c => {
      if (!c) {
        throw new GraphQLError(
          `Could not resolve to a Commit with the oid '${oid}'.`,
          { extensions: { type: 'NOT_FOUND' } },
        );
      }
      return c;
    }));
  const field =
    <T>(pick: (c: GraphqlCommit) => T) =>
    async () =>
      pick(await load());
  return {
    __typename: 'Commit',
    ...gitObject(repo, web, oid),
    message: field(c => c.message),
    committedDate: field(c => c.committedDate),
    authoredDate: field(c => c.authoredDate),
    author: field(c => ({
      name: c.author.name,
      email: c.author.email,
      date: c.author.date,
      user: c.author.login ? { login: c.author.login } : null,
    })),
    parents: async (args: PageArgs) =>
      commitConnection((await load()).parents, args, parent =>
        commitObject(repo, web, parent),
      ),
  };
}

/** A Blob object with the bytes of a file. */
export function blobObject(
  repo: GraphqlObjectSource,
  web: string,
  content: string | Uint8Array,
): Record<string, unknown> {
  const bytes = Buffer.from(content);
  const oid = crypto
    .createHash('sha1')
    .update(`blob ${bytes.length}\0`)
    .update(bytes)
    .digest('hex');
  const binary = isBinary(bytes);
  return {
    __typename: 'Blob',
    ...gitObject(repo, web, oid),
    byteSize: bytes.length,
    isBinary: binary,
    // GitHub gives no text for a binary blob ("UTF8 text data or null if
    // the Blob is binary"); the sandbox's files are far below any limit at
    // which GitHub would truncate it.
    text: binary ? null : bytes.toString('utf8'),
    isTruncated: false,
  };
}

/**
 * Git's own test for binary content (`buffer_is_binary` in git's
 * xdiff-interface.c): a NUL byte among the first 8000 bytes.
 */
function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

function gitObject(repo: GraphqlObjectSource, web: string, oid: string) {
  return {
    oid,
    abbreviatedOid: oid.slice(0, 7),
    commitUrl: `${web}/${repo.nameWithOwner}/commit/${oid}`,
  };
}

/**
 * A page of a CommitConnection: `after`/`before` cut at a cursor, then
 * `first` keeps the head and `last` the tail (the GraphQL Cursor
 * Connections Specification's pagination algorithm, which GitHub follows).
 */
function commitConnection(
  oids: string[],
  args: PageArgs,
  node: (oid: string) => Record<string, unknown>,
) {
  let start = 0;
  let end = oids.length;
  if (typeof args.after === 'string') {
    start = Math.max(start, cursorIndex(args.after) + 1);
  }
  if (typeof args.before === 'string') {
    end = Math.min(end, cursorIndex(args.before));
  }
  if (typeof args.first === 'number') end = Math.min(end, start + args.first);
  if (typeof args.last === 'number') start = Math.max(start, end - args.last);
  const page = oids.slice(start, Math.max(start, end));
  const cursor = (i: number) =>
    Buffer.from(`${oids[i]} ${i}`).toString('base64');
  return {
    totalCount: oids.length,
    nodes: page.map(node),
    edges: page.map((oid, i) => ({
      cursor: cursor(start + i),
      node: node(oid),
    })),
    pageInfo: {
      startCursor: page.length ? cursor(start) : null,
      endCursor: page.length ? cursor(start + page.length - 1) : null,
      hasPreviousPage: start > 0,
      hasNextPage: start + page.length < oids.length,
    },
  };
}

function cursorIndex(cursor: string): number {
  const m = /^[0-9a-f]{40} (\d+)$/.exec(
    Buffer.from(cursor, 'base64').toString('utf8'),
  );
  if (!m) {
    throw new GraphQLError(
      `\`${cursor}\` does not appear to be a valid cursor.`,
      { extensions: { type: 'INVALID_CURSOR_ARGUMENTS' } },
    );
  }
  return Number(m[1]);
}
