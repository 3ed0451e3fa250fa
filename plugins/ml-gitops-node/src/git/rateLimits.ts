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
 * An answer's status and headers: a fetch `Response`, or the lower-case
 * header record that octokit's answers and errors carry.
 *
 * @public
 */
export type RateLimitAnswer = {
  status: number;
  headers: Headers | Record<string, string | number | undefined>;
};

function headerOf(
  headers: RateLimitAnswer['headers'],
  name: string,
): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const value = headers[name];
  return value === undefined ? null : String(value);
}

/**
 * When GitHub refused a request for its rate limit, until when and which
 * limit: the primary limit (`x-ratelimit-remaining: 0`, reset at
 * `x-ratelimit-reset`) or a secondary one (403 or 429 with `retry-after`,
 * or a message saying so), as docs.github.com "Rate limits for the REST
 * API" describes them.
 * @public
 */
export function rateLimitedUntil(
  response: RateLimitAnswer,
  message = '',
  now: number = Date.now(),
): { kind: 'primary' | 'secondary'; until: string } | undefined {
  if (response.status !== 403 && response.status !== 429) return undefined;
  const header = (name: string) => headerOf(response.headers, name);
  const retryAfter = Number(header('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    return {
      kind: 'secondary',
      until: new Date(now + retryAfter * 1000).toISOString(),
    };
  }
  const reset = Number(header('x-ratelimit-reset'));
  if (header('x-ratelimit-remaining') === '0') {
    return {
      kind: 'primary',
      until: Number.isFinite(reset)
        ? new Date(reset * 1000).toISOString()
        : 'its reset',
    };
  }
  if (/secondary rate limit/i.test(message)) {
    return {
      kind: 'secondary',
      until: new Date(now + 60_000).toISOString(),
    };
  }
  return undefined;
}

/** How {@link sendWithRateLimitRetry} waits and how long at most. @public */
export type RateLimitRetryOptions = {
  /**
   * The longest single wait; a limit that lifts later is not waited for
   * and its answer is returned (the caller then says "rate limited
   * until …"). Default 60 s.
   */
  maxWaitMs?: number;
  /** Retries after the first request. Default 3. */
  maxRetries?: number;
  /** The first wait when GitHub names none. Default 1 s. */
  baseDelayMs?: number;
  /** Waits (injected for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** The current time in ms (injected for tests). */
  now?: () => number;
  /** Told before each wait, e.g. to log it. */
  onWait?: (wait: { ms: number; until: string; attempt: number }) => void;
};

const defaultSleep = (ms: number) =>
  new Promise<void>(resolve => setTimeout(resolve, ms));

/**
 * Sends a request and, when GitHub answers with a rate limit, waits and
 * sends it again, as docs.github.com "Best practices for using the REST
 * API" asks: not before `retry-after` seconds when that header is present;
 * not before `x-ratelimit-reset` when `x-ratelimit-remaining` is 0; at
 * least a minute for a secondary limit that names no time; and an
 * exponentially growing wait (base × 2^attempt) when the limit persists.
 * A wait longer than `maxWaitMs`, or more than `maxRetries` retries, ends
 * it: the last answer is returned unread for the caller's error.
 * @public
 */
export async function sendWithRateLimitRetry(
  send: () => Promise<Response>,
  options: RateLimitRetryOptions = {},
): Promise<Response> {
  return retryRateLimited(send, options, rateLimitedUntil);
}

/**
 * The loop of {@link sendWithRateLimitRetry} for any host: `limitedUntil`
 * says whether an answer is a rate limit and until when (GitHub's headers
 * are not GitLab's).
 */
export async function retryRateLimited(
  send: () => Promise<Response>,
  options: RateLimitRetryOptions,
  limitedUntil: (
    response: RateLimitAnswer,
    message: string,
    now: number,
  ) => { until: string } | undefined,
): Promise<Response> {
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const maxRetries = options.maxRetries ?? 3;
  const base = options.baseDelayMs ?? 1000;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  for (let attempt = 0; ; attempt++) {
    const response = await send();
    if (
      attempt >= maxRetries ||
      (response.status !== 403 && response.status !== 429)
    ) {
      return response;
    }
    // The body says "secondary rate limit" when no header does; a clone
    // is read so the caller still has the original.
    let said = '';
    if (!response.headers.get('retry-after')) {
      said = await response
        .clone()
        .text()
        .catch(() => '');
    }
    // One reading of the clock: the wait is what GitHub named, exactly.
    const at = now();
    const limited = limitedUntil(response, said, at);
    if (!limited) return response;
    const until = Date.parse(limited.until);
    const named = Number.isFinite(until) ? Math.max(0, until - at) : NaN;
    if (!Number.isFinite(named)) return response;
    const wait = Math.max(named, base * 2 ** attempt);
    if (wait > maxWaitMs) return response;
    // The answer is not used: free its connection before waiting (not
    // awaited: a cancel can wait on the peer).
    response.body?.cancel().catch(() => undefined);
    options.onWait?.({
      ms: wait,
      until: new Date(at + wait).toISOString(),
      attempt: attempt + 1,
    });
    await sleep(wait);
  }
}

/**
 * A config-repo reader's transport options: 15 s a request unless told
 * otherwise, and a rate limit that lifts within 10 s waited for, twice at
 * most; a longer one fails at once, so a poll cycle never stalls on it.
 */
export function readerTransportOptions(options: {
  fetch?: typeof fetch;
  timeoutMs?: number;
  rateLimitRetry?: RateLimitRetryOptions;
}) {
  return {
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? 15_000,
    rateLimitRetry: {
      maxWaitMs: 10_000,
      maxRetries: 2,
      ...options.rateLimitRetry,
    },
  };
}
