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

// The merged pull request behind a config-repo commit, its reviews, and who approved what merged.
import type { ConfigRepoLocation, PullRequestFacts } from './configRepoTypes';
import { GithubRestReads, headerText, nextPageNumber } from './githubRestReads';

/** How many pages of 100 reviews of one pull request are read at most. */
const MAX_REVIEW_PAGES = 10;

/**
 * Every review of a pull request, oldest first, following the `Link`
 * header past GitHub's 100 a page.
 */
async function pullReviews(
  api: GithubRestReads,
  loc: ConfigRepoLocation,
  number: number,
): Promise<PullReview[]> {
  const all: PullReview[] = [];
  const what = `Reading reviews of PR #${number}`;
  for (let page = 1; page <= MAX_REVIEW_PAGES; ) {
    const response = await api.request(
      loc,
      `/pulls/${number}/reviews?per_page=100${page > 1 ? `&page=${page}` : ''}`,
    );
    if (!response.ok) throw api.failure(loc, what, response);
    all.push(...(await api.json<typeof all>(loc, what, response, 'array')));
    const next = nextPageNumber(headerText(response, 'link') ?? null);
    if (next !== page + 1) break;
    page = next;
  }
  return all;
}

/** The merged pull request that brought a commit into `baseRef`, if any. */
export async function readMergedPullRequest(
  api: GithubRestReads,
  loc: ConfigRepoLocation,
  sha: string,
  baseRef: string,
): Promise<PullRequestFacts | undefined> {
  const response = await api.request(
    loc,
    `/commits/${encodeURIComponent(sha)}/pulls`,
  );
  if (!response.ok) {
    throw api.failure(loc, `Finding the PR of ${sha}`, response);
  }
  const pulls = await api.json<
    Array<{
      number: number;
      merged_at: string | null;
      base?: { ref?: string };
    }>
  >(loc, `Finding the PR of ${sha}`, response, 'array');
  const pull = pulls.find(p => p?.merged_at && p.base?.ref === baseRef);
  if (!pull) {
    return undefined;
  }
  const [detailResponse, reviews] = await Promise.all([
    api.request(loc, `/pulls/${pull.number}`),
    pullReviews(api, loc, pull.number),
  ]);
  if (!detailResponse.ok) {
    throw api.failure(loc, `Reading PR #${pull.number}`, detailResponse);
  }
  const detail = await api.json<{
    number: number;
    html_url: string;
    title?: string;
    labels?: Array<{ name: string }>;
    merged_at: string | null;
    merged_by: { login: string } | null;
    base: { ref: string };
    head: { ref: string; sha?: string };
    user?: { login?: string; type?: string } | null;
    body?: string | null;
  }>(loc, `Reading PR #${pull.number}`, detailResponse, 'object');
  const reviewers = approversOf(reviews, detail.head?.sha);
  return {
    number: detail.number,
    url: detail.html_url,
    title: detail.title ?? '',
    labels: (detail.labels ?? []).map(l => l.name),
    mergedAt: detail.merged_at
      ? new Date(detail.merged_at).toISOString()
      : undefined,
    mergedBy: detail.merged_by?.login,
    baseRef: detail.base?.ref ?? baseRef,
    headRef: detail.head?.ref ?? '',
    ...(detail.head?.sha ? { headSha: detail.head.sha } : {}),
    reviewers,
    ...(detail.user?.login
      ? {
          author: detail.user.login,
          // GitHub Apps open PRs as "<slug>[bot]" with type Bot.
          authorIsBot:
            detail.user.type === 'Bot' || /\[bot\]$/.test(detail.user.login),
        }
      : {}),
    ...(typeof detail.body === 'string' ? { body: detail.body } : {}),
  };
}

/**
 * One review of a pull request, as GitHub's REST API lists it
 * (docs.github.com, "List reviews for a pull request": `state` is APPROVED,
 * CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING; `commit_id` is the
 * head commit the review was submitted on).
 *
 * @public
 */
export type PullReview = {
  user: { login: string } | null;
  state: string;
  commit_id?: string | null;
};

/**
 * Who approved what a pull request merged: each reviewer whose last
 * deciding review (an approval or a request for changes; comments decide
 * nothing) approved the head commit that was merged. An approval of an
 * older head does not count — the change it saw is not the change that
 * merged — and a dismissed approval is listed as DISMISSED, so it does not
 * count either. Without the head's sha (GitHub always sends it) approvals
 * count as given.
 * @public
 */
export function approversOf(
  reviews: PullReview[],
  headSha: string | undefined,
): string[] {
  const last = new Map<string, PullReview>();
  for (const review of reviews) {
    const login = review?.user?.login;
    if (!login) continue;
    if (
      review.state === 'APPROVED' ||
      review.state === 'CHANGES_REQUESTED' ||
      review.state === 'DISMISSED'
    ) {
      last.set(login, review);
    }
  }
  return [...last.entries()]
    .filter(
      ([, review]) =>
        review.state === 'APPROVED' &&
        (!headSha || review.commit_id === headSha),
    )
    .map(([login]) => login);
}
