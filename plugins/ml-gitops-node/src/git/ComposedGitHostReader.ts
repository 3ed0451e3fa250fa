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

import type { CommitAndFileAt, GitHostReader } from './GitHost';
import type {
  BranchHeadsPrefetch,
  CommitInfo,
  ConfigRepoLocation,
  PullRequestFacts,
} from './configRepoTypes';

/**
 * The reads of a host's reader other than `locate`, each a function of the
 * parts the host's client is built from.
 *
 * @public
 */
export type GitHostReads = Omit<GitHostReader, 'locate' | 'rateLimitReport'>;

/**
 * A {@link GitHostReader} composed of its host's reads: a host's client
 * locates its repos and hands the reads to this class, so that every host
 * answers the reader's calls the same way.
 *
 * @public
 */
export abstract class ComposedGitHostReader implements GitHostReader {
  protected constructor(private readonly reads: GitHostReads) {}

  /** {@inheritDoc GitHostReader.locate} */
  abstract locate(repoUrl: string): ConfigRepoLocation;

  /** {@inheritDoc GitHostReader.getBranchHeads} */
  getBranchHeads(
    loc: ConfigRepoLocation,
  ): Promise<{ heads: Record<string, string>; changed: boolean }> {
    return this.reads.getBranchHeads(loc);
  }

  /** {@inheritDoc GitHostReader.prefetchBranchHeads} */
  prefetchBranchHeads(
    locs: ConfigRepoLocation[],
    branches: string[],
  ): BranchHeadsPrefetch {
    return this.reads.prefetchBranchHeads(locs, branches);
  }

  /** {@inheritDoc GitHostReader.getFile} */
  getFile(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<string | null> {
    return this.reads.getFile(loc, path, sha);
  }

  /** {@inheritDoc GitHostReader.getCommit} */
  getCommit(loc: ConfigRepoLocation, sha: string): Promise<CommitInfo> {
    return this.reads.getCommit(loc, sha);
  }

  /** {@inheritDoc GitHostReader.prefetchCommitsAndFiles} */
  async prefetchCommitsAndFiles(items: CommitAndFileAt[]): Promise<void> {
    await this.reads.prefetchCommitsAndFiles?.(items);
  }

  /** {@inheritDoc GitHostReader.getMergedPullRequest} */
  getMergedPullRequest(
    loc: ConfigRepoLocation,
    sha: string,
    baseRef: string,
  ): Promise<PullRequestFacts | undefined> {
    return this.reads.getMergedPullRequest(loc, sha, baseRef);
  }
}
