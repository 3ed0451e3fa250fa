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

// The client of the ML GitOps backend's audit API the `ml-gitops audit` commands use.

import { describeError, UsageError } from '../lib/errors';

/** The audit API of one Backstage backend, with a token. */
export class AuditClient {
  private readonly base: string;

  constructor(
    private readonly options: {
      baseUrl: string;
      token: string;
      fetch: typeof fetch;
    },
  ) {
    this.base = `${options.baseUrl.replace(/\/+$/, '')}/api/ml-gitops`;
  }

  async get(
    path: string,
    query: Record<string, string | undefined>,
  ): Promise<Response> {
    const url = new URL(`${this.base}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    let response: Response;
    try {
      response = await this.options.fetch(url.toString(), {
        headers: { authorization: `Bearer ${this.options.token}` },
      });
    } catch (error) {
      throw new UsageError(
        `cannot reach Backstage at ${this.options.baseUrl}: ${describeError(
          error,
        )}`,
      );
    }
    if (response.ok) {
      return response;
    }
    let message = '';
    try {
      const body = await response.json();
      if (typeof body?.error?.message === 'string') {
        message = `: ${body.error.message}`;
      }
    } catch {
      // Not Backstage's JSON error: the status says enough.
    }
    if (response.status === 401) {
      throw new UsageError(
        `Backstage refused the token (401${message}); check the variable named by --token-env`,
      );
    }
    if (response.status === 404 && !message) {
      throw new UsageError(
        `${url.pathname} is not there (404); is ${this.options.baseUrl} a Backstage backend with the ML GitOps plugin?`,
      );
    }
    throw new UsageError(
      `${url.pathname} answered ${response.status}${message}`,
    );
  }

  async json<T>(
    path: string,
    query: Record<string, string | undefined>,
  ): Promise<T> {
    const response = await this.get(path, query);
    try {
      return (await response.json()) as T;
    } catch {
      throw new UsageError(
        `${path} did not answer JSON; is ${this.options.baseUrl} a Backstage backend?`,
      );
    }
  }
}
