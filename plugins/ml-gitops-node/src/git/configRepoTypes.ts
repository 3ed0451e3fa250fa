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

// The public types of config-repo reads: where a repo is, its commits and pull requests, and the branch-head validators and batches.

/** Where a config repo lives and how to reach its Git host's API. @public */
export type ConfigRepoLocation = {
  url: string;
  host: string;
  owner: string;
  repo: string;
  apiBaseUrl: string;
  /**
   * Counts the requests sent to the host for work on this location, retries
   * included. Set on a copy of the location for one piece of work, so that
   * work running at the same time on the same repo is not counted.
   */
  meter?: RequestMeter;
};

/** Counts the requests sent on behalf of one piece of work (see {@link ConfigRepoLocation.meter}). @public */
export type RequestMeter = { requests: number };

/** @public */
export type CommitInfo = {
  sha: string;
  parents: string[];
  message: string;
  /** The author's Git host login when known, else the Git author name. */
  author: string;
  authorDate: string;
  /** When the commit reached the branch (committer date). */
  committedAt: string;
};

/** @public */
export type PullRequestFacts = {
  number: number;
  url: string;
  title: string;
  labels: string[];
  mergedAt?: string;
  mergedBy?: string;
  baseRef: string;
  headRef: string;
  /** The head commit the PR merged. */
  headSha?: string;
  /** Who approved the merged head commit (see {@link approversOf}). */
  reviewers: string[];
  /** Who opened the PR (login), and whether that is an app or bot account. */
  author?: string;
  authorIsBot?: boolean;
  /** The PR description, for the change record the actions write there. */
  body?: string;
};

/** Conditional-request validators and the last answer, kept between cycles. @public */
export type BranchHeadsCacheEntry = {
  /** The ETag of the first page. */
  etag: string;
  /** The ETag of every page, when the branches took more than one. */
  pages?: string[];
  heads: Record<string, string>;
};

/** Where a Git host's reader keeps validators so restarts keep them too. @public */
export interface ValidatorCache {
  get(key: string): Promise<BranchHeadsCacheEntry | undefined>;
  set(key: string, value: BranchHeadsCacheEntry): Promise<void>;
}

/**
 * Branch heads of many config repos, read together: for each repo (by
 * {@link ConfigRepoLocation.url}) a promise of its heads of the asked
 * branches, or of `undefined` when its host cannot answer in a batch (the
 * caller then asks the REST API). A failed repo's promise rejects with the
 * error that names it.
 * @public
 */
export type BranchHeadsPrefetch = Map<
  string,
  Promise<Record<string, string> | undefined>
>;

/** What the GraphQL API said of its rate limit in the last batch. @public */
export type GraphqlRateLimit = {
  host: string;
  cost: number;
  remaining: number;
  resetAt: string;
};
