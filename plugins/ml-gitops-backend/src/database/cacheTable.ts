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

import { Knex } from 'knex';
import { CACHE, iso } from './tables';

// The cache table: small JSON values shared by the backend replicas.

/** The value stored under `key`, if any. */
export async function getCacheValue<T>(
  db: Knex,
  key: string,
): Promise<T | undefined> {
  const row = await db(CACHE).where({ key }).first();
  return row ? (JSON.parse(row.value) as T) : undefined;
}

/** Keys per read of `getCacheValues`: well under every database's limit of bound parameters. */
const KEYS_PER_READ = 500;

/** The values stored under `keys`; absent keys are left out. */
export async function getCacheValues<T>(
  db: Knex,
  keys: readonly string[],
): Promise<Map<string, T>> {
  const values = new Map<string, T>();
  const unique = [...new Set(keys)];
  for (let from = 0; from < unique.length; from += KEYS_PER_READ) {
    const rows: Array<{ key: string; value: string }> = await db(CACHE)
      .select('key', 'value')
      .whereIn('key', unique.slice(from, from + KEYS_PER_READ));
    for (const row of rows) values.set(row.key, JSON.parse(row.value) as T);
  }
  return values;
}

/** Stores `value` under `key`, replacing what was there. */
export async function setCacheValue<T>(
  db: Knex,
  key: string,
  value: T,
): Promise<void> {
  await db(CACHE)
    .insert({
      key,
      value: JSON.stringify(value),
      updated_at: iso(new Date()),
    })
    .onConflict('key')
    .merge(['value', 'updated_at']);
}

/** Rows per write of `setCacheValues` (three parameters each). */
const ROWS_PER_WRITE = 300;

/**
 * Stores each value under its key, replacing what was there; of a key
 * given twice the last value stands (one statement cannot set a row twice).
 */
export async function setCacheValues(
  db: Knex,
  entries: ReadonlyArray<{ key: string; value: unknown }>,
): Promise<void> {
  const last = new Map<string, unknown>();
  for (const { key, value } of entries) {
    last.delete(key);
    last.set(key, value);
  }
  const updatedAt = iso(new Date());
  const rows = [...last].map(([key, value]) => ({
    key,
    value: JSON.stringify(value),
    updated_at: updatedAt,
  }));
  for (let from = 0; from < rows.length; from += ROWS_PER_WRITE) {
    await db(CACHE)
      .insert(rows.slice(from, from + ROWS_PER_WRITE))
      .onConflict('key')
      .merge(['value', 'updated_at']);
  }
}
