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

// How the GitLab reader and writer send a request: fetch with a timeout per request, rate-limit waits, and an answer or a failure that names the host.
import { networkMessage } from '@ml-gitops/plugin-ml-gitops-common';
import {
  GitHostUnanswered,
  GithubAnswer,
  type FetchFn,
} from '../githubTransport';
import {
  RateLimitAnswer,
  RateLimitRetryOptions,
  retryRateLimited,
} from '../rateLimits';
import type { RequestMeter } from '../configRepoTypes';

/** GitLab's answer to one request, whatever its status (the body unread). */
export type GitlabAnswer = GithubAnswer;

/** Pages of a list read at most (100 items each). */
export const MAX_PAGES = 20;

/**
 * When GitLab refused a request for its rate limit, and until when: a 429
 * with `Retry-After` (seconds) or `RateLimit-Reset` (Unix time), as
 * docs.gitlab.com "Rate limits" (security/rate_limits) describes the
 * headers; a minute when it names neither.
 */
export function gitlabRateLimitedUntil(
  response: RateLimitAnswer,
  _message: string = '',
  now: number = Date.now(),
): { kind: 'secondary'; until: string } | undefined {
  if (response.status !== 429) return undefined;
  const header = (name: string): string | null => {
    if (response.headers instanceof Headers) return response.headers.get(name);
    const value = response.headers[name];
    return value === undefined ? null : String(value);
  };
  const retryAfter = Number(header('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    return {
      kind: 'secondary',
      until: new Date(now + retryAfter * 1000).toISOString(),
    };
  }
  const reset = Number(header('ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) {
    return { kind: 'secondary', until: new Date(reset * 1000).toISOString() };
  }
  return { kind: 'secondary', until: new Date(now + 60_000).toISOString() };
}

/** One request through {@link GitlabTransport.send}. */
export type GitlabRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The absolute URL. */
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Whether a rate limit that lifts soon enough is waited for; default true. */
  waitOutRateLimits?: boolean;
  /** Counts each attempt (see `ConfigRepoLocation.meter`). */
  meter?: RequestMeter;
};

/**
 * Sends requests to GitLab with fetch: each within the timeout (an
 * AbortSignal that also bounds reading the body), and a 429 waited out as
 * {@link RateLimitRetryOptions} says (the same bounded waits as GitHub's
 * transport). Never logs: the token is in the headers.
 */
export class GitlabTransport {
  constructor(
    private readonly options: {
      fetch?: FetchFn;
      timeoutMs: number;
      rateLimitRetry: RateLimitRetryOptions;
    },
  ) {}

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /**
   * GitLab's answer, whatever its status, with its body unread in `data`.
   * Throws {@link GitHostUnanswered} when there was none within the timeout.
   */
  async send(request: GitlabRequest): Promise<GitlabAnswer> {
    const fetchFn: FetchFn = this.options.fetch ?? globalThis.fetch;
    const { meter } = request;
    let signal: AbortSignal | undefined;
    const once = async () => {
      if (meter) meter.requests += 1;
      signal = AbortSignal.timeout(this.options.timeoutMs);
      return fetchFn(request.url, {
        method: request.method,
        headers: {
          Accept: 'application/json',
          'User-Agent': 'ml-gitops-backstage',
          ...(request.body !== undefined
            ? { 'Content-Type': 'application/json' }
            : {}),
          ...request.headers,
        },
        ...(request.body !== undefined
          ? { body: JSON.stringify(request.body) }
          : {}),
        signal,
      });
    };
    let response: Response;
    try {
      response =
        request.waitOutRateLimits === false
          ? await once()
          : await retryRateLimited(
              once,
              this.options.rateLimitRetry,
              gitlabRateLimitedUntil,
            );
    } catch (error) {
      throw new GitHostUnanswered(
        Boolean(signal?.aborted),
        networkMessage(error),
      );
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    return {
      status: response.status,
      ok: response.ok,
      headers,
      data: response.body ?? undefined,
    };
  }
}
