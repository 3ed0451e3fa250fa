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

// One Argo CD instance's API: requests with the timeout, the session login, the version check.

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  answerExcerpt,
  networkMessage,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ServiceUnavailableError } from '@backstage/errors';
import { ArgoCdInstanceConfig } from '../../config';
import {
  BodyReadError,
  ListJsonParser,
  readListBody,
} from '../../lib/listJson';
import { headerDeadline } from '../../http/watchStreams';

/** The oldest Argo CD release whose field list has everything `LIST_FIELDS` needs. */
const OLDEST_SUPPORTED = { major: 2, minor: 6 };
/** How long a read `/api/version` is trusted before it is read again. */
const VERSION_TTL_MS = 60 * 60_000;

/** `v3.1.9+8665140` → 3.1, or undefined. */
export function parseArgoCdVersion(
  version: unknown,
): { major: number; minor: number } | undefined {
  const match =
    typeof version === 'string' ? /^v?(\d+)\.(\d+)/.exec(version) : null;
  return match
    ? { major: Number(match[1]), minor: Number(match[2]) }
    : undefined;
}

export type FetchFn = typeof fetch;

/** Argo CD did not answer within the request timeout. */
export class ArgoCdTimeoutError extends ServiceUnavailableError {}

/**
 * Requests to one Argo CD instance, authenticated with a token or with a
 * session (username/password) that is cached and renewed when Argo CD
 * answers 401. Every request gives up after the request timeout.
 */
export class ArgoCdClient {
  private sessionToken?: string;
  private versionReadAt = -Infinity;
  private reportedVersion?: string;

  constructor(
    private readonly config: ArgoCdInstanceConfig,
    private readonly logger: LoggerService,
    private readonly fetchFn: FetchFn,
    private readonly timeoutMs: number,
  ) {}

  private get instance(): string {
    return this.config.name;
  }

  get where(): string {
    return `Argo CD "${this.instance}" at ${this.config.url}`;
  }

  /**
   * fetch with the request timeout; network failures name the instance.
   * With `stream`, the timeout covers the wait for the headers only, and
   * the body lasts until `stream` aborts.
   */
  private async send(
    path: string,
    init: RequestInit,
    timeoutMs = this.timeoutMs,
    stream?: AbortSignal,
  ): Promise<Response> {
    const deadline = stream ? headerDeadline(stream, timeoutMs) : undefined;
    try {
      return await this.fetchFn(`${this.config.url}${path}`, {
        ...init,
        signal: deadline?.signal ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      deadline?.release();
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ArgoCdTimeoutError(
          `${this.where} did not answer ${path.split('?')[0]} within ${
            timeoutMs / 1000
          } s (mlGitops.requestTimeout)`,
        );
      }
      throw new ServiceUnavailableError(
        `${this.where} is unreachable: ${networkMessage(error)}`,
      );
    } finally {
      deadline?.arrived();
    }
  }

  /**
   * The JSON body of a successful answer; a clear error when it is not
   * JSON. A `list` answer (the application list, one answer however many
   * Applications) is parsed an item at a time, in turns; `item` gives an
   * item's value from its text (see `ListJsonParser`).
   */
  async json(
    path: string,
    response: Response,
    options: { list?: boolean; item?: (text: string) => unknown } = {},
  ): Promise<unknown> {
    const brokeOff = (error: unknown) =>
      new ServiceUnavailableError(
        `${this.where} broke off its answer to ${path.split('?')[0]}: ${
          (error as Error)?.message ?? error
        }`,
      );
    const notJson = (text: string) =>
      new ServiceUnavailableError(
        `${this.where} answered ${
          path.split('?')[0]
        } with something that is not JSON ("${answerExcerpt(
          text,
        )}"); check that the url in mlGitops.argocd.instances points at the Argo CD API server`,
      );
    if (options.list && response.body) {
      // Decoded and parsed as it arrives: the list of every Application is
      // tens of megabytes, whose read, decoding and parse in one piece held
      // the event loop for 0.2-0.5 s.
      const parser = new ListJsonParser(undefined, { item: options.item });
      try {
        return await readListBody(response.body, parser);
      } catch (error) {
        if (error instanceof BodyReadError) throw brokeOff(error.reason);
        throw notJson(parser.head());
      }
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw brokeOff(error);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw notJson(text);
    }
  }

  private async login(): Promise<string> {
    const { username, password } = this.config;
    const path = '/api/v1/session';
    const response = await this.send(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!response.ok) {
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" refused the login of "${username}" (${response.status}); check mlGitops.argocd.instances username and password`,
      );
    }
    const body = (await this.json(path, response)) as {
      token?: unknown;
    } | null;
    if (typeof body?.token !== 'string' || !body.token) {
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" answered the login without a token`,
      );
    }
    this.logger.info(`Logged in to Argo CD "${this.instance}"`);
    return body.token;
  }

  private async bearer(renew = false): Promise<string> {
    if (this.config.token) {
      return this.config.token;
    }
    if (!this.sessionToken || renew) {
      this.sessionToken = await this.login();
    }
    return this.sessionToken;
  }

  async request(
    path: string,
    options: {
      timeoutMs?: number;
      notFound?: string;
      forbidden?: string;
      /** A streamed answer: its body lasts until this signal aborts. */
      stream?: AbortSignal;
      accept?: string;
      /** Log in anew first (a stream reported the session expired). */
      renewSession?: boolean;
    } = {},
  ): Promise<Response> {
    const send = async (token: string) =>
      this.send(
        path,
        {
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: options.accept ?? 'application/json',
            // A stream uncompressed: a compressing server or proxy may hold
            // small events back until its buffer fills.
            ...(options.stream ? { 'Accept-Encoding': 'identity' } : {}),
          },
        },
        options.timeoutMs,
        options.stream,
      );
    let response = await send(await this.bearer(options.renewSession));
    if (response.status === 401 && !this.config.token) {
      // The session expired: log in again once.
      await response.text().catch(() => undefined);
      response = await send(await this.bearer(true));
    }
    if (!response.ok) {
      let detail = '';
      try {
        const body = (await response.json()) as { message?: string };
        detail = body.message ? `: ${body.message}` : '';
      } catch {
        // the status says enough
      }
      let advice = '';
      if (response.status === 401) {
        advice =
          '; check the token or credentials in mlGitops.argocd.instances';
      } else if (response.status === 403) {
        advice =
          options.forbidden ??
          '; check the token or credentials in mlGitops.argocd.instances';
      } else if (response.status === 404) {
        advice =
          options.notFound ??
          '; check that the url in mlGitops.argocd.instances points at the Argo CD API server';
      }
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" answered ${response.status} to ${
          path.split('?')[0]
        }${detail}${advice}`,
      );
    }
    return response;
  }

  /**
   * Reads `/api/version` (answered without a session too, then with the
   * version alone: argo-cd server/version/version.go) once an hour, logs
   * the version when it changes and warns when it is older than the field
   * list this source relies on. Best effort: the list works without it.
   */
  async checkVersion(): Promise<void> {
    const now = Date.now();
    if (now - this.versionReadAt < VERSION_TTL_MS) return;
    this.versionReadAt = now;
    try {
      const path = '/api/version';
      const response = await this.send(path, {
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) {
        throw new Error(`it answered ${response.status}`);
      }
      const version = (
        (await this.json(path, response)) as {
          Version?: unknown;
        } | null
      )?.Version;
      if (typeof version !== 'string' || version === this.reportedVersion) {
        return;
      }
      this.reportedVersion = version;
      const parsed = parseArgoCdVersion(version);
      if (
        parsed &&
        (parsed.major < OLDEST_SUPPORTED.major ||
          (parsed.major === OLDEST_SUPPORTED.major &&
            parsed.minor < OLDEST_SUPPORTED.minor))
      ) {
        this.logger.warn(
          `${this.where} runs ${version}; ML GitOps supports Argo CD v${OLDEST_SUPPORTED.major}.${OLDEST_SUPPORTED.minor} and later (it reads health and the synced revision from list fields older releases do not have); upgrade Argo CD`,
        );
      } else {
        this.logger.info(`${this.where} runs ${version}`);
      }
    } catch (error) {
      this.logger.debug(
        `Could not read the version of ${this.where}: ${
          (error as Error)?.message ?? error
        }`,
      );
    }
  }
}
