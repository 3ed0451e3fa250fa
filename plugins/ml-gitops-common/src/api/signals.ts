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

// The signals the backend sends when a model's status changes, and the opaque key naming the model in them.

/**
 * The signals channel on which the backend announces that the status of
 * models changed; the message is `{ keys }`, see {@link statusSignalKey}.
 *
 * @public
 */
export const ML_GITOPS_SIGNAL_CHANNEL = 'ml-gitops:status';

/**
 * The message published on {@link ML_GITOPS_SIGNAL_CHANNEL}: one per batch
 * of changed models written together (up to 100), not one per model.
 * Signals are broadcast to every signed-in user, so the message names no
 * entity: a page that shows a model computes the model's key and looks for
 * it.
 *
 * @public
 */
export type MlGitopsStatusSignal = {
  /** {@link statusSignalKey} of each entity whose status changed. */
  keys: string[];
  /**
   * The one key of the message before batching (version 0.x of the
   * backend); read by pages so that a rolling upgrade misses nothing.
   *
   * @deprecated read `keys`
   */
  key?: string;
};

/**
 * The opaque key of an entity in status signals: the 64-bit FNV-1a hash of
 * `ml-gitops:<entityRef>` in hex. Synchronous and the same in the browser
 * and in Node (Web Crypto is missing on pages served over plain HTTP); a
 * collision costs one needless reload, nothing more.
 *
 * @public
 */
export function statusSignalKey(entityRef: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(`ml-gitops:${entityRef}`)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
