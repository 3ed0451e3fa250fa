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

// Each batch of branch heads that answers is followed by one read ahead of the head commits and manifests its branches need.
import {
  BranchHeadsPrefetch,
  ConfigRepoHistory,
  ConfigRepoLocation,
} from '@ml-gitops/plugin-ml-gitops-node';

/**
 * Gathers the repos whose heads answered in one turn of the event loop (a
 * batch of heads settles together) into one read ahead.
 */
class ReadAhead {
  private pending?: { repos: ReadAheadRepo[]; done: Promise<void> };

  constructor(private readonly history: ConfigRepoHistory) {}

  add(repos: ReadAheadRepo[]): Promise<void> {
    let pending = this.pending;
    if (!pending) {
      const gathered: ReadAheadRepo[] = [];
      const done = new Promise<void>(resolve => setImmediate(resolve)).then(
        (): Promise<void> => {
          this.pending = undefined;
          return this.history.readAhead(gathered);
        },
      );
      pending = { repos: gathered, done };
      this.pending = pending;
    }
    pending.repos.push(...repos);
    return pending.done;
  }
}

type ReadAheadRepo = Parameters<ConfigRepoHistory['readAhead']>[0][number];

/**
 * The branch heads of `prefetch`, each settling once the head commits and
 * manifests of its repo's branches that moved or were never read are read
 * ahead (`ConfigRepoHistory.readAhead`): the repos whose heads answered
 * together (a batch) are read ahead together.
 */
export function withReadAhead(
  prefetch: BranchHeadsPrefetch,
  locs: ConfigRepoLocation[],
  paths: Map<string, Set<string>>,
  history: ConfigRepoHistory,
): BranchHeadsPrefetch {
  // Each batch of heads that answers is followed by one read ahead of the
  // head commits and manifests of its branches that moved or were never
  // read; a model's poll starts when both are in.
  const ahead = new ReadAhead(history);
  const byUrl = new Map(locs.map(loc => [loc.url, loc]));
  const result: BranchHeadsPrefetch = new Map();
  for (const [url, heads] of prefetch) {
    const loc = byUrl.get(url);
    const read = heads.then(async found => {
      if (found && loc) {
        await ahead.add(
          [...(paths.get(url) ?? [])].map(manifestPath => ({
            loc,
            manifestPath,
            heads: found,
          })),
        );
      }
      return found;
    });
    // Settled without a reader when its model is not polled after all.
    read.catch(() => {});
    result.set(url, read);
  }
  return result;
}
