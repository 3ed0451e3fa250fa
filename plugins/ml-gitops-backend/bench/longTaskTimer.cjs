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

/*
 * Tasks that held the event loop, from a 1 ms timer's lateness: a timer
 * that fired `late` ms after it was due waited for a task (or several back
 * to back) of about that length, and a request that arrived meanwhile
 * waited for its end. Shared by the page benchmark's probe (plain
 * JavaScript, preloaded into the backend process) and `yarn bench:backend`.
 * Each task's place is on the monotonic clock in µs, the clock of a V8 CPU
 * profile's timestamps, so the samples inside it say what ran.
 */

'use strict';

const TICK_MS = 1;

/**
 * Calls `onTask(lateMs, { fromUs, toUs })` for every task over 5 ms from
 * now on; returns the function that stops watching. The timer never keeps
 * the process alive.
 */
function watchLongTasks(onTask) {
  let last = process.hrtime.bigint();
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    const lateMs = Number(now - last) / 1e6 - TICK_MS;
    last = now;
    if (lateMs <= 5) return;
    const toUs = Number(now / 1000n);
    onTask(lateMs, { fromUs: toUs - Math.round(lateMs * 1000), toUs });
  }, TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** A count of tasks over 5, 10 and 20 ms, and the time of those over 5 ms. */
function newTally() {
  return { over5: 0, over10: 0, over20: 0, over5Ms: 0 };
}

/** Adds a task of `lateMs` to a tally of {@link newTally}. */
function countTask(tally, lateMs) {
  tally.over5++;
  tally.over5Ms += lateMs;
  if (lateMs > 10) tally.over10++;
  if (lateMs > 20) tally.over20++;
}

module.exports = { watchLongTasks, newTally, countTask };
