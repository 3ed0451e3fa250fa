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

// A list answer (`{ ..., "items": [ {...}, ... ] }`) parsed one item at a time as its bytes arrive, so that a list of thousands is never one long task.

import { fleetTurns, Turns } from './turns';

/** Characters scanned between two looks at the clock. */
const SCAN_STEP = 16_384;
/** How much of a text one call of `write` scans (parseListInTurns). */
const PIECE = 65_536;
/** A string at the top level longer than this is no key `items`. */
const KEY_CAP = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses a JSON text written to it in pieces (decoded chunks of an answer)
 * to the value `JSON.parse` gives for the whole text. When the text is an
 * object with a top-level `items` array of objects (an Argo CD application
 * list: one answer, no paging), each item is cut out by a scan that knows
 * JSON's strings and brackets and parsed as soon as it is complete, letting
 * the event loop turn between slices; the whole text is never joined.
 * Any other shape, and any text the scan cannot vouch for, goes to
 * `JSON.parse` whole at the end, which also throws for text that is not
 * JSON.
 */
export class ListJsonParser {
  /** Everything written, for `JSON.parse` of the whole when the scan gives up. */
  private readonly pieces: string[] = [];
  private gaveUp = false;
  private depth = 0;
  private inString = false;
  /** Backslashes right before the scan's place inside a string. */
  private backslashes = 0;
  /** The string being read at depth 1 (capped), and the last one read. */
  private topString: string | undefined;
  private lastString: string | undefined;
  /** The key (at depth 1) the next value belongs to. */
  private key: string | undefined;
  private phase: 'before' | 'items' | 'after' = 'before';
  /** Text around the `items` array: the rest of the object. */
  private readonly before: string[] = [];
  private readonly after: string[] = [];
  /** Pieces of the item being read; undefined between items. */
  private item: string[] | undefined;
  private readonly items: unknown[] = [];
  private steps = 0;

  private readonly itemValue: (text: string) => unknown;

  /**
   * `options.item` gives the value of an item cut out from its text
   * (`JSON.parse` by default), for a reader that knows an item it read
   * before by its text; it throws as `JSON.parse` does for text that is
   * not JSON. Items of a text the scan does not cut up are `JSON.parse`d.
   */
  constructor(
    private readonly turns: Turns = fleetTurns,
    options: { item?: (text: string) => unknown } = {},
  ) {
    this.itemValue = options.item ?? (text => JSON.parse(text));
  }

  /** Whether `end` gave the items cut out one by one (not `JSON.parse` of the whole). */
  get cut(): boolean {
    return this.wasCut;
  }
  private wasCut = false;

  /** The first characters written (for an error message). */
  head(length = 200): string {
    let text = '';
    for (const piece of this.pieces) {
      if (text.length >= length) break;
      text += piece.slice(0, length - text.length);
    }
    return text;
  }

  /** Scans the next piece of the text. */
  async write(piece: string): Promise<void> {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    if (!this.gaveUp && !(await this.scan(piece))) this.gaveUp = true;
  }

  /** The value of the whole text; throws as `JSON.parse` throws. */
  async end(): Promise<unknown> {
    const whole = () => JSON.parse(this.pieces.join(''));
    if (
      this.gaveUp ||
      this.inString ||
      this.depth !== 0 ||
      this.phase !== 'after'
    ) {
      return whole();
    }
    const rest = JSON.parse(`${this.before.join('')}[]${this.after.join('')}`);
    if (!rest || typeof rest !== 'object' || !Array.isArray(rest.items)) {
      return whole();
    }
    rest.items = this.items;
    this.pieces.length = 0;
    this.wasCut = true;
    return rest;
  }

  /** False when the text is not of the shape the scan cuts up. */
  private async scan(piece: string): Promise<boolean> {
    const n = piece.length;
    let i = 0;
    /** Where the text not yet kept (before or after the items) starts. */
    let mark = 0;
    /** Where the item being read starts in this piece. */
    let itemFrom = 0;
    const inItems = () => this.phase === 'items' && this.depth === 2;
    while (i < n) {
      if (++this.steps % SCAN_STEP === 0 && this.turns.due()) {
        await this.turns.turn();
      }
      if (this.inString) {
        const j = piece.indexOf('"', i);
        const to = j < 0 ? n : j;
        let run = 0;
        for (let k = to - 1; k >= i && piece.charCodeAt(k) === BACKSLASH; k--) {
          run++;
        }
        if (run === to - i) run += this.backslashes;
        if (this.topString !== undefined) {
          this.topString = (
            this.topString + piece.slice(i, Math.min(to, i + KEY_CAP + 1))
          ).slice(0, KEY_CAP + 1);
        }
        if (j < 0) {
          this.backslashes = run;
          i = n;
          break;
        }
        this.backslashes = 0;
        i = j + 1;
        if (run % 2 === 1) {
          // An escaped quote: the string goes on.
          if (this.topString !== undefined) this.topString += '"';
          continue;
        }
        this.inString = false;
        if (this.topString !== undefined) {
          this.lastString = this.topString;
          this.topString = undefined;
        }
        continue;
      }
      const c = piece.charCodeAt(i);
      switch (c) {
        case QUOTE:
          if (inItems()) return false;
          this.inString = true;
          this.backslashes = 0;
          this.topString = this.depth === 1 ? '' : undefined;
          break;
        case 0x3a /* : */:
          if (this.depth === 1) {
            // JSON.parse keeps the last of two `items`: left to it, as is a
            // key written with escapes (`"\u0069tems"` is `items` too).
            if (this.lastString === 'items' && this.phase !== 'before') {
              return false;
            }
            if (this.lastString?.includes('\\')) return false;
            this.key = this.lastString;
          }
          break;
        case 0x2c /* , */:
          if (this.depth === 1) this.key = undefined;
          break;
        case 0x7b /* { */:
        case 0x5b /* [ */:
          if (this.depth === 0 && c !== 0x7b) return false;
          if (
            this.depth === 1 &&
            this.key === 'items' &&
            this.phase === 'before'
          ) {
            if (c !== 0x5b) return false;
            this.before.push(piece.slice(mark, i));
            this.phase = 'items';
          } else if (inItems()) {
            if (c !== 0x7b) return false;
            this.item = [];
            itemFrom = i;
          }
          this.depth++;
          break;
        case 0x7d /* } */:
        case 0x5d /* ] */:
          this.depth--;
          if (this.depth < 0) return false;
          if (inItems() && this.item) {
            this.item.push(piece.slice(itemFrom, i + 1));
            const text = this.item.join('');
            this.item = undefined;
            try {
              this.items.push(this.itemValue(text));
            } catch {
              return false;
            }
            if (this.turns.due()) await this.turns.turn();
          } else if (this.depth === 1 && this.phase === 'items' && c === 0x5d) {
            this.phase = 'after';
            mark = i + 1;
          }
          break;
        case 0x20:
        case 0x09:
        case 0x0a:
        case 0x0d:
          break;
        default:
          // Only objects are cut out one by one.
          if (inItems()) return false;
      }
      i++;
    }
    if (this.phase === 'before') this.before.push(piece.slice(mark));
    else if (this.phase === 'after') this.after.push(piece.slice(mark));
    else if (this.item) this.item.push(piece.slice(itemFrom));
    return true;
  }
}

/**
 * Parses `text` as `JSON.parse` does, the same value, cutting a list's
 * items out one by one in turns (see {@link ListJsonParser}).
 */
export async function parseListInTurns(
  text: string,
  turns: Turns = fleetTurns,
): Promise<unknown> {
  const parser = new ListJsonParser(turns);
  for (let from = 0; from < text.length; from += PIECE) {
    await parser.write(text.slice(from, from + PIECE));
  }
  return parser.end();
}

/** The answer's body broke off while it was read. */
export class BodyReadError extends Error {
  constructor(readonly reason: unknown) {
    super((reason as Error)?.message ?? String(reason));
    this.name = 'BodyReadError';
  }
}

/**
 * Reads a list answer's body chunk by chunk, decoding UTF-8 as it comes
 * (as `Response.text()` does, BOM included) and parsing its items as they
 * complete. Throws `BodyReadError` when the body breaks off, and what
 * `JSON.parse` throws when it is not JSON (`parser.head()` tells what it
 * began with).
 */
export async function readListBody(
  body: ReadableStream<Uint8Array>,
  parser: ListJsonParser,
): Promise<unknown> {
  const decoder = new TextDecoder('utf-8');
  const reader = body.getReader();
  try {
    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (error) {
        throw new BodyReadError(error);
      }
      if (read.done) break;
      await parser.write(decoder.decode(read.value, { stream: true }));
    }
  } finally {
    reader.releaseLock();
  }
  await parser.write(decoder.decode());
  return parser.end();
}
