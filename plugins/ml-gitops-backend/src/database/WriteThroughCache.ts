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
import { ByteBoundedCache } from '@ml-gitops/plugin-ml-gitops-node';
import { MlGitopsStore } from './MlGitopsStore';

/**
 * The memory the in-process copy may take: room for the validators and
 * declarations of 10,000 config repos with three environments each (about
 * 1 KiB a repo), bounded in bytes so that repos with large values cannot
 * grow the process without limit. What does not fit is read from the
 * database again.
 */
const DEFAULT_MAX_BYTES = 96 * 1024 * 1024;

/**
 * How long a key the database did not hold is taken as absent without
 * asking again: a cycle asks for the same declaration twice (its read
 * ahead, then its read), and a fleet met for the first time holds none.
 * Short, since another replica may write the key meanwhile.
 */
const ABSENT_MS = 30_000;
/** Absent keys remembered at most; beyond, the oldest are forgotten. */
const MAX_ABSENT = 100_000;

type QueuedWrite = {
  key: string;
  value: unknown;
  resolve: () => void;
  reject: (error: unknown) => void;
};

/**
 * The store's key/value cache with an in-memory copy in front: a value read
 * once is served from memory afterwards, every write goes to the database
 * too. Only for values this process is the main writer of and that are safe
 * to read stale — the config repos' branch validators and declarations: an
 * old ETag costs one uncounted request more, an old declaration makes the
 * history walk re-read commits whose deployments are already recorded. A
 * key the database lacks is taken as absent for `ABSENT_MS`. Writes asked
 * for while one is under way go to the database together, in one
 * statement, when it ends: where a write waits for a database server, a
 * cycle that polls models side by side shares statements among them.
 */
export class WriteThroughCache {
  private readonly values: ByteBoundedCache<unknown>;
  /** Keys the database did not hold, and until when that is believed. */
  private readonly absent = new Map<string, number>();
  /** Writes waiting for the one under way, in the order asked. */
  private queued: QueuedWrite[] = [];
  /** The writes under way, while there are. */
  private writing?: Promise<void>;

  constructor(
    private readonly store: Pick<
      MlGitopsStore,
      'getCacheValue' | 'getCacheValues' | 'setCacheValues'
    >,
    maxBytes: number = DEFAULT_MAX_BYTES,
    private readonly now: () => number = Date.now,
  ) {
    this.values = new ByteBoundedCache<unknown>(maxBytes);
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (this.values.has(key)) {
      return this.values.get(key) as T | undefined;
    }
    if (this.knownAbsent(key)) return undefined;
    const value = await this.store.getCacheValue<T>(key);
    if (value !== undefined) {
      this.remember(key, value);
    } else {
      this.rememberAbsent(key);
    }
    return value;
  }

  /**
   * The values of many keys, those not in memory read from the database in
   * one go (one query per 500 keys instead of one each).
   */
  async getMany<T>(keys: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const missing: string[] = [];
    for (const key of keys) {
      if (this.values.has(key)) {
        const value = this.values.get(key);
        if (value !== undefined) found.set(key, value as T);
      } else if (!this.knownAbsent(key)) {
        missing.push(key);
      }
    }
    if (missing.length === 0) return found;
    const read = await this.store.getCacheValues<T>(missing);
    for (const key of missing) {
      const value = read.get(key);
      if (value !== undefined) {
        this.remember(key, value);
        found.set(key, value);
      } else {
        this.rememberAbsent(key);
      }
    }
    return found;
  }

  /** Writes `value` under `key`; resolves once the database has it. */
  set<T>(key: string, value: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ key, value, resolve, reject });
      this.writing ??= this.writeQueued();
    });
  }

  /**
   * Writes what is queued, in batches, until nothing is; says it is done
   * in the same turn as it finds nothing queued, so that a write asked for
   * right after starts anew. The first batch waits for the event loop's
   * turn, so that what the models polled side by side ask for meanwhile
   * shares its statement: on SQLite a write ends before the next is asked
   * for, and a cold cycle wrote 4 rows a model one statement each.
   */
  private async writeQueued(): Promise<void> {
    try {
      await nextTurn();
      while (this.queued.length > 0) {
        const batch = this.queued;
        this.queued = [];
        try {
          await this.store.setCacheValues(batch);
        } catch (error) {
          for (const write of batch) write.reject(error);
          continue;
        }
        for (const write of batch) {
          this.remember(write.key, write.value);
          write.resolve();
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private remember(key: string, value: unknown) {
    this.absent.delete(key);
    this.values.set(key, value);
  }

  private knownAbsent(key: string): boolean {
    const until = this.absent.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.absent.delete(key);
    return false;
  }

  private rememberAbsent(key: string) {
    this.absent.delete(key);
    this.absent.set(key, this.now() + ABSENT_MS);
    if (this.absent.size > MAX_ABSENT) {
      this.absent.delete(this.absent.keys().next().value!);
    }
  }
}
