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

// The writer's requests to a config repo's REST API on GitHub, and the errors that say what to fix.
import { GithubCredentialsProvider } from '@backstage/integration';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { ConfigRepoLocation } from './configRepoTypes';
import {
  answerMessage,
  GitHostUnanswered,
  GithubAnswer,
  GithubTransport,
} from './githubTransport';
import { RateLimitRetryOptions, rateLimitedUntil } from './rateLimits';

/**
 * GitHub's answer to protecting a branch of a private repo whose owner's
 * plan has no protected branches (GitHub Free): 403 with this message
 * (docs.github.com, "About protected branches": available in public repos
 * with GitHub Free, and in public and private repos with Pro, Team and
 * Enterprise).
 */
const PLAN_WITHOUT_PROTECTION =
  /upgrade to github pro or make this repository public/i;

/**
 * The requests that the parts of {@link GithubConfigRepoWriter} share: one
 * call of the REST API of a repo (or, for a path starting `//`, of the API
 * root), and the error for an answer that failed.
 */
export class GithubWrites {
  constructor(
    private readonly credentials: GithubCredentialsProvider,
    private readonly transport: GithubTransport,
    private readonly timeoutMs: number,
    private readonly retry: RateLimitRetryOptions,
    private readonly logger?: { warn(message: string): void },
  ) {}

  async request(
    loc: ConfigRepoLocation,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    body?: unknown,
  ): Promise<GithubAnswer> {
    const { headers: authHeaders } = await this.credentials.getCredentials({
      url: loc.url,
    });
    const url = path.startsWith('//')
      ? `${loc.apiBaseUrl}${path.slice(1)}`
      : `${loc.apiBaseUrl}/repos/${encodeURIComponent(
          loc.owner,
        )}/${encodeURIComponent(loc.repo)}${path}`;
    try {
      return await this.transport.send({
        method,
        url,
        headers: {
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
          ...authHeaders,
        },
        ...(body !== undefined ? { body } : {}),
        // Each wait is said in the task's log, with the request it holds up.
        onRateLimitWait: wait => {
          this.logger?.warn(
            `GitHub rate limit on ${method} ${path.split('?')[0]} for ${
              loc.owner
            }/${loc.repo}: waiting ${Math.ceil(wait.ms / 1000)} s (until ${
              wait.until
            }) before try ${wait.attempt + 1}`,
          );
          this.retry.onWait?.(wait);
        },
      });
    } catch (error) {
      if (!(error instanceof GitHostUnanswered)) throw error;
      if (error.timedOut) {
        throw new ServiceUnavailableError(
          `Git host ${loc.host} did not answer ${method} ${
            path.split('?')[0]
          } for ${loc.owner}/${loc.repo} within ${this.timeoutMs / 1000} s`,
        );
      }
      throw new ServiceUnavailableError(
        `Git host ${loc.host} is unreachable: ${error.detail}`,
      );
    }
  }

  failure(
    loc: ConfigRepoLocation,
    what: string,
    response: GithubAnswer,
  ): Error {
    // Not JSON: the status says enough.
    const body = answerMessage(response);
    const extra = (body.errors ?? [])
      .map(e => e?.message)
      .filter(Boolean)
      .join('; ');
    const said = body.message ?? '';
    const detail = body.message
      ? `: ${body.message}${extra ? ` (${extra})` : ''}`
      : '';
    const message = `${what} in ${loc.owner}/${loc.repo} on ${loc.host} failed with ${response.status}${detail}`;
    const limited = rateLimitedUntil(response, said);
    if (limited) {
      return new ServiceUnavailableError(
        `${message}. GitHub's ${limited.kind} rate limit is exhausted until ${limited.until}; run the task again after that`,
      );
    }
    if (response.status === 403 && PLAN_WITHOUT_PROTECTION.test(said)) {
      return new InputError(
        `${message}. The plan of ${loc.owner} cannot protect branches of a private repo, so production could be changed without a review: make the repo internal or public (visibility), or move it to an organisation on GitHub Team or Enterprise, then run the task again; ${loc.url} exists without branch protection until then`,
      );
    }
    if (response.status === 404) {
      return new NotFoundError(
        `${message}. Check the repo URL and that the integration token of ${loc.host} can write to the repo.`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      return new ServiceUnavailableError(
        `${message}. Check that the token of integrations.github for ${loc.host} may write contents and pull requests.`,
      );
    }
    if (response.status === 409) {
      return new ConflictError(message);
    }
    if (response.status === 422) {
      return new InputError(message);
    }
    return new ServiceUnavailableError(message);
  }
}

/**
 * The JSON body of a successful answer (octokit parses it when GitHub
 * says it is JSON; an answer without that content type comes as text or
 * bytes).
 */
export function json(answer: GithubAnswer): unknown {
  const { data } = answer;
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString();
  else return data;
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceUnavailableError(
      `GitHub answered ${answer.status} with a body that is not JSON; check the apiBaseUrl of integrations.github`,
    );
  }
}
