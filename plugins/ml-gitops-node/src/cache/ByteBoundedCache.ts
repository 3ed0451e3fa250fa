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

/**
 * The bytes a value takes in memory, roughly and from above: two bytes a
 * character of a string (V8 keeps strings in one or two bytes a
 * character), and for anything else the same for its JSON text. Numbers,
 * booleans and null count eight bytes.
 * @public
 */
export function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return 2 * value.length;
  if (value === undefined || value === null) return 8;
  if (typeof value !== 'object') return 8;
  try {
    return 2 * (JSON.stringify(value)?.length ?? 0);
  } catch {
    // A value that cannot be written as JSON (a cycle) is never kept.
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * A least-recently-used cache bounded by the bytes of what it holds, not by
 * the number of entries: a config repo with large manifests or a registry
 * with long metric lists cannot grow the process without limit, whatever
 * the catalog or the repos contain. A value larger than the whole budget
 * is not kept at all.
 *
 * @public
 */
export class ByteBoundedCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(
    /** The most bytes the values may take together. */
    readonly maxBytes: number,
    private readonly sizeOf: (value: V) => number = approximateBytes,
  ) {
    if (!(maxBytes > 0)) {
      throw new TypeError(
        `maxBytes must be a positive number, not ${maxBytes}`,
      );
    }
  }

  /** The bytes the values take now. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value, which becomes the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps the value, dropping the least recently used ones to make room. */
  set(key: string, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(value) + 2 * key.length;
    if (!(bytes <= this.maxBytes)) return;
    while (this.used + bytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
    this.entries.set(key, { value, bytes });
    this.used += bytes;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.used -= entry.bytes;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
