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

// Strict YAML parsing of a manifest: the parse itself, and the refusal of anchors, aliases, tags and odd keys.

import {
  Document,
  isAlias,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  Node as YamlNode,
  parseAllDocuments,
  visit,
} from 'yaml';
import { decodeYamlInput, MAX_MANIFEST_BYTES } from './decodeInput';
import { ManifestProblem } from './problems';
import { ProblemCollector } from './problemCollector';
import { addYamlError } from './yamlErrors';

/** Keys that name parts of every JavaScript object. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Options of {@link parseYamlStrict}.
 *
 * @public
 */
export type ParseYamlStrictOptions = {
  /** The file name used in problems. */
  path: string;
  /** Size limit in bytes; defaults to {@link MAX_MANIFEST_BYTES}. */
  maxBytes?: number;
  /** Accept a stream of several documents (`---`); default false. */
  allowMultipleDocuments?: boolean;
  /** Refuse explicit tags such as `!!binary` or `!custom`; default true. */
  refuseTags?: boolean;
};

/**
 * A YAML text parsed without any problem.
 *
 * @public
 */
export type StrictYaml = {
  text: string;
  documents: Document.Parsed[];
  lineCounter: LineCounter;
};

/**
 * Parses YAML text strictly: syntax errors, duplicate keys, anchors, aliases,
 * tags, non-string keys and (unless allowed) several documents are problems.
 * Nothing is ever expanded, so alias bombs cost nothing.
 *
 * @public
 */
export function parseYamlStrict(
  input: string | Uint8Array,
  options: ParseYamlStrictOptions,
): { ok: true; yaml: StrictYaml } | { ok: false; problems: ManifestProblem[] } {
  const decoded = decodeYamlInput(
    input,
    options.path,
    options.maxBytes ?? MAX_MANIFEST_BYTES,
  );
  if ('problems' in decoded) {
    return { ok: false, problems: decoded.problems };
  }
  const { text } = decoded;
  const lineCounter = new LineCounter();
  const problems = new ProblemCollector(options.path, lineCounter);

  let parsed: ReturnType<typeof parseAllDocuments>;
  try {
    parsed = parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
      version: '1.2',
      schema: 'core',
    });
  } catch (error) {
    // The parser is not expected to throw; if it does (e.g. exhausting the
    // stack on absurd nesting), it is still the file's problem.
    problems.addAt(
      'yaml-syntax',
      1,
      1,
      `file cannot be parsed as YAML (${
        error instanceof Error ? error.name : 'error'
      })`,
      'Simplify the file to plain YAML mappings and lists',
    );
    return { ok: false, problems: problems.sorted() };
  }
  // parseAllDocuments always yields parsed documents; its declared type is wider.
  const documents = (Array.isArray(parsed) ? parsed : []) as Document.Parsed[];

  for (const doc of documents) {
    for (const error of [...doc.errors, ...doc.warnings]) {
      addYamlError(problems, error, doc);
    }
  }
  if (!options.allowMultipleDocuments && documents.length > 1) {
    const second = documents[1];
    problems.add(
      'multiple-documents',
      second.range?.[0] ?? 0,
      `file holds ${documents.length} YAML documents; a manifest is exactly one`,
      'Remove the "---" separator and everything after it, or move it to its own file',
    );
  }
  if (problems.problems.length === 0) {
    for (const doc of documents) {
      checkNodes(doc, problems, options.refuseTags ?? true);
    }
  }
  if (problems.problems.length > 0) {
    return { ok: false, problems: problems.sorted() };
  }
  return { ok: true, yaml: { text, documents, lineCounter } };
}

function checkNodes(
  doc: Document.Parsed,
  problems: ProblemCollector,
  refuseTags: boolean,
): void {
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      problems.add(
        'alias',
        node.range?.[0] ?? 0,
        `aliases (*${node.source}) are not allowed`,
        'Write the value out in full; anchors and aliases hide what a reviewer approves',
      );
      return visit.SKIP;
    }
    if (isPair(node)) {
      const key = node.key;
      if (!isScalar(key)) {
        problems.add(
          'yaml-syntax',
          isNode(key) ? key.range?.[0] ?? 0 : 0,
          'keys must be plain names, not lists or mappings',
          'Use a simple name before the ":"',
        );
      } else if (typeof key.value !== 'string') {
        problems.add(
          'wrong-type',
          key.range?.[0] ?? 0,
          `key ${JSON.stringify(key.source ?? key.value)} is read as a ${
            key.value === null ? 'null' : typeof key.value
          }, not a name`,
          `Quote it: "${String(key.source ?? key.value)}":`,
        );
      } else if (PROTOTYPE_KEYS.has(key.value)) {
        // Turned into a JavaScript object, such a key reaches the
        // object's prototype instead of holding a value.
        problems.add(
          'unknown-key',
          key.range?.[0] ?? 0,
          `the key ${JSON.stringify(
            key.value,
          )} is not allowed anywhere: it names a part of every JavaScript object`,
          'Rename the key',
        );
      }
      return undefined;
    }
    if (isNode(node)) {
      const n = node as YamlNode;
      if (n.anchor) {
        problems.add(
          'anchor',
          n.range?.[0] ?? 0,
          `anchors (&${n.anchor}) are not allowed`,
          'Remove the anchor and write values out in full',
        );
      }
      // Parsed nodes only carry `tag` when the source has an explicit one.
      if (refuseTags && n.tag) {
        problems.add(
          'tag',
          n.range?.[0] ?? 0,
          `tags (${n.tag.replace(
            /^tag:yaml\.org,2002:/,
            '!!',
          )}) are not allowed`,
          'Remove the tag; quote a value to make it a string',
        );
      }
    }
    return undefined;
  });
}
