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

// The REST GETs of a config repo on GitHub: request counting, JSON checks, the errors that name the repo, and paging.
import { GithubCredentialsProvider } from '@backstage/integration';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import type { ConfigRepoLocation } from './configRepoTypes';
import {
  answerJson,
  answerMessage,
  GitHostUnanswered,
  GithubAnswer,
  GithubTransport,
} from './githubTransport';
import { rateLimitedUntil } from './rateLimits';

/**
 * The REST GETs that the parts of {@link GithubConfigRepoClient} share:
 * each counted by the location's meter, failures turned into errors that
 * name the repo and what to fix.
 */
export class GithubRestReads {
  constructor(
    readonly credentials: GithubCredentialsProvider,
    readonly transport: GithubTransport,
  ) {}

  /**
   * One GET of the REST API of `loc`'s repo (`path` below
   * `/repos/{owner}/{repo}`), counted by `loc.meter`; the body of
   * a successful answer is left unread.
   */
  async request(
    loc: ConfigRepoLocation,
    path: string,
    init: { headers?: Record<string, string> } = {},
  ): Promise<GithubAnswer> {
    const { headers: authHeaders } = await this.credentials.getCredentials({
      url: loc.url,
    });
    const meter = loc.meter;
    try {
      return await this.transport.send({
        method: 'GET',
        url: `${loc.apiBaseUrl}/repos/${encodeURIComponent(
          loc.owner,
        )}/${encodeURIComponent(loc.repo)}${path}`,
        headers: {
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          ...authHeaders,
          ...init.headers,
        },
        raw: true,
        onSend: () => {
          if (meter) meter.requests += 1;
        },
      });
    } catch (error) {
      throw this.unanswered(loc, error);
    }
  }

  /** The error for a request that got no answer (or no whole answer). */
  unanswered(loc: ConfigRepoLocation, error: unknown): Error {
    if (!(error instanceof GitHostUnanswered)) return error as Error;
    return new ServiceUnavailableError(
      error.timedOut
        ? `Git host ${loc.host} did not answer for ${loc.owner}/${
            loc.repo
          } within ${this.transport.timeoutMs / 1000} s`
        : `Git host ${loc.host} is unreachable: ${error.detail}`,
    );
  }

  /**
   * The JSON body of a successful answer, checked to be an array or an
   * object as the endpoint promises; otherwise an error naming the repo.
   */
  async json<T>(
    loc: ConfigRepoLocation,
    what: string,
    response: GithubAnswer,
    shape: 'array' | 'object',
  ): Promise<T> {
    return answerJson<T>(response, error => this.unanswered(loc, error), {
      where: `${what} of ${loc.owner}/${loc.repo} on ${loc.host}`,
      shape,
      api: 'the GitHub REST API',
      check: `check the apiBaseUrl of integrations.github for ${loc.host}`,
    });
  }

  failure(
    loc: ConfigRepoLocation,
    what: string,
    response: GithubAnswer,
  ): Error {
    // Not JSON: the status says enough.
    const said = answerMessage(response).message;
    const detail = said ? `: ${said}` : '';
    const message = `${what} of ${loc.owner}/${loc.repo} on ${loc.host} failed with ${response.status}${detail}`;
    if (response.status === 404) {
      return new NotFoundError(
        `${message}. Check the ml-gitops/config-repo annotation and that the integration token can read the repo.`,
      );
    }
    const limited = rateLimitedUntil(response, detail);
    if (limited) {
      return new ServiceUnavailableError(
        `${message} (GitHub's ${limited.kind} rate limit: rate limited until ${limited.until})`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      return new ServiceUnavailableError(
        `${message}. Check the token of integrations.github for ${loc.host}.`,
      );
    }
    return new ServiceUnavailableError(message);
  }
}

/** A header of an answer as text, if present. */
export function headerText(
  answer: GithubAnswer,
  name: string,
): string | undefined {
  const value = answer.headers[name];
  return value === undefined ? undefined : String(value);
}

/**
 * The page number of the `rel="next"` link of a `Link` header. GitHub's
 * links may name the repo by id (`/repositories/1296269/branches?page=2`),
 * so only the page number is taken from them.
 */
export function nextPageNumber(link: string | null): number | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (!match) continue;
    try {
      const page = Number(new URL(match[1]).searchParams.get('page'));
      return Number.isInteger(page) && page > 1 ? page : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
