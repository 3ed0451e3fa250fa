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

import { workBetweenTurns } from '../__testUtils__/turnsOfTheLoop';
import { mapWithConcurrency } from './concurrency';

describe('mapWithConcurrency', () => {
  it('keeps the order of the items and at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async n => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise(resolve => setTimeout(resolve, n));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('lets the event loop turn when calls that never wait run past the slice', async () => {
    let clock = 0;
    let done = 0;
    const turns: number[] = [];
    // something else waiting on the event loop: a callback every turn
    let watching = true;
    const watch = () => {
      turns.push(done);
      if (watching) setImmediate(watch);
    };
    setImmediate(watch);
    try {
      await mapWithConcurrency(
        Array.from({ length: 30 }, (_, i) => i),
        4,
        async () => {
          clock += 4; // each call works 4 ms without waiting for anything
          done++;
        },
        { sliceMs: 10, now: () => clock },
      );
    } finally {
      watching = false;
    }
    expect(done).toBe(30);
    // the timer ran in between the calls, not only after all of them
    expect(turns.some(n => n > 0 && n < 30)).toBe(true);
  });

  it('shares one slice between its calls: the work between two turns of the loop stays within it', async () => {
    const loop = workBetweenTurns();
    try {
      await mapWithConcurrency(
        Array.from({ length: 400 }, (_, i) => i),
        8,
        async () => loop.work(1), // 1 ms of work that waits for nothing
        { sliceMs: 10, now: loop.now },
      );
    } finally {
      loop.stop();
    }
    // Eight calls in flight each took a slice of their own in one turn
    // (80 ms); now they share one, plus the calls under way when it ends.
    expect(loop.most).toBeLessThanOrEqual(10 + 8);
  });

  it('runs every call once when the last slice ends with the items', async () => {
    let clock = 0;
    const seen: number[] = [];
    await mapWithConcurrency(
      [0, 1, 2, 3, 4, 5],
      3,
      async item => {
        clock += 20;
        seen.push(item);
      },
      { sliceMs: 10, now: () => clock },
    );
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('never turns the loop while the calls stay within the slice', async () => {
    let turned = false;
    const immediate = setImmediate(() => {
      turned = true;
    });
    await mapWithConcurrency([1, 2, 3], 2, async n => n, {
      sliceMs: 10,
      now: () => 0,
    });
    const turnedDuring = turned;
    clearImmediate(immediate);
    expect(turnedDuring).toBe(false);
  });
});
