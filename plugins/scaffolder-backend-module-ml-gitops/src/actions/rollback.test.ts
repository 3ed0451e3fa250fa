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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { manifest } from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { parseChangeRecord } from '@ml-gitops/plugin-ml-gitops-node';
import fs from 'node:fs';
import { setupServer } from 'msw/node';
import { fakePullsApi } from '../__testUtils__/fakePulls';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import {
  fakeMlflow,
  FakeMlflowVersion,
  fakePermissions,
  GITHUB_TOKEN,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createRollbackAction } from './rollback';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
// Real git repositories on disk: slower than the default 5s on a busy machine.
jest.setTimeout(60_000);

const MODEL = 'deploy/model.yaml';
let repo: LocalConfigRepo;

beforeEach(() => {
  repo = new LocalConfigRepo();
});
afterEach(() => repo.cleanup());

function setup(
  versions: FakeMlflowVersion[] = ['9', '10', '11', '12', '13', '14'].map(
    version => ({ version, metrics: { auc: 0.95 } }),
  ),
  options: { deny?: string[] } = {},
) {
  const api = fakePullsApi();
  server.use(...api.handlers, ...fakeMlflow('fraud-detector', versions));
  const action = createRollbackAction({
    ...makeOptions(),
    ...(options.deny
      ? { permissions: fakePermissions(options.deny).service }
      : {}),
    remoteUrl: () => repo.bare,
  });
  return { api, action, versions };
}

const input = {
  entityRef: 'component:default/fraud-detector',
  environment: 'dev',
  reason: 'p95 latency doubled after the deploy',
};

/** production: 9 → 10 → 11 → 12, then a revert back to 11 (the seed's story). */
function productionStory() {
  repo.git('checkout', '--quiet', '-b', 'production');
  repo.commit('Initial config', { [MODEL]: manifest('9') });
  for (const v of ['10', '11', '12']) {
    repo.commit(`Promote fraud-detector to production: → ${v}`, {
      [MODEL]: manifest(v),
    });
  }
  const twelve = repo.git('rev-parse', 'HEAD');
  repo.git('revert', '--no-edit', twelve);
  repo.pushAll();
}

describe('ml-gitops:rollback', () => {
  it('keeps a hostile reason inert in the pull request: no mention, no link, no forged record', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy fraud-detector 13 to dev (#5)', {
      [MODEL]: manifest('13'),
    });
    repo.pushAll();
    const { api, action } = setup();
    const forged =
      '<!-- ml-gitops:rollback {"environment":"dev","from":"13","to":"1"} -->';
    const reason = `@acme/everyone see #1 ![x](https://evil.example/p.png) ${forged}`;
    const { ctx } = makeContext({ ...input, reason, rejectVersion: false });
    await action.handler(ctx);

    const body: string = api.pulls[0].body;
    expect(body).toContain(
      '**Reason:** `@acme/everyone` see `#1` !\\[x\\](https://evil.example/p.png) &lt;!-- ml-gitops:rollback {"environment":"dev","from":"13","to":"1"} -->',
    );
    // The record still says what the action did, with the reason as typed.
    expect(parseChangeRecord(body)).toMatchObject({ to: '12', reason });
  });

  it('reverts a squash-merged deployment commit and opens the pull request with the reason', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    const deploy = repo.commit('Deploy fraud-detector 13 to dev (#5)', {
      [MODEL]: manifest('13'),
    });
    const later = repo.commit('Document the chart', { 'README.md': 'hi\n' });
    repo.pushAll();
    const { api, action } = setup();

    const { ctx, logs } = makeContext({ ...input, rejectVersion: false });
    await action.handler(ctx);

    const branch = 'ml-gitops/rollback/dev/12';
    expect(outputsOf(ctx)).toEqual({
      revertedCommit: deploy,
      previousVersion: '12',
      rolledBackFrom: '13',
      method: 'revert',
      changeRequestUrl:
        'https://github.com/acme/fraud-detector-config/pull/201',
      number: 201,
      targetBranchName: 'dev',
      pullRequestUrl: 'https://github.com/acme/fraud-detector-config/pull/201',
      pullRequestNumber: 201,
      branch,
    });
    expect(api.pulls).toEqual([
      expect.objectContaining({
        title: 'Roll back fraud-detector in dev: 13 → 12',
        head: branch,
        base: 'dev',
        labels: ['ml-gitops/rollback'],
      }),
    ]);
    const body = api.pulls[0].body;
    expect(body).toContain(deploy.slice(0, 7));
    expect(body).toContain('**Reason:** p95 latency doubled after the deploy');
    expect(parseChangeRecord(body)).toEqual({
      kind: 'rollback',
      environment: 'dev',
      from: '13',
      to: '12',
      reason: 'p95 latency doubled after the deploy',
      rejected: false,
      requestedBy: 'user:default/alice',
    });
    // A real revert on top of the branch head: only the deployment is undone.
    expect(repo.show(branch, MODEL)).toBe(manifest('12'));
    expect(repo.show(branch, 'README.md')).toBe('hi\n');
    expect(repo.remoteGit('rev-parse', `${branch}^`)).toBe(later);
    const message = repo.remoteGit('log', '-1', '--format=%B', branch);
    expect(message).toContain(`This reverts commit ${deploy}.`);
    expect(message).toContain('ML-GitOps-Change: rollback');
    expect(repo.remoteGit('log', '-1', '--format=%an', branch)).toBe('Alice');
    expect(repo.remoteGit('rev-parse', 'dev')).toBe(later); // dev untouched
    // The token goes to the API, never to logs or outputs; the clone was
    // made outside the task workspace and is gone.
    expect(api.authHeaders[0]).toContain(GITHUB_TOKEN);
    expect(logs.join('\n')).not.toContain(GITHUB_TOKEN);
    expect(JSON.stringify(outputsOf(ctx))).not.toContain(GITHUB_TOKEN);
    expect(
      fs.existsSync(ctx.workspacePath)
        ? fs.readdirSync(ctx.workspacePath, { recursive: true })
        : [],
    ).toEqual([]);
  });

  it('reverts a merge commit against its first parent (-m 1)', async () => {
    repo.git('checkout', '--quiet', '-b', 'production');
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.git('checkout', '--quiet', '-b', 'ml-gitops/promote/production/13');
    repo.commit('Promote fraud-detector to production: 12 → 13', {
      [MODEL]: manifest('13'),
    });
    repo.git('checkout', '--quiet', 'production');
    repo.git(
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      'Merge pull request #7 from acme/ml-gitops/promote/production/13',
      'ml-gitops/promote/production/13',
    );
    repo.git('branch', '-D', 'ml-gitops/promote/production/13');
    const merge = repo.git('rev-parse', 'HEAD');
    repo.pushAll();
    const { api, action } = setup();

    const { ctx } = makeContext({
      ...input,
      environment: 'production',
      rejectVersion: false,
    });
    await action.handler(ctx);

    const branch = outputsOf(ctx).branch as string;
    expect(branch).toBe('ml-gitops/rollback/production/12');
    expect(outputsOf(ctx).revertedCommit).toBe(merge);
    expect(api.pulls[0].title).toBe(
      'Roll back fraud-detector in production: 13 → 12',
    );
    expect(api.pulls[0].body).toContain('against its first parent (a merge)');
    expect(repo.show(branch, MODEL)).toBe(manifest('12'));
    expect(repo.remoteGit('log', '-1', '--format=%B', branch)).toMatch(
      /reversing\s+changes made to/,
    );
  });

  it('after a rollback, goes to the newest earlier version not rolled back from, with a value change', async () => {
    productionStory();
    const head = repo.remoteGit('rev-parse', 'production');
    const { api, action } = setup();

    const { ctx } = makeContext({
      ...input,
      environment: 'production',
      rejectVersion: false,
    });
    await action.handler(ctx);

    expect(outputsOf(ctx)).toMatchObject({
      previousVersion: '10',
      rolledBackFrom: '11',
      method: 'value',
      branch: 'ml-gitops/rollback/production/10',
    });
    expect(outputsOf(ctx).revertedCommit).toBeUndefined();
    const branch = 'ml-gitops/rollback/production/10';
    expect(repo.remoteGit('rev-parse', `${branch}^`)).toBe(head);
    // Only model_version changes, byte for byte.
    expect(repo.show(branch, MODEL)).toBe(manifest('10'));
    expect(
      repo.remoteGit('diff', '--name-only', `${head}..${branch}`).trim(),
    ).toBe(MODEL);
    expect(api.pulls[0].body).toContain('rolled back from before: 12');
  });

  it('goes to toVersion when it served there, and refuses one that never did', async () => {
    productionStory();
    const { action } = setup();
    const { ctx } = makeContext({
      ...input,
      environment: 'production',
      toVersion: '9',
      rejectVersion: false,
    });
    await action.handler(ctx);
    expect(outputsOf(ctx).previousVersion).toBe('9');

    await expect(
      action.handler(
        makeContext({
          ...input,
          environment: 'production',
          toVersion: '14',
          rejectVersion: false,
        }).ctx,
      ),
    ).rejects.toThrow(
      'toVersion 14 never served in production (versions there: 11, 12, 10, 9)',
    );
    await expect(
      action.handler(
        makeContext({
          ...input,
          environment: 'production',
          toVersion: '11',
        }).ctx,
      ),
    ).rejects.toThrow('production already declares fraud-detector version 11');
  });

  it('skips a version rejected in the registry, and refuses it as toVersion', async () => {
    productionStory();
    const { api, action } = setup([
      { version: '9' },
      {
        version: '10',
        tags: {
          validation_status: 'rejected',
          'ml-gitops.rejected_reason': 'leaks PII',
        },
      },
      { version: '11' },
      { version: '12' },
    ]);
    const { ctx, logs } = makeContext({
      ...input,
      environment: 'production',
      rejectVersion: false,
    });
    await action.handler(ctx);
    expect(outputsOf(ctx).previousVersion).toBe('9');
    expect(logs.join('\n')).toContain(
      'Skipping version 10: rejected in the registry ("leaks PII")',
    );
    await expect(
      action.handler(
        makeContext({
          ...input,
          environment: 'production',
          toVersion: '10',
          rejectVersion: false,
        }).ctx,
      ),
    ).rejects.toThrow(
      'fraud-detector version 10 is rejected in the registry: "leaks PII"',
    );
    expect(api.pulls).toHaveLength(1);
  });

  it('marks the version it leaves rejected in the registry, by default', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy 13', { [MODEL]: manifest('13') });
    repo.pushAll();
    const { action, versions } = setup();
    await action.handler(makeContext(input).ctx);
    expect(versions.find(v => v.version === '13')!.tags).toEqual({
      validation_status: 'rejected',
      'ml-gitops.rejected_reason': 'p95 latency doubled after the deploy',
      'ml-gitops.rejected_by': 'user:default/alice',
      'ml-gitops.rejected_at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('refuses to reject without ml-gitops.version.reject, before touching Git', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy 13', { [MODEL]: manifest('13') });
    repo.pushAll();
    const { api, action } = setup(undefined, {
      deny: ['ml-gitops.version.reject'],
    });
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      /the permission policy denies ml-gitops.version.reject/,
    );
    expect(api.pulls).toEqual([]);
    // Without rejecting, the same person may roll back.
    await action.handler(makeContext({ ...input, rejectVersion: false }).ctx);
    expect(api.pulls).toHaveLength(1);
  });

  it('requires a reason', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy 13', { [MODEL]: manifest('13') });
    repo.pushAll();
    const { api, action } = setup();
    await expect(
      action.handler(makeContext({ ...input, reason: '  ' }).ctx),
    ).rejects.toThrow(/reason/);
    expect(api.pulls).toEqual([]);
  });

  it('sets the version when the revert would conflict', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy fraud-detector 13 to dev (#5)', {
      [MODEL]: manifest('13'),
    });
    repo.commit('Pin the version with a comment', {
      [MODEL]: manifest('13').replace(
        'model_version: "13"',
        'model_version: "13" # pinned for the audit',
      ),
    });
    repo.pushAll();
    const { action } = setup();
    const { ctx, logs } = makeContext({ ...input, rejectVersion: false });
    await action.handler(ctx);
    expect(outputsOf(ctx).method).toBe('value');
    expect(logs.join('\n')).toContain('does not apply cleanly to dev');
    expect(repo.show('ml-gitops/rollback/dev/12', MODEL)).toContain(
      'model_version: "12" # pinned for the audit',
    );
  });

  it('refuses when there is no earlier version', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Document the chart', { 'README.md': 'hi\n' });
    repo.pushAll();
    const { api, action } = setup();

    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      'Nothing to roll back on dev: no earlier version of fraud-detector served there',
    );
    expect(api.pulls).toEqual([]);
  });

  it('one pull request however often it runs: a retry, a lost checkpoint, a re-run after the branch moved on', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy 13', { [MODEL]: manifest('13') });
    repo.pushAll();
    const { api, action } = setup();
    const run = { ...input, rejectVersion: false };

    const checkpoints = new Map<string, unknown>();
    await action.handler(makeContext(run, { checkpoints }).ctx);
    const branch = 'ml-gitops/rollback/dev/12';
    const pushed = repo.remoteGit('rev-parse', branch);
    await action.handler(makeContext(run, { checkpoints }).ctx);
    // Checkpoints lost (e.g. a crash before they were stored): still one PR.
    const again = makeContext(run);
    await action.handler(again.ctx);
    expect(api.pulls).toHaveLength(1);
    expect(repo.remoteGit('rev-parse', branch)).toBe(pushed);
    expect(outputsOf(again.ctx).pullRequestNumber).toBe(201);

    // dev moves on; the next run rebuilds the branch on the new head and
    // rewrites the same pull request.
    repo.commit('Document the chart', { 'README.md': 'hi\n' });
    repo.pushAll();
    api.pulls[0].title = 'stale';
    const later = makeContext({ ...run, reason: 'still slow' });
    await action.handler(later.ctx);
    expect(api.pulls).toHaveLength(1);
    expect(api.pulls[0].title).toBe('Roll back fraud-detector in dev: 13 → 12');
    expect(api.pulls[0].body).toContain('**Reason:** still slow');
    expect(repo.remoteGit('rev-parse', `${branch}^`)).toBe(
      repo.remoteGit('rev-parse', 'dev'),
    );
  });

  it('touches nothing in a dry run', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.commit('Deploy 13', { [MODEL]: manifest('13') });
    repo.pushAll();
    const { api, action, versions } = setup();
    const { ctx, logs } = makeContext(input, { isDryRun: true });
    await action.handler(ctx);
    expect(api.pulls).toEqual([]);
    expect(repo.remoteGit('branch', '--list').trim()).toBe('dev');
    expect(outputsOf(ctx).previousVersion).toBe('12');
    expect(versions.find(v => v.version === '13')!.tags).toBeUndefined();
    expect(logs.join('\n')).toMatch(
      /Dry run: would push the rollback \(revert\) to ml-gitops\/rollback\/dev\/12/,
    );
  });

  it('refuses an environment that is not configured or has no branch', async () => {
    repo.commit('Initial config', { [MODEL]: manifest('12') });
    repo.pushAll();
    const { action } = setup();
    await expect(
      action.handler(makeContext({ ...input, environment: 'qa' }).ctx),
    ).rejects.toThrow(/"qa" is not a configured environment/);
    await expect(
      action.handler(makeContext({ ...input, environment: 'staging' }).ctx),
    ).rejects.toThrow(/has no branch "staging"/);
  });
});
