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
  YAMLError,
} from 'yaml';
import { ManifestProblem, ManifestProblemCode } from './problems';

/**
 * The default size limit of a manifest, in bytes. `deploy/model.yaml` is a few
 * hundred bytes; anything near this limit is a mistake or an attack.
 *
 * @public
 */
export const MAX_MANIFEST_BYTES = 64 * 1024;

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

/** Creates problems positioned in one text. */
export class ProblemCollector {
  readonly problems: ManifestProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly lineCounter?: LineCounter,
  ) {}

  /** Records a problem at a character offset of the text. */
  add(
    code: ManifestProblemCode,
    offset: number,
    message: string,
    fix: string,
    field?: string,
  ): void {
    const pos = this.lineCounter?.linePos(offset) ?? { line: 1, col: 1 };
    this.problems.push({
      code,
      file: this.file,
      line: pos.line,
      column: pos.col,
      ...(field !== undefined ? { field } : {}),
      message,
      fix,
    });
  }

  /** Records a problem at a known line and column. */
  addAt(
    code: ManifestProblemCode,
    line: number,
    column: number,
    message: string,
    fix: string,
  ): void {
    this.problems.push({ code, file: this.file, line, column, message, fix });
  }

  /** The problems, in order of position, without duplicates. */
  sorted(): ManifestProblem[] {
    const seen = new Set<string>();
    return [...this.problems]
      .sort((a, b) => a.line - b.line || a.column - b.column)
      .filter(p => {
        const key = `${p.line}:${p.column}:${p.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  }
}

function lineColOf(
  text: string,
  offset: number,
): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/** The offset of the first byte that is not part of valid UTF-8. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need = 0;
    let min = 0;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Turns the caller's input into text, refusing what is too large, binary or
 * not UTF-8. Returns the text or the problems.
 */
export function decodeYamlInput(
  input: string | Uint8Array,
  path: string,
  maxBytes: number = MAX_MANIFEST_BYTES,
): { text: string } | { problems: ManifestProblem[] } {
  const problems = new ProblemCollector(path);
  const tooLarge = (size: string) =>
    problems.addAt(
      'too-large',
      1,
      1,
      `file is ${size}, more than the limit of ${maxBytes} bytes`,
      'A model manifest is a few hundred bytes: remove what does not belong in it',
    );
  let text: string;
  if (typeof input === 'string') {
    if (
      input.length > maxBytes ||
      new TextEncoder().encode(input).length > maxBytes
    ) {
      tooLarge(
        input.length > maxBytes ? `${input.length}+ bytes` : 'too large',
      );
      return { problems: problems.sorted() };
    }
    text = input;
  } else {
    if (input.length > maxBytes) {
      tooLarge(`${input.length} bytes`);
      return { problems: problems.sorted() };
    }
    if (
      (input[0] === 0xff && input[1] === 0xfe) ||
      (input[0] === 0xfe && input[1] === 0xff)
    ) {
      problems.addAt(
        'encoding',
        1,
        1,
        'file is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8',
        'Save the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)',
      );
      return { problems: problems.sorted() };
    }
    const nul = input.indexOf(0);
    if (nul >= 0) {
      const pos = lineColOf(
        new TextDecoder().decode(input.subarray(0, nul)),
        nul,
      );
      problems.addAt(
        'binary',
        pos.line,
        1,
        'file is binary (it contains a NUL byte), not YAML text',
        'Replace it with the YAML text of the manifest; check it was not committed as a compressed or encrypted file',
      );
      return { problems: problems.sorted() };
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      const at = Math.max(0, firstInvalidUtf8(input));
      const before = new TextDecoder().decode(input.subarray(0, at));
      const pos = lineColOf(before, before.length);
      problems.addAt(
        'encoding',
        pos.line,
        pos.col,
        `file is not valid UTF-8 (byte 0x${(input[at] ?? 0)
          .toString(16)
          .padStart(2, '0')} at offset ${at})`,
        'Save the file as UTF-8 (e.g. convert from Latin-1 or UTF-16 with iconv)',
      );
      return { problems: problems.sorted() };
    }
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    problems.addAt(
      'binary',
      lineColOf(text, nul).line,
      1,
      'file is binary (it contains a NUL character), not YAML text',
      'Replace it with the YAML text of the manifest',
    );
    return { problems: problems.sorted() };
  }
  return { text };
}

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
      problems.add(
        codeOf(error),
        error.pos[0],
        messageOf(error, doc),
        SYNTAX_FIXES[error.code] ??
          'Fix the YAML syntax here; an editor with YAML support shows the exact spot',
      );
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
