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

/**
 * How long work over a whole fleet may keep the event loop before it lets
 * it turn. Work whose data is at hand (cached facts, a parsed list) never
 * waits for I/O, so without a turn thousands of models would run as one long
 * task and hold every request that arrives meanwhile (#15: no stall over
 * 50 ms during a cycle). A request that arrives during a slice waits for its
 * end: 5 ms is half of #15's p99 for one client through a cycle (10 ms),
 * and a turn costs tens of microseconds.
 */
export const DEFAULT_SLICE_MS = 5;

/** Tells a loop over a fleet when to let the event loop turn. */
export class Turns {
  private started: number;

  constructor(
    private readonly sliceMs = DEFAULT_SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  /** Whether the slice is used up (cheap: call it per item). */
  due(): boolean {
    return this.now() - this.started >= this.sliceMs;
  }

  /** The turn the callers of {@link turn} wait for, while one is pending. */
  private pending?: Promise<void>;

  /**
   * Lets pending I/O, timers and requests run, then starts a new slice.
   * Callers that run side by side (a pool of workers) wait for the same
   * turn and share the slice after it: each turning on its own got a
   * slice each in one turn of the loop, eight workers 80 ms.
   */
  turn(): Promise<void> {
    this.pending ??= nextTurn().then(() => {
      this.pending = undefined;
      this.started = this.now();
    });
    return this.pending;
  }
}

/**
 * The one slice every loop over the fleet in this process shares: a cycle
 * reads three Argo CD lists, a cluster's list chunks, GraphQL answers and
 * the models side by side, and the event loop runs every callback whose I/O
 * is ready before it turns. With a slice each, a turn of the loop held one
 * slice per reader (tasks of 20-50 ms); sharing one, the readers' work
 * together stops at the slice's end, and each still does at least one item
 * after every turn, so none waits for ever.
 */
export const fleetTurns = new Turns();

/** Calls `fn` for each item, letting the event loop turn between slices. */
export async function forEachInTurns<T>(
  items: Iterable<T>,
  fn: (item: T, index: number) => void,
  turns = fleetTurns,
): Promise<void> {
  let index = 0;
  for (const item of items) {
    if (turns.due()) await turns.turn();
    fn(item, index++);
  }
}
