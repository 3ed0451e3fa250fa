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

// The YAML parser's errors turned into manifest problems: their codes, plain messages and fixes.

import { Document, isScalar, visit, YAMLError } from 'yaml';
import { ManifestProblemCode } from './problems';
import { ProblemCollector } from './problemCollector';

const SYNTAX_FIXES: Partial<Record<string, string>> = {
  DUPLICATE_KEY:
    'Remove one of the duplicate keys; YAML tools disagree on which one wins',
  TAB_AS_INDENT: 'Indent with spaces, never tabs',
  BAD_INDENT: 'Indent the keys of one mapping by the same number of spaces',
  MISSING_CHAR: 'Close the open quote or bracket',
  MULTILINE_IMPLICIT_KEY: 'Put each key and its ":" on one line',
  KEY_OVER_1024_CHARS: 'Use a short key',
  BAD_DQ_ESCAPE: 'Fix the escape sequence in the double-quoted string',
  RESOURCE_EXHAUSTION:
    'Flatten the structure: it nests far deeper than any manifest needs',
  TAG_RESOLVE_FAILED: 'Remove the tag; write a plain value',
};

/** The key of the mapping pair whose key starts at an offset. */
function keyAt(doc: Document.Parsed, offset: number): string {
  let key = '';
  visit(doc, {
    Pair(_k, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        key = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return key;
}

function codeOf(error: YAMLError): ManifestProblemCode {
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return 'duplicate-key';
    case 'BAD_ALIAS':
    case 'ALIAS_PROPS':
      return 'alias';
    case 'MULTIPLE_ANCHORS':
      return 'anchor';
    case 'MULTIPLE_TAGS':
    case 'TAG_RESOLVE_FAILED':
      return 'tag';
    case 'RESOURCE_EXHAUSTION':
      return 'too-large';
    default:
      return 'yaml-syntax';
  }
}

function messageOf(error: YAMLError, doc: Document.Parsed): string {
  switch (error.code) {
    case 'RESOURCE_EXHAUSTION':
      return 'the YAML nests too deeply to be read';
    case 'DUPLICATE_KEY':
      return `duplicate key ${JSON.stringify(keyAt(doc, error.pos[0]))}`;
    case 'TAG_RESOLVE_FAILED':
      return `${cleanMessage(error.message)}; tags are not allowed`;
    default:
      return cleanMessage(error.message);
  }
}

function cleanMessage(message: string): string {
  // The yaml package may append " at line X, column Y:" and a code excerpt.
  return message
    .split(/ at line \d+, column \d+/)[0]
    .split('\n')[0]
    .trim();
}

/** Records one error or warning of the YAML parser as a problem. */
export function addYamlError(
  problems: ProblemCollector,
  error: YAMLError,
  doc: Document.Parsed,
): void {
  problems.add(
    codeOf(error),
    error.pos[0],
    messageOf(error, doc),
    SYNTAX_FIXES[error.code] ??
      'Fix the YAML syntax here; an editor with YAML support shows the exact spot',
  );
}
