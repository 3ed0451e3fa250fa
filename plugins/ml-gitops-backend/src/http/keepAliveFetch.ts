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

import { Agent, Dispatcher } from 'undici';

/**
 * Keep-alive settings of every outgoing client. undici closes a connection
 * `keepAliveTimeoutThreshold` before the server's advertised `Keep-Alive:
 * timeout=N`; its default (2 s) makes servers that advertise 2 s (Node's
 * default is 5 s, many proxies use less) get a new TCP connection — and a
 * TLS handshake — for every request. A 1 s margin keeps them reused.
 */
export const KEEP_ALIVE_OPTIONS = {
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 120_000,
  keepAliveTimeoutThreshold: 1_000,
} as const;

/** A keep-alive dispatcher, optionally with TLS options of the connection. */
export function keepAliveAgent(connect?: Agent.Options['connect']): Dispatcher {
  return new Agent({ ...KEEP_ALIVE_OPTIONS, ...(connect ? { connect } : {}) });
}

/**
 * What undici's fetch gives as the cause when the connection closed before
 * any answer came: most often a kept-alive connection that the server
 * closed just as the request went out (its keep-alive timer ran first; a
 * server whose event loop was busy runs its timers before it reads the
 * request). `mlflow server` runs gunicorn, whose `keepalive` is 2 s by
 * default (docs.gunicorn.org, Settings).
 * Through a dispatcher of the `undici` package, Node's own fetch gives the
 * cause as a plain error named in its message (`SocketError: other side
 * closed`), without the code.
 */
const CLOSED_BEFORE_ANSWER =
  /\b(UND_ERR_SOCKET|UND_ERR_CLOSED|ECONNRESET|EPIPE)\b|^SocketError: other side closed/;

/** Whether a failed request is sent once more: a GET or HEAD whose connection closed before answering. */
function sendAgain(
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
  error: unknown,
): boolean {
  const method = (
    init?.method ?? (input instanceof Request ? input.method : 'GET')
  ).toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (init?.signal?.aborted) return false;
  const cause = (error as Error)?.cause as
    | { code?: unknown; message?: unknown }
    | undefined;
  return [cause?.code, cause?.message].some(
    said => typeof said === 'string' && CLOSED_BEFORE_ANSWER.test(said),
  );
}

/**
 * A `fetch` that sends through its own keep-alive connection pool. It calls
 * the global `fetch` at request time, so request interceptors installed on
 * it (msw in the tests) still see every request; request timeouts are the
 * caller's `signal`, as with plain `fetch`. A GET or HEAD whose connection
 * closed before any answer is sent once more, as browsers do for a reused
 * connection: it changes nothing on the server, and the race of a
 * keep-alive connection closing as a request goes out is otherwise a
 * failed poll of that model.
 */
export function keepAliveFetch(
  dispatcher: Dispatcher = keepAliveAgent(),
): typeof fetch {
  const send = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    globalThis.fetch(input, {
      ...init,
      dispatcher,
    } as RequestInit);
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    try {
      return await send(input, init);
    } catch (error) {
      if (!sendAgain(input, init, error)) throw error;
      return send(input, init);
    }
  }) as typeof fetch;
}
