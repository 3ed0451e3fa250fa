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

// A list answer (`{ ..., "items": [ {...}, ... ] }`) parsed one item at a time, so that a list of thousands is not one long task.

import { Turns } from './turns';

/** Characters scanned between two looks at the clock. */
const SCAN_STEP = 16_384;

/**
 * Parses `text` as `JSON.parse` does, the same value, but when it is an
 * object with a top-level `items` array of objects (an Argo CD application
 * list: one answer, no paging), finds each item's bounds by scanning and
 * parses the items one by one, letting the event loop turn between slices.
 * Anything else, and any text the scan cannot vouch for, goes to
 * `JSON.parse` whole, which also throws for text that is not JSON.
 */
export async function parseListInTurns(
  text: string,
  turns = new Turns(),
): Promise<unknown> {
  const bounds = await itemBounds(text, turns);
  if (!bounds) return JSON.parse(text);
  const rest = JSON.parse(
    `${text.slice(0, bounds.start)}[]${text.slice(bounds.end)}`,
  ) as Record<string, unknown>;
  if (!rest || typeof rest !== 'object' || !Array.isArray(rest.items)) {
    return JSON.parse(text);
  }
  const items: unknown[] = [];
  for (const [from, to] of bounds.items) {
    if (turns.due()) await turns.turn();
    items.push(JSON.parse(text.slice(from, to)));
  }
  rest.items = items;
  return rest;
}

/**
 * Where the top-level `items` array stands in `text` and where each of its
 * elements does; undefined when the text does not have that shape (or is
 * not JSON the scan understands), so that the caller parses it whole.
 */
async function itemBounds(
  text: string,
  turns: Turns,
): Promise<
  { start: number; end: number; items: Array<[number, number]> } | undefined
> {
  const n = text.length;
  let depth = 0;
  let i = 0;
  let steps = 0;
  /** The last string read at depth 1, and whether a `:` made it a key. */
  let lastString: string | undefined;
  let key: string | undefined;
  let start = -1;
  let end = -1;
  let element = -1;
  const items: Array<[number, number]> = [];
  /** Between the elements of the `items` array. */
  const inItems = () => depth === 2 && start >= 0 && end < 0;
  while (i < n) {
    if (++steps % SCAN_STEP === 0 && turns.due()) await turns.turn();
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return undefined;
        let backslashes = 0;
        for (let k = j - 1; text.charCodeAt(k) === 0x5c; k--) backslashes++;
        if (backslashes % 2 === 0) break;
        j++;
      }
      if (inItems()) return undefined;
      if (depth === 1) lastString = text.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    switch (c) {
      case 0x3a /* : */:
        if (depth === 1) {
          // JSON.parse keeps the last of two `items`: left to it.
          if (lastString === 'items' && start >= 0) return undefined;
          key = lastString;
        }
        break;
      case 0x2c /* , */:
        if (depth === 1) key = undefined;
        break;
      case 0x7b /* { */:
      case 0x5b /* [ */:
        if (depth === 0 && c !== 0x7b) return undefined;
        if (depth === 1 && key === 'items' && start < 0) {
          if (c !== 0x5b) return undefined;
          start = i;
        } else if (depth === 2 && start >= 0 && end < 0) {
          if (c !== 0x7b) return undefined;
          element = i;
        }
        depth++;
        break;
      case 0x7d /* } */:
      case 0x5d /* ] */:
        depth--;
        if (depth < 0) return undefined;
        if (depth === 2 && element >= 0 && end < 0) {
          items.push([element, i + 1]);
          element = -1;
        } else if (depth === 1 && start >= 0 && end < 0 && c === 0x5d) {
          end = i + 1;
        }
        break;
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        break;
      default:
        // Only objects are cut out one by one.
        if (inItems()) return undefined;
    }
    i++;
  }
  if (depth !== 0 || start < 0 || end < 0) return undefined;
  return { start, end, items };
}
