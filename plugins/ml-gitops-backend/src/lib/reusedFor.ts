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
 * A value read anew at most every `ms` (`now` in milliseconds): the reads
 * meanwhile get the last one, and reads while one is under way share it.
 * A failed read is not kept. For what an API read may show a moment late,
 * as each replica reads what the poll (of any replica) wrote.
 */
export function reusedFor<T>(
  ms: number,
  read: () => Promise<T>,
  now: () => number = () => Date.now(),
): () => Promise<T> {
  let kept: { at: number; value: T } | undefined;
  let reading: Promise<T> | undefined;
  return () => {
    if (kept && now() - kept.at < ms) return Promise.resolve(kept.value);
    if (!reading) {
      const at = now();
      reading = read().then(
        value => {
          kept = { at, value };
          reading = undefined;
          return value;
        },
        error => {
          reading = undefined;
          throw error;
        },
      );
    }
    return reading;
  };
}
