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
