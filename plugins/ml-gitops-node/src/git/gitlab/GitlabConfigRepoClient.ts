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

// The GitLab config-repo reader: locating a project (nested groups, mlGitops.allowedOwners), composing branch-head, file, commit and merge request reads.
import {
  DefaultGitlabCredentialsProvider,
  getGitLabIntegrationRelativePath,
  GitlabCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { InputError, NotAllowedError } from '@backstage/errors';
import { ComposedGitHostReader } from '../ComposedGitHostReader';
import type { ConfigRepoLocation, ValidatorCache } from '../configRepoTypes';
import { FileAndCommitReads } from '../fileAndCommitReads';
import type { FetchFn } from '../githubTransport';
import {
  readerTransportOptions,
  type RateLimitRetryOptions,
} from '../rateLimits';
import { GitlabGraphqlHeads } from './gitlabGraphqlHeads';
import {
  gitlabFileAndCommitSource,
  GitlabMergeRequestReads,
  readGitlabBranchHeads,
} from './gitlabReads';
import { GitlabApi } from './gitlabApi';
import { GitlabTransport } from './gitlabTransport';
import { parseConfigRepoUrl } from '../configRepoUrl';

/**
 * Reads config repos on GitLab (gitlab.com or self-managed) through
 * Backstage's `integrations.gitlab` credentials, with the REST API v4 and,
 * for the branch heads of a fleet, one GraphQL query per 50 projects.
 * Files and commits are cached by commit, which never changes.
 * @public
 */
export class GitlabConfigRepoClient extends ComposedGitHostReader {
  /** A reader with the credentials of `integrations.gitlab`. */
  static fromIntegrations(options: {
    integrations: ScmIntegrationRegistry;
    cache: ValidatorCache;
    credentialsProvider?: GitlabCredentialsProvider;
    fetch?: FetchFn;
    /** Timeout of one request in milliseconds; default 15 000. */
    timeoutMs?: number;
    /**
     * How a rate-limited request (429) is retried: by default a limit that
     * lifts within 10 s is waited for, twice at most; a longer one fails
     * at once with "rate limited until …".
     */
    rateLimitRetry?: RateLimitRetryOptions;
    /**
     * `mlGitops.allowedOwners`: the only groups (`acme`, `acme/ml` or
     * `host/acme`, lower case) whose projects may be config repos; a group
     * covers its subgroups.
     */
    allowedOwners?: string[];
  }): GitlabConfigRepoClient {
    const transport = new GitlabTransport(readerTransportOptions(options));
    return new GitlabConfigRepoClient(
      options.integrations,
      new GitlabApi(
        options.credentialsProvider ??
          DefaultGitlabCredentialsProvider.fromIntegrations(
            options.integrations,
          ),
        transport,
      ),
      transport,
      options.cache,
      options.allowedOwners,
    );
  }

  private constructor(
    private readonly integrations: ScmIntegrationRegistry,
    api: GitlabApi,
    transport: GitlabTransport,
    cache: ValidatorCache,
    private readonly allowedOwners?: string[],
  ) {
    const reads = new FileAndCommitReads(gitlabFileAndCommitSource(api));
    const mergeRequests = new GitlabMergeRequestReads(api);
    const graphql = new GitlabGraphqlHeads(api, transport);
    super({
      // Every page of GitLab's branch list.
      getBranchHeads: loc => readGitlabBranchHeads(api, cache, loc),
      // 50 projects a GraphQL query (fewer where GitLab finds the query too
      // complex); a project settles to `undefined` where GraphQL cannot
      // answer (a GitLab before 17.10, no such project, a rate limit), and
      // the caller reads its REST list.
      prefetchBranchHeads: (locs, branches) => graphql.prefetch(locs, branches),
      getFile: (loc, path, sha) => reads.getFile(loc, path, sha),
      // A commit's author is the Git author's name: GitLab has no account
      // for it.
      getCommit: (loc, sha) => reads.getCommit(loc, sha),
      getMergedPullRequest: (loc, sha, baseRef) =>
        mergeRequests.read(loc, sha, baseRef),
    });
  }

  /**
   * Parses a project URL such as
   * https://gitlab.example.com/acme/ml/fraud-detector-config: the owner is
   * the group path (everything before the last segment); `.git` and a
   * `/-/tree/...` (any `/-/` page) are dropped.
   */
  locate(repoUrl: string): ConfigRepoLocation {
    return locateGitlabProject(this.integrations, repoUrl, this.allowedOwners);
  }
}

/** {@link GitlabConfigRepoClient.locate}, shared with the writer. */
export function locateGitlabProject(
  integrations: ScmIntegrationRegistry,
  repoUrl: string,
  allowedOwners?: string[],
): ConfigRepoLocation {
  const url = parseConfigRepoUrl(
    repoUrl,
    'https://gitlab.com/acme/fraud-detector-config',
  );
  const integration = integrations.gitlab.byHost(url.host);
  if (!integration) {
    throw new InputError(
      `No GitLab integration is configured for ${url.host}; add it under integrations.gitlab in app-config.yaml`,
    );
  }
  // GitLab installed below a path (baseUrl https://host/gitlab) has its
  // projects below that path too.
  const relative = getGitLabIntegrationRelativePath(integration.config).replace(
    /^\/+|\/+$/g,
    '',
  );
  let path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (relative) {
    if (path !== relative && !path.startsWith(`${relative}/`)) {
      throw new InputError(
        `The config repo URL "${repoUrl}" is not below ${integration.config.baseUrl}, the baseUrl of integrations.gitlab for ${url.host}`,
      );
    }
    path = path.slice(relative.length).replace(/^\/+/, '');
  }
  // Project pages sit below "/-/" (tree, blob, merge_requests).
  path = path
    .split('/-/')[0]
    .replace(/\/-$/, '')
    .replace(/\.git$/, '');
  const segments = path.split('/').filter(Boolean);
  if (segments.length < 2) {
    throw new InputError(
      `The config repo URL "${repoUrl}" must name a group and a project, e.g. ${integration.config.baseUrl}/acme/fraud-detector-config`,
    );
  }
  const repo = segments[segments.length - 1];
  const owner = segments.slice(0, -1).join('/');
  if (allowedOwners) {
    // GitLab paths are case-insensitive; a group's owners own its subgroups.
    const who = owner.toLowerCase();
    const host = url.host.toLowerCase();
    const covers = (group: string) =>
      who === group || who.startsWith(`${group}/`);
    const allowed = allowedOwners.some(entry =>
      entry.startsWith(`${host}/`)
        ? covers(entry.slice(host.length + 1))
        : covers(entry),
    );
    if (!allowed) {
      throw new NotAllowedError(
        `${
          url.host
        }/${owner} is not among the owners whose repos may be config repos (mlGitops.allowedOwners: ${allowedOwners.join(
          ', ',
        )}); move the config repo to one of them, or ask the Backstage operators to add the group`,
      );
    }
  }
  return {
    url: `${integration.config.baseUrl.replace(/\/+$/, '')}/${owner}/${repo}`,
    host: url.host,
    owner,
    repo,
    apiBaseUrl: integration.config.apiBaseUrl.replace(/\/+$/, ''),
  };
}
