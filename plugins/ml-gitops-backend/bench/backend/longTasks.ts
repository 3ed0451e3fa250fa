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

import type { LongTasks } from './cycleReport';

/** How often the watching timer asks to run. */
const TICK_MS = 1;

/** A task that held the event loop, on the monotonic clock in µs. */
export type TaskWindow = { fromUs: number; toUs: number };

/**
 * Watches how long tasks hold the event loop, from a 1 ms timer's lateness:
 * a timer that fired `late` ms after it was due waited for a task (or
 * several back to back) of about that length. The windows are on the clock
 * of a V8 CPU profile's timestamps (µs), so the samples inside each say what
 * ran.
 */
export function watchLongTasks(): {
  stop(): { tally: LongTasks; windows: TaskWindow[] };
} {
  const tally: LongTasks = { over5: 0, over10: 0, over20: 0, over5Ms: 0 };
  const windows: TaskWindow[] = [];
  let last = process.hrtime.bigint();
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    const lateMs = Number(now - last) / 1e6 - TICK_MS;
    last = now;
    if (lateMs <= 5) return;
    tally.over5++;
    tally.over5Ms += lateMs;
    if (lateMs > 10) tally.over10++;
    if (lateMs > 20) tally.over20++;
    if (windows.length < 10_000) {
      windows.push({
        fromUs: Number(now / 1000n) - Math.round(lateMs * 1000),
        toUs: Number(now / 1000n),
      });
    }
  }, TICK_MS);
  return {
    stop() {
      clearInterval(timer);
      return { tally, windows };
    },
  };
}
