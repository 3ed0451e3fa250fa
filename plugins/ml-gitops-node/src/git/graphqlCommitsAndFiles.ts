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

// Commits and the files at them, of many config repos, read ahead through GitHub's GraphQL API, 100 repos a query.
import type { ConfigRepoLocation } from './configRepoTypes';
import {
  buildCommitsAndFilesQuery,
  CommitAndFile,
  CommitAndFileFacts,
  readCommitsAndFilesAnswer,
} from './commitsAndFilesQuery';
import { GithubGraphql, GRAPHQL_BATCH, runQueries } from './githubGraphql';

/**
 * Reads commits and the files at them (`items`) through GraphQL, up to 100
 * repos a query, grouped by host and credentials. Returns what the answers
 * told, by `url@sha:path`; nothing for what a host could not answer (no
 * GraphQL API, a rate limit, a failure), which is then read through REST.
 * Never throws.
 */
export async function readCommitsAndFiles(
  graphql: GithubGraphql,
  items: Array<{ loc: ConfigRepoLocation } & CommitAndFile>,
): Promise<Map<string, CommitAndFileFacts>> {
  const found = new Map<string, CommitAndFileFacts>();
  const byRepo = new Map<
    string,
    { loc: ConfigRepoLocation; items: CommitAndFile[] }
  >();
  for (const { loc, sha, path } of items) {
    const repo = byRepo.get(loc.url) ?? { loc, items: [] };
    repo.items.push({ sha, path });
    byRepo.set(loc.url, repo);
  }
  const groups = await graphql.groups(
    [...byRepo.values()].map(r => r.loc),
    () => {},
    () => {},
  );
  const queries: Array<() => Promise<void>> = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.locs.length; i += GRAPHQL_BATCH) {
      const batch = group.locs
        .slice(i, i + GRAPHQL_BATCH)
        .map(loc => byRepo.get(loc.url)!);
      queries.push(async () => {
        const answer = await graphql.query(
          group.endpoint,
          group.headers,
          batch.map(b => b.loc),
          `Reading ${batch.reduce(
            (n, b) => n + b.items.length,
            0,
          )} commit(s) and file(s) of ${batch.length} repo(s) on ${
            batch[0].loc.host
          } through GraphQL`,
          buildCommitsAndFilesQuery(
            batch.map(b => ({
              owner: b.loc.owner,
              repo: b.loc.repo,
              items: b.items,
            })),
          ),
        );
        if (answer.kind !== 'data') return;
        const facts = readCommitsAndFilesAnswer(answer.data, batch);
        batch.forEach((b, r) =>
          b.items.forEach((item, j) =>
            found.set(`${b.loc.url}@${item.sha}:${item.path}`, facts[r][j]),
          ),
        );
      });
    }
  }
  await runQueries(queries);
  return found;
}
