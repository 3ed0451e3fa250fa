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

// The GitLab writer's merge requests: finding, opening, updating, listing, closing, labelling and reviewers (merge requests API).
import type { ConfigRepoLocation } from '../configRepoTypes';
import type {
  OpenedPullRequest,
  ReviewRequestResult,
} from '../GithubConfigRepoWriter';
import { discard } from '../githubTransport';
import { GitlabApi } from './gitlabApi';

type MergeRequest = {
  iid: number;
  web_url: string;
  source_branch: string;
  target_branch: string;
  source_project_id?: number;
  target_project_id?: number;
  reviewers?: Array<{ id: number; username: string }>;
};
/** The merge request writes of {@link GitlabConfigRepoWriter}. */
export class GitlabMergeRequestWrites {
  constructor(private readonly api: GitlabApi) {}

  /** The open merge request from `head` into `base`, if there is one. */
  async findOpenPullRequest(
    loc: ConfigRepoLocation,
    head: string,
    base: string,
  ): Promise<{ number: number; url: string } | undefined> {
    const query = new URLSearchParams({
      state: 'opened',
      source_branch: head,
      target_branch: base,
    });
    const list = await this.api.pages<MergeRequest>(
      loc,
      `Listing merge requests from ${head} into ${base}`,
      `/projects/${GitlabApi.projectId(loc)}/merge_requests?${query}`,
    );
    const mr = list.find(
      m => m.source_branch === head && m.target_branch === base && ownBranch(m),
    );
    return mr ? { number: mr.iid, url: mr.web_url } : undefined;
  }

  /**
   * Opens a merge request from `head` into `base` (deleting `head` when
   * merged); when one is already open for the same branches it is returned
   * (`created: false`) instead: GitLab answers 409 for a second one.
   */
  async openPullRequest(
    loc: ConfigRepoLocation,
    options: { head: string; base: string; title: string; body: string },
  ): Promise<OpenedPullRequest> {
    const existing = await this.findOpenPullRequest(
      loc,
      options.head,
      options.base,
    );
    if (existing) return { ...existing, created: false };
    const what = `Opening a merge request from ${options.head} into ${options.base}`;
    const answer = await this.api.project(loc, 'POST', '/merge_requests', {
      source_branch: options.head,
      target_branch: options.base,
      title: options.title,
      description: options.body,
      remove_source_branch: true,
    });
    if (answer.status === 409) {
      discard(answer);
      const raced = await this.findOpenPullRequest(
        loc,
        options.head,
        options.base,
      );
      if (raced) return { ...raced, created: false };
    }
    if (!answer.ok) throw await this.api.refusal(loc, what, answer, 'write');
    const mr = await this.api.json<MergeRequest>(loc, what, answer, 'object');
    return { number: mr.iid, url: mr.web_url, created: true };
  }

  private async updateMergeRequest(
    loc: ConfigRepoLocation,
    iid: number,
    what: string,
    body: Record<string, unknown>,
  ): Promise<MergeRequest> {
    const answer = await this.api.project(
      loc,
      'PUT',
      `/merge_requests/${iid}`,
      body,
    );
    if (!answer.ok) throw await this.api.refusal(loc, what, answer, 'write');
    return this.api.json<MergeRequest>(loc, what, answer, 'object');
  }

  /** Rewrites the title and description of an open merge request. */
  async updatePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    options: { title: string; body: string },
  ): Promise<void> {
    await this.updateMergeRequest(
      loc,
      pullNumber,
      `Updating merge request !${pullNumber}`,
      { title: options.title, description: options.body },
    );
  }

  /** The open merge requests into `base` from this project's branches, newest first. */
  async listOpenPullRequests(
    loc: ConfigRepoLocation,
    base: string,
  ): Promise<Array<{ number: number; url: string; head: string }>> {
    const query = new URLSearchParams({
      state: 'opened',
      target_branch: base,
      order_by: 'created_at',
      sort: 'desc',
    });
    const list = await this.api.pages<MergeRequest>(
      loc,
      `Listing the open merge requests into ${base}`,
      `/projects/${GitlabApi.projectId(loc)}/merge_requests?${query}`,
      { maxPages: 10, tooMany: 'close stale merge requests into this branch' },
    );
    return list
      .filter(m => m.target_branch === base && ownBranch(m))
      .map(m => ({ number: m.iid, url: m.web_url, head: m.source_branch }));
  }

  /** Comments on a merge request (a note), then closes it without merging. */
  async closePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    comment: string,
  ): Promise<void> {
    const noted = await this.api.project(
      loc,
      'POST',
      `/merge_requests/${pullNumber}/notes`,
      { body: comment },
    );
    if (!noted.ok) {
      throw await this.api.refusal(
        loc,
        `Commenting on merge request !${pullNumber}`,
        noted,
        'write',
      );
    }
    discard(noted);
    await this.updateMergeRequest(
      loc,
      pullNumber,
      `Closing merge request !${pullNumber}`,
      { state_event: 'close' },
    );
  }

  /** Adds labels (`add_labels`; GitLab creates labels the project lacks). */
  async addLabels(
    loc: ConfigRepoLocation,
    pullNumber: number,
    labels: string[],
  ): Promise<void> {
    await this.updateMergeRequest(
      loc,
      pullNumber,
      `Labelling merge request !${pullNumber}`,
      { add_labels: labels.join(',') },
    );
  }

  /**
   * Adds reviewers to a merge request (`reviewer_ids`, keeping those it
   * has). `reviewers` are usernames (`@` optional); GitLab takes users
   * only, so a group (`group/sub`) is refused, as is a username GitLab
   * does not know, or a user it did not add (no access to the project).
   */
  async requestReviewers(
    loc: ConfigRepoLocation,
    pullNumber: number,
    reviewers: string[],
  ): Promise<ReviewRequestResult> {
    const result: ReviewRequestResult = { requested: [], refused: [] };
    const wanted = new Map<number, string>();
    for (const reviewer of reviewers) {
      const username = reviewer.replace(/^@/, '');
      if (username.includes('/') || username.startsWith('team:')) {
        result.refused.push({
          reviewer,
          reason: `GitLab takes users as reviewers, not groups; name the members of ${username}`,
        });
        continue;
      }
      const user = await this.api.userByName(loc, username);
      if (!user) {
        result.refused.push({
          reviewer,
          reason: `GitLab ${loc.host} has no user ${username}`,
        });
        continue;
      }
      wanted.set(user.id, reviewer);
    }
    if (wanted.size === 0) return result;
    const what = `Requesting reviewers on merge request !${pullNumber}`;
    const current = await this.api.project(
      loc,
      'GET',
      `/merge_requests/${pullNumber}`,
    );
    if (!current.ok) throw await this.api.refusal(loc, what, current);
    const mr = await this.api.json<MergeRequest>(loc, what, current, 'object');
    const ids = new Set([
      ...(mr.reviewers ?? []).map(r => r.id),
      ...wanted.keys(),
    ]);
    const updated = await this.updateMergeRequest(loc, pullNumber, what, {
      reviewer_ids: [...ids],
    });
    const added = new Set((updated.reviewers ?? []).map(r => r.id));
    for (const [id, reviewer] of wanted) {
      if (added.has(id)) {
        result.requested.push(reviewer);
      } else {
        result.refused.push({
          reviewer,
          reason: `GitLab did not add ${reviewer} as a reviewer; give ${reviewer} access to ${loc.owner}/${loc.repo}`,
        });
      }
    }
    return result;
  }
}

/** Only merge requests from this project's branches: a fork's is someone else's change. */
function ownBranch(mr: MergeRequest): boolean {
  return (
    mr.source_project_id === undefined ||
    mr.target_project_id === undefined ||
    mr.source_project_id === mr.target_project_id
  );
}
