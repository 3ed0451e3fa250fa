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

import { GitRepos, RepoRecord } from '../githost/GitRepos';

/** A Git host of the sandbox whose bare repositories the operators read. */
export type GitHostRepos = {
  name: string;
  repos: GitRepos;
  /** e.g. http://localhost:7010; clone URLs are `<baseUrl>/<full name>.git` */
  baseUrl: () => string;
};

/**
 * The sandbox's Git hosts (the GitHub-like one first, then GitLab), as the
 * cluster's operators reach them: by clone URL. Argo CD and Flux resolve a
 * `repoURL` / GitRepository `url` here, and render a deployment's clone URL
 * from the host that keeps its repository.
 */
export class GitHosts {
  constructor(readonly hosts: GitHostRepos[]) {
    if (hosts.length === 0) throw new Error('GitHosts needs a Git host');
  }

  /**
   * The repository a clone URL names on one of the hosts. The full name is
   * everything before the last path segment (a GitLab namespace may be a
   * subgroup path, e.g. `ml-platform/growth-ml/x-config`).
   */
  resolve(url: string): { host: GitHostRepos; repo: RepoRecord } | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const host = this.hosts.find(
      h => new URL(h.baseUrl()).host === parsed.host,
    );
    const full = parsed.pathname
      .replace(/^\/+|\/+$/g, '')
      .replace(/\.git$/, '');
    const slash = full.lastIndexOf('/');
    if (!host || slash <= 0) return undefined;
    const repo = host.repos.get(full.slice(0, slash), full.slice(slash + 1));
    return repo ? { host, repo } : undefined;
  }

  /**
   * The host that keeps a repository. A record no host keeps (the scale
   * fleet's config repos live in memory only) belongs to the first host,
   * where its clone URLs point.
   */
  hostOf(repo: RepoRecord): GitHostRepos {
    return (
      this.hosts.find(h => h.repos.get(repo.owner, repo.name) === repo) ??
      this.hosts[0]
    );
  }

  reposOf(repo: RepoRecord): GitRepos {
    return this.hostOf(repo).repos;
  }

  cloneUrl(repo: RepoRecord): string {
    return `${this.hostOf(repo).baseUrl()}/${repo.fullName}.git`;
  }
}
