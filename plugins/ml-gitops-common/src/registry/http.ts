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

// Shared HTTP helpers of the registry clients: a fetch whose failures name the server, and lenient JSON.

import { networkMessage } from '../networkMessage';
import { ServiceUnavailableError } from '@backstage/errors';

/**
 * Fetches with a timeout; a network failure or timeout becomes a
 * `ServiceUnavailableError` naming `where` (e.g. `MLflow at https://…`) and,
 * when given, `action` (e.g. `GET model_versions`).
 */
export async function fetchWithTimeout(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  options: { where: string; timeoutMs: number; action?: string },
): Promise<Response> {
  const { where, timeoutMs, action } = options;
  try {
    return await fetchFn(url, {
      ...init,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = (error as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new ServiceUnavailableError(
        `${where} did not answer${action ? ` ${action}` : ''} within ${
          timeoutMs / 1000
        }s; check the server is up and reachable from here`,
      );
    }
    throw new ServiceUnavailableError(
      `${where} is unreachable: ${networkMessage(
        error,
      )}; check the URL and the network`,
    );
  }
}

/** The JSON of a response text, or undefined when it is empty or not JSON. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
