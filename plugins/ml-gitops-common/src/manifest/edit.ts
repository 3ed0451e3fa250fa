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

import { InputError } from '@backstage/errors';
import { isMap, isScalar, Scalar, YAMLMap } from 'yaml';
import { formatManifestProblem } from './problems';
import { parseYamlStrict } from './yamlSafe';
import {
  ManifestFreeze,
  manifestFreezeSchema,
  modelVersionSchema,
} from './schema';
import { kserveStorageUriProblem } from './storageUri';

function quoteDouble(value: string): string {
  return JSON.stringify(value);
}

function quoteSingle(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Options of {@link setModelVersion}.
 *
 * @public
 */
export type SetModelVersionOptions = {
  /**
   * The new `storage_uri` (the registry's artifact location of the new
   * version), set in the same edit. The manifest must already have a
   * top-level `storage_uri`. An addition to the design contract.
   */
  storageUri?: string;
};

/**
 * The replacement of one top-level plain scalar's value: the new value
 * keeps the quote style of the old one (double or single); an unquoted or
 * block value becomes a double-quoted string, so it is never read back as
 * a number.
 */
function scalarEdit(
  text: string,
  root: YAMLMap.Parsed,
  key: string,
  value: string,
): { start: number; end: number; replacement: string } {
  const pair = root.items.find(p => isScalar(p.key) && p.key.value === key);
  const node = pair?.value;
  if (!pair || !isScalar(node) || !node.range) {
    throw new InputError(
      `Cannot edit the manifest: it has no top-level ${key} with a plain value`,
    );
  }
  const [start, end] = node.range;
  let replacement: string;
  switch (node.type) {
    case Scalar.QUOTE_SINGLE:
      replacement = quoteSingle(value);
      break;
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      // A block scalar's range runs to the end of its last line; keep the
      // line break that ends it.
      const consumed = text.slice(start, end);
      const lineBreak = /\r?\n$/.exec(consumed)?.[0] ?? '';
      replacement = quoteDouble(value) + lineBreak;
      break;
    }
    default:
      replacement = quoteDouble(value);
  }
  return { start, end, replacement };
}

/**
 * Changes `model_version` (and, with `options.storageUri`, `storage_uri`)
 * in the text of `deploy/model.yaml` and leaves every other byte exactly as
 * it was: comments, indentation, key order, line endings (LF or CRLF) and a
 * missing final newline.
 *
 * A new value keeps the quote style of the old one (double or single); an
 * unquoted or block value is replaced by a double-quoted string, so the
 * version is never read back as a number.
 *
 * Throws an `InputError` when the text is not a valid single YAML mapping,
 * has no top-level `model_version` (or `storage_uri` when one is given), or
 * a new value is not valid.
 *
 * @public
 */
export function setModelVersion(
  text: string,
  newVersion: string,
  options: SetModelVersionOptions = {},
): string {
  if (
    typeof newVersion !== 'string' ||
    !modelVersionSchema.safeParse(newVersion).success
  ) {
    throw new InputError(
      `Invalid model version ${JSON.stringify(
        newVersion,
      )}: use the registry's version id, 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
    );
  }
  const { storageUri } = options;
  if (storageUri !== undefined) {
    const problem =
      typeof storageUri === 'string'
        ? kserveStorageUriProblem(storageUri)
        : 'must be a string';
    if (problem) {
      throw new InputError(
        `Invalid storage URI ${JSON.stringify(
          String(storageUri).slice(0, 200),
        )}: it ${problem}`,
      );
    }
  }
  const root = manifestRoot(text);
  const edits = [scalarEdit(text, root, 'model_version', newVersion)];
  if (storageUri !== undefined) {
    edits.push(scalarEdit(text, root, 'storage_uri', storageUri));
  }
  let updated = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    updated =
      updated.slice(0, edit.start) + edit.replacement + updated.slice(edit.end);
  }

  // Never hand back an edit that does not read back as intended.
  const check = parseYamlStrict(updated, { path: 'model.yaml' });
  const readBack: unknown = check.ok
    ? check.yaml.documents[0]?.toJS({ maxAliasCount: 0 })
    : undefined;
  if (
    typeof readBack !== 'object' ||
    readBack === null ||
    (readBack as { model_version?: unknown }).model_version !== newVersion ||
    (storageUri !== undefined &&
      (readBack as { storage_uri?: unknown }).storage_uri !== storageUri)
  ) {
    throw new InputError(
      'Cannot edit the manifest safely: the edited file does not read back with the new version',
    );
  }
  return updated;
}

/**
 * A double-quoted YAML scalar that reads back as exactly `value`: JSON's
 * escapes are YAML's, and the characters YAML does not allow unescaped in a
 * double-quoted scalar (DEL, C1 controls, the Unicode line and paragraph
 * separators, a byte order mark) are written as `\uXXXX` too.
 */
function yamlDoubleQuoted(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The top-level mapping of a manifest's text, or an InputError. */
function manifestRoot(text: string): YAMLMap.Parsed {
  const parsed = parseYamlStrict(text, { path: 'model.yaml' });
  if (!parsed.ok) {
    throw new InputError(
      `Cannot edit the manifest: ${parsed.problems
        .map(formatManifestProblem)
        .join('; ')}`,
    );
  }
  const root = parsed.yaml.documents[0]?.contents;
  if (!isMap(root)) {
    throw new InputError('Cannot edit the manifest: it is not a YAML mapping');
  }
  return root;
}

/** Where a line break starts at `offset`: its length (0 when none). */
function lineBreakAt(text: string, offset: number): number {
  if (text.startsWith('\r\n', offset)) return 2;
  return text[offset] === '\n' || text[offset] === '\r' ? 1 : 0;
}

/**
 * Adds, replaces or removes the top-level `freeze:` of `deploy/model.yaml`
 * and leaves every other byte as it was: comments, key order, indentation,
 * line endings (LF or CRLF), a byte order mark and a missing final newline.
 *
 * - `freeze` given and none in the file: a block is appended at the end,
 *   `freeze:` with `reason:` and (when set) `until:` as double-quoted
 *   strings, so any reason reads back exactly.
 * - `freeze` given and one in the file (block or flow style): that entry,
 *   from its key to the end of its last line, is replaced by the block.
 * - `freeze` undefined: the entry's lines are removed; a file without one is
 *   returned unchanged.
 *
 * Throws an `InputError` when the text is not a valid single YAML mapping or
 * the freeze is not valid (`reason` empty, longer than 500 characters or more
 * than one line; `until` not an ISO 8601 time with `Z` or an offset).
 *
 * @public
 */
export function setManifestFreeze(
  text: string,
  freeze: ManifestFreeze | undefined,
): string {
  if (freeze !== undefined) {
    const checked = manifestFreezeSchema.safeParse(freeze);
    if (!checked.success) {
      throw new InputError(
        `Invalid freeze: ${checked.error.issues
          .map(issue =>
            issue.message.startsWith('freeze.') || issue.path.length === 0
              ? issue.message
              : `freeze.${issue.path.join('.')}: ${issue.message}`,
          )
          .join('; ')}`,
      );
    }
  }
  const root = manifestRoot(text);
  if (root.flow) {
    throw new InputError(
      'Cannot edit the freeze of a manifest written as one flow mapping ({ ... }): write it in block style (one key a line) first',
    );
  }
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  // The indentation of the top-level keys (0 unless the whole file is indented).
  const firstKey = root.items[0]?.key;
  const firstAt = isScalar(firstKey) ? firstKey.range?.[0] : undefined;
  const indent =
    firstAt === undefined
      ? ''
      : text
          .slice(text.lastIndexOf('\n', firstAt - 1) + 1, firstAt)
          .replace(/^\ufeff/, '')
          .replace(/[^ ]/g, ' ');
  const block = freeze
    ? [
        'freeze:',
        `${indent}  reason: ${yamlDoubleQuoted(freeze.reason)}`,
        ...(freeze.until !== undefined
          ? [`${indent}  until: ${yamlDoubleQuoted(freeze.until)}`]
          : []),
      ].join(newline)
    : undefined;

  const pair = root.items.find(
    p => isScalar(p.key) && p.key.value === 'freeze',
  );
  let updated: string;
  if (!pair) {
    if (!block) {
      return text;
    }
    updated = /[\r\n]$/.test(text)
      ? `${text}${indent}${block}${newline}`
      : `${text}${newline}${indent}${block}`;
  } else {
    const keyRange = pair.key?.range;
    const valueRange = pair.value?.range;
    if (!keyRange) {
      throw new InputError(
        'Cannot edit the manifest: its freeze: key has no position',
      );
    }
    const start = keyRange[0];
    // From the key to the end of the entry's last line, comments included.
    let end = Math.max(keyRange[2], valueRange?.[2] ?? 0);
    const lastChar = text[end - 1];
    if (end <= start || (lastChar !== '\n' && lastChar !== '\r')) {
      while (end < text.length && lineBreakAt(text, end) === 0) end++;
      end += lineBreakAt(text, end);
    } else if (lastChar === '\r' && text[end] === '\n') {
      end++;
    }
    // yaml counts the blank lines after a comment in the block as part of
    // it: they stay.
    for (
      let blank = /(\r?\n)[ \t]*\r?\n$/.exec(text.slice(start, end));
      blank && end - start > blank[0].length;
      blank = /(\r?\n)[ \t]*\r?\n$/.exec(text.slice(start, end))
    ) {
      end -= blank[0].length - blank[1].length;
    }
    const removed = text.slice(start, end);
    const trailingBreak = /\r?\n$|\r$/.exec(removed)?.[0] ?? '';
    if (block) {
      updated = text.slice(0, start) + block + trailingBreak + text.slice(end);
    } else {
      // The whole lines go: from the start of the key's line.
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      // A byte order mark at the start of the file stays.
      let from = text[lineStart] === '\ufeff' ? lineStart + 1 : lineStart;
      if (end >= text.length && !trailingBreak && from > 0) {
        // The entry was the last line of a file without a final newline:
        // the line break before it goes too, so the file still ends without.
        from -= text[from - 2] === '\r' ? 2 : 1;
      }
      updated = text.slice(0, from) + text.slice(end);
    }
  }

  // Never hand back an edit that does not read back as intended.
  const check = parseYamlStrict(updated, { path: 'model.yaml' });
  const readBack: unknown = check.ok
    ? check.yaml.documents[0]?.toJS({ maxAliasCount: 0 })
    : undefined;
  const readFreeze =
    typeof readBack === 'object' && readBack !== null
      ? (readBack as { freeze?: unknown }).freeze
      : null;
  const expected = freeze
    ? {
        reason: freeze.reason,
        ...(freeze.until !== undefined ? { until: freeze.until } : {}),
      }
    : undefined;
  if (
    readBack === null ||
    typeof readBack !== 'object' ||
    JSON.stringify(readFreeze) !== JSON.stringify(expected)
  ) {
    throw new InputError(
      'Cannot edit the manifest safely: the edited file does not read back with the intended freeze',
    );
  }
  return updated;
}
