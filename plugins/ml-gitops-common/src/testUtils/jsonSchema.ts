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

/**
 * The part of JSON Schema that the published descriptions in ./contracts
 * use (OpenAPI 3.0, Swagger 2.0, Kubernetes structural schemas), after
 * scripts/contracts/refresh.mjs kept only these keywords.
 * @public
 */
export type JsonSchema = {
  $ref?: string;
  $comment?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
};

type Context = {
  definitions: Record<string, JsonSchema>;
  /** Who publishes the schema, for messages: "GitHub's", "Argo CD's". */
  owner: string;
  /** null passes anywhere (a schema language without nullable). */
  anyNull: boolean;
};

const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function resolve(
  schema: JsonSchema,
  ctx: Context,
): { schema: JsonSchema; name?: string } {
  let name: string | undefined;
  let current = schema;
  while (current.$ref) {
    name = current.$ref.replace('#/definitions/', '');
    const next = ctx.definitions[name];
    if (!next) {
      throw new Error(`the contract has no definition ${current.$ref}`);
    }
    current = next;
  }
  return { schema: current, name };
}

/** The property names an object schema (with its allOf parts) knows. */
function knownProperties(schema: JsonSchema, ctx: Context): Set<string> {
  const names = new Set(Object.keys(schema.properties ?? {}));
  for (const part of schema.allOf ?? []) {
    for (const name of knownProperties(resolve(part, ctx).schema, ctx)) {
      names.add(name);
    }
  }
  return names;
}

function allowsOtherProperties(schema: JsonSchema, ctx: Context): boolean {
  if (
    schema.additionalProperties ||
    schema['x-kubernetes-preserve-unknown-fields']
  ) {
    return true;
  }
  const parts = (schema.allOf ?? []).map(p => resolve(p, ctx).schema);
  // An object schema that lists no properties at all says nothing of them.
  return (
    !schema.properties &&
    parts.every(p => allowsOtherProperties(p, ctx) || !p.properties)
  );
}

function typeProblem(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value !== 'string';
    case 'integer':
      return typeof value !== 'number' || !Number.isInteger(value);
    case 'number':
      return typeof value !== 'number';
    case 'boolean':
      return typeof value !== 'boolean';
    case 'array':
      return !Array.isArray(value);
    case 'object':
      return !value || typeof value !== 'object' || Array.isArray(value);
    default:
      return false;
  }
}

function check(
  schemaOrRef: JsonSchema,
  value: unknown,
  path: string,
  ctx: Context,
  problems: string[],
  allowOthers = false,
) {
  const { schema, name } = resolve(schemaOrRef, ctx);
  const what = name ? `${ctx.owner} ${name}` : `${ctx.owner} schema`;
  if (value === null) {
    // OpenAPI 3.0's nullable; a Kubernetes API server prunes a null that
    // its schema does not allow.
    const nullable =
      schema.nullable ||
      schemaOrRef.nullable ||
      (schema.enum?.includes(null) ?? false);
    if (
      !ctx.anyNull &&
      !nullable &&
      Object.keys(schema).some(k => k !== '$comment')
    ) {
      problems.push(`${path} is null; ${what} does not allow null there`);
    }
    return;
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !Number.isInteger(value)) {
      problems.push(`${path} must be an integer or a string`);
    }
    return;
  }
  if (schema.type && typeProblem(schema.type, value)) {
    problems.push(
      `${path} must be ${/^[aeiou]/.test(schema.type) ? 'an' : 'a'} ${
        schema.type
      } (${what}), got ${JSON.stringify(value)?.slice(0, 60)}`,
    );
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    problems.push(
      `${path} must be one of ${schema.enum.join(
        ', ',
      )} (${what}), got ${JSON.stringify(value)}`,
    );
  }
  if (
    schema.format === 'date-time' &&
    typeof value === 'string' &&
    !DATE_TIME.test(value)
  ) {
    problems.push(`${path} must be an RFC 3339 date-time, got "${value}"`);
  }
  for (const part of schema.allOf ?? []) {
    check(part, value, path, ctx, problems, true);
  }
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const tries = alternatives.map(alternative => {
      const found: string[] = [];
      check(alternative, value, path, ctx, found, allowOthers);
      return found;
    });
    if (!tries.some(found => found.length === 0)) {
      const closest = tries.reduce((a, b) => (b.length < a.length ? b : a));
      problems.push(
        `${path} matches none of the ${tries.length} schemas ${what} allows there; the closest says:`,
        ...closest.map(p => `  ${p}`),
      );
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      check(schema.items!, item, `${path}[${i}]`, ctx, problems),
    );
    return;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return;
  }
  const object = value as Record<string, unknown>;
  for (const key of schema.required ?? []) {
    if (object[key] === undefined) {
      problems.push(`${path}.${key} is missing (required by ${what})`);
    }
  }
  const known = knownProperties(schema, ctx);
  const others =
    allowOthers ||
    alternatives !== undefined ||
    allowsOtherProperties(schema, ctx);
  for (const [key, field] of Object.entries(object)) {
    if (field === undefined) {
      continue;
    }
    const property = schema.properties?.[key];
    if (property) {
      check(property, field, `${path}.${key}`, ctx, problems);
    } else if (
      schema.additionalProperties &&
      typeof schema.additionalProperties === 'object'
    ) {
      check(
        schema.additionalProperties,
        field,
        `${path}.${key}`,
        ctx,
        problems,
      );
    } else if (!others && !known.has(key)) {
      problems.push(`${path}.${key} is not a property of ${what}`);
    }
  }
}

/**
 * What is wrong with `value` measured against `schema`: missing required
 * properties, properties the schema does not list (where it sets no
 * additionalProperties), wrong types, values outside an enum, nulls where
 * none is allowed. `definitions` resolves `#/definitions/NAME`; `owner`
 * names the publisher in messages. Empty when it matches.
 * @public
 */
export function jsonSchemaProblems(
  schema: JsonSchema,
  value: unknown,
  options: {
    definitions?: Record<string, JsonSchema>;
    owner: string;
    path?: string;
    /**
     * Let null pass anywhere: for Swagger 2.0, which cannot say nullable,
     * describing a server whose JSON writes nil as null.
     */
    anyNull?: boolean;
  },
): string[] {
  const problems: string[] = [];
  check(
    schema,
    value,
    options.path ?? '$',
    {
      definitions: options.definitions ?? {},
      owner: options.owner,
      anyNull: options.anyNull ?? false,
    },
    problems,
  );
  return problems;
}
