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

import { HttpResponse } from 'msw';

/**
 * A streamed HTTP answer a test writes to line by line, as a watch's server
 * does: events go out as they are written, and the test ends the answer,
 * breaks the connection, or sees that the client closed it.
 */
export class TestEventStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly encoder = new TextEncoder();
  private open = true;
  private cancelled = false;
  readonly response: Response;

  /** `request`: the request answered, whose signal tells when the client closed it. */
  constructor(private readonly request: Request, contentType: string) {
    const stream = new ReadableStream<Uint8Array>({
      start: controller => {
        this.controller = controller;
      },
      cancel: () => {
        this.cancelled = true;
        this.open = false;
      },
    });
    this.response = new HttpResponse(stream, {
      headers: { 'Content-Type': contentType },
    });
  }

  /** True once the client closed the connection (aborted the request or cancelled the body). */
  get closed(): boolean {
    return this.cancelled || this.request.signal.aborted;
  }

  /** Writes raw text (one or several lines). */
  write(text: string) {
    if (this.open) this.controller.enqueue(this.encoder.encode(text));
  }

  /** The server ends the answer normally. */
  end() {
    if (!this.open) return;
    this.open = false;
    this.controller.close();
  }

  /** The connection breaks in the middle of the answer. */
  drop() {
    if (!this.open) return;
    this.open = false;
    this.controller.error(new TypeError('terminated: other side closed'));
  }
}

/** Waits until `check` holds, or fails after `ms`. */
export async function eventually(
  check: () => boolean,
  what: string,
  ms = 3_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/**
 * A body that sends `text`, then breaks off with `error`: a connection
 * reset in the middle of an answer.
 */
export function bodyThatBreaksOff(
  text: string,
  error: Error = new Error('connection reset'),
): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) {
        controller.error(error);
      } else {
        sent = true;
        controller.enqueue(new TextEncoder().encode(text));
      }
    },
  });
}
