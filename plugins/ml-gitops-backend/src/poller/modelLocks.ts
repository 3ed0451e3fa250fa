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

// One lock per model, so the watches and a cycle of this replica never resolve one model at the same time.

/**
 * Locks by entity ref: whoever holds a model's lock is the only one of this
 * replica resolving it, so neither the watches nor a cycle writes what the
 * other already replaced.
 */
export class ModelLocks {
  /** The models one is resolving now, and how to wait for them, by entity ref. */
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Waits until no one else resolves this model, and holds it. Returns the
   * release.
   */
  async lock(entityRef: string): Promise<() => void> {
    const before = this.tails.get(entityRef) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>(resolve => {
      release = resolve;
    });
    const tail = before.then(() => held);
    this.tails.set(entityRef, tail);
    await before;
    return () => {
      release();
      if (this.tails.get(entityRef) === tail) {
        this.tails.delete(entityRef);
      }
    };
  }
}
