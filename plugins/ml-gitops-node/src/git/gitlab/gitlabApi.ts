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

// GitLab's REST API v4 over the transport: a project's URL, JSON checks, paging, and errors that say what to fix.
import { GitlabCredentialsProvider } from '@backstage/integration';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { ConfigRepoLocation } from '../configRepoTypes';
import {
  answerJson,
  answerMessage,
  answerText,
  GitHostUnanswered,
} from '../githubTransport';
import {
  GitlabAnswer,
  gitlabRateLimitedUntil,
  GitlabRequest,
  GitlabTransport,
  MAX_PAGES,
} from './gitlabTransport';

/** Whether a write or a read asked: they need different token scopes. */
type Access = 'read' | 'write';

/**
 * GitLab's REST API v4 for the projects of config repos: the project URL of
 * a location, JSON checks, paging and the errors that say what to fix.
 */
export class GitlabApi {
  constructor(
    readonly credentials: GitlabCredentialsProvider,
    readonly transport: GitlabTransport,
  ) {}

  /** `group%2Fsub%2Fproject`: the project's id in a REST path. */
  static projectId(loc: ConfigRepoLocation): string {
    return encodeURIComponent(`${loc.owner}/${loc.repo}`);
  }

  async authHeaders(loc: ConfigRepoLocation): Promise<Record<string, string>> {
    const { headers } = await this.credentials.getCredentials({ url: loc.url });
    return headers ?? {};
  }

  /** One request; `path` is below the API base (starting with `/`). */
  async request(
    loc: ConfigRepoLocation,
    method: GitlabRequest['method'],
    path: string,
    body?: unknown,
  ): Promise<GitlabAnswer> {
    const headers = await this.authHeaders(loc);
    try {
      return await this.transport.send({
        method,
        url: `${loc.apiBaseUrl}${path}`,
        headers,
        body,
        meter: loc.meter,
      });
    } catch (error) {
      throw this.unanswered(loc, error);
    }
  }

  /** The same for a path below the project (`/projects/:id`). */
  project(
    loc: ConfigRepoLocation,
    method: GitlabRequest['method'],
    path: string,
    body?: unknown,
  ): Promise<GitlabAnswer> {
    return this.request(
      loc,
      method,
      `/projects/${GitlabApi.projectId(loc)}${path}`,
      body,
    );
  }

  unanswered(loc: ConfigRepoLocation, error: unknown): Error {
    if (!(error instanceof GitHostUnanswered)) return error as Error;
    return new ServiceUnavailableError(
      error.timedOut
        ? `GitLab ${loc.host} did not answer for ${loc.owner}/${
            loc.repo
          } within ${this.transport.timeoutMs / 1000} s`
        : `GitLab ${loc.host} is unreachable: ${error.detail}`,
    );
  }

  /** The JSON body of an answer, checked to be a list or an object. */
  async json<T>(
    loc: ConfigRepoLocation,
    what: string,
    answer: GitlabAnswer,
    shape: 'array' | 'object',
  ): Promise<T> {
    return answerJson<T>(answer, error => this.unanswered(loc, error), {
      where: `${what} of ${loc.owner}/${loc.repo} on ${loc.host}`,
      shape,
      api: "GitLab's REST API",
      check: `check the apiBaseUrl of integrations.gitlab for ${loc.host}`,
      notJsonCheck: `check the apiBaseUrl of integrations.gitlab for ${loc.host} (it ends in /api/v4)`,
    });
  }

  /**
   * Every page of a list (`per_page=100`, following `x-next-page`, as
   * docs.gitlab.com "REST API: Pagination" describes offset paging).
   */
  async pages<T>(
    loc: ConfigRepoLocation,
    what: string,
    path: string,
    options: { maxPages?: number; tooMany?: string } = {},
  ): Promise<T[]> {
    const maxPages = options.maxPages ?? MAX_PAGES;
    const all: T[] = [];
    const join = path.includes('?') ? '&' : '?';
    for (let page = 1; ; ) {
      const answer = await this.request(
        loc,
        'GET',
        `${path}${join}per_page=100&page=${page}`,
      );
      if (!answer.ok) throw await this.refusal(loc, what, answer);
      all.push(...(await this.json<T[]>(loc, what, answer, 'array')));
      const next = Number(answer.headers['x-next-page']);
      if (!Number.isInteger(next) || next <= page) return all;
      if (next > maxPages) {
        throw new ServiceUnavailableError(
          `${what} of ${loc.owner}/${loc.repo} on ${
            loc.host
          } stopped after ${maxPages} pages of 100${
            options.tooMany ? `; ${options.tooMany}` : ''
          }`,
        );
      }
      page = next;
    }
  }

  /**
   * Whether a 404 means the thing asked for is absent (GitLab's message
   * names it: "404 Branch Not Found"), not the project. Reads the body of
   * a 404 and keeps its text for the refusal.
   */
  async absent(answer: GitlabAnswer, thing: RegExp): Promise<boolean> {
    if (answer.status !== 404) return false;
    const text = await answerText(answer).catch(() => '');
    answer.data = text;
    return !/project/i.test(text) && (thing.test(text) || !text);
  }

  /** A user by username (`GET /users?username=`), or undefined. */
  async userByName(
    loc: ConfigRepoLocation,
    username: string,
  ): Promise<{ id: number; username: string } | undefined> {
    const what = `Looking up user ${username}`;
    const answer = await this.request(
      loc,
      'GET',
      `/users?${new URLSearchParams({ username })}`,
    );
    if (!answer.ok) throw await this.refusal(loc, what, answer);
    const users = await this.json<Array<{ id: number; username: string }>>(
      loc,
      what,
      answer,
      'array',
    );
    return users.find(u => u.username.toLowerCase() === username.toLowerCase());
  }

  /** What GitLab said in a refusal's body (`message`, or `error`). */
  static said(answer: GitlabAnswer): string | undefined {
    const { message } = answerMessage(answer);
    if (message) return message;
    let body = answer.data;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        return undefined;
      }
    }
    const record = body as { message?: unknown; error?: unknown } | null;
    if (record && typeof record === 'object') {
      // Validation errors come as {"message": {"field": ["…"]}}.
      if (record.message && typeof record.message === 'object') {
        return JSON.stringify(record.message);
      }
      if (typeof record.error === 'string') return record.error;
    }
    return undefined;
  }

  /**
   * The error of a refused request, saying what to fix: a token that is
   * invalid (401), lacks a scope or role (403), a project the token cannot
   * see (404), a rate limit (429). Reads the body first, so call it once.
   */
  async refusal(
    loc: ConfigRepoLocation,
    what: string,
    answer: GitlabAnswer,
    access: Access = 'read',
  ): Promise<Error> {
    if (answer.data instanceof ReadableStream) {
      const text = await answerText(answer).catch(() => '');
      return this.failure(loc, what, { ...answer, data: text }, access);
    }
    return this.failure(loc, what, answer, access);
  }

  /** {@link GitlabApi.refusal} for an answer whose body was read already or is text. */
  failure(
    loc: ConfigRepoLocation,
    what: string,
    answer: GitlabAnswer,
    access: Access = 'read',
  ): Error {
    const said =
      answer.data instanceof ReadableStream
        ? undefined
        : GitlabApi.said(answer);
    const detail = said ? `: ${said}` : '';
    const message = `${what} of ${loc.owner}/${loc.repo} on ${loc.host} failed with ${answer.status}${detail}`;
    const integration = `integrations.gitlab for ${loc.host}`;
    switch (answer.status) {
      case 401:
        return new ServiceUnavailableError(
          `${message}. The token of ${integration} is invalid, expired or revoked; replace it`,
        );
      case 403:
        return new NotAllowedError(
          `${message}. The token of ${integration} lacks the scope ${
            access === 'write' ? 'api' : 'read_api (or api)'
          } or a role on the project that allows this${
            access === 'write' ? ' (Developer, or Maintainer for settings)' : ''
          }`,
        );
      case 404:
        return new NotFoundError(
          `${message}. The project was not found or the token of ${integration} has no access to it; check the ml-gitops/config-repo annotation`,
        );
      case 409:
        return new ConflictError(message);
      case 400:
      case 422:
        return new InputError(message);
      case 429: {
        const limited = gitlabRateLimitedUntil(answer);
        return new ServiceUnavailableError(
          `${message} (GitLab's rate limit: rate limited until ${limited?.until})`,
        );
      }
      default:
        return new ServiceUnavailableError(message);
    }
  }
}
