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
// One GET to a Git host's REST API with a timeout, and what to say when the host cannot be reached.

import { describeError } from './errors';

/** What a client of a Git host's REST API needs to reach it. */
export type ApiClientOptions = {
  /** The API's base URL, e.g. https://api.github.com or https://gitlab.example.com/api/v4 (CI_API_V4_URL) */
  apiUrl: string;
  token: string;
  fetch?: typeof fetch;
  /** Per request; each client has its own default. */
  timeoutMs?: number;
};

/**
 * GETs `path` of `apiUrl`; a timeout or a connection that fails becomes
 * `fail(message)`, naming the host and the request. Answers of any status
 * are returned for the caller to judge.
 */
export async function apiGet(options: {
  /** "GitHub" or "GitLab", for messages */
  host: string;
  apiUrl: string;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
  fetch?: typeof fetch;
  fail: (message: string) => Error;
}): Promise<Response> {
  const { host, apiUrl, path, timeoutMs } = options;
  try {
    return await (options.fetch ?? fetch)(
      `${apiUrl.replace(/\/+$/, '')}${path}`,
      {
        headers: { ...options.headers, 'user-agent': 'ml-gitops-validate' },
        signal: AbortSignal.timeout(timeoutMs),
      },
    );
  } catch (error) {
    const timedOut =
      error instanceof Error &&
      (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw options.fail(
      timedOut
        ? `${host} did not answer GET ${path} within ${timeoutMs / 1000} s`
        : `cannot reach ${host} at ${apiUrl} (GET ${path}): ${describeError(
            error,
          )}`,
    );
  }
}
