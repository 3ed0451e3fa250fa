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
  BodyReadError,
  ListJsonParser,
  parseListInTurns,
  readListBody,
} from './listJson';
import { Turns } from './turns';

/** A clock that moves 1 ms each time it is read: a slice is 10 reads. */
function countingTurns() {
  let now = 0;
  const turns = new Turns(10, () => now++);
  const turn = jest.spyOn(turns, 'turn');
  return { turns, turn };
}

const TEXTS = [
  '{"metadata":{"resourceVersion":"12"},"items":[{"a":1},{"b":[1,2,{"c":"]}"}]}]}',
  // strings holding quotes, backslashes, brackets and the word items
  '{"items":[{"s":"a \\" } ] { [ \\\\"},{"items":"items","t":"\\\\\\\\"}],"x":"items"}',
  ' { "kind" : "List" , "items" : [ ] , "metadata" : { "items" : [ 1 ] } } ',
  '{"metadata":{"items":[{"nested":true}]},"items":[{"top":true}]}',
  '{"items":[1,2,3]}',
  '{"items":["a",{"b":1}]}',
  '{"items":null}',
  '{"items":{"a":1}}',
  '{"items":[{"a":1}],"items":[{"b":2}]}',
  '[{"items":[]}]',
  '{"no":"items here"}',
  '"items"',
  '42',
  '{"items":[{"emoji":"\\ud83d\\ude80","u":"é"}]}',
  // a key with escapes is `items` to JSON.parse
  '{"items":[{"a":1}],"\\u0069tems":[{"b":2}]}',
  '{"\\u0069tems":[{"b":2}],"z":1}',
  '{"items":[{"a":1}]} ',
  '{"items":[{"s":"\\\\\\"\\\\"}]}',
  // items of every kind, with whitespace around them
  '{"items":[ true , false,null, -1.5e3 ,0,"x\\"]",[],{},[1,[2,{"a":[]}]] ],"n":1}',
  '{"items":["a" ,"b"]}',
  '{"items":[ ]}',
  '{"items":[7]}',
];

/** `text` cut into pieces at random places (the same cuts for a seed). */
function randomPieces(text: string, seed: number): string[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pieces: string[] = [];
  let from = 0;
  while (from < text.length) {
    const length = 1 + Math.floor(next() * 6);
    pieces.push(text.slice(from, from + length));
    from += length;
  }
  return pieces;
}

/** Parses the pieces; `cut` says whether the items were cut out one by one. */
async function parsePieces(pieces: string[], cut?: boolean): Promise<unknown> {
  const parser = new ListJsonParser();
  for (const piece of pieces) await parser.write(piece);
  const value = await parser.end();
  if (cut !== undefined) expect(parser.cut).toBe(cut);
  return value;
}

/** The texts of TEXTS the scan cuts up (the others go to JSON.parse whole). */
const CUT = new Set([0, 1, 2, 3, 4, 5, 13, 16, 17, 18, 19, 20, 21]);

const NOT_JSON = [
  '',
  '<html>Bad gateway</html>',
  '{"items":[{"a":1}',
  '{"items":[{"a":1}]}}',
  '{"items":[{"a":"unterminated}]}',
  '{"items":[{"a":1}]} x',
  '{"items":[{"a":1]}]}',
  // what a scan of brackets alone would let through
  '{"items":[{"a":1}{"b":2}]}',
  '{"items":[1 2]}',
  '{"items":[,1]}',
  '{"items":[1,]}',
  '{"items":[1,,2]}',
  '{"items":["a" "b"]}',
  '{"items":["a"1]}',
  '{"items":[1"a"]}',
  '{"items":[1{}]}',
  '{"items":[1}]}',
  '{"items":[tru]}',
  '{"items":[1:2]}',
  '{"items":[1]}{}',
  '{"items":[1]}]',
  '{"items":[1],}',
  '{"items":[1]:2}',
  '{"items":[1]',
  '{"items":["a',
];

describe('parseListInTurns', () => {
  it('gives what JSON.parse gives, for lists and for anything else', async () => {
    const texts = TEXTS;
    for (const text of texts) {
      expect(await parseListInTurns(text)).toEqual(JSON.parse(text));
    }
  });

  it('throws as JSON.parse throws for text that is not JSON', async () => {
    for (const text of NOT_JSON) {
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      await expect(parseListInTurns(text)).rejects.toThrow(SyntaxError);
    }
  });

  it('lets the event loop turn while it parses a long list', async () => {
    const list = {
      metadata: { resourceVersion: '7' },
      items: Array.from({ length: 3000 }, (_, i) => ({
        metadata: { name: `app-${i}`, labels: { 'ml-gitops/model': `m${i}` } },
        status: { sync: { status: 'Synced', revision: `${i}`.repeat(40) } },
      })),
    };
    const text = JSON.stringify(list);
    const { turns, turn } = countingTurns();
    expect(await parseListInTurns(text, turns)).toEqual(list);
    // One turn per 10 items parsed at the least, and the scan's own.
    expect(turn.mock.calls.length).toBeGreaterThanOrEqual(3000 / 10);

    const whole = countingTurns();
    await parseListInTurns('{"items":[1,2]}', whole.turns);
    expect(whole.turn).not.toHaveBeenCalled();
  });
});

describe('ListJsonParser', () => {
  it('gives what JSON.parse gives wherever the pieces are cut', async () => {
    for (const [index, text] of TEXTS.entries()) {
      const cut = CUT.has(index);
      // Every cut into two pieces, then random cuts into many.
      for (let at = 0; at <= text.length; at++) {
        const pieces = [text.slice(0, at), text.slice(at)];
        expect(await parsePieces(pieces, cut)).toEqual(JSON.parse(text));
      }
      for (let seed = 1; seed <= 20; seed++) {
        expect(await parsePieces(randomPieces(text, seed), cut)).toEqual(
          JSON.parse(text),
        );
      }
    }
  });

  it('throws as JSON.parse throws wherever the pieces are cut', async () => {
    for (const text of NOT_JSON) {
      for (let at = 0; at <= text.length; at++) {
        await expect(
          parsePieces([text.slice(0, at), text.slice(at)]),
        ).rejects.toThrow(SyntaxError);
      }
    }
  });

  it('parses the items as they complete, before the text ends', async () => {
    const parser = new ListJsonParser();
    await parser.write('{"items":[{"a":1},{"b"');
    expect((parser as unknown as { items: unknown[] }).items).toEqual([
      { a: 1 },
    ]);
    await parser.write(':2}]}');
    expect(await parser.end()).toEqual({ items: [{ a: 1 }, { b: 2 }] });
  });

  it('holds no piece it has scanned once the array starts', async () => {
    const parser = new ListJsonParser();
    const held = () => (parser as unknown as { pieces: string[] }).pieces;
    await parser.write('{"kind":"List","it');
    expect(held()).toHaveLength(1);
    await parser.write('ems":[{"a":1},{"b"');
    expect(held()).toHaveLength(0);
    await parser.write(':2},"c",');
    await parser.write('3],"x":1}');
    expect(held()).toHaveLength(0);
    expect(await parser.end()).toEqual({
      kind: 'List',
      items: [{ a: 1 }, { b: 2 }, 'c', 3],
      x: 1,
    });
    expect(parser.head()).toBe(
      '{"kind":"List","items":[{"a":1},{"b":2},"c",3],"x":1}',
    );
  });

  it('reads an item the item function cannot read as JSON.parse does', async () => {
    const parser = new ListJsonParser(undefined, {
      item: text => {
        if (text.includes('odd')) throw new TypeError('not a kind I read');
        return { kept: JSON.parse(text) };
      },
    });
    await parser.write('{"items":[{"a":1},{"odd":true}]}');
    expect(await parser.end()).toEqual({
      items: [{ kept: { a: 1 } }, { odd: true }],
    });

    const broken = new ListJsonParser(undefined, {
      item: () => {
        throw new TypeError('never read');
      },
    });
    await broken.write('{"items":[{"a":1},{"a":tru}]}');
    await expect(broken.end()).rejects.toThrow(SyntaxError);
  });

  it('tells what a text that is not JSON began with', async () => {
    const parser = new ListJsonParser();
    await parser.write('<html>Bad ');
    await parser.write('gateway</html>');
    await expect(parser.end()).rejects.toThrow(SyntaxError);
    expect(parser.head(9)).toBe('<html>Bad');
  });
});

/** A body that sends `bytes` in chunks of `size`, then ends or fails. */
function body(bytes: Uint8Array, size: number, failure?: Error) {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at < bytes.length) {
        controller.enqueue(bytes.slice(at, at + size));
        at += size;
      } else if (failure) {
        controller.error(failure);
      } else {
        controller.close();
      }
    },
  });
}

describe('readListBody', () => {
  it('decodes UTF-8 cut inside a character, as Response.text() does', async () => {
    const list = {
      items: [{ name: 'é🚀ü', note: '"quoted" \\ ]}' }, { name: 'x' }],
    };
    const text = `\ufeff${JSON.stringify(list)}`;
    const bytes = new TextEncoder().encode(text);
    const expected = JSON.parse(await new Response(bytes).text());
    for (const size of [1, 2, 3, 5, 64]) {
      expect(
        await readListBody(body(bytes, size), new ListJsonParser()),
      ).toEqual(expected);
    }
  });

  it('fails with BodyReadError when the body breaks off', async () => {
    const bytes = new TextEncoder().encode('{"items":[{"a":1},');
    await expect(
      readListBody(
        body(bytes, 4, new Error('socket hang up')),
        new ListJsonParser(),
      ),
    ).rejects.toEqual(expect.any(BodyReadError));
  });
});
