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
 * A `fetch` that sends through its own keep-alive connection pool. It calls
 * the global `fetch` at request time, so request interceptors installed on
 * it (msw in the tests) still see every request; request timeouts are the
 * caller's `signal`, as with plain `fetch`.
 */
export function keepAliveFetch(
  dispatcher: Dispatcher = keepAliveAgent(),
): typeof fetch {
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    globalThis.fetch(input, {
      ...init,
      dispatcher,
    } as RequestInit)) as typeof fetch;
}
