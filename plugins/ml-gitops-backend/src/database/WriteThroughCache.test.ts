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

import { WriteThroughCache } from './WriteThroughCache';

/** A store of cache values in a map, counting the reads. */
function mapStore(initial: Record<string, unknown> = {}) {
  const rows = new Map(Object.entries(initial));
  const reads: string[][] = [];
  return {
    rows,
    reads,
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
      async setCacheValue<T>(key: string, value: T) {
        rows.set(key, value);
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
});
