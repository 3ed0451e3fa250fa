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

import { ByteBoundedCache, approximateBytes } from './ByteBoundedCache';

describe('ByteBoundedCache', () => {
  it('drops the least recently used values when the bytes run out', () => {
    // Each entry: 2 bytes a character of key (1) and value (9) = 20 bytes.
    const cache = new ByteBoundedCache<string>(60);
    cache.set('a', 'x'.repeat(9));
    cache.set('b', 'y'.repeat(9));
    cache.set('c', 'z'.repeat(9));
    expect(cache.bytes).toBe(60);
    cache.get('a'); // a is used: b is now the oldest
    cache.set('d', 'w'.repeat(9));
    expect(cache.has('b')).toBe(false);
    expect(['a', 'c', 'd'].every(k => cache.has(k))).toBe(true);
    expect(cache.bytes).toBe(60);
  });

  it('keeps many small values and few large ones within the same budget', () => {
    const cache = new ByteBoundedCache<string>(1024 * 1024);
    for (let i = 0; i < 100_000; i++) cache.set(`small${i}`, 'v');
    expect(cache.bytes).toBeLessThanOrEqual(1024 * 1024);
    for (let i = 0; i < 100; i++) cache.set(`large${i}`, 'x'.repeat(64 * 1024));
    expect(cache.bytes).toBeLessThanOrEqual(1024 * 1024);
    // 128 KiB a large value: at most 7 of them fit next to their keys.
    expect(cache.size).toBeLessThanOrEqual(8);
    expect(cache.has('large99')).toBe(true);
  });

  it('never keeps a value larger than the whole budget', () => {
    const cache = new ByteBoundedCache<string>(100);
    cache.set('small', 'ok');
    cache.set('huge', 'x'.repeat(1000));
    expect(cache.has('huge')).toBe(false);
    expect(cache.get('small')).toBe('ok');
  });

  it('counts a replaced value once', () => {
    const cache = new ByteBoundedCache<string>(1000);
    cache.set('k', 'aaaa');
    cache.set('k', 'bb');
    expect(cache.bytes).toBe(2 * (1 + 2));
    expect(cache.delete('k')).toBe(true);
    expect(cache.bytes).toBe(0);
  });

  it('keeps null, which a file that does not exist is cached as', () => {
    const cache = new ByteBoundedCache<string | null>(100);
    cache.set('missing', null);
    expect(cache.has('missing')).toBe(true);
    expect(cache.get('missing')).toBeNull();
  });

  it('sizes objects by their JSON and refuses cycles', () => {
    expect(approximateBytes({ a: 'bc' })).toBe(2 * '{"a":"bc"}'.length);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cache = new ByteBoundedCache<unknown>(1000);
    cache.set('c', cyclic);
    expect(cache.has('c')).toBe(false);
  });

  it('refuses a budget that is not a positive number', () => {
    expect(() => new ByteBoundedCache(0)).toThrow(
      'maxBytes must be a positive number, not 0',
    );
  });
});
