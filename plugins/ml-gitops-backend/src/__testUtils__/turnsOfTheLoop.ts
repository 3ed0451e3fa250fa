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
 * Measures the work done between two turns of the event loop, as a timer or
 * a request waiting on the loop sees it: a callback runs at every turn and
 * starts the count again. `work(ms)` adds to the count (and to `clock`, the
 * time a `Turns` under test reads); `most` is the longest run of work
 * between two turns. `stop()` ends the callbacks.
 */
export function workBetweenTurns() {
  let since = 0;
  let most = 0;
  let clock = 0;
  let watching = true;
  const watch = () => {
    since = 0;
    if (watching) setImmediate(watch);
  };
  setImmediate(watch);
  return {
    now: () => clock,
    work(ms: number) {
      clock += ms;
      since += ms;
      most = Math.max(most, since);
    },
    get most() {
      return most;
    },
    stop() {
      watching = false;
    },
  };
}
