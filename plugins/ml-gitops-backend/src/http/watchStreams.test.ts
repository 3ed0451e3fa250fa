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

import { keepWatching, readLines, WatchIdleError } from './watchStreams';

function body(chunks: string[], then: 'end' | 'hang' = 'end') {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (then === 'end') controller.close();
    },
  });
}

describe('readLines', () => {
  it('hands over complete lines, joining lines split across chunks', async () => {
    const seen: string[][] = [];
    await readLines(
      body(['{"a":1}\n{"b"', ':2}\n', '{"c":3}']),
      lines => seen.push(lines),
      { idleMs: 1_000, signal: new AbortController().signal },
    );
    expect(seen).toEqual([['{"a":1}'], ['{"b":2}'], ['{"c":3}']]);
  });

  it('gives up on a silent body', async () => {
    await expect(
      readLines(body(['x\n'], 'hang'), () => undefined, {
        idleMs: 30,
        signal: new AbortController().signal,
      }),
    ).rejects.toBeInstanceOf(WatchIdleError);
  });

  it('stops, handing over nothing more, when the signal aborts', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = readLines(body([], 'hang'), lines => seen.push(...lines), {
      idleMs: 10_000,
      signal: controller.signal,
    });
    controller.abort();
    await expect(reading).resolves.toBeUndefined();
    expect(seen).toEqual([]);
  });
});

describe('keepWatching', () => {
  it('doubles the backoff while connections fail without delivering, and starts over after one that delivered', async () => {
    const controller = new AbortController();
    const delays: number[] = [];
    let attempt = 0;
    await keepWatching({
      signal: controller.signal,
      backoff: { initialMs: 1, maxMs: 4 },
      connect: async progressed => {
        attempt += 1;
        if (attempt === 5) progressed();
        if (attempt === 7) controller.abort();
        throw new Error(`attempt ${attempt} failed`);
      },
      onFailure: (_error, retryInMs) => delays.push(retryInMs),
    });
    // 1, 2, 4, 4 (the cap); the fifth delivered: the next waits the first
    // step again; the seventh ends with the abort, unreported.
    expect(delays).toEqual([1, 2, 4, 4, 1, 1]);
  });

  it('follows a connection that delivered and ended at once, without waiting', async () => {
    const controller = new AbortController();
    const failures: unknown[] = [];
    let attempt = 0;
    const started = Date.now();
    await keepWatching({
      signal: controller.signal,
      backoff: { initialMs: 10_000, maxMs: 10_000 },
      connect: async progressed => {
        attempt += 1;
        progressed();
        if (attempt === 3) controller.abort();
      },
      onFailure: error => failures.push(error),
    });
    expect(attempt).toBe(3);
    expect(failures).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
