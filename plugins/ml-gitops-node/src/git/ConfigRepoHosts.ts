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

// One reader and one writer over every Git host config repos may live on: each call goes to the host's implementation.
import {
  GithubCredentialsProvider,
  ScmIntegration,
  ScmIntegrationRegistry,
  ScmIntegrationsGroup,
} from '@backstage/integration';
import type {
  CommitAndFileAt,
  GitHost,
  GitHostRateLimitReport,
  GitHostReader,
} from './GitHost';
import type {
  BranchHeadsPrefetch,
  CommitInfo,
  ConfigRepoLocation,
  PullRequestFacts,
  ValidatorCache,
} from './configRepoTypes';
import { GithubConfigRepoClient } from './GithubConfigRepoClient';
import { GithubConfigRepoWriter } from './GithubConfigRepoWriter';
import { ConfigRepoHostsWriter } from './ConfigRepoHostsWriter';
import { HostKind, HostTable } from './hostTable';
import { GitlabConfigRepoClient } from './gitlab/GitlabConfigRepoClient';
import { GitlabConfigRepoWriter } from './gitlab/GitlabConfigRepoWriter';
import type { FetchFn } from './githubTransport';
import type { RateLimitRetryOptions } from './rateLimits';

/**
 * A key of Backstage's `integrations` config that lists hosts, such as
 * `github` or `gitlab`.
 *
 * @public
 */
export type GitHostIntegrationKind = {
  [K in keyof ScmIntegrationRegistry]: ScmIntegrationRegistry[K] extends ScmIntegrationsGroup<ScmIntegration>
    ? K
    : never;
}[keyof ScmIntegrationRegistry];

/**
 * How one side (reader or writer) of a Git host talks to its API; each
 * implementation has its own defaults.
 *
 * @public
 */
export type GitHostClientOptions = {
  fetch?: FetchFn;
  /** Timeout of one request in milliseconds. */
  timeoutMs?: number;
  /** How a rate-limited request is retried. */
  rateLimitRetry?: RateLimitRetryOptions;
};

/**
 * What every Git host implementation is built with.
 *
 * @public
 */
export type GitHostOptions = {
  integrations: ScmIntegrationRegistry;
  /** Where the reader keeps branch-head validators between calls. */
  cache: ValidatorCache;
  /**
   * `mlGitops.allowedOwners`: the only owners (`acme` or `host/acme`,
   * lower case) whose repos may be config repos; each host's `locate`
   * refuses the others.
   */
  allowedOwners?: string[];
  /** Where the writers say that they wait out a rate limit. */
  logger?: { warn(message: string): void };
  /**
   * The credentials of the hosts under `integrations.github`; by default
   * read from that config (tokens or GitHub Apps).
   */
  credentialsProvider?: GithubCredentialsProvider;
  reader?: GitHostClientOptions;
  writer?: GitHostClientOptions;
};

/**
 * One kind of Git host: its name in messages and how its reader and writer
 * are built. One reader and one writer serve every host configured under
 * the kind's key of `integrations`.
 *
 * @public
 */
export type GitHostRegistration = {
  /** The product's name, e.g. `GitHub`. */
  title: string;
  create(options: GitHostOptions): GitHost;
};

/**
 * The Git hosts config repos may live on, by their key under Backstage's
 * `integrations` config, in the order a URL's host is looked up. Adding a
 * Git host is one entry here: its title and how its reader and writer are
 * built from {@link GitHostOptions}.
 */
const BUILT_IN_GIT_HOSTS: Partial<
  Record<GitHostIntegrationKind, GitHostRegistration>
> = {
  github: {
    title: 'GitHub',
    create: options => ({
      reader: GithubConfigRepoClient.fromIntegrations({
        integrations: options.integrations,
        credentialsProvider: options.credentialsProvider,
        cache: options.cache,
        allowedOwners: options.allowedOwners,
        ...options.reader,
      }),
      writer: GithubConfigRepoWriter.fromIntegrations({
        integrations: options.integrations,
        credentialsProvider: options.credentialsProvider,
        logger: options.logger,
        ...options.writer,
      }),
    }),
  },
  gitlab: {
    title: 'GitLab',
    create: options => ({
      reader: GitlabConfigRepoClient.fromIntegrations({
        integrations: options.integrations,
        cache: options.cache,
        allowedOwners: options.allowedOwners,
        ...options.reader,
      }),
      writer: GitlabConfigRepoWriter.fromIntegrations({
        integrations: options.integrations,
        ...options.writer,
      }),
    }),
  },
};

/** Reads each config repo through its host's reader. */
class ConfigRepoHostsReader implements GitHostReader {
  constructor(private readonly table: HostTable) {}

  private of(loc: ConfigRepoLocation): GitHostReader {
    return this.table.forLocation(loc).git.reader;
  }

  locate(repoUrl: string): ConfigRepoLocation {
    return this.table.forUrl(repoUrl).git.reader.locate(repoUrl);
  }

  async getBranchHeads(
    loc: ConfigRepoLocation,
  ): Promise<{ heads: Record<string, string>; changed: boolean }> {
    return this.of(loc).getBranchHeads(loc);
  }

  /** Each host batches its own repos; the answers are one map. */
  prefetchBranchHeads(
    locs: ConfigRepoLocation[],
    branches: string[],
  ): BranchHeadsPrefetch {
    const byKind = new Map<HostKind, ConfigRepoLocation[]>();
    const result: BranchHeadsPrefetch = new Map();
    for (const loc of locs) {
      let entry: HostKind;
      try {
        entry = this.table.forLocation(loc);
      } catch {
        // Left to getBranchHeads, whose error names the host.
        result.set(loc.url, Promise.resolve(undefined));
        continue;
      }
      const group = byKind.get(entry) ?? [];
      group.push(loc);
      byKind.set(entry, group);
    }
    for (const [entry, group] of byKind) {
      for (const [url, heads] of entry.git.reader.prefetchBranchHeads(
        group,
        branches,
      )) {
        result.set(url, heads);
      }
    }
    return result;
  }

  async getFile(
    loc: ConfigRepoLocation,
    path: string,
    sha: string,
  ): Promise<string | null> {
    return this.of(loc).getFile(loc, path, sha);
  }

  /** Each host reads its own repos ahead, side by side. */
  async prefetchCommitsAndFiles(items: CommitAndFileAt[]): Promise<void> {
    const byKind = new Map<HostKind, CommitAndFileAt[]>();
    for (const item of items) {
      let entry: HostKind;
      try {
        entry = this.table.forLocation(item.loc);
      } catch {
        continue;
      }
      byKind.set(entry, [...(byKind.get(entry) ?? []), item]);
    }
    await Promise.all(
      [...byKind].map(([entry, group]) =>
        entry.git.reader.prefetchCommitsAndFiles?.(group),
      ),
    );
  }

  async getCommit(loc: ConfigRepoLocation, sha: string): Promise<CommitInfo> {
    return this.of(loc).getCommit(loc, sha);
  }

  async getMergedPullRequest(
    loc: ConfigRepoLocation,
    sha: string,
    baseRef: string,
  ): Promise<PullRequestFacts | undefined> {
    return this.of(loc).getMergedPullRequest(loc, sha, baseRef);
  }

  rateLimitReport(): GitHostRateLimitReport {
    const report: GitHostRateLimitReport = { limits: [], refusals: [] };
    for (const entry of this.table.kinds) {
      const part = entry.git.reader.rateLimitReport?.();
      report.limits.push(...(part?.limits ?? []));
      report.refusals.push(...(part?.refusals ?? []));
    }
    return report;
  }
}

/**
 * The reader and writer of config repos on every configured Git host: a
 * config repo's URL picks the implementation whose hosts under
 * `integrations.<kind>` include the URL's host, and every later call on
 * its location goes to the same one. A kind with no configured host is
 * not built. `hosts` adds kinds to the built-in ones (GitHub), or
 * replaces one.
 *
 * @public
 */
export function createGitHosts(
  options: GitHostOptions & {
    hosts?: Partial<Record<GitHostIntegrationKind, GitHostRegistration>>;
  },
): GitHost {
  const { hosts, ...hostOptions } = options;
  const registrations = { ...BUILT_IN_GIT_HOSTS, ...hosts };
  const kinds: HostKind[] = [];
  const registered: Array<{ kind: string; title: string }> = [];
  for (const [kind, registration] of Object.entries(registrations)) {
    if (!registration) continue;
    registered.push({ kind, title: registration.title });
    const configured = (
      options.integrations[kind as GitHostIntegrationKind]?.list() ?? []
    ).map(integration => integration.config.host);
    if (configured.length === 0) continue;
    kinds.push({
      kind,
      title: registration.title,
      hosts: configured,
      git: registration.create(hostOptions),
    });
  }
  const table = new HostTable(options.integrations, kinds, registered);
  return {
    reader: new ConfigRepoHostsReader(table),
    writer: new ConfigRepoHostsWriter(table),
  };
}
