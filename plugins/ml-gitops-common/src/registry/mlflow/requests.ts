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

// The request layer of the MLflow client: credentials, timeouts, and MLflow's errors turned into messages that say what to fix.

import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { z } from 'zod';
import { fetchWithTimeout, parseJsonOrUndefined } from '../http';
import type { MlflowClientOptions } from './MlflowClient';
import { apiError } from './schemas';

/** The permission of MLflow's basic-auth app an endpoint needs. */
type Permission = 'READ' | 'EDIT' | 'MANAGE';

/**
 * `base64(username ":" password)` of RFC 7617, over the UTF-8 bytes (the
 * charset werkzeug, which parses the header for MLflow, decodes with);
 * `btoa` exists in browsers and in Node.
 */
function basicCredentials(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Sends requests to one MLflow tracking server with its credentials and
 * timeout, and turns MLflow's answers into JSON bodies or errors from
 * `@backstage/errors` (see `MlflowClient`).
 */
export class MlflowRequests {
  /** The server's base URL, without credentials. */
  readonly baseUrl: string;
  private readonly authorization?: string;
  private readonly auth: 'none' | 'token' | 'basic';
  private readonly credentialsHint?: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  /** Checks the options; throws an `InputError` for an invalid URL or credentials. */
  constructor(options: MlflowClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new InputError(
        `Invalid MLflow URL ${JSON.stringify(
          options.baseUrl,
        )}: use e.g. https://mlflow.example.com`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InputError(
        `Invalid MLflow URL ${JSON.stringify(
          options.baseUrl,
        )}: it must start with http:// or https://`,
      );
    }
    if (url.username || url.password) {
      throw new InputError(
        'Do not put credentials in the MLflow URL; pass a token, or a username and password, instead',
      );
    }
    this.baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    const token = options.token || undefined;
    const username = options.username || undefined;
    const password = options.password || undefined;
    if (token && (username || password)) {
      throw new InputError(
        "Give MLflow either a token or a username and password, not both: MLflow's basic-auth app takes only the username and password",
      );
    }
    if ((username === undefined) !== (password === undefined)) {
      throw new InputError(
        `MLflow basic auth needs both a username and a password; only the ${
          username ? 'username' : 'password'
        } is set`,
      );
    }
    if (username?.includes(':')) {
      // RFC 7617 section 2: the user-id of Basic credentials has no colon.
      throw new InputError(
        'The MLflow username must not contain ":" (HTTP Basic credentials cannot carry it)',
      );
    }
    if (token) {
      this.auth = 'token';
      this.authorization = `Bearer ${token}`;
    } else if (username && password) {
      this.auth = 'basic';
      this.authorization = `Basic ${basicCredentials(username, password)}`;
    } else {
      this.auth = 'none';
    }
    this.credentialsHint = options.credentialsHint;
    this.fetchFn = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /**
   * Sends one request with the client's credentials and timeout; network
   * failures and timeouts become a `ServiceUnavailableError`.
   */
  async send(
    url: string,
    method: 'GET' | 'POST' | 'DELETE',
    body: Record<string, string> | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body) headers['Content-Type'] = 'application/json';
    if (this.authorization) headers.Authorization = this.authorization;
    return fetchWithTimeout(
      this.fetchFn,
      url,
      {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
      },
      { where: `MLflow at ${this.baseUrl}`, timeoutMs: this.timeoutMs },
    );
  }

  /**
   * The message of a 401: MLflow's basic-auth app answers every request
   * without valid Basic credentials (a bearer token too) with 401 and
   * `WWW-Authenticate: Basic realm="mlflow"` (`make_basic_auth_response` in
   * mlflow/server/auth/__init__.py).
   */
  private unauthenticatedMessage(where: string, challenge: string): string {
    const where401 = `${where} answered 401`;
    const inHint = this.credentialsHint ? ` in ${this.credentialsHint}` : '';
    if (/^\s*basic\b/i.test(challenge)) {
      if (this.auth === 'basic') {
        return `${where401}: its basic-auth app did not accept the username and password${inHint}; check them`;
      }
      return `${where401}: its basic-auth app needs username/password${inHint}${
        this.auth === 'token' ? ', not a bearer token' : ''
      }`;
    }
    if (this.auth === 'none') {
      return `${where401}: it needs credentials; set username/password${inHint}, or a token`;
    }
    return this.auth === 'token'
      ? `${where401}: the token is not accepted (invalid or expired)`
      : `${where401}: the username and password${inHint} are not accepted`;
  }

  parse<T>(schema: z.ZodType<T>, body: unknown, endpoint: string): T {
    const result = schema.safeParse(body);
    if (!result.success) {
      throw new ServiceUnavailableError(
        `MLflow at ${this.baseUrl} sent an unexpected ${endpoint} response (${
          result.error.issues[0]?.message ?? 'invalid'
        }); check that the URL points to an MLflow tracking server`,
      );
    }
    return result.data;
  }

  /**
   * A write (POST or DELETE with a JSON body). A missing model or version
   * is a `NotFoundError`; `alsoFine` accepts other RESOURCE_DOES_NOT_EXIST
   * answers by their message.
   */
  async write(
    method: 'POST' | 'DELETE',
    endpoint: string,
    body: Record<string, string>,
    target: { name: string; version: string },
    alsoFine?: (message: string) => boolean,
  ): Promise<void> {
    let notFound: string | undefined;
    await this.request(method, endpoint, {
      body,
      permission: method === 'DELETE' ? 'MANAGE' : 'EDIT',
      notFound: (code, message) => {
        if (code !== 'RESOURCE_DOES_NOT_EXIST') return false;
        if (!alsoFine?.(message)) notFound = message;
        return true;
      },
    });
    if (notFound !== undefined) {
      throw new NotFoundError(
        `${target.name} version ${target.version} does not exist in MLflow at ${
          this.baseUrl
        }${
          notFound ? ` (${notFound.trim()})` : ''
        }; check the model name and version`,
      );
    }
  }

  /**
   * GETs an endpoint; resolves to the JSON body, or undefined for
   * RESOURCE_DOES_NOT_EXIST (and what `alsoNotFound` accepts).
   */
  async get(
    endpoint: string,
    query: Record<string, string>,
    alsoNotFound?: (code: string, message: string) => boolean,
  ): Promise<unknown> {
    return this.request('GET', endpoint, {
      query,
      permission: 'READ',
      notFound: (code, message) =>
        code === 'RESOURCE_DOES_NOT_EXIST' ||
        Boolean(alsoNotFound?.(code, message)),
    });
  }

  /**
   * Sends one request; resolves to the JSON body, or undefined when
   * `notFound` accepts the error code and message.
   */
  private async request(
    method: 'GET' | 'POST' | 'DELETE',
    endpoint: string,
    options: {
      query?: Record<string, string>;
      body?: Record<string, string>;
      /** What MLflow's basic-auth app needs for it, named in a 403. */
      permission: Permission;
      notFound: (code: string, message: string) => boolean;
    },
  ): Promise<unknown> {
    const url = `${this.baseUrl}/api/2.0/mlflow/${endpoint}${
      options.query ? `?${new URLSearchParams(options.query)}` : ''
    }`;
    const where = `MLflow at ${this.baseUrl}`;
    const response = await this.send(url, method, options.body);
    const text = await response.text().catch(() => '');
    const body = parseJsonOrUndefined(text);
    const error = apiError.safeParse(body);
    const code = error.success ? error.data.error_code : undefined;
    const message = error.success
      ? error.data.message ?? ''
      : text.slice(0, 200);

    if (response.ok) {
      if (body === undefined || typeof body !== 'object') {
        throw new ServiceUnavailableError(
          `${where} sent a response to ${endpoint} that is not JSON; check that the URL points to an MLflow tracking server`,
        );
      }
      return body;
    }
    if (code && options.notFound(code, message)) {
      return undefined;
    }
    if (response.status === 401 || code === 'UNAUTHENTICATED') {
      throw new AuthenticationError(
        this.unauthenticatedMessage(
          where,
          response.headers.get('www-authenticate') ?? '',
        ),
      );
    }
    if (response.status === 403 || code === 'PERMISSION_DENIED') {
      const who = {
        basic: 'the configured MLflow user',
        token: 'the token',
        none: 'anonymous requests',
      }[this.auth];
      throw new NotAllowedError(
        `${where} answered 403 on ${endpoint}${
          message ? ` (${message.trim()})` : ''
        }: give ${who} ${
          options.permission
        } permission on the registered model${
          endpoint.startsWith('runs/')
            ? ' and on the experiment of its training run'
            : ''
        }${this.credentialsHint ? `, or change ${this.credentialsHint}` : ''}`,
      );
    }
    if (response.status === 404 && !code) {
      throw new ServiceUnavailableError(
        `${where} has no ${endpoint} endpoint (404); check that the URL points to an MLflow tracking server`,
      );
    }
    if (response.status >= 400 && response.status < 500) {
      throw new InputError(
        `${where} rejected ${endpoint} (${response.status}${
          code ? ` ${code}` : ''
        }): ${message}`,
      );
    }
    throw new ServiceUnavailableError(
      `${where} failed on ${endpoint} (${response.status}${
        code ? ` ${code}` : ''
      }${
        message ? `: ${message}` : ''
      }); try again, or check the server's logs`,
    );
  }
}
