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

// The entries of a Git host's REST branch list as branch heads.
import { ServiceUnavailableError } from '@backstage/errors';
import type { ConfigRepoLocation } from './configRepoTypes';

/** One entry of a REST branch list, as far as a head needs it. */
export type ListedBranch = {
  name?: unknown;
  commit?: Record<string, unknown> | null;
};

/**
 * Adds each listed branch's head commit to `heads`. GitHub names it
 * `commit.sha` (docs.github.com "List branches"), GitLab `commit.id`
 * (docs.gitlab.com "Branches API"); an entry without a name or that field
 * fails the read rather than hide a branch.
 */
export function addListedBranchHeads(
  heads: Record<string, string>,
  branches: readonly ListedBranch[],
  loc: ConfigRepoLocation,
  commitField: 'sha' | 'id',
): void {
  for (const branch of branches) {
    const head = branch?.commit?.[commitField];
    if (typeof branch?.name !== 'string' || typeof head !== 'string') {
      throw new ServiceUnavailableError(
        `Listing branches of ${loc.owner}/${loc.repo} on ${loc.host} got a branch without name or commit ${commitField}`,
      );
    }
    heads[branch.name] = head;
  }
}
