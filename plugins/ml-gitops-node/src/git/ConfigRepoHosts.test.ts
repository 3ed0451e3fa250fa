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

import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { InputError, NotAllowedError } from '@backstage/errors';
import { setupServer } from 'msw/node';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import {
  FakeGithubRepo,
  FakeGitlabRepo,
  GitBackedRepo,
  manifest,
} from '../testUtils';
import { createGitHosts, GitHostOptions } from './ConfigRepoHosts';
import type {
  GitHost,
  GitHostRateLimitReport,
  GitHostReader,
  GitHostWriter,
} from './GitHost';
import type { ConfigRepoLocation } from './configRepoTypes';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const integrations = ScmIntegrations.fromConfig(
  mockServices.rootConfig({
    data: {
      integrations: {
        github: [{ host: 'github.com', token: 'ghp_token' }],
        bitbucketServer: [{ host: 'bitbucket.example.com' }],
        gitlab: [
          {
            host: 'gitlab.example.com',
            apiBaseUrl: 'https://gitlab.example.com/api/v4',
            token: 'glpat_token',
          },
        ],
      },
    },
  }),
);

/**
 * A second Git host kept in memory: what its reader and writer were asked,
 * and the options it was built with. It stands for the host registered
 * beside GitHub; only the routing to it is under test.
 */
class MemoryHost {
  readonly calls: string[] = [];
  readonly heads = new Map<string, Record<string, string>>();
  readonly builtWith: GitHostOptions[] = [];

  registration(title: string) {
    return {
      title,
      create: (options: GitHostOptions): GitHost => {
        this.builtWith.push(options);
        return { reader: this.reader(), writer: this.writer() };
      },
    };
  }

  private reader(): GitHostReader {
    const heads = (loc: ConfigRepoLocation) => this.heads.get(loc.url) ?? {};
    return {
      locate: repoUrl => {
        const url = new URL(repoUrl);
        const [owner, repo] = url.pathname.slice(1).split('/');
        this.calls.push(`locate ${url.host}/${owner}/${repo}`);
        return {
          url: `https://${url.host}/${owner}/${repo}`,
          host: url.host,
          owner,
          repo,
          apiBaseUrl: `https://${url.host}/api/v4`,
        };
      },
      getBranchHeads: async loc => {
        this.calls.push(`getBranchHeads ${loc.url}`);
        return { heads: heads(loc), changed: true };
      },
      prefetchBranchHeads: locs => {
        this.calls.push(`prefetch ${locs.map(l => l.url).join(' ')}`);
        return new Map(locs.map(l => [l.url, Promise.resolve(heads(l))]));
      },
      getFile: async () => null,
      getCommit: async (_loc, sha) => ({
        sha,
        parents: [],
        message: '',
        author: '',
        authorDate: '',
        committedAt: '',
      }),
      getMergedPullRequest: async () => undefined,
      rateLimitReport: (): GitHostRateLimitReport => ({
        limits: [],
        refusals: [
          {
            api: 'Memory API',
            host: 'gitlab.example.com',
            refused: 'branch heads',
            kind: 'per-minute',
            message: 'too many',
            fallback: 'they are read one repo at a time',
            until: '2030-01-01T00:00:00Z',
          },
        ],
      }),
    };
  }

  /** Every method records its name and the repo, and answers `undefined`. */
  private writer(): GitHostWriter {
    return new Proxy({} as GitHostWriter, {
      get:
        (_target, method) =>
        async (loc: ConfigRepoLocation, ...args: unknown[]) => {
          this.calls.push(
            `${String(method)} ${loc.url} ${JSON.stringify(args)}`,
          );
          return undefined;
        },
    });
  }
}

function setup(extra: Partial<GitHostOptions> = {}) {
  const gitlab = new MemoryHost();
  const git = createGitHosts({
    integrations,
    cache: { get: async () => undefined, set: async () => {} },
    ...extra,
    hosts: { gitlab: gitlab.registration('GitLab') },
  });
  const github = new FakeGithubRepo('acme', 'fraud-detector-config');
  github.commit({
    branch: 'production',
    message: 'Deploy 3',
    date: '2026-11-01T10:00:00Z',
    files: { 'deploy/model.yaml': manifest('3') },
  });
  server.use(...github.handlers(), ...github.writeHandlers());
  return { git, gitlab, github };
}

describe('createGitHosts', () => {
  it('locates each config repo on the host its URL names', () => {
    const { git, gitlab } = setup();
    expect(
      git.reader.locate('https://github.com/acme/fraud-detector-config'),
    ).toEqual({
      url: 'https://github.com/acme/fraud-detector-config',
      host: 'github.com',
      owner: 'acme',
      repo: 'fraud-detector-config',
      apiBaseUrl: 'https://api.github.com',
    });
    expect(
      git.reader.locate('https://gitlab.example.com/ml/fraud-config')
        .apiBaseUrl,
    ).toBe('https://gitlab.example.com/api/v4');
    expect(gitlab.calls).toEqual(['locate gitlab.example.com/ml/fraud-config']);
  });

  it('reads and writes through the location host', async () => {
    const { git, gitlab, github } = setup();
    const onGithub = git.reader.locate(
      'https://github.com/acme/fraud-detector-config',
    );
    const onGitlab = git.reader.locate(
      'https://gitlab.example.com/ml/fraud-config',
    );
    gitlab.heads.set(onGitlab.url, { production: 'b'.repeat(40) });

    expect(await git.reader.getBranchHeads(onGithub)).toEqual({
      heads: { production: github.branches.get('production') },
      changed: true,
    });
    expect(await git.reader.getBranchHeads(onGitlab)).toEqual({
      heads: { production: 'b'.repeat(40) },
      changed: true,
    });
    expect(await git.writer.getBranchHead(onGithub, 'production')).toBe(
      github.branches.get('production'),
    );
    await git.writer.addLabels(onGitlab, 7, ['ml-gitops']);

    expect(github.calls).toEqual(['branches', 'ref:production']);
    expect(gitlab.calls).toEqual([
      'locate gitlab.example.com/ml/fraud-config',
      'getBranchHeads https://gitlab.example.com/ml/fraud-config',
      'addLabels https://gitlab.example.com/ml/fraud-config [7,["ml-gitops"]]',
    ]);
  });

  it('prefetches each host its own repos and answers for all of them', async () => {
    const { git, gitlab, github } = setup();
    const other = new FakeGithubRepo('acme', 'churn-config');
    other.commit({
      branch: 'production',
      message: 'Deploy 1',
      date: '2026-11-01T10:00:00Z',
      files: { 'deploy/model.yaml': manifest('1', 'churn') },
    });
    server.use(...other.handlers());
    const locs = [
      'https://github.com/acme/fraud-detector-config',
      'https://gitlab.example.com/ml/fraud-config',
      'https://github.com/acme/churn-config',
    ].map(url => git.reader.locate(url));
    gitlab.heads.set(locs[1].url, { production: 'c'.repeat(40) });

    const prefetch = git.reader.prefetchBranchHeads(locs, ['production']);

    expect([...prefetch.keys()]).toEqual(
      expect.arrayContaining(locs.map(l => l.url)),
    );
    expect(prefetch.size).toBe(3);
    expect(await prefetch.get(locs[0].url)).toEqual({
      production: github.branches.get('production'),
    });
    expect(await prefetch.get(locs[1].url)).toEqual({
      production: 'c'.repeat(40),
    });
    expect(await prefetch.get(locs[2].url)).toEqual({
      production: other.branches.get('production'),
    });
    // GitHub's repos went into one GraphQL query; the other host got only its own.
    expect(github.calls).toEqual(['graphql']);
    expect(other.calls).toEqual(['graphql']);
    expect(gitlab.calls).toContain(
      'prefetch https://gitlab.example.com/ml/fraud-config',
    );
    expect(git.reader.rateLimitReport?.()).toEqual({
      limits: [
        expect.objectContaining({
          api: 'GitHub GraphQL',
          host: 'github.com',
          remaining: 4999,
          unit: 'points',
        }),
      ],
      refusals: [expect.objectContaining({ api: 'Memory API' })],
    });
  });

  it('refuses a host no integration names, saying which are configured', async () => {
    const { git } = setup();
    const expected =
      'No GitHub or GitLab integration is configured for git.example.org, the host of the config repo https://git.example.org/acme/config; add it under integrations.github or integrations.gitlab in app-config.yaml (configured now: github.com under integrations.github; gitlab.example.com, gitlab.com under integrations.gitlab)';
    // The URL is named without the credentials it carried.
    const locate = () =>
      git.reader.locate('https://bot:s3cret@git.example.org/acme/config');
    expect(locate).toThrow(InputError);
    expect(locate).toThrow(expected);

    const forged: ConfigRepoLocation = {
      url: 'https://git.example.org/acme/config',
      host: 'git.example.org',
      owner: 'acme',
      repo: 'config',
      apiBaseUrl: 'https://git.example.org/api',
    };
    await expect(git.writer.getToken(forged)).rejects.toThrow(expected);
    await expect(git.reader.getBranchHeads(forged)).rejects.toThrow(expected);
    // A batch leaves it to getBranchHeads, whose error names the host.
    expect(
      await git.reader
        .prefetchBranchHeads([forged], ['production'])
        .get(forged.url),
    ).toBeUndefined();
    expect(() => git.reader.locate('github.com/acme/config')).toThrow(
      /is not a URL/,
    );
    // A host of an integration that no Git host here serves says so.
    expect(() =>
      git.reader.locate('https://bitbucket.example.com/acme/config'),
    ).toThrow(
      'The config repo https://bitbucket.example.com/acme/config is on bitbucket.example.com, a host of integrations.bitbucketServer; config repos are read on the hosts of integrations.github or integrations.gitlab only',
    );
  });

  it('builds only the hosts that have an integration and lists every kind', () => {
    const gitea = new MemoryHost();
    const { reader } = createGitHosts({
      integrations,
      cache: { get: async () => undefined, set: async () => {} },
      hosts: { gitea: gitea.registration('Gitea') },
    });
    expect(gitea.builtWith).toEqual([]);
    expect(() => reader.locate('https://gitea.example.com/acme/x')).toThrow(
      /^No GitHub, GitLab or Gitea integration is configured for gitea.example.com.*add it under integrations.github, integrations.gitlab or integrations.gitea/,
    );
  });

  it('keeps mlGitops.allowedOwners and hands it to every host', () => {
    const { git, gitlab } = setup({ allowedOwners: ['acme'] });
    expect(() =>
      git.reader.locate('https://github.com/evil/fraud-detector-config'),
    ).toThrow(NotAllowedError);
    expect(
      git.reader.locate('https://github.com/acme/fraud-detector-config').owner,
    ).toBe('acme');
    expect(gitlab.builtWith.map(o => o.allowedOwners)).toEqual([['acme']]);
  });

  it('serves GitLab through its own reader and writer beside GitHub', async () => {
    const git = new GitBackedRepo('acme', 'fraud-detector-config', 'dev');
    try {
      const first = git.commit(
        'Create config repo',
        { 'deploy/model.yaml': manifest('11') },
        { author: 'Ada Lovelace', date: '2026-11-01T10:00:00Z' },
      );
      git.git('branch', 'production');
      git.pushAll();
      const gitlab = new FakeGitlabRepo(
        git,
        'acme/ml/fraud-detector-config',
        'https://gitlab.example.com',
      );
      server.use(...gitlab.handlers());
      const github = new FakeGithubRepo('acme', 'fraud-detector-config');
      github.commit({
        branch: 'production',
        message: 'Deploy 3',
        date: '2026-11-01T10:00:00Z',
        files: { 'deploy/model.yaml': manifest('3') },
      });
      server.use(...github.handlers());
      const hosts = createGitHosts({
        integrations,
        cache: { get: async () => undefined, set: async () => {} },
      });

      const onGitlab = hosts.reader.locate(
        'https://gitlab.example.com/acme/ml/fraud-detector-config',
      );
      const onGithub = hosts.reader.locate(
        'https://github.com/acme/fraud-detector-config',
      );
      expect(onGitlab).toMatchObject({
        host: 'gitlab.example.com',
        owner: 'acme/ml',
        repo: 'fraud-detector-config',
      });
      expect((await hosts.reader.getBranchHeads(onGitlab)).heads).toEqual({
        dev: first,
        production: first,
      });
      const prefetch = hosts.reader.prefetchBranchHeads(
        [onGithub, onGitlab],
        ['production'],
      );
      expect(await prefetch.get(onGithub.url)).toEqual({
        production: github.branches.get('production'),
      });
      expect(await prefetch.get(onGitlab.url)).toEqual({ production: first });
      expect(await hosts.writer.getToken(onGitlab)).toBe('glpat_token');
      expect(hosts.writer.gitTokenUser(onGitlab)).toBe('oauth2');
      expect(hosts.writer.gitTokenUser(onGithub)).toBe('x-access-token');
    } finally {
      git.cleanup();
    }
  });
});
