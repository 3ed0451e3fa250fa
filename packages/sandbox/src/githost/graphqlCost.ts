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
 * GitHub's rate-limit points and node count of a validated GraphQL query,
 * computed before it runs, as docs.github.com describes in "Rate limits and
 * node limits for the GraphQL API": every connection needs `first` or
 * `last` between 1 and 100; a connection costs one request for each parent
 * it can be reached from (a connection under single objects counts once,
 * one nested in another counts the outer `first`/`last` times); the points
 * are the requests divided by 100, rounded, at least 1; the nodes are the
 * records every connection may return, multiplied down the nesting.
 */

import {
  getNamedType,
  GraphQLError,
  GraphQLSchema,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export type QueryCost = { cost: number; nodeCount: number };

/** The most records one connection may return (docs: "within 1-100"). */
const PAGE_LIMIT = 100;

/**
 * The cost of the operation `operationName` (or the only one) in a document
 * that passed validation, or the errors GitHub answers for a connection
 * without or beyond its pagination boundaries.
 */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): QueryCost | GraphQLError[] {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find(o => o.name?.value === operationName)
    : operations[0];
  const root =
    operation?.operation === 'query' ? schema.getQueryType() : undefined;
  if (!operation || !root) return { cost: 1, nodeCount: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }

  const errors: GraphQLError[] = [];
  let requests = 0;
  let nodeCount = 0;
  const intArg = (field: FieldNode, name: string): number | undefined => {
    const node = field.arguments?.find(a => a.name.value === name)?.value;
    const value = node ? valueOf(node, variables) : undefined;
    return typeof value === 'number' ? value : undefined;
  };
  const walk = (
    set: SelectionSetNode,
    type: GraphQLNamedType,
    parents: number,
    path: string[],
  ) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : type;
        if (on) walk(selection.selectionSet, on, parents, path);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const on =
          fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && on) walk(fragment.selectionSet, on, parents, path);
        continue;
      }
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      const def = type.getFields()[selection.name.value];
      if (!def || !selection.selectionSet) continue;
      const fieldType = getNamedType(def.type);
      const at = [...path, selection.alias?.value ?? selection.name.value];
      let below = parents;
      if (fieldType.name.endsWith('Connection')) {
        const checked = pageSize(selection, intArg, at);
        if (checked instanceof GraphQLError) {
          errors.push(checked);
          continue;
        }
        requests += parents;
        below = parents * checked;
        nodeCount += below;
      }
      walk(selection.selectionSet, fieldType, below, at);
    }
  };
  walk(operation.selectionSet, root, 1, []);
  if (errors.length > 0) return errors;
  return { cost: Math.max(1, Math.round(requests / 100)), nodeCount };
}

/** The records a connection asks for, or GitHub's refusal of its bounds. */
function pageSize(
  field: FieldNode,
  intArg: (field: FieldNode, name: string) => number | undefined,
  path: string[],
): number | GraphQLError {
  const name = field.name.value;
  const first = intArg(field, 'first');
  const last = intArg(field, 'last');
  const options = { nodes: [field], path };
  if (first === undefined && last === undefined) {
    return new GraphQLError(
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
      { ...options, extensions: { type: 'MISSING_PAGINATION_BOUNDARIES' } },
    );
  }
  for (const [arg, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value !== undefined && value > PAGE_LIMIT) {
      return new GraphQLError(
        `Requesting ${value} records on the \`${name}\` connection exceeds the \`${arg}\` limit of ${PAGE_LIMIT} records.`,
        { ...options, extensions: { type: 'EXCESSIVE_PAGINATION' } },
      );
    }
  }
  return Math.max(first ?? 0, last ?? 0);
}

function valueOf(
  node: ValueNode,
  variables: Record<string, unknown> | undefined,
): unknown {
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  if (node.kind === Kind.INT) return Number(node.value);
  return undefined;
}
