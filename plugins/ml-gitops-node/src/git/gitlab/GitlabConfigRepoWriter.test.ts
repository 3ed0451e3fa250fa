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

// The GitLab writer against FakeGitlabRepo: a real Git repository on disk behind GitLab's REST API v4 (shapes from docs.gitlab.com/api).
import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import {
  FakeGitlabRepo,
  GitBackedRepo,
  gitlabProtectedBranch,
  manifest,
} from '../../testUtils';
import { GitlabConfigRepoWriter } from './GitlabConfigRepoWriter';

const WEB = 'https://gitlab.example.com';
const API = `${WEB}/api/v4`;
const PROJECT = `${API}/projects/acme%2Fml%2Ffraud-detector-config`;
const MODEL = 'deploy/model.yaml';

const server = setupServer();
registerMswTestHooks(server);

const repos: GitBackedRepo[] = [];
afterAll(() => repos.forEach(r => r.cleanup()));

function setup() {
  const git = new GitBackedRepo('acme', 'fraud-detector-config', 'dev');
  repos.push(git);
  const base = git.commit('Create config repo', {
    [MODEL]: manifest('11'),
    'README.md': 'config',
  });
  git.git('branch', 'production');
  git.pushAll();
  const fake = new FakeGitlabRepo(git, 'acme/ml/fraud-detector-config', WEB);
  server.use(...fake.handlers());
  const writer = GitlabConfigRepoWriter.fromIntegrations({
    integrations: ScmIntegrations.fromConfig(
      mockServices.rootConfig({
        data: {
          integrations: {
            gitlab: [
              {
                host: 'gitlab.example.com',
                token: 'glpat-secret',
                apiBaseUrl: API,
              },
            ],
          },
        },
      }),
    ),
  });
  const loc = {
    url: `${WEB}/acme/ml/fraud-detector-config`,
    host: 'gitlab.example.com',
    owner: 'acme/ml',
    repo: 'fraud-detector-config',
    apiBaseUrl: API,
  };
  return { git, fake, writer, loc, base };
}

describe('GitlabConfigRepoWriter: branches, commits and files', () => {
  it('gives the token for git over HTTPS with the user oauth2', async () => {
    const { writer, loc } = setup();
    expect(await writer.getToken(loc)).toBe('glpat-secret');
    expect(writer.gitTokenUser()).toBe('oauth2');
  });

  it('reads and creates branches, finding an existing one instead of failing', async () => {
    const { writer, loc, base, git } = setup();
    expect(await writer.getBranchHead(loc, 'production')).toBe(base);
    expect(await writer.getBranchHead(loc, 'staging')).toBeUndefined();
    expect(await writer.createBranch(loc, 'staging', base)).toEqual({
      sha: base,
      created: true,
    });
    expect(git.branches().get('staging')).toBe(base);
    git.git('checkout', '--quiet', 'dev');
    const moved = git.commit('More', { 'notes.md': 'x' });
    git.pushAll();
    expect(await writer.createBranch(loc, 'dev', base)).toEqual({
      sha: moved,
      created: false,
    });
  });

  it('makes a commit on a parent without moving a branch the caller knows, and puts it on a new branch', async () => {
    const { writer, loc, base, git, fake } = setup();
    const sha = await writer.createCommit(loc, {
      parent: base,
      parentTree: '',
      files: { [MODEL]: manifest('12'), 'deploy/new.yaml': 'new: true\n' },
      message: 'Deploy 12',
      author: { name: 'Alice', email: 'alice@example.com' },
    });
    expect(git.remoteGit('log', '-1', '--format=%P %an <%ae> %s', sha)).toBe(
      `${base} Alice <alice@example.com> Deploy 12`,
    );
    expect(git.show(sha, MODEL)).toBe(manifest('12'));
    expect(git.show(sha, 'deploy/new.yaml')).toBe('new: true\n');
    expect(git.branches().get('dev')).toBe(base);
    await writer.createBranch(loc, 'ml-gitops/deploy/dev/12', sha);
    expect(git.branches().get('ml-gitops/deploy/dev/12')).toBe(sha);
    // The scratch branch GitLab needed for the commit is gone.
    expect([...git.branches().keys()].sort()).toEqual([
      'dev',
      'ml-gitops/deploy/dev/12',
      'production',
    ]);
    expect(fake.requests.filter(r => r.startsWith('DELETE'))).toHaveLength(1);
  });

  it('moves an own branch to a commit that is not a fast-forward, and refuses a protected branch', async () => {
    const { writer, loc, base, git, fake } = setup();
    await writer.createBranch(loc, 'ml-gitops/deploy/dev/12', base);
    git.git('fetch', '--quiet', 'origin');
    git.git('checkout', '--quiet', '-b', 'side', 'origin/dev');
    const other = git.commit('Other', { 'x.md': 'x' });
    git.git('push', '--quiet', 'origin', 'side');
    const sha = await writer.createCommit(loc, {
      parent: other,
      parentTree: '',
      files: { [MODEL]: manifest('13') },
      message: 'Deploy 13',
    });
    await writer.resetBranch(loc, 'ml-gitops/deploy/dev/12', sha);
    expect(git.branches().get('ml-gitops/deploy/dev/12')).toBe(sha);
    await writer.resetBranch(loc, 'ml-gitops/deploy/dev/12', sha);
    expect(git.branches().get('ml-gitops/deploy/dev/12')).toBe(sha);

    await writer.protectBranch(loc, 'production', { checks: [], approvals: 0 });
    await expect(writer.resetBranch(loc, 'production', sha)).rejects.toThrow(
      'Branch production of acme/ml/fraud-detector-config is protected',
    );
    expect(git.branches().get('production')).toBe(base);
    expect(fake.protectedBranches).toHaveLength(1);
  });

  it('reads a commit and a file with its blob, undefined where absent', async () => {
    const { writer, loc, base, git } = setup();
    expect(await writer.getCommit(loc, base)).toEqual({
      sha: base,
      parents: [],
      tree: '',
    });
    expect(await writer.getCommit(loc, 'f'.repeat(40))).toBeUndefined();
    expect(await writer.getFile(loc, MODEL, 'dev')).toEqual({
      text: manifest('11'),
      blobSha: git.remoteGit('rev-parse', `dev:${MODEL}`),
    });
    expect(await writer.getFile(loc, 'absent.yaml', 'dev')).toBeUndefined();
  });

  it('commits one file against the blob it replaces, and refuses a lost update', async () => {
    const { writer, loc, git } = setup();
    const file = (await writer.getFile(loc, MODEL, 'dev'))!;
    const sha = await writer.commitFile(loc, {
      branch: 'dev',
      path: MODEL,
      content: manifest('12'),
      blobSha: file.blobSha,
      message: 'Deploy 12',
    });
    expect(git.branches().get('dev')).toBe(sha);
    expect(git.show('dev', MODEL)).toBe(manifest('12'));
    await expect(
      writer.commitFile(loc, {
        branch: 'dev',
        path: MODEL,
        content: manifest('13'),
        blobSha: file.blobSha,
        message: 'Deploy 13',
      }),
    ).rejects.toThrow(
      /is now blob .*, not the blob .* it was read as; run the task again/,
    );

    // Someone pushes between the read and GitLab's commit: GitLab's
    // last_commit_id check refuses it.
    const now = (await writer.getFile(loc, MODEL, 'dev'))!;
    server.use(
      http.post(
        `${PROJECT}/repository/commits`,
        () => {
          git.git('fetch', '--quiet', 'origin');
          git.git('checkout', '--quiet', '-B', 'dev', 'origin/dev');
          git.commit('Hotfix', { [MODEL]: manifest('99') });
          git.git('push', '--quiet', 'origin', 'dev');
          return undefined;
        },
        { once: true },
      ),
    );
    await expect(
      writer.commitFile(loc, {
        branch: 'dev',
        path: MODEL,
        content: manifest('14'),
        blobSha: now.blobSha,
        message: 'Deploy 14',
      }),
    ).rejects.toThrow(
      /The file has changed since you started editing it: deploy\/model\.yaml\. Someone changed the file meanwhile/,
    );
    expect(git.show('dev', MODEL)).toBe(manifest('99'));

    const created = await writer.commitFile(loc, {
      branch: 'dev',
      path: 'secrets/db.sealed.yaml',
      content: 'kind: SealedSecret\n',
      message: 'Seal',
      author: { name: 'Bob', email: 'bob@example.com' },
    });
    expect(git.remoteGit('log', '-1', '--format=%an', created)).toBe('Bob');
  });
});

describe('GitlabConfigRepoWriter: merge requests', () => {
  it('opens, finds, updates, labels, lists and closes merge requests, once each', async () => {
    const { writer, loc, base, fake } = setup();
    await writer.createBranch(loc, 'ml-gitops/deploy/dev/12', base);
    await writer.createBranch(loc, 'ml-gitops/deploy/dev/13', base);
    const opened = await writer.openPullRequest(loc, {
      head: 'ml-gitops/deploy/dev/12',
      base: 'dev',
      title: 'Deploy 12',
      body: 'Made by ML GitOps.',
    });
    expect(opened).toEqual({
      number: 1,
      url: `${WEB}/acme/ml/fraud-detector-config/-/merge_requests/1`,
      created: true,
    });
    expect(
      await writer.openPullRequest(loc, {
        head: 'ml-gitops/deploy/dev/12',
        base: 'dev',
        title: 'Deploy 12',
        body: 'again',
      }),
    ).toEqual({ ...opened, created: false });
    expect(
      await writer.findOpenPullRequest(loc, 'ml-gitops/deploy/dev/12', 'dev'),
    ).toEqual({ number: 1, url: opened.url });
    expect(
      await writer.findOpenPullRequest(
        loc,
        'ml-gitops/deploy/dev/12',
        'production',
      ),
    ).toBeUndefined();

    await writer.updatePullRequest(loc, 1, {
      title: 'Deploy 12 (2)',
      body: 'New body',
    });
    await writer.addLabels(loc, 1, ['ml-gitops/deploy']);
    await writer.addLabels(loc, 1, ['ml-gitops/deploy']);
    expect(fake.mergeRequests[0]).toMatchObject({
      title: 'Deploy 12 (2)',
      description: 'New body',
      labels: ['ml-gitops/deploy'],
    });

    const second = await writer.openPullRequest(loc, {
      head: 'ml-gitops/deploy/dev/13',
      base: 'dev',
      title: 'Deploy 13',
      body: '',
    });
    expect(await writer.listOpenPullRequests(loc, 'dev')).toEqual([
      { number: 2, url: second.url, head: 'ml-gitops/deploy/dev/13' },
      { number: 1, url: opened.url, head: 'ml-gitops/deploy/dev/12' },
    ]);
    await writer.closePullRequest(loc, 1, 'Superseded by !2');
    expect(fake.mergeRequests[0]).toMatchObject({
      state: 'closed',
      notes: ['Superseded by !2'],
    });
    expect(await writer.listOpenPullRequests(loc, 'dev')).toEqual([
      { number: 2, url: second.url, head: 'ml-gitops/deploy/dev/13' },
    ]);
  });

  it('asks users for reviews and returns, not throws, who could not be asked', async () => {
    const { writer, loc, base, fake } = setup();
    fake.user('linus');
    fake.user('ken');
    await writer.createBranch(loc, 'ml-gitops/deploy/dev/12', base);
    await writer.openPullRequest(loc, {
      head: 'ml-gitops/deploy/dev/12',
      base: 'dev',
      title: 'Deploy 12',
      body: '',
    });
    expect(await writer.requestReviewers(loc, 1, ['@linus'])).toEqual({
      requested: ['@linus'],
      refused: [],
    });
    expect(
      await writer.requestReviewers(loc, 1, ['ken', 'nobody', 'acme/ml-team']),
    ).toEqual({
      requested: ['ken'],
      refused: [
        {
          reviewer: 'nobody',
          reason: 'GitLab gitlab.example.com has no user nobody',
        },
        {
          reviewer: 'acme/ml-team',
          reason:
            'GitLab takes users as reviewers, not groups; name the members of acme/ml-team',
        },
      ],
    });
    expect(fake.mergeRequests[0].reviewers).toEqual(['linus', 'ken']);
  });
});

describe('GitlabConfigRepoWriter: projects', () => {
  it('creates a project in its group once, and sets its default branch', async () => {
    const { writer, loc, fake } = setup();
    expect(await writer.repositoryExists(loc)).toBe(true);
    fake.settings.exists = false;
    fake.groups.set('acme/ml', 4242);
    expect(await writer.repositoryExists(loc)).toBe(false);
    expect(
      await writer.createRepository(loc, {
        visibility: 'internal',
        description: 'Config',
      }),
    ).toEqual({ url: loc.url, created: true });
    expect(fake.settings).toMatchObject({
      exists: true,
      visibility: 'internal',
    });
    expect(
      await writer.createRepository(loc, { visibility: 'internal' }),
    ).toEqual({ url: loc.url, created: false });
    await writer.setDefaultBranch(loc, 'dev');
    expect(fake.settings.defaultBranch).toBe('dev');
    await expect(writer.setDefaultBranch(loc, 'nope')).rejects.toThrow(
      "failed with 400: Default branch doesn't exist",
    );
  });

  it('protects a branch: no pushes, Developers merge, no force push, code owners and approvals, pipelines must succeed; the same when repeated', async () => {
    const { writer, loc, fake } = setup();
    const options = {
      checks: [{ context: 'ml-gitops/validate' }],
      approvals: 1,
    };
    await writer.protectBranch(loc, 'production', options);
    await writer.protectBranch(loc, 'production', options);
    expect(fake.protectedBranches).toEqual([
      expect.objectContaining({
        name: 'production',
        push_access_levels: [expect.objectContaining({ access_level: 0 })],
        merge_access_levels: [expect.objectContaining({ access_level: 30 })],
        allow_force_push: false,
        code_owner_approval_required: true,
      }),
    ]);
    expect(fake.approvalRules).toEqual([
      expect.objectContaining({
        name: 'ml-gitops: production',
        // anyone with the Developer role, beside the code owners
        rule_type: 'any_approver',
        approvals_required: 1,
        protected_branches: [expect.objectContaining({ name: 'production' })],
      }),
    ]);
    expect(fake.settings.onlyAllowMergeIfPipelineSucceeds).toBe(true);
    // The second call found the protection as asked and kept it.
    expect(
      fake.requests.filter(r => r.startsWith('DELETE /projects/')),
    ).toEqual([]);

    await writer.protectBranch(loc, 'dev', { checks: [], approvals: 0 });
    expect(fake.protectedBranches.map(p => p.name)).toEqual([
      'production',
      'dev',
    ]);
    expect(fake.approvalRules).toHaveLength(1);
  });

  it('replaces a weaker protection someone set by hand', async () => {
    const { writer, loc, fake } = setup();
    fake.protectedBranches.push(
      gitlabProtectedBranch({
        id: 9,
        name: 'staging',
        pushAccessLevel: 40,
        mergeAccessLevel: 40,
        allowForcePush: true,
        codeOwnerApprovalRequired: false,
      }),
    );
    await writer.protectBranch(loc, 'staging', { checks: [], approvals: 0 });
    expect(fake.protectedBranches).toEqual([
      expect.objectContaining({
        name: 'staging',
        push_access_levels: [expect.objectContaining({ access_level: 0 })],
        merge_access_levels: [expect.objectContaining({ access_level: 30 })],
        allow_force_push: false,
      }),
    ]);
  });

  it('says clearly that approvals need GitLab Premium, after protecting the branch', async () => {
    const { writer, loc, fake } = setup();
    fake.premium = false;
    await expect(
      writer.protectBranch(loc, 'production', { checks: [], approvals: 1 }),
    ).rejects.toThrow(
      /production is protected \(no pushes, merges by Developers, no force pushes\), but approval rules and code-owner approval need GitLab Premium or Ultimate/,
    );
    expect(fake.protectedBranches).toEqual([
      expect.objectContaining({
        name: 'production',
        code_owner_approval_required: false,
      }),
    ]);
  });

  it('gives code owners access: users as members, groups by sharing; skips who cannot be; repeats harmlessly', async () => {
    const { writer, loc, fake } = setup();
    const linus = fake.user('linus');
    fake.groups.set('acme/ml-reviewers', 77);
    const owners = [
      '@linus',
      '@acme/ml-reviewers',
      '@nobody',
      'ops@example.com',
    ];
    const first = await writer.grantAccess(loc, owners);
    expect(first).toEqual({
      granted: [
        { owner: '@linus', permission: 'push' },
        { owner: '@acme/ml-reviewers', permission: 'push' },
      ],
      skipped: [
        {
          owner: '@nobody',
          reason: 'GitLab gitlab.example.com has no user nobody',
        },
        {
          owner: 'ops@example.com',
          reason:
            'an e-mail address cannot be given access; name the GitLab user as @username',
        },
      ],
    });
    expect(fake.members).toEqual([{ userId: linus.id, accessLevel: 30 }]);
    expect(fake.shares).toEqual([{ groupId: 77, groupAccess: 30 }]);
    expect(await writer.grantAccess(loc, owners)).toEqual(first);
    expect(fake.members).toHaveLength(1);
  });

  it('says which scope the token lacks when GitLab refuses a write', async () => {
    const { writer, loc } = setup();
    server.use(
      http.put(
        PROJECT,
        () =>
          new Response(JSON.stringify({ message: '403 Forbidden' }), {
            status: 403,
            headers: { 'content-type': 'application/json' },
          }),
      ),
    );
    await expect(writer.setDefaultBranch(loc, 'dev')).rejects.toThrow(
      'Setting the default branch to dev of acme/ml/fraud-detector-config on gitlab.example.com failed with 403: 403 Forbidden. The token of integrations.gitlab for gitlab.example.com lacks the scope api or a role on the project that allows this (Developer, or Maintainer for settings)',
    );
  });
});
