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

import { apiGet, ApiClientOptions } from './apiGet';

/** Timeout of one GitHub request. */
export const GITHUB_TIMEOUT_MS = 15_000;

/** A GitHub REST API failure; `status` is the HTTP status, if any. */
export class GitHubError extends Error {
  readonly name = 'GitHubError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** A review as `GET /repos/{owner}/{repo}/pulls/{n}/reviews` lists it. */
export type GitHubReview = {
  id: number;
  user: { login: string } | null;
  state: string;
  commit_id: string | null;
  submitted_at?: string;
};

/** The REST calls the approval check makes, with a timeout on each. */
export class GitHubClient {
  constructor(private readonly options: ApiClientOptions) {}

  private async request(path: string): Promise<Response> {
    return apiGet({
      host: 'GitHub',
      apiUrl: this.options.apiUrl,
      path,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.options.token}`,
        'x-github-api-version': '2022-11-28',
      },
      timeoutMs: this.options.timeoutMs ?? GITHUB_TIMEOUT_MS,
      fetch: this.options.fetch,
      fail: message => new GitHubError(message),
    });
  }

  private async json(path: string): Promise<{ body: unknown; res: Response }> {
    const res = await this.request(path);
    if (!res.ok) {
      let detail = '';
      try {
        const body = (await res.json()) as { message?: unknown };
        if (typeof body?.message === 'string') detail = `: ${body.message}`;
      } catch {
        // not JSON
      }
      throw new GitHubError(
        `GitHub answered GET ${path} with ${res.status}${detail}`,
        res.status,
      );
    }
    try {
      return { body: await res.json(), res };
    } catch {
      throw new GitHubError(`GitHub's answer to GET ${path} is not JSON`);
    }
  }

  /** The pull request's current head commit. */
  async headSha(repo: string, pull: number): Promise<string> {
    const { body } = await this.json(`/repos/${repo}/pulls/${pull}`);
    const sha = (body as { head?: { sha?: unknown } } | null)?.head?.sha;
    if (typeof sha !== 'string') {
      throw new GitHubError(
        `GitHub's answer for pull request #${pull} of ${repo} has no head.sha`,
      );
    }
    return sha;
  }

  /** Every review of the pull request, oldest first (all pages). */
  async reviews(repo: string, pull: number): Promise<GitHubReview[]> {
    const all: GitHubReview[] = [];
    for (let page = 1; page <= 30; page++) {
      const { body, res } = await this.json(
        `/repos/${repo}/pulls/${pull}/reviews?per_page=100&page=${page}`,
      );
      if (!Array.isArray(body)) {
        throw new GitHubError(
          `GitHub's reviews of pull request #${pull} are not a list`,
        );
      }
      all.push(...(body as GitHubReview[]));
      const next = /<[^>]*>;\s*rel="next"/.test(res.headers.get('link') ?? '');
      if (!next || body.length === 0) return all;
    }
    return all;
  }

  /**
   * Whether `user` is an active member of the team `org/slug`
   * (`GET /orgs/{org}/teams/{slug}/memberships/{username}`: 200 with
   * `state: active`; 404 when not a member).
   */
  async isActiveTeamMember(
    org: string,
    slug: string,
    user: string,
  ): Promise<boolean> {
    try {
      const { body } = await this.json(
        `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(
          slug,
        )}/memberships/${encodeURIComponent(user)}`,
      );
      return (body as { state?: unknown } | null)?.state === 'active';
    } catch (error) {
      if (error instanceof GitHubError && error.status === 404) return false;
      throw error;
    }
  }
}
