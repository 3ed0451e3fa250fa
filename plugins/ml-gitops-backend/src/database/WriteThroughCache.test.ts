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

import { setImmediate as turn } from 'node:timers/promises';
import { WriteThroughCache } from './WriteThroughCache';

/** A store of cache values in a map, counting the reads and the writes. */
function mapStore(initial: Record<string, unknown> = {}) {
  const rows = new Map(Object.entries(initial));
  const reads: string[][] = [];
  const writes: string[][] = [];
  /** When set, the next write waits for this and fails if it rejects. */
  const gate: { next?: Promise<void> } = {};
  return {
    rows,
    reads,
    writes,
    gate,
    store: {
      async getCacheValue<T>(key: string) {
        reads.push([key]);
        return rows.get(key) as T | undefined;
      },
      async getCacheValues<T>(keys: readonly string[]) {
        reads.push([...keys]);
        const found = new Map<string, T>();
        for (const key of keys) {
          if (rows.has(key)) found.set(key, rows.get(key) as T);
        }
        return found;
      },
      async setCacheValues(
        entries: ReadonlyArray<{ key: string; value: unknown }>,
      ) {
        writes.push(entries.map(e => e.key));
        const waitFor = gate.next;
        gate.next = undefined;
        await waitFor;
        for (const { key, value } of entries) rows.set(key, value);
      },
    },
  };
}

describe('WriteThroughCache', () => {
  it('reads a stored value once, then from memory', async () => {
    const { store, reads } = mapStore({ a: 1 });
    const cache = new WriteThroughCache(store);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('a')).toBe(1);
    expect(reads).toEqual([['a']]);
  });

  it('takes a key the database lacks as absent for 30 s, then asks again', async () => {
    let now = 0;
    const { store, reads, rows } = mapStore();
    const cache = new WriteThroughCache(store, undefined, () => now);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('a')).toBeUndefined();
    expect(reads).toEqual([['a']]);
    // Another replica writes it meanwhile: seen once the 30 s are over.
    rows.set('a', 2);
    now = 29_999;
    expect(await cache.get('a')).toBeUndefined();
    now = 30_000;
    expect(await cache.get('a')).toBe(2);
    expect(reads).toEqual([['a'], ['a']]);
  });

  it('forgets an absence when this process writes the key', async () => {
    const { store, reads } = mapStore();
    const cache = new WriteThroughCache(store);
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('a', 3);
    expect(await cache.get('a')).toBe(3);
    expect(reads).toEqual([['a']]);
  });

  it('reads the keys not in memory in one go, and remembers what it found and what it did not', async () => {
    const { store, reads } = mapStore({ a: 1, b: 2, c: 3 });
    const cache = new WriteThroughCache(store);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('x')).toBeUndefined();
    const many = await cache.getMany(['a', 'b', 'c', 'x', 'y']);
    expect(many).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]),
    );
    expect(reads).toEqual([['a'], ['x'], ['b', 'c', 'y']]);
    expect(await cache.get('b')).toBe(2);
    expect(await cache.get('y')).toBeUndefined();
    expect(await cache.getMany(['a', 'b', 'y'])).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    expect(reads).toHaveLength(3);
  });

  it('writes what is asked for in one turn together, and what is asked for during a write once it ends', async () => {
    const { store, rows, writes, gate } = mapStore();
    const cache = new WriteThroughCache(store);
    let open!: () => void;
    gate.next = new Promise<void>(resolve => {
      open = resolve;
    });
    const first = [cache.set('a', 1), cache.set('z', 0)];
    // Nothing is written in the turn the writes are asked for.
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual([['a', 'z']]);
    const more = [cache.set('b', 2), cache.set('c', 3), cache.set('b', 4)];
    await turn();
    expect(writes).toEqual([['a', 'z']]);
    open();
    await Promise.all([...first, ...more]);
    expect(writes).toEqual([
      ['a', 'z'],
      ['b', 'c', 'b'],
    ]);
    expect(Object.fromEntries(rows)).toEqual({ a: 1, b: 4, c: 3, z: 0 });
    expect(await cache.get('b')).toBe(4);
    // a write asked for as the last one resolves starts a write of its own
    await cache.set('d', 5).then(() => cache.set('e', 6));
    expect(writes.slice(2)).toEqual([['d'], ['e']]);
    expect(rows.get('e')).toBe(6);
  });

  it('fails the writes of a batch the database refused, and goes on with the next', async () => {
    const { store, rows, reads, gate } = mapStore({ a: 0 });
    const cache = new WriteThroughCache(store);
    let refuse!: (error: Error) => void;
    gate.next = new Promise<void>((_, reject) => {
      refuse = reject;
    });
    const refused = cache.set('a', 1);
    await turn();
    const next = cache.set('b', 2);
    refuse(new Error('database is locked'));
    await expect(refused).rejects.toThrow('database is locked');
    await next;
    expect(Object.fromEntries(rows)).toEqual({ a: 0, b: 2 });
    // the refused value was not taken into memory: the database's is read
    expect(await cache.get('a')).toBe(0);
    expect(reads).toEqual([['a']]);
  });
});
