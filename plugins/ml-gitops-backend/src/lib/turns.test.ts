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
import { mapWithConcurrency } from '../poller/concurrency';
import { ListJsonParser, parseListInTurns } from './listJson';
import { fleetTurns, forEachInTurns, Turns } from './turns';

describe('Turns', () => {
  it('holds readers side by side to one slice: their work between two turns of the loop stays within it', async () => {
    const loop = workBetweenTurns();
    const turns = new Turns(5, loop.now);
    const work = (ms: number) => loop.work(ms);
    const list = JSON.stringify({
      items: Array.from({ length: 200 }, (_, i) => ({ i })),
    });
    try {
      // Three readers at once, as a cycle reads Argo CD lists, a cluster's
      // objects and the models: a loop over items, a list text cut into
      // items, and a pool of workers.
      await Promise.all([
        forEachInTurns(
          Array.from({ length: 200 }, (_, i) => i),
          () => work(1),
          turns,
        ),
        (async () => {
          const parser = new ListJsonParser(turns, {
            item: text => {
              work(1);
              return JSON.parse(text);
            },
          });
          await parser.write(list);
          return parser.end();
        })(),
        mapWithConcurrency(
          Array.from({ length: 200 }, (_, i) => i),
          2,
          async () => work(1),
          { turns },
        ),
      ]);
    } finally {
      loop.stop();
    }
    // Of the four waiting (two readers, two workers), the first to go on
    // after a turn works to the slice's end; the other three do one item
    // each before they see it used up. A slice each would allow 5 ms each.
    expect(loop.most).toBeLessThanOrEqual(5 + 3);
    expect(loop.now()).toBe(600);
  });

  it('is the slice every loop over the fleet shares when none is given', async () => {
    const due = jest.spyOn(fleetTurns, 'due').mockReturnValue(true);
    const turn = jest.spyOn(fleetTurns, 'turn');
    try {
      await forEachInTurns([1, 2], () => undefined);
      expect(turn).toHaveBeenCalledTimes(2);
      await mapWithConcurrency([1, 2], 1, async n => n);
      expect(turn).toHaveBeenCalledTimes(4);
      await expect(parseListInTurns('{"items":[{"a":1}]}')).resolves.toEqual({
        items: [{ a: 1 }],
      });
      expect(turn).toHaveBeenCalledTimes(5);
      const parser = new ListJsonParser();
      await parser.write('{"items":[{"a":1},{"b":2}]}');
      await expect(parser.end()).resolves.toEqual({
        items: [{ a: 1 }, { b: 2 }],
      });
      expect(turn).toHaveBeenCalledTimes(7);
    } finally {
      due.mockRestore();
      turn.mockRestore();
    }
  });
});
