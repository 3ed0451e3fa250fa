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

import { parseListInTurns } from './listJson';
import { Turns } from './turns';

/** A clock that moves 1 ms each time it is read: a slice is 10 reads. */
function countingTurns() {
  let now = 0;
  const turns = new Turns(10, () => now++);
  const turn = jest.spyOn(turns, 'turn');
  return { turns, turn };
}

describe('parseListInTurns', () => {
  it('gives what JSON.parse gives, for lists and for anything else', async () => {
    const texts = [
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
    ];
    for (const text of texts) {
      expect(await parseListInTurns(text)).toEqual(JSON.parse(text));
    }
  });

  it('throws as JSON.parse throws for text that is not JSON', async () => {
    for (const text of [
      '',
      '<html>Bad gateway</html>',
      '{"items":[{"a":1}',
      '{"items":[{"a":1}]}}',
      '{"items":[{"a":"unterminated}]}',
    ]) {
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
