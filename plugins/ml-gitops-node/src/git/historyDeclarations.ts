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

// What the history reader keeps between cycles and may spend: environment declarations, unread gaps, and the backfill budget.
import {
  ModelManifest,
  PullRequestInfo,
} from '@ml-gitops/plugin-ml-gitops-common';

/** The commit that set the version an environment's branch declares now. @public */
export type DeclaringCommit = {
  commit: string;
  author: string;
  committedAt: string;
  pullRequest?: PullRequestInfo;
};

/**
 * A stretch of a branch's first-parent history not read yet: from the
 * commit `from` (included) back to `until` (excluded), or to the branch's
 * first commit when `until` is absent.
 * @public
 */
export type HistoryGap = { from: string; until?: string };

/**
 * Requests the backfill of older history may send, shared by every model
 * of a poll cycle. A commit is read only when the worst case it may cost
 * is left, and that much is reserved while it is read (models read side by
 * side); what it really cost (every request counted, retries included) is
 * taken. Reviews beyond GitHub's first page of 100 may take a commit past
 * what was left: the overdraft is owed by the next cycle.
 * @public
 */
export class HistoryBudget {
  private left = 0;

  /** @param perCycle - requests each cycle may send for older history */
  constructor(readonly perCycle: number) {}

  /** Starts a cycle: its allowance, less what the last one overdrew. */
  startCycle(): void {
    this.left = this.perCycle + Math.min(0, this.left);
  }

  get remaining(): number {
    return this.left;
  }

  /** Whether `requests` may still be sent. */
  allows(requests: number): boolean {
    return this.left >= requests;
  }

  spend(requests: number): void {
    this.left -= requests;
  }

  /**
   * Takes `requests` before they are sent, so that reads running side by
   * side (the models of a cycle) never share what is left; {@link HistoryBudget.settle}
   * gives back what was not used.
   */
  reserve(requests: number): void {
    this.left -= requests;
  }

  /** Settles a reservation of `reserved` requests of which `used` were sent. */
  settle(reserved: number, used: number): void {
    this.left += reserved - used;
  }
}

/**
 * The most requests reading one commit's part of the history costs: the
 * commit, the manifest at its parent (the commit's own is its child's
 * parent, mostly known) and at the commit, the PR of the commit, the PR, the
 * first page of its reviews, a merged branch's head (to see a revert) and a
 * bot-opened PR's head commit (for its author).
 * @public
 */
export const MAX_REQUESTS_PER_COMMIT = 8;

/** What one environment's branch declares, as remembered between cycles. @public */
export type EnvironmentDeclaration = {
  environment: string;
  /** Head commit of the branch. */
  head: string;
  /** When the head commit reached the branch. */
  headCommittedAt: string;
  /** `model_version` at the head, or null when the manifest is broken or absent. */
  version: string | null;
  /** The parsed manifest at the head (for gates), when valid. */
  manifest?: ModelManifest;
  /** Why `version` is null. */
  manifestProblem?: string;
  declaring: DeclaringCommit;
  /**
   * Older history not read yet, newest first; empty once the branch is read
   * back to its first commit. Absent in declarations remembered before the
   * history was read in pages: their whole past is read again (recorded
   * deployments stay as they were).
   */
  unread?: HistoryGap[];
  /**
   * `declaring` is the head commit standing in for the commit that set the
   * version, which the unread history holds.
   */
  declaringGuessed?: boolean;
};

/** Remembers the last declaration of each environment (survives restarts). @public */
export interface DeclarationMemory {
  get(key: string): Promise<EnvironmentDeclaration | undefined>;
  set(key: string, value: EnvironmentDeclaration): Promise<void>;
  /**
   * The declarations of many keys in one read where the memory can (absent
   * keys left out); without it, `get` is asked for each key.
   */
  getMany?(keys: string[]): Promise<Map<string, EnvironmentDeclaration>>;
}
