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

// The writer's pull requests of a config repo: finding, opening, updating, listing, closing, labelling and review requests.
import type { ConfigRepoLocation } from './configRepoTypes';
import { GithubWrites, json } from './githubWrites';
import type {
  OpenedPullRequest,
  ReviewRequestResult,
} from './GithubConfigRepoWriter';

/** The open pull request from `head` into `base`, if there is one. */
export async function findOpenPullRequest(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  head: string,
  base: string,
): Promise<{ number: number; url: string } | undefined> {
  const query = new URLSearchParams({
    state: 'open',
    head: `${loc.owner}:${head}`,
    base,
  });
  const response = await api.request(loc, 'GET', `/pulls?${query}`);
  if (!response.ok) {
    throw api.failure(
      loc,
      `Listing pull requests from ${head} into ${base}`,
      response,
    );
  }
  const pulls = json(response) as Array<{
    number: number;
    html_url: string;
    head: { ref: string };
    base: { ref: string };
  }>;
  const pull = pulls.find(p => p.head.ref === head && p.base.ref === base);
  return pull ? { number: pull.number, url: pull.html_url } : undefined;
}

/**
 * Opens a pull request from `head` into `base`; when one is already open
 * for the same branches it is returned (`created: false`) instead.
 */
export async function openPullRequest(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  options: { head: string; base: string; title: string; body: string },
): Promise<OpenedPullRequest> {
  const existing = await findOpenPullRequest(
    api,
    loc,
    options.head,
    options.base,
  );
  if (existing) {
    return { ...existing, created: false };
  }
  const response = await api.request(loc, 'POST', '/pulls', {
    title: options.title,
    body: options.body,
    head: options.head,
    base: options.base,
    maintainer_can_modify: true,
  });
  if (response.status === 422) {
    // Another run opened it between the lookup and the request: GitHub
    // answers 422 "A pull request already exists for owner:head".
    const raced = await findOpenPullRequest(
      api,
      loc,
      options.head,
      options.base,
    );
    if (raced) {
      return { ...raced, created: false };
    }
  }
  if (!response.ok) {
    throw api.failure(
      loc,
      `Opening a pull request from ${options.head} into ${options.base}`,
      response,
    );
  }
  const body = json(response) as {
    number: number;
    html_url: string;
  };
  return { number: body.number, url: body.html_url, created: true };
}

/** Rewrites the title and body of an open pull request. */
export async function updatePullRequest(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  pullNumber: number,
  options: { title: string; body: string },
): Promise<void> {
  const response = await api.request(loc, 'PATCH', `/pulls/${pullNumber}`, {
    title: options.title,
    body: options.body,
  });
  if (!response.ok) {
    throw api.failure(loc, `Updating pull request #${pullNumber}`, response);
  }
}

/**
 * The open pull requests into `base`, newest first, with their head
 * branch (every page of GitHub's list).
 */
export async function listOpenPullRequests(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  base: string,
): Promise<Array<{ number: number; url: string; head: string }>> {
  const result: Array<{ number: number; url: string; head: string }> = [];
  for (let page = 1; page <= 10; page++) {
    const query = new URLSearchParams({
      state: 'open',
      base,
      per_page: '100',
      page: String(page),
    });
    const response = await api.request(loc, 'GET', `/pulls?${query}`);
    if (!response.ok) {
      throw api.failure(
        loc,
        `Listing the open pull requests into ${base}`,
        response,
      );
    }
    const pulls = json(response) as Array<{
      number: number;
      html_url: string;
      head: { ref: string; repo?: { full_name?: string } | null };
      base: { ref: string };
    }>;
    for (const p of pulls) {
      // Only branches of this repo: a fork's branch of the same name is
      // someone else's change.
      const own =
        !p.head.repo?.full_name ||
        p.head.repo.full_name.toLowerCase() ===
          `${loc.owner}/${loc.repo}`.toLowerCase();
      if (p.base.ref === base && own) {
        result.push({ number: p.number, url: p.html_url, head: p.head.ref });
      }
    }
    if (pulls.length < 100) break;
  }
  return result;
}

/** Comments on a pull request, then closes it without merging. */
export async function closePullRequest(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  pullNumber: number,
  comment: string,
): Promise<void> {
  const commented = await api.request(
    loc,
    'POST',
    `/issues/${pullNumber}/comments`,
    { body: comment },
  );
  if (!commented.ok) {
    throw api.failure(
      loc,
      `Commenting on pull request #${pullNumber}`,
      commented,
    );
  }
  const response = await api.request(loc, 'PATCH', `/pulls/${pullNumber}`, {
    state: 'closed',
  });
  if (!response.ok) {
    throw api.failure(loc, `Closing pull request #${pullNumber}`, response);
  }
}

/** Adds labels to a pull request (GitHub creates unknown labels). */
export async function addLabels(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  pullNumber: number,
  labels: string[],
): Promise<void> {
  const response = await api.request(
    loc,
    'POST',
    `/issues/${pullNumber}/labels`,
    { labels },
  );
  if (!response.ok) {
    throw api.failure(loc, `Labelling pull request #${pullNumber}`, response);
  }
}

/**
 * Requests reviews on a pull request. `reviewers` are user logins or teams
 * written `org/team-slug` (or `team:slug`). GitHub takes review requests
 * only for collaborators of the repo (users with access, teams granted to
 * it) and refuses the whole request with 422 when one is not
 * (docs.github.com, "Requesting a pull request review"); the others are
 * then asked one by one, and who was refused is returned, so a PR is not
 * lost over one reviewer.
 */
export async function requestReviewers(
  api: GithubWrites,
  loc: ConfigRepoLocation,
  pullNumber: number,
  reviewers: string[],
): Promise<ReviewRequestResult> {
  const ask = (list: string[]) => {
    const users: string[] = [];
    const teams: string[] = [];
    for (const reviewer of list) {
      const team = /^(?:team:|[^/]+\/)(.+)$/.exec(reviewer);
      if (team) {
        teams.push(team[1]);
      } else {
        users.push(reviewer.replace(/^@/, ''));
      }
    }
    return api.request(
      loc,
      'POST',
      `/pulls/${pullNumber}/requested_reviewers`,
      { reviewers: users, team_reviewers: teams },
    );
  };
  const what = (list: string[]) =>
    `Requesting reviewers ${list.join(', ')} on pull request #${pullNumber}`;
  const response = await ask(reviewers);
  if (response.ok) {
    return { requested: reviewers, refused: [] };
  }
  if (response.status !== 422) {
    throw api.failure(loc, what(reviewers), response);
  }
  const result: ReviewRequestResult = { requested: [], refused: [] };
  for (const reviewer of reviewers) {
    const single = await ask([reviewer]);
    if (single.ok) {
      result.requested.push(reviewer);
    } else if (single.status === 422) {
      const error = api.failure(loc, what([reviewer]), single);
      result.refused.push({
        reviewer,
        reason: `${error.message.replace(
          /^.*failed with 422: /,
          '',
        )}; give ${reviewer} access to ${loc.owner}/${loc.repo}`,
      });
    } else {
      throw api.failure(loc, what([reviewer]), single);
    }
  }
  return result;
}
