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
// The writer over every Git host: each change goes to the writer of its config repo's host.
import type { GitHostWriter, NewRepositoryOptions } from './GitHost';
import type { ConfigRepoLocation } from './configRepoTypes';
import type {
  AccessGrantResult,
  BranchProtection,
  FileCommit,
  FileOnBranch,
  OpenedPullRequest,
  ReviewRequestResult,
  TreeCommit,
} from './GithubConfigRepoWriter';
import type { HostTable } from './hostTable';

/** Changes each config repo through its host's writer. */
export class ConfigRepoHostsWriter implements GitHostWriter {
  constructor(private readonly table: HostTable) {}

  private of(loc: ConfigRepoLocation): GitHostWriter {
    return this.table.forLocation(loc).git.writer;
  }

  async getToken(loc: ConfigRepoLocation): Promise<string | undefined> {
    return this.of(loc).getToken(loc);
  }

  gitTokenUser(loc: ConfigRepoLocation): string {
    return this.of(loc).gitTokenUser(loc);
  }

  async getBranchHead(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<string | undefined> {
    return this.of(loc).getBranchHead(loc, branch);
  }

  async createBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<{ sha: string; created: boolean }> {
    return this.of(loc).createBranch(loc, branch, sha);
  }

  async resetBranch(
    loc: ConfigRepoLocation,
    branch: string,
    sha: string,
  ): Promise<void> {
    return this.of(loc).resetBranch(loc, branch, sha);
  }

  async createCommit(
    loc: ConfigRepoLocation,
    options: TreeCommit,
  ): Promise<string> {
    return this.of(loc).createCommit(loc, options);
  }

  async getCommit(
    loc: ConfigRepoLocation,
    sha: string,
  ): Promise<{ sha: string; parents: string[]; tree: string } | undefined> {
    return this.of(loc).getCommit(loc, sha);
  }

  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    ref: string,
  ): Promise<FileOnBranch | undefined> {
    return this.of(loc).getFile(loc, path, ref);
  }

  async commitFile(
    loc: ConfigRepoLocation,
    options: FileCommit,
  ): Promise<string> {
    return this.of(loc).commitFile(loc, options);
  }

  async findOpenPullRequest(
    loc: ConfigRepoLocation,
    head: string,
    base: string,
  ): Promise<{ number: number; url: string } | undefined> {
    return this.of(loc).findOpenPullRequest(loc, head, base);
  }

  async openPullRequest(
    loc: ConfigRepoLocation,
    options: { head: string; base: string; title: string; body: string },
  ): Promise<OpenedPullRequest> {
    return this.of(loc).openPullRequest(loc, options);
  }

  async updatePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    options: { title: string; body: string },
  ): Promise<void> {
    return this.of(loc).updatePullRequest(loc, pullNumber, options);
  }

  async listOpenPullRequests(
    loc: ConfigRepoLocation,
    base: string,
  ): Promise<Array<{ number: number; url: string; head: string }>> {
    return this.of(loc).listOpenPullRequests(loc, base);
  }

  async closePullRequest(
    loc: ConfigRepoLocation,
    pullNumber: number,
    comment: string,
  ): Promise<void> {
    return this.of(loc).closePullRequest(loc, pullNumber, comment);
  }

  async addLabels(
    loc: ConfigRepoLocation,
    pullNumber: number,
    labels: string[],
  ): Promise<void> {
    return this.of(loc).addLabels(loc, pullNumber, labels);
  }

  async requestReviewers(
    loc: ConfigRepoLocation,
    pullNumber: number,
    reviewers: string[],
  ): Promise<ReviewRequestResult> {
    return this.of(loc).requestReviewers(loc, pullNumber, reviewers);
  }

  async repositoryExists(loc: ConfigRepoLocation): Promise<boolean> {
    return this.of(loc).repositoryExists(loc);
  }

  async createRepository(
    loc: ConfigRepoLocation,
    options: NewRepositoryOptions,
  ): Promise<{ url: string; created: boolean }> {
    return this.of(loc).createRepository(loc, options);
  }

  async setDefaultBranch(
    loc: ConfigRepoLocation,
    branch: string,
  ): Promise<void> {
    return this.of(loc).setDefaultBranch(loc, branch);
  }

  async protectBranch(
    loc: ConfigRepoLocation,
    branch: string,
    options: BranchProtection,
  ): Promise<void> {
    return this.of(loc).protectBranch(loc, branch, options);
  }

  async grantAccess(
    loc: ConfigRepoLocation,
    owners: string[],
    permission?: 'push' | 'maintain',
  ): Promise<AccessGrantResult> {
    return this.of(loc).grantAccess(loc, owners, permission);
  }
}
