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

import { LoggerService } from '@backstage/backend-plugin-api';

/**
 * What the watches of Argo CD and Kubernetes share: a request whose timeout
 * covers only the wait for the answer's headers (the body of a watch lasts
 * as long as the watch), a reader that hands over the body line by line and
 * gives up when nothing arrives for too long, and a loop that reconnects
 * with backoff.
 */

/** Backoff between reconnects: doubles from `initialMs` up to `maxMs`. */
export type WatchBackoff = {
  initialMs: number;
  maxMs: number;
};

export const DEFAULT_WATCH_BACKOFF: WatchBackoff = {
  initialMs: 1_000,
  maxMs: 30_000,
};

/** Nothing arrived on a watch for longer than it allows. */
export class WatchIdleError extends Error {
  constructor(idleMs: number) {
    super(`nothing arrived for ${idleMs / 1000} s`);
    this.name = 'WatchIdleError';
  }
}

/**
 * A signal for a streaming request: aborted when `outer` aborts, or when the
 * answer's headers have not arrived within `timeoutMs` (then with a
 * `TimeoutError`). Call `arrived()` once the headers are in, so the body may
 * last; `release()` when the request is over.
 */
export function headerDeadline(
  outer: AbortSignal,
  timeoutMs: number,
): { signal: AbortSignal; arrived(): void; release(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    const error = new Error(`no answer within ${timeoutMs} ms`);
    error.name = 'TimeoutError';
    controller.abort(error);
  }, timeoutMs);
  const onAbort = () => controller.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    arrived: () => clearTimeout(timer),
    release: () => {
      clearTimeout(timer);
      outer.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Reads a streamed body and hands over its complete lines, chunk by chunk
 * (several lines that arrived together come in one call), until the body
 * ends or `signal` aborts. Throws {@link WatchIdleError} when no byte
 * arrives for `idleMs`; the body is cancelled whenever reading stops, and
 * nothing is handed over once `signal` aborted.
 */
export async function readLines(
  body: ReadableStream<Uint8Array> | null,
  onLines: (lines: string[]) => void,
  options: { idleMs: number; signal: AbortSignal },
): Promise<void> {
  if (!body || options.signal.aborted) return;
  const { idleMs, signal } = options;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  let stop: () => void = () => undefined;
  const stopped = new Promise<'stopped'>(resolve => {
    stop = () => resolve('stopped');
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WatchIdleError(idleMs)), idleMs);
      });
      let chunk: ReadableStreamReadResult<Uint8Array> | 'stopped';
      try {
        chunk = await Promise.race([reader.read(), idle, stopped]);
      } finally {
        clearTimeout(timer);
      }
      if (chunk === 'stopped' || signal.aborted) return;
      if (chunk.done) break;
      rest += decoder.decode(chunk.value, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop()!;
      if (lines.length > 0) onLines(lines);
    }
    rest += decoder.decode();
    if (rest.trim()) onLines([rest]);
  } finally {
    signal.removeEventListener('abort', stop);
    reader.cancel().catch(() => undefined);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) {
      resolve();
      return;
    }
    let timer: NodeJS.Timeout | undefined = undefined;
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Connects again and again until `signal` aborts. `connect` resolves when
 * the connection ended by itself (a server ends every watch after a while)
 * and rejects when it failed; either way it says through `progressed()`
 * whether it delivered something. A connection that delivered something is
 * followed at once (after a failure, after the first backoff step); one that
 * did not waits a backoff that doubles with each such connection in a row.
 */
export async function keepWatching(options: {
  signal: AbortSignal;
  connect: (progressed: () => void) => Promise<void>;
  onFailure: (error: unknown, retryInMs: number) => void;
  backoff?: WatchBackoff;
}): Promise<void> {
  const { signal } = options;
  const backoff = options.backoff ?? DEFAULT_WATCH_BACKOFF;
  let barren = 0;
  while (!signal.aborted) {
    let progressed = false;
    let failure: { error: unknown } | undefined;
    try {
      await options.connect(() => {
        progressed = true;
      });
    } catch (error) {
      failure = { error };
    }
    if (signal.aborted) return;
    barren = progressed ? 0 : barren + 1;
    let delay = 0;
    if (failure || barren > 0) {
      delay = Math.min(
        backoff.maxMs,
        backoff.initialMs * 2 ** Math.max(0, barren - 1),
      );
    }
    if (failure) options.onFailure(failure.error, delay);
    if (delay > 0) await pause(delay, signal);
  }
}

/**
 * Runs one connection of a watch with a signal of its own, aborted when the
 * connection ends or the watch stops: one connection at a time.
 */
export async function oneConnection(
  signal: AbortSignal,
  run: (connection: AbortSignal) => Promise<void>,
): Promise<void> {
  const connection = new AbortController();
  const stop = () => connection.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await run(connection.signal);
  } finally {
    signal.removeEventListener('abort', stop);
    connection.abort();
  }
}

/**
 * The `onFailure` of {@link keepWatching} that logs the message `describe`
 * makes of a failure: a warning, or at debug level when the failure repeats
 * the one before it.
 */
export function logWatchFailures(
  logger: Pick<LoggerService, 'warn' | 'debug'>,
  describe: (reason: string, retryInMs: number) => string,
): (error: unknown, retryInMs: number) => void {
  let lastFailure = '';
  return (error, retryInMs) => {
    const reason = (error as Error)?.message ?? String(error);
    const message = describe(reason, retryInMs);
    if (reason === lastFailure) logger.debug(message);
    else logger.warn(message);
    lastFailure = reason;
  };
}

/**
 * The `describe` of {@link logWatchFailures} for a watch that resumes from a
 * resource version: names what broke off, when it reconnects, and the
 * resource version it reconnects from as it is when the failure is logged.
 */
export function reconnectMessage(
  what: string,
  resourceVersion: () => string | number | undefined,
): (reason: string, retryInMs: number) => string {
  return (reason, retryInMs) => {
    const from = resourceVersion();
    return `${what} broke off (${reason}); reconnecting in ${
      retryInMs / 1000
    } s${from === undefined ? '' : ` from resource version ${from}`}`;
  };
}
