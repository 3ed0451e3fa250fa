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

import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * The 1-based line and column of the value at a path of a YAML text, or of
 * the closest parent that exists; line 1 when nothing matches.
 */
export function positionOf(
  text: string,
  path: ReadonlyArray<string | number>,
): { line: number; column: number } {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    let node: unknown = doc.contents;
    let offset = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          p => (p.key as { value?: unknown } | null)?.value === segment,
        );
        if (!pair) break;
        offset =
          (pair.key as { range?: [number, number, number] }).range?.[0] ??
          offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        offset =
          (node as { range?: [number, number, number] })?.range?.[0] ?? offset;
      } else {
        break;
      }
    }
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  } catch {
    return { line: 1, column: 1 };
  }
}
