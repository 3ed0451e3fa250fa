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

import { describeError, UsageError } from '../lib/errors';

/** One event of a scaffolder task (`GET /v2/tasks/:id/events`). */
export type TaskEvent = {
  id: number;
  type: 'log' | 'completion' | 'cancelled' | 'recovered';
  createdAt?: string;
  body: {
    message?: string;
    stepId?: string;
    status?: string;
    output?: TaskOutput;
    error?: { name?: string; message?: string };
  };
};

/** The rendered `output` of a template. */
export type TaskOutput = {
  links?: { title?: string; url?: string; entityRef?: string }[];
  text?: { title?: string; content?: string }[];
  [key: string]: unknown;
};

/** How a task ended. */
export type TaskResult =
  | { status: 'completed'; output: TaskOutput }
  | { status: 'failed'; message: string };

/** A task that did not end in time: the caller decides what to say. */
export class TaskTimeoutError extends Error {
  readonly name = 'TaskTimeoutError';
  constructor(readonly taskId: string, seconds: number) {
    super(
      `task ${taskId} did not finish within ${seconds} s; it may still open the pull request: look for it in Backstage (Create → Task list) or raise --timeout`,
    );
  }
}

type Options = {
  /** Backstage's backend base URL, e.g. https://backstage.example.com */
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
};

/**
 * The two calls of Backstage's scaffolder API (`/api/scaffolder`) that the
 * CLI needs: start a task from a template, and follow its events until it
 * completes. Errors are {@link UsageError}s (exit 2) with what to fix.
 */
export class ScaffolderClient {
  private readonly base: string;

  constructor(private readonly options: Options) {
    this.base = `${options.baseUrl.replace(/\/+$/, '')}/api/scaffolder`;
  }

  /** `POST /v2/tasks`; resolves to the task id. */
  async createTask(
    templateRef: string,
    values: Record<string, unknown>,
  ): Promise<string> {
    const response = await this.call(`${this.base}/v2/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ templateRef, values }),
    });
    const body = await readJson(response);
    if (response.status === 400 && Array.isArray(body?.errors)) {
      const problems = body.errors
        .map(
          (e: { property?: string; stack?: string; message?: string }) =>
            e.stack ?? `${e.property ?? ''} ${e.message ?? ''}`.trim(),
        )
        .join('; ');
      throw new UsageError(
        `${templateRef} refused the values: ${problems || 'no details'}`,
      );
    }
    if (!response.ok) {
      throw this.httpError(`start ${templateRef}`, response, body);
    }
    if (typeof body?.id !== 'string' || !body.id) {
      throw new UsageError(
        `${this.base}/v2/tasks answered without a task id; is ${this.options.baseUrl} a Backstage backend?`,
      );
    }
    return body.id;
  }

  /**
   * Follows the task's events (the endpoint long-polls) until it completes,
   * passing each log event to `onLog`.
   */
  async waitForTask(
    taskId: string,
    timeoutSeconds: number,
    onLog: (event: TaskEvent) => void,
  ): Promise<TaskResult> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let after: number | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new TaskTimeoutError(taskId, timeoutSeconds);
      }
      const url = new URL(
        `${this.base}/v2/tasks/${encodeURIComponent(taskId)}/events`,
      );
      if (after !== undefined) url.searchParams.set('after', String(after));
      let response: Response;
      try {
        response = await this.call(url.toString(), {
          signal: AbortSignal.timeout(remaining),
        });
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new TaskTimeoutError(taskId, timeoutSeconds);
        }
        throw error;
      }
      const body = await readJson(response);
      if (!response.ok) {
        throw this.httpError(`follow task ${taskId}`, response, body);
      }
      if (!Array.isArray(body)) {
        throw new UsageError(
          `the events of task ${taskId} are not a list; is ${this.options.baseUrl} a Backstage backend?`,
        );
      }
      const events = body as TaskEvent[];
      for (const event of events) {
        if (typeof event.id === 'number') {
          after = Math.max(after ?? event.id, event.id);
        }
        if (event.type === 'log') {
          onLog(event);
        } else if (event.type === 'completion') {
          if (event.body.error || !event.body.output) {
            return {
              status: 'failed',
              message:
                event.body.error?.message ??
                event.body.message ??
                'the task failed without a message',
            };
          }
          return { status: 'completed', output: event.body.output };
        }
      }
      if (events.length === 0) {
        // The server answers [] after its long-poll window; a proxy may do so
        // sooner. Do not spin.
        await new Promise(resolve =>
          setTimeout(resolve, Math.min(1000, Math.max(0, remaining))),
        );
      }
    }
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.options.fetch(url, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          accept: 'application/json',
          authorization: `Bearer ${this.options.token}`,
        },
      });
    } catch (error) {
      if ((error as Error)?.name === 'TimeoutError') throw error;
      throw new UsageError(
        `cannot reach Backstage at ${this.options.baseUrl}: ${describeError(
          error,
        )}`,
      );
    }
  }

  private httpError(what: string, response: Response, body: any): UsageError {
    const message =
      typeof body?.error?.message === 'string' ? `: ${body.error.message}` : '';
    if (response.status === 401 || response.status === 403) {
      return new UsageError(
        `Backstage refused to ${what} (${response.status})${message}; check the token: a static access token in backend.auth.externalAccess with access to the scaffolder plugin`,
      );
    }
    if (response.status === 404) {
      return new UsageError(
        `Backstage could not ${what} (404)${message}; check the URL (the backend base URL, without /api) and that the template is registered`,
      );
    }
    return new UsageError(
      `Backstage could not ${what} (${response.status} ${response.statusText})${message}`,
    );
  }
}

async function readJson(response: Response): Promise<any> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
