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

import { rateLimitedUntil, sendWithRateLimitRetry } from './rateLimits';

const NOW = Date.parse('2026-12-06T10:00:00Z');

function answer(status: number, headers: Record<string, string>, body = '') {
  return new Response(body, { status, headers });
}

describe('rateLimitedUntil', () => {
  it.each([
    ['a 200', answer(200, {}), undefined],
    [
      'a 403 of missing rights',
      answer(403, {}, 'Resource not accessible'),
      undefined,
    ],
    [
      'Retry-After',
      answer(429, { 'retry-after': '30' }),
      { kind: 'secondary', until: '2026-12-06T10:00:30.000Z' },
    ],
    [
      'a spent primary limit',
      answer(403, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + 90),
      }),
      { kind: 'primary', until: '2026-12-06T10:01:30.000Z' },
    ],
  ])('reads %s', (_, response, expected) => {
    expect(rateLimitedUntil(response, '', NOW)).toEqual(expected);
  });

  it('gives a secondary limit named only in the message a minute', () => {
    expect(
      rateLimitedUntil(
        answer(403, {}),
        'You have exceeded a secondary rate limit',
        NOW,
      ),
    ).toEqual({ kind: 'secondary', until: '2026-12-06T10:01:00.000Z' });
  });
});

describe('sendWithRateLimitRetry', () => {
  function run(
    answers: Response[],
    options: Parameters<typeof sendWithRateLimitRetry>[1] = {},
  ) {
    const waits: number[] = [];
    let sent = 0;
    const result = sendWithRateLimitRetry(
      async () => answers[Math.min(sent++, answers.length - 1)],
      {
        now: () => NOW,
        sleep: async ms => {
          waits.push(ms);
        },
        ...options,
      },
    );
    return { result, waits, sent: () => sent };
  }

  it('sends once when the answer is not a rate limit', async () => {
    const r = run([answer(404, {})]);
    expect((await r.result).status).toBe(404);
    expect(r.sent()).toBe(1);
    expect(r.waits).toEqual([]);
  });

  it('waits Retry-After and returns the answer after it', async () => {
    const r = run([answer(429, { 'retry-after': '5' }), answer(200, {})]);
    expect((await r.result).status).toBe(200);
    expect(r.waits).toEqual([5000]);
  });

  it('waits for the reset of a spent primary limit when it is near', async () => {
    const r = run([
      answer(403, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + 20),
      }),
      answer(200, {}),
    ]);
    expect((await r.result).status).toBe(200);
    expect(r.waits).toEqual([20_000]);
  });

  it('backs off exponentially while the limit persists', async () => {
    const r = run([answer(429, { 'retry-after': '1' })], {
      maxRetries: 4,
      maxWaitMs: 60_000,
    });
    expect((await r.result).status).toBe(429);
    expect(r.sent()).toBe(5);
    expect(r.waits).toEqual([1000, 2000, 4000, 8000]);
  });

  it('does not wait for a limit that lifts later than it may wait', async () => {
    const r = run([answer(429, { 'retry-after': '3600' }), answer(200, {})]);
    const response = await r.result;
    expect(response.status).toBe(429);
    expect(r.waits).toEqual([]);
    // The caller can still read why.
    expect(response.headers.get('retry-after')).toBe('3600');
  });

  it('waits a minute for a secondary limit without headers, or not at all under a shorter cap', async () => {
    const said = JSON.stringify({
      message: 'You have exceeded a secondary rate limit.',
    });
    const long = run([answer(403, {}, said), answer(200, {})]);
    expect((await long.result).status).toBe(200);
    expect(long.waits).toEqual([60_000]);

    const short = run([answer(403, {}, said), answer(200, {})], {
      maxWaitMs: 10_000,
    });
    const refused = await short.result;
    expect(refused.status).toBe(403);
    // The body was read from a clone: the caller can still read it.
    expect(await refused.json()).toEqual({
      message: 'You have exceeded a secondary rate limit.',
    });
  });

  it('tells before each wait', async () => {
    const told: Array<{ ms: number; until: string; attempt: number }> = [];
    const r = run([answer(429, { 'retry-after': '3' }), answer(200, {})], {
      onWait: w => told.push(w),
    });
    await r.result;
    expect(told).toEqual([
      { ms: 3000, until: '2026-12-06T10:00:03.000Z', attempt: 1 },
    ]);
  });
});
