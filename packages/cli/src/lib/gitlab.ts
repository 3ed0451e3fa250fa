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

/** Timeout of one GitLab request. */
export const GITLAB_TIMEOUT_MS = 15_000;

/** A GitLab REST API failure; `status` is the HTTP status, if any. */
export class GitLabError extends Error {
  readonly name = 'GitLabError';
  constructor(
    message: string,
    readonly status?: number,
    /** what to change on GitLab, where the answer was fine but the setup is not */
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** A user as GitLab's approvals list them (`approved_by[].user`). */
export type GitLabUser = { id: number; username: string };

/** The Developer role's access level (docs.gitlab.com/api/members, "Roles"). */
export const GITLAB_DEVELOPER = 30;

/** The REST calls (API v4) the approval check makes, with a timeout on each. */
export class GitLabClient {
  constructor(private readonly options: ApiClientOptions) {}

  private async json(path: string): Promise<unknown> {
    const res = await apiGet({
      host: 'GitLab',
      apiUrl: this.options.apiUrl,
      path,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${this.options.token}`,
      },
      timeoutMs: this.options.timeoutMs ?? GITLAB_TIMEOUT_MS,
      fetch: this.options.fetch,
      fail: message => new GitLabError(message),
    });
    if (!res.ok) {
      let detail = '';
      try {
        // GitLab's errors: {"message": "404 Not found"} or {"error": "..."}
        const body = (await res.json()) as {
          message?: unknown;
          error?: unknown;
        };
        const text = body?.message ?? body?.error;
        if (typeof text === 'string') detail = `: ${text}`;
      } catch {
        // not JSON
      }
      throw new GitLabError(
        `GitLab answered GET ${path} with ${res.status}${detail}`,
        res.status,
      );
    }
    try {
      return await res.json();
    } catch {
      throw new GitLabError(`GitLab's answer to GET ${path} is not JSON`);
    }
  }

  private static project(project: string): string {
    return encodeURIComponent(project);
  }

  /**
   * The merge request's current head commit (`sha` of
   * `GET /projects/:id/merge_requests/:iid`, docs.gitlab.com/api/merge_requests).
   */
  async headSha(project: string, iid: number): Promise<string> {
    const body = (await this.json(
      `/projects/${GitLabClient.project(project)}/merge_requests/${iid}`,
    )) as { sha?: unknown } | null;
    if (typeof body?.sha !== 'string') {
      throw new GitLabError(
        `GitLab's answer for merge request !${iid} of ${project} has no sha`,
      );
    }
    return body.sha;
  }

  /**
   * Who approved the merge request (`approved_by[].user` of
   * `GET /projects/:id/merge_requests/:iid/approvals`,
   * docs.gitlab.com/api/merge_request_approvals). GitLab's approvals name
   * no commit: they are the head's only while the project's "Reset
   * approvals on push" setting removes them when commits are added.
   */
  async approvers(project: string, iid: number): Promise<GitLabUser[]> {
    const body = (await this.json(
      `/projects/${GitLabClient.project(
        project,
      )}/merge_requests/${iid}/approvals`,
    )) as { approved_by?: unknown } | null;
    const list = body?.approved_by;
    if (
      !Array.isArray(list) ||
      !list.every(
        a =>
          typeof a?.user?.username === 'string' &&
          typeof a?.user?.id === 'number',
      )
    ) {
      throw new GitLabError(
        `GitLab's approvals of merge request !${iid} of ${project} have no approved_by[].user list`,
      );
    }
    return list.map(a => ({ id: a.user.id, username: a.user.username }));
  }

  /**
   * Whether pushing to the merge request removes its approvals:
   * `reset_approvals_on_push` ("Reset approvals on push"), or
   * `selective_code_owner_removals` (only code owners' approvals of the files
   * changed), of `GET /projects/:id/approvals`
   * (docs.gitlab.com/api/merge_request_approvals, "Get project-level MR
   * approval configuration"). Undefined where GitLab does not answer it: a
   * Premium setting, 404 on GitLab Free, 403 for a role that may not read it.
   */
  async resetsApprovalsOnPush(project: string): Promise<boolean | undefined> {
    try {
      const body = (await this.json(
        `/projects/${GitLabClient.project(project)}/approvals`,
      )) as {
        reset_approvals_on_push?: unknown;
        selective_code_owner_removals?: unknown;
      } | null;
      if (typeof body?.reset_approvals_on_push !== 'boolean') return undefined;
      return (
        body.reset_approvals_on_push ||
        body.selective_code_owner_removals === true
      );
    } catch (error) {
      if (
        error instanceof GitLabError &&
        (error.status === 403 || error.status === 404)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * The access level of a direct member of a group, or undefined when the
   * user is not one or no such group is visible (404):
   * `GET /groups/:id/members/:user_id` (docs.gitlab.com/api/members). GitLab
   * counts only direct members of a group that owns code.
   */
  async directGroupAccess(
    group: string,
    userId: number,
  ): Promise<number | undefined> {
    try {
      const body = (await this.json(
        `/groups/${encodeURIComponent(group)}/members/${userId}`,
      )) as { access_level?: unknown } | null;
      return typeof body?.access_level === 'number'
        ? body.access_level
        : undefined;
    } catch (error) {
      if (error instanceof GitLabError && error.status === 404) {
        return undefined;
      }
      throw error;
    }
  }
}
