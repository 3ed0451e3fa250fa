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

/*
 * The GraphQL API (/api/graphql, docs.github.com/graphql) over the same
 * repositories as the REST routes: graphql.ts answers the queries, this
 * reads the repositories' branch heads, commits and files for it.
 */

import { GitRepos } from '../GitRepos';
import { GitHubGraphql, graphqlRepository } from '../graphql';
import { Urls } from '../render';

export function createGitHubGraphql(
  repos: GitRepos,
  urls: () => Urls,
): GitHubGraphql {
  return new GitHubGraphql(
    {
      repository: (owner, name) => {
        const repo = repos.get(owner, name);
        // The same reads as GET .../commits/{sha} and .../contents/{path}.
        return (
          repo &&
          graphqlRepository(repo, {
            head: async branch => {
              const sha = await repos.refSha(repo, `refs/heads/${branch}`);
              return sha ? repos.commit(repo, sha) : null;
            },
            commit: oid => repos.commit(repo, oid),
            fileAt: async (rev, filePath) => {
              const commit = await repos.resolveCommit(repo, rev);
              return commit ? repos.readFile(repo, commit, filePath) : null;
            },
          })
        );
      },
    },
    urls,
  );
}
