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

/** A task that held the event loop, on the monotonic clock in µs. */
export type TaskWindow = { fromUs: number; toUs: number };

// Plain JavaScript, shared with the page benchmark's probe.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const timer = require('../longTaskTimer.cjs') as {
  watchLongTasks(
    onTask: (lateMs: number, place: TaskWindow) => void,
  ): () => void;
  newTally(): LongTasks;
  countTask(tally: LongTasks, lateMs: number): void;
};

/**
 * Watches the tasks that hold the event loop over 5 ms (`longTaskTimer.cjs`)
 * until `stop()`: their count, and each one's place on the clock of a V8 CPU
 * profile's timestamps, so the samples inside it say what ran.
 */
export function watchLongTasks(): {
  stop(): { tally: LongTasks; windows: TaskWindow[] };
} {
  const tally = timer.newTally();
  const windows: TaskWindow[] = [];
  const stopWatching = timer.watchLongTasks((lateMs, place) => {
    timer.countTask(tally, lateMs);
    if (windows.length < 10_000) windows.push(place);
  });
  return {
    stop() {
      stopWatching();
      return { tally, windows };
    },
  };
}
