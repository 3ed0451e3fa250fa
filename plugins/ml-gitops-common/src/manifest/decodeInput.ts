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

// Decoding a manifest's bytes into text: the size limit, binary files, UTF-16 and invalid UTF-8 refused.

import { ManifestProblem } from './problems';
import { ProblemCollector } from './problemCollector';

/**
 * The default size limit of a manifest, in bytes. `deploy/model.yaml` is a few
 * hundred bytes; anything near this limit is a mistake or an attack.
 *
 * @public
 */
export const MAX_MANIFEST_BYTES = 64 * 1024;

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
