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

import { Octokit } from '@octokit/core';
import {
  answerExcerpt,
  networkMessage,
} from '@ml-gitops/plugin-ml-gitops-common';
import { retry } from '@octokit/plugin-retry';
import { RequestError } from '@octokit/request-error';
import { ServiceUnavailableError } from '@backstage/errors';
import { RateLimitRetryOptions, sendWithRateLimitRetry } from './rateLimits';

/**
 * The fetch the GitHub clients send through (tests and the backend's
 * keep-alive agent pass their own).
 *
 * @public
 */
export type FetchFn = typeof fetch;

/**
 * GitHub's answer to one request, whatever its status: 2xx, 304 (not
 * modified) and refusals alike, so callers decide what each means.
 */
export type GithubAnswer = {
  status: number;
  /** 2xx */
  ok: boolean;
  /** Header names in lower case, as octokit gives them. */
  headers: Record<string, string | number | undefined>;
  /**
   * The body: for a success asked `raw`, its unread stream (or undefined
   * when there is none); otherwise what octokit parsed (JSON, or text).
   */
  data: unknown;
};

/** Why a request got no answer at all. */
export class GitHostUnanswered extends Error {
  constructor(
    /** The request timeout passed (while waiting or reading the answer). */
    readonly timedOut: boolean,
    /** What fetch said, with the reason undici gives in its cause. */
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'GitHostUnanswered';
  }
}

/** One request through {@link GithubTransport.send}. */
export type GithubRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The absolute URL. */
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Leave a successful answer's body unread (a stream in `data`). */
  raw?: boolean;
  /**
   * Send it once more, at once, when its connection broke or it got a
   * 5xx. Only for requests that merely read.
   */
  retryOnce?: boolean;
  /**
   * Whether a rate limit that lifts soon enough is waited for (the
   * transport's `rateLimitRetry`); default true. When false, the refusal
   * is returned at once.
   */
  waitOutRateLimits?: boolean;
  /**
   * Told before each wait for a rate limit, instead of the transport's
   * `rateLimitRetry.onWait`.
   */
  onRateLimitWait?: RateLimitRetryOptions['onWait'];
  /** Told of each request sent, rate-limit retries included. */
  onSend?: () => void;
};

/** Statuses that are GitHub's decision, never retried by plugin-retry. */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451];

/**
 * The one way the config-repo reader and writer reach GitHub's REST and
 * GraphQL APIs: octokit (`@octokit/core` with `@octokit/plugin-retry`)
 * builds each request and reads its answer; this adds the timeout of every
 * request and GitHub's rate limits.
 *
 * Rate limits are kept in {@link sendWithRateLimitRetry}, around each fetch
 * octokit makes, and not in `@octokit/plugin-throttling`, because the
 * plugin cannot say what docs/security.md promises: it retries a REST
 * request only on 403 (a secondary limit answered 429 fails at once), knows
 * a secondary limit only by its message (not by `retry-after` alone), waits
 * exactly what GitHub named (no exponential back-off while a limit
 * persists), reads its clock and timers itself (tests cannot inject them),
 * and its Bottleneck groups are shared by every instance in the process,
 * holding GraphQL queries and writes to one at a time, a second apart.
 */
export class GithubTransport {
  /** Octokit without retries, and with one (see {@link GithubRequest.retryOnce}). */
  private readonly octokit: { once: Octokit; retrying: Octokit };

  constructor(
    private readonly options: {
      /** Default: the global fetch, looked up on each request. */
      fetch?: FetchFn;
      timeoutMs: number;
      rateLimitRetry: RateLimitRetryOptions;
      /** Where octokit's warnings (e.g. a deprecated endpoint) are said. */
      logger?: { warn(message: string): void };
    },
  ) {
    const quiet = () => undefined;
    const common = {
      userAgent: 'ml-gitops-backstage',
      log: {
        debug: quiet,
        info: quiet,
        warn: (message: string) => options.logger?.warn(message),
        error: (message: string) => options.logger?.warn(message),
      },
    };
    this.octokit = {
      // Without the plugin: it would queue every request through a
      // Bottleneck limiter of its own, a timer turn each, for nothing.
      once: new Octokit(common),
      retrying: new (Octokit.plugin(retry))({
        ...common,
        // At once: what is retried is a read whose connection broke or
        // that got a 5xx. The number is the instance's, not the request's:
        // plugin-retry retries every failure of a request that names its
        // own `retries`, even those of `doNotRetry`.
        retry: { retries: 1, retryAfterBaseValue: 0, doNotRetry: DO_NOT_RETRY },
      }),
    };
  }

  /** The request timeout in milliseconds. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /**
   * Sends one request and returns GitHub's answer, whatever its status.
   * Throws {@link GitHostUnanswered} when there was none: the host could not
   * be reached, or did not answer (or finish its answer) within the timeout.
   */
  async send(request: GithubRequest): Promise<GithubAnswer> {
    const { timeoutMs, rateLimitRetry } = this.options;
    let signal: AbortSignal | undefined;
    let failure: unknown;
    const fetchFn: FetchFn = this.options.fetch ?? globalThis.fetch;
    const fetchOnce = async (url: string, init: RequestInit) => {
      request.onSend?.();
      signal = AbortSignal.timeout(timeoutMs);
      try {
        return await fetchFn(url, { ...init, signal });
      } catch (error) {
        failure = error;
        if (signal.aborted) {
          // An AbortError passes through octokit and its retry plugin
          // unchanged: a request that timed out is not sent again.
          throw Object.assign(new Error('timed out'), { name: 'AbortError' });
        }
        throw error;
      }
    };
    const fetchWithLimits =
      request.waitOutRateLimits === false
        ? fetchOnce
        : (url: string, init: RequestInit) =>
            sendWithRateLimitRetry(() => fetchOnce(url, init), {
              ...rateLimitRetry,
              onWait: request.onRateLimitWait ?? rateLimitRetry.onWait,
            });
    try {
      const octokit = request.retryOnce
        ? this.octokit.retrying
        : this.octokit.once;
      const answer = await octokit.request({
        method: request.method,
        url: request.url,
        headers: request.headers ?? {},
        ...(request.body !== undefined ? { data: request.body } : {}),
        request: {
          fetch: fetchWithLimits,
          parseSuccessResponseBody: !request.raw,
        },
      });
      return {
        status: answer.status,
        ok: answer.status >= 200 && answer.status < 300,
        headers: answer.headers,
        data: answer.data,
      };
    } catch (error) {
      if (error instanceof RequestError && error.response) {
        return {
          status: error.response.status,
          ok: false,
          headers: error.response.headers,
          data: error.response.data,
        };
      }
      if (signal?.aborted) {
        throw new GitHostUnanswered(true, networkMessage(failure ?? error));
      }
      throw new GitHostUnanswered(false, networkMessage(failure ?? error));
    }
  }
}

/**
 * A Git host's JSON answer, checked to be a list or an object as the
 * endpoint promises; otherwise an error saying where it came from and
 * what to check (`check`, and `notJsonCheck` for text that is not JSON).
 */
export function checkedJson<T>(
  text: string,
  options: {
    where: string;
    shape: 'array' | 'object';
    /** Who answers so, e.g. "the GitHub REST API". */
    api: string;
    check: string;
    notJsonCheck?: string;
  },
): T {
  const { where, shape } = options;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ServiceUnavailableError(
      `${where} got an answer that is not JSON ("${answerExcerpt(text)}"); ${
        options.notJsonCheck ?? options.check
      }`,
    );
  }
  const ok =
    shape === 'array'
      ? Array.isArray(body)
      : typeof body === 'object' && body !== null && !Array.isArray(body);
  if (!ok) {
    throw new ServiceUnavailableError(
      `${where} got JSON that is not ${
        shape === 'array' ? 'a list' : 'an object'
      } as ${options.api} answers; ${options.check}`,
    );
  }
  return body as T;
}

/**
 * The body of a `raw` answer as text, with the request timeout still
 * applying (a {@link GitHostUnanswered} when it passes while reading).
 */
export async function answerText(answer: GithubAnswer): Promise<string> {
  const { data } = answer;
  if (data === undefined || data === null) return '';
  if (typeof data === 'string') return data;
  if (data instanceof ReadableStream) {
    return readAll(new Response(data).text());
  }
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return JSON.stringify(data);
}

/**
 * An answer's body read and checked by {@link checkedJson}; a body that
 * cannot be read (the connection dropped) is thrown as `unanswered(error)`.
 */
export async function answerJson<T>(
  answer: GithubAnswer,
  unanswered: (error: unknown) => Error,
  options: Parameters<typeof checkedJson>[1],
): Promise<T> {
  const text = await answerText(answer).catch(error => {
    throw unanswered(error);
  });
  return checkedJson<T>(text, options);
}

/** Drops the unread body of a `raw` answer, freeing its connection. */
export function discard(answer: GithubAnswer): void {
  if (answer.data instanceof ReadableStream) {
    // Not awaited: a cancel can wait on the peer.
    answer.data.cancel().catch(() => undefined);
  }
}

/**
 * A `raw` answer's body as text, refused with `message` once it passes
 * `limit` bytes, without reading the rest.
 */
export async function boundedText(
  answer: GithubAnswer,
  limit: number,
  message: string,
  tooLarge: (message: string) => Error,
): Promise<string> {
  const declared = Number(answer.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discard(answer);
    throw tooLarge(message);
  }
  if (!(answer.data instanceof ReadableStream)) return answerText(answer);
  const reader = answer.data.getReader();
  const read = async () => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => undefined);
        throw tooLarge(message);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  };
  return readAll(read());
}

/** The message GitHub put in a refusal's body, if any. */
export function answerMessage(answer: GithubAnswer): {
  message?: string;
  errors?: Array<{ message?: string }>;
} {
  let body = answer.data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {};
  }
  const { message, errors } = body as { message?: unknown; errors?: unknown };
  return {
    ...(typeof message === 'string' ? { message } : {}),
    ...(Array.isArray(errors) ? { errors } : {}),
  };
}

/** Reading a body: a timeout or a broken connection become {@link GitHostUnanswered}. */
async function readAll<T>(reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new GitHostUnanswered(true, networkMessage(error));
    }
    if (error instanceof TypeError) {
      throw new GitHostUnanswered(false, networkMessage(error));
    }
    throw error;
  }
}
