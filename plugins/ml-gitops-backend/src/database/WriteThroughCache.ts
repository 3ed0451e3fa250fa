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
 * The store's key/value cache with an in-memory copy in front: a value read
 * once is served from memory afterwards, every write goes to the database
 * too. Only for values this process is the main writer of and that are safe
 * to read stale — the config repos' branch validators and declarations: an
 * old ETag costs one uncounted request more, an old declaration makes the
 * history walk re-read commits whose deployments are already recorded.
 */
export class WriteThroughCache {
  private readonly values: ByteBoundedCache<unknown>;

  constructor(
    private readonly store: Pick<
      MlGitopsStore,
      'getCacheValue' | 'setCacheValue'
    >,
    maxBytes: number = DEFAULT_MAX_BYTES,
  ) {
    this.values = new ByteBoundedCache<unknown>(maxBytes);
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (this.values.has(key)) {
      return this.values.get(key) as T | undefined;
    }
    const value = await this.store.getCacheValue<T>(key);
    if (value !== undefined) {
      this.remember(key, value);
    }
    return value;
  }

  async set<T>(key: string, value: T): Promise<void> {
    await this.store.setCacheValue(key, value);
    this.remember(key, value);
  }

  private remember(key: string, value: unknown) {
    this.values.set(key, value);
  }
}
