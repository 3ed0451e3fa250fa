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

// Turning zod's issues with a manifest into problems at their place in the YAML, with fixes and did-you-mean hints.

import type { $ZodIssue } from 'zod/v4/core';
import {
  Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  Node as YamlNode,
} from 'yaml';
import { getModelManifestJsonSchema } from './schema';
import { ProblemCollector } from './problemCollector';

/** Examples used in fix hints, by field path. */
export const EXAMPLES: Record<string, string> = {
  model_name: 'model_name: fraud-detector',
  model_version: 'model_version: "12"',
  registry: 'registry: mlflow-default',
  serving: 'serving: { runtime: kserve, replicas: 2 }',
  'serving.runtime': 'runtime: kserve',
  'serving.replicas': 'replicas: 2',
  'serving.resources': 'resources: { requests: { cpu: "1", memory: 2Gi } }',
  gates: 'gates: { metrics: { auc: { min: 0.92 } } }',
  'gates.metrics':
    'metrics: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } }',
  checks: 'checks: { integration: [./scripts/smoke-test.sh] }',
  'checks.integration':
    'integration: [./scripts/smoke-test.sh, { run: make e2e, timeout_seconds: 600 }]',
  'checks.timeout_seconds': 'timeout_seconds: 300',
  freeze: 'freeze: { reason: "incident 4711", until: "2026-12-24T00:00:00Z" }',
  'freeze.reason': 'reason: "incident 4711"',
  'freeze.until': 'until: "2026-12-24T00:00:00Z"',
};

type PathSegment = string | number;

const EXPECTED_NAMES: Record<string, string> = {
  int: 'a whole number',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) {
      out += out ? `.${segment}` : segment;
    } else {
      out += `[${JSON.stringify(segment)}]`;
    }
  }
  return out;
}

/** The path with record keys and list indexes generalised, for EXAMPLES. */
function schemaPath(path: readonly PathSegment[]): string {
  return path.filter(s => typeof s === 'string').join('.');
}

/** Finds the YAML node at a path, and its parent collection. */
function locate(
  doc: Document.Parsed,
  path: readonly PathSegment[],
): { node?: YamlNode; keyNode?: YamlNode; parent?: YamlNode } {
  let current: unknown = doc.contents;
  let keyNode: YamlNode | undefined;
  let parent: YamlNode | undefined;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find(
        p => isScalar(p.key) && String(p.key.value) === String(segment),
      );
      parent = current;
      if (!pair) return { parent };
      keyNode = isNode(pair.key) ? pair.key : undefined;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      parent = current;
      keyNode = undefined;
      current = current.items[segment];
    } else {
      return { parent };
    }
  }
  return { node: isNode(current) ? current : undefined, keyNode, parent };
}

function keyNodeAt(
  doc: Document.Parsed,
  path: readonly PathSegment[],
): YamlNode | undefined {
  return locate(doc, path).keyNode;
}

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
};

let jsonSchema: JsonSchema | undefined;

/** The keys the schema allows in the object at a path. */
function allowedKeysAt(path: readonly PathSegment[]): string[] {
  jsonSchema ??= getModelManifestJsonSchema() as JsonSchema;
  let schema: JsonSchema | undefined = jsonSchema;
  const objectVariant = (s?: JsonSchema) =>
    s?.anyOf ? s.anyOf.find(v => v.type === 'object') : s;
  for (const segment of path) {
    schema = objectVariant(schema);
    if (!schema) return [];
    if (typeof segment === 'number') {
      schema = schema.items;
    } else if (schema.properties?.[segment]) {
      schema = schema.properties[segment];
    } else if (typeof schema.additionalProperties === 'object') {
      schema = schema.additionalProperties;
    } else {
      return [];
    }
  }
  return Object.keys(objectVariant(schema)?.properties ?? {});
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length];
}

function closest(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, key.length / 3)
    ? best
    : undefined;
}

export function describeValue(node: YamlNode | undefined): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'empty (null)';
    if (typeof node.value === 'string') return 'a string';
    if (typeof node.value === 'boolean') return `the boolean ${node.value}`;
    if (typeof node.value === 'number') return `the number ${node.value}`;
  }
  return 'something else';
}

function sourceOf(node: YamlNode | undefined, text: string): string {
  const range = node?.range;
  return range ? text.slice(range[0], range[1]) : '';
}

/** Records the problems of one zod issue of the manifest at its place in the YAML. */
export function issueToProblems(
  issue: $ZodIssue,
  doc: Document.Parsed,
  text: string,
  problems: ProblemCollector,
  prefix: readonly PathSegment[] = [],
): void {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  const field = formatPath(path);
  const key = path[path.length - 1];
  const example = EXAMPLES[schemaPath(path)];
  const { node, parent } = locate(doc, path);
  const offset = (node ?? parent)?.range?.[0] ?? 0;

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(path);
      for (const unknown of issue.keys) {
        const at = locate(doc, [...path, unknown]).keyNode;
        const suggestion = closest(unknown, allowed);
        const where = field ? `in ${field}` : 'at the top level';
        problems.add(
          'unknown-key',
          at?.range?.[0] ?? offset,
          `unknown key "${unknown}" ${where}`,
          suggestion
            ? `Did you mean "${suggestion}"? Rename the key`
            : `Remove it; allowed keys ${where} are: ${allowed.join(', ')}`,
          formatPath([...path, unknown]),
        );
      }
      return;
    }
    case 'invalid_type': {
      if (!node) {
        problems.add(
          'missing-field',
          offset,
          `${field} is missing`,
          example ? `Add ${example}` : `Add ${String(key)}`,
          field,
        );
        return;
      }
      const got = describeValue(node);
      if (
        issue.expected === 'string' &&
        isScalar(node) &&
        node.value !== null
      ) {
        const raw = sourceOf(node, text);
        problems.add(
          'wrong-type',
          offset,
          `${field} must be a string, but YAML reads ${raw} as ${got}`,
          `Quote it: ${String(key)}: "${raw}"`,
          field,
        );
        return;
      }
      if (
        issue.expected === 'number' &&
        isScalar(node) &&
        typeof node.value === 'string'
      ) {
        problems.add(
          'wrong-type',
          offset,
          `${field} must be a number, not a string`,
          `Remove the quotes: ${String(key)}: ${node.value}`,
          field,
        );
        return;
      }
      if (
        issue.expected === 'number' &&
        isScalar(node) &&
        typeof node.value === 'number'
      ) {
        problems.add(
          'wrong-type',
          offset,
          `${field} must be a finite number, not ${sourceOf(node, text)}`,
          `Write a number such as ${String(key)}: 0.9`,
          field,
        );
        return;
      }
      const expected = EXPECTED_NAMES[issue.expected] ?? `a ${issue.expected}`;
      problems.add(
        'wrong-type',
        offset,
        `${field || 'the file'} must be ${expected}, not ${got}`,
        example ? `Write e.g. ${example}` : `Write ${expected} here`,
        field,
      );
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'it is not allowed';
      problems.add(
        'invalid-value',
        (keyNodeAt(doc, path) ?? node ?? parent)?.range?.[0] ?? offset,
        `the name ${JSON.stringify(String(key))} in ${formatPath(
          path.slice(0, -1),
        )} is not allowed: ${inner}`,
        'Rename it to the exact metric key logged in the registry run',
        field,
      );
      return;
    }
    case 'invalid_union': {
      // An integration check is a command string or a { run, ... } mapping:
      // report the branch that matches what was written.
      const branch = isMap(node) ? issue.errors[1] : issue.errors[0];
      const nested =
        isMap(node) || (isScalar(node) && typeof node.value === 'string');
      if (nested && branch && branch.length > 0) {
        for (const inner of branch) {
          issueToProblems(inner, doc, text, problems, path);
        }
        return;
      }
      problems.add(
        'wrong-type',
        offset,
        `${field} must be a command string or a mapping { run, name?, timeout_seconds? }, not ${describeValue(
          node,
        )}`,
        'Write e.g. - ./scripts/smoke-test.sh, or - { run: make e2e, timeout_seconds: 600 }',
        field,
      );
      return;
    }
    default: {
      const params = (issue as { params?: { fix?: string } }).params;
      const message = issue.message.startsWith(field)
        ? issue.message
        : `${field}: ${issue.message}`;
      problems.add(
        'invalid-value',
        offset,
        message,
        params?.fix ??
          (example ? `Write e.g. ${example}` : 'Correct the value'),
        field,
      );
    }
  }
}
