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

import { setImmediate as nextTurn } from 'node:timers/promises';
import { ReadsInTurn } from './readsInTurn';

describe('ReadsInTurn', () => {
  const store = new Map([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);

  function reader(maxKeys?: number) {
    const reads: string[][] = [];
    const reads$ = new ReadsInTurn<number>(async keys => {
      reads.push(keys);
      return new Map(
        keys.filter(k => store.has(k)).map(k => [k, store.get(k)!]),
      );
    }, maxKeys);
    return { reads, reads$ };
  }

  it('reads the keys asked for in one turn together, each once', async () => {
    const { reads, reads$ } = reader();
    const answers = await Promise.all([
      reads$.get('a'),
      reads$.get('b'),
      reads$.get('a'),
      reads$.get('missing'),
    ]);
    expect(answers).toEqual([1, 2, 1, undefined]);
    expect(reads).toEqual([['a', 'b', 'missing']]);
  });

  it('reads again for keys asked in a later turn', async () => {
    const { reads, reads$ } = reader();
    const first = reads$.get('a');
    await nextTurn();
    const second = reads$.get('c');
    expect([await first, await second]).toEqual([1, 3]);
    expect(reads).toEqual([['a'], ['c']]);
  });

  it('splits a turn of many keys into reads of at most maxKeys', async () => {
    const { reads, reads$ } = reader(2);
    expect(await Promise.all(['a', 'b', 'c'].map(k => reads$.get(k)))).toEqual([
      1, 2, 3,
    ]);
    expect(reads).toEqual([['a', 'b'], ['c']]);
  });

  it('fails every ask of a failed read, and only those', async () => {
    let fail = true;
    const reads$ = new ReadsInTurn<number>(async keys => {
      if (fail) throw new Error('database is locked');
      return new Map(keys.map(k => [k, 7]));
    });
    const asked = [reads$.get('a'), reads$.get('b')];
    await expect(asked[0]).rejects.toThrow('database is locked');
    await expect(asked[1]).rejects.toThrow('database is locked');
    fail = false;
    expect(await reads$.get('a')).toBe(7);
  });

  it('fails the asks when the read throws before it returns a promise', async () => {
    const reads$ = new ReadsInTurn<number>(() => {
      throw new Error('no connection');
    });
    await expect(reads$.get('a')).rejects.toThrow('no connection');
  });
});
