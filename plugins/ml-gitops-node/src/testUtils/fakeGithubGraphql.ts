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
 * The GraphQL endpoint of the msw GitHub fake (FakeGithubRepo): branch heads
 * and head facts of many repos in one query, in GitHub's answer shapes
 * (docs.github.com/graphql/reference: Repository, Commit, Blob, GitActor,
 * User, CommitConnection, RateLimit).
 */

import { createHash } from 'node:crypto';
import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  OperationDefinitionNode,
  parse,
  SelectionSetNode,
  ValueNode,
  visit,
} from 'graphql';
import type { FakeGithubRepo } from './FakeGithubRepo';

/** A field this fake's schema lacks, on the type it was asked of. */
class UnknownField extends Error {
  constructor(readonly field: FieldNode, readonly on: string) {
    super(`Field '${field.name.value}' doesn't exist on type '${on}'`);
  }
}

type GraphqlValue = Record<string, unknown> & { __typename: string };

/**
 * Answers a GraphQL query for repositories' refs and head facts from the
 * fakes of one API base (by lower-case `owner/repo`), as GitHub does: `repository(owner:,
 * name:)` with aliases, `ref(qualifiedName:) { target { oid } }`,
 * `object(oid:)` (a Commit: message, dates, author and its user, parents)
 * and `object(expression: "<rev>:<path>")` (a Blob: text, byteSize), null
 * for an unknown commit or a missing file; `rateLimit` with a cost of one
 * point per 100 `parents` connections (at least 1), which is what GitHub
 * charges for connections under single objects. An unknown repo is null
 * data plus a NOT_FOUND error with its path, an unknown branch a null ref.
 * Fields this fake does not know are refused like GitHub refuses fields
 * its schema lacks.
 */
export function answerGraphql(
  fakes: Map<string, FakeGithubRepo>,
  body: { query?: unknown; variables?: Record<string, unknown> },
) {
  let document: DocumentNode;
  try {
    document = parse(String(body.query ?? ''));
  } catch (error) {
    return { errors: [{ message: (error as GraphQLError).message }] };
  }
  const op = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const fragments = new Map(
    document.definitions
      .filter(
        (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
      )
      .map(d => [d.name.value, d]),
  );
  const value = (node: ValueNode): unknown => {
    if (node.kind === 'Variable') return body.variables?.[node.name.value];
    if (node.kind === 'IntValue') return Number(node.value);
    return 'value' in node ? node.value : undefined;
  };
  const rawArg = (field: FieldNode, name: string) => {
    const a = field.arguments?.find(x => x.name.value === name);
    return a ? value(a.value) : undefined;
  };
  const arg = (field: FieldNode, name: string) => {
    const v = rawArg(field, name);
    return v === undefined || v === null ? '' : String(v);
  };
  const refused = (field: FieldNode, on: string) => ({
    errors: [
      {
        path: ['query', field.name.value],
        extensions: { code: 'undefinedField', typeName: on },
        message: `Field '${field.name.value}' doesn't exist on type '${on}'`,
      },
    ],
  });
  /** The fields of `set` picked from `from`; functions are field resolvers. */
  const select = (
    set: SelectionSetNode,
    from: GraphqlValue,
    into: Record<string, unknown> = {},
  ): Record<string, unknown> => {
    for (const selection of set.selections) {
      if (selection.kind !== Kind.FIELD) {
        const fragment =
          selection.kind === Kind.FRAGMENT_SPREAD
            ? fragments.get(selection.name.value)
            : selection;
        const on = fragment?.typeCondition?.name.value;
        if (fragment && (!on || on === from.__typename || on === 'GitObject')) {
          select(fragment.selectionSet, from, into);
        }
        continue;
      }
      const name = selection.name.value;
      if (!(name in from)) throw new UnknownField(selection, from.__typename);
      let v = from[name];
      if (typeof v === 'function') {
        v = v((n: string) => rawArg(selection, n));
      }
      const pick = (x: unknown): unknown =>
        x && typeof x === 'object' && selection.selectionSet
          ? select(selection.selectionSet, x as GraphqlValue)
          : x;
      into[selection.alias?.value ?? name] = Array.isArray(v)
        ? v.map(pick)
        : pick(v ?? null);
    }
    return into;
  };
  let parents = 0;
  visit(document, {
    Field: node => {
      if (node.name.value === 'parents') parents++;
    },
  });
  const cost = Math.max(1, Math.round(parents / 100));

  const data: Record<string, unknown> = {};
  const errors: object[] = [];
  for (const field of op.selectionSet.selections as FieldNode[]) {
    const alias = field.alias?.value ?? field.name.value;
    if (field.name.value === 'rateLimit') {
      const limits = {
        __typename: 'RateLimit',
        cost,
        limit: 5000,
        remaining: 5000 - cost,
        used: cost,
        resetAt: '2030-01-01T00:00:00Z',
      };
      try {
        data[alias] = field.selectionSet
          ? select(field.selectionSet, limits)
          : null;
      } catch (error) {
        if (error instanceof UnknownField) {
          return refused(error.field, error.on);
        }
        throw error;
      }
      continue;
    }
    if (field.name.value !== 'repository') return refused(field, 'Query');
    const name = `${arg(field, 'owner')}/${arg(field, 'name')}`;
    const fake = fakes.get(name.toLowerCase());
    if (!fake) {
      data[alias] = null;
      errors.push({
        type: 'NOT_FOUND',
        path: [alias],
        locations: [{ line: 1, column: 1 }],
        message: `Could not resolve to a Repository with the name '${name}'.`,
      });
      continue;
    }
    // `graphql` for a read of branch heads, `graphql-objects` for a read of
    // commits and files (the read ahead of heads that moved).
    const selections = field.selectionSet?.selections as FieldNode[];
    fake.calls.push(
      selections.some(f => f.name.value === 'ref')
        ? 'graphql'
        : 'graphql-objects',
    );
    const node: Record<string, unknown> = {};
    for (const refField of selections) {
      const key = refField.alias?.value ?? refField.name.value;
      if (refField.name.value === 'object') {
        const found = graphqlObject(
          fake,
          arg(refField, 'oid'),
          arg(refField, 'expression'),
        );
        try {
          node[key] =
            found && refField.selectionSet
              ? select(refField.selectionSet, found)
              : null;
        } catch (error) {
          if (error instanceof UnknownField) {
            return refused(error.field, error.on);
          }
          throw error;
        }
        continue;
      }
      if (refField.name.value !== 'ref') return refused(refField, 'Repository');
      const qualified = arg(refField, 'qualifiedName');
      const sha = qualified.startsWith('refs/heads/')
        ? fake.branches.get(qualified.slice('refs/heads/'.length))
        : undefined;
      node[key] = sha ? { target: { oid: sha } } : null;
    }
    data[alias] = node;
  }
  return errors.length > 0 ? { data, errors } : { data };
}

/**
 * `Repository.object` of GitHub's GraphQL API over a fake's commits and
 * files: a Commit by `oid`, or what `expression` names (`<rev>` a commit,
 * `<rev>:<path>` a Blob); undefined (null data) when there is none. The
 * commit facts are those the fake's REST commit answer gives.
 */
function graphqlObject(
  fake: FakeGithubRepo,
  oid: string,
  expression: string,
): GraphqlValue | undefined {
  const commit = (sha: string): GraphqlValue | undefined => {
    const c = fake.commits.get(sha);
    if (!c) return undefined;
    return {
      __typename: 'Commit',
      oid: c.sha,
      abbreviatedOid: c.sha.slice(0, 7),
      message: c.message.replace(/\n$/, ''),
      committedDate: c.date,
      authoredDate: c.date,
      author: {
        __typename: 'GitActor',
        name: c.name,
        email: `${c.name}@example.com`,
        date: c.date,
        user: c.login ? { __typename: 'User', login: c.login } : null,
      },
      parents: (args: (name: string) => unknown) => {
        const first = args('first');
        const last = args('last');
        let page = c.parents;
        if (typeof first === 'number') page = page.slice(0, first);
        if (typeof last === 'number') page = page.slice(-last);
        return {
          __typename: 'CommitConnection',
          totalCount: c.parents.length,
          nodes: page.map(p => commit(p) ?? { __typename: 'Commit', oid: p }),
        };
      },
    };
  };
  if (oid) return commit(oid);
  const colon = expression.indexOf(':');
  const rev = colon < 0 ? expression : expression.slice(0, colon);
  const sha = fake.branches.get(rev) ?? rev;
  if (colon < 0) return commit(sha);
  const text = fake.commits.get(sha)?.files[expression.slice(colon + 1)];
  if (text === undefined) return undefined;
  const byteSize = Buffer.byteLength(text);
  return {
    __typename: 'Blob',
    oid: createHash('sha1').update(`blob ${byteSize}\0${text}`).digest('hex'),
    text,
    isBinary: false,
    isTruncated: false,
    byteSize,
  };
}
