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

// A list answer (`{ ..., "items": [ ... ] }`) parsed one item at a time as its bytes arrive, so that a list of thousands is never one long task, and never held whole.

import { fleetTurns, Turns } from './turns';

/** Characters scanned between two looks at the clock. */
const SCAN_STEP = 16_384;
/** How much of a text one call of `write` scans (parseListInTurns). */
const PIECE = 65_536;
/** A string at the top level longer than this is no key `items`. */
const KEY_CAP = 16;
/** How much of the beginning of the text is kept for an error message. */
const HEAD = 200;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Parses a JSON text written to it in pieces (decoded chunks of an answer)
 * to the value `JSON.parse` gives for the whole text. When the text is an
 * object with a top-level `items` array (an Argo CD application list, a
 * Kubernetes list), each item is cut out by a scan that knows JSON's
 * strings, brackets and commas, and parsed as soon as it is complete,
 * letting the event loop turn between slices. Once the scan is inside the
 * array it keeps no piece it has scanned: a list of tens of megabytes is
 * never held whole, and its pieces die young instead of filling the old
 * generation until the list ends. Any other shape, known before the array
 * starts, goes to `JSON.parse` whole at the end; text that is not JSON
 * throws a `SyntaxError` as `JSON.parse` does.
 */
export class ListJsonParser {
  /**
   * The pieces written while the scan has not yet found the array (the
   * text `JSON.parse` reads whole if it turns out not to be a list), and
   * every piece after it gave up. Emptied once the array starts.
   */
  private readonly pieces: string[] = [];
  private gaveUp = false;
  /** Why the text is not JSON, found by the scan (thrown by `end`). */
  private failure: SyntaxError | undefined;
  private headText = '';
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
  /** After the array, a key that may be `items` again (JSON.parse keeps the last). */
  private itemsAgain = false;
  /** Pieces of the item being read; undefined between items. */
  private item: string[] | undefined;
  /** An object or array, a string, or a number, `true`, `false` or `null`. */
  private itemKind: 'bracketed' | 'string' | 'scalar' = 'bracketed';
  /** Between items: what the array allows next. */
  private next: 'item or end' | 'item' | 'comma or end' = 'item or end';
  private readonly items: unknown[] = [];
  private steps = 0;

  private readonly itemValue: (text: string) => unknown;

  /**
   * `options.item` gives the value of an item cut out from its text
   * (`JSON.parse` by default), for a reader that knows an item it read
   * before by its text. When it throws, the item is `JSON.parse`d, and
   * text that is not JSON makes the whole text fail.
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

  /** The first characters written (for an error message), up to 200. */
  head(length = HEAD): string {
    return this.headText.slice(0, length);
  }

  /** Scans the next piece of the text. */
  async write(piece: string): Promise<void> {
    if (piece.length === 0) return;
    if (this.headText.length < HEAD) {
      this.headText += piece.slice(0, HEAD - this.headText.length);
    }
    if (this.failure) return;
    if (this.gaveUp) {
      this.pieces.push(piece);
      return;
    }
    if (this.phase === 'before') this.pieces.push(piece);
    // The scan gives up only before the array starts, when `pieces` holds
    // everything written.
    if (!(await this.scan(piece))) this.gaveUp = true;
    else if (this.phase !== 'before' || this.failure) this.pieces.length = 0;
  }

  /** The value of the whole text; throws as `JSON.parse` throws. */
  async end(): Promise<unknown> {
    if (this.failure) throw this.failure;
    if (this.gaveUp || this.phase === 'before') {
      return JSON.parse(this.pieces.join(''));
    }
    if (this.inString || this.depth !== 0 || this.phase !== 'after') {
      throw new SyntaxError('Unexpected end of JSON input');
    }
    const after = this.after.join('');
    const rest = JSON.parse(`${this.before.join('')}[]${after}`);
    if (
      this.itemsAgain &&
      Object.prototype.hasOwnProperty.call(JSON.parse(`{"":0${after}`), 'items')
    ) {
      // A second `items` key after the array: its value is the one kept.
      return rest;
    }
    rest.items = this.items;
    this.wasCut = true;
    return rest;
  }

  private fail(what: string): true {
    this.failure = new SyntaxError(`${what} in JSON`);
    this.item = undefined;
    return true;
  }

  /** The item whose text is complete: its value is read, in turns. */
  private async complete(last: string): Promise<void> {
    const parts = this.item ?? [];
    parts.push(last);
    const text = parts.join('');
    this.item = undefined;
    this.next = 'comma or end';
    let value: unknown;
    try {
      value = this.itemValue(text);
    } catch {
      try {
        value = JSON.parse(text);
      } catch (error) {
        this.failure = error as SyntaxError;
        return;
      }
    }
    this.items.push(value);
    if (this.turns.due()) await this.turns.turn();
  }

  /**
   * Scans a piece; false when the text is not of the shape the scan cuts
   * up (found before the array starts). Text that is not JSON sets
   * `failure`.
   */
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
        if (this.item && this.itemKind === 'string' && inItems()) {
          await this.complete(piece.slice(itemFrom, i));
          if (this.failure) return true;
        }
        continue;
      }
      const c = piece.charCodeAt(i);
      if (this.item && this.itemKind === 'scalar') {
        // A number, `true`, `false` or `null` ends where the array goes on.
        if (c === 0x2c || c === 0x5d || isWhitespace(c)) {
          await this.complete(piece.slice(itemFrom, i));
          if (this.failure) return true;
        } else if (c === 0x7b || c === 0x5b || c === 0x7d || c === QUOTE) {
          return this.fail(`Unexpected "${String.fromCharCode(c)}"`);
        } else {
          i++;
          continue;
        }
      }
      if (this.depth === 0 && this.phase === 'after' && !isWhitespace(c)) {
        return this.fail('Unexpected non-whitespace character after the value');
      }
      switch (c) {
        case QUOTE:
          if (inItems()) {
            if (this.next === 'comma or end') {
              return this.fail('Expected "," or "]" after an item');
            }
            this.item = [];
            this.itemKind = 'string';
            itemFrom = i;
          }
          this.inString = true;
          this.backslashes = 0;
          this.topString = this.depth === 1 ? '' : undefined;
          break;
        case 0x3a /* : */:
          if (inItems()) return this.fail('Unexpected ":" in an array');
          if (this.depth === 1) {
            // JSON.parse keeps the last of two `items`, and a key written
            // with escapes (`"\u0069tems"`) may be `items` too.
            const maybeItems =
              this.lastString === 'items' || !!this.lastString?.includes('\\');
            if (this.phase === 'after' && maybeItems) this.itemsAgain = true;
            if (this.phase === 'before' && this.lastString?.includes('\\')) {
              return false;
            }
            this.key = this.lastString;
          }
          break;
        case 0x2c /* , */:
          if (this.depth === 1) this.key = undefined;
          if (inItems()) {
            if (this.next !== 'comma or end') {
              return this.fail('Unexpected "," in an array');
            }
            this.next = 'item';
          }
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
            this.next = 'item or end';
          } else if (inItems()) {
            if (this.next === 'comma or end') {
              return this.fail('Expected "," or "]" after an item');
            }
            this.item = [];
            this.itemKind = 'bracketed';
            itemFrom = i;
          }
          this.depth++;
          break;
        case 0x7d /* } */:
        case 0x5d /* ] */:
          if (inItems()) {
            // The end of the array.
            if (c !== 0x5d || this.next === 'item') {
              return this.fail(`Unexpected "${String.fromCharCode(c)}"`);
            }
          }
          this.depth--;
          if (this.depth < 0) {
            return this.fail(`Unexpected "${String.fromCharCode(c)}"`);
          }
          if (inItems() && this.item) {
            await this.complete(piece.slice(itemFrom, i + 1));
            if (this.failure) return true;
          } else if (this.depth === 1 && this.phase === 'items') {
            this.phase = 'after';
            mark = i + 1;
          }
          break;
        default:
          if (inItems() && !isWhitespace(c)) {
            if (this.next === 'comma or end') {
              return this.fail('Expected "," or "]" after an item');
            }
            this.item = [];
            this.itemKind = 'scalar';
            itemFrom = i;
          }
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
