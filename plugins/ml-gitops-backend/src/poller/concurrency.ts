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

import { fleetTurns, Turns } from '../lib/turns';

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, letting the
 * event loop turn (pending I/O, timers, requests) whenever the calls have
 * run for `sliceMs` (default 5 ms) since the last turn: a model whose
 * facts are all cached polls without waiting for I/O. Without options the
 * slice is the one every loop over the fleet shares (`fleetTurns`);
 * `options.turns` gives another to share.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  options: { sliceMs?: number; now?: () => number; turns?: Turns } = {},
): Promise<R[]> {
  const turns =
    options.turns ??
    (options.sliceMs === undefined && options.now === undefined
      ? fleetTurns
      : new Turns(options.sliceMs, options.now));
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (turns.due()) {
        await turns.turn();
        if (next >= items.length) break;
      }
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return results;
}
