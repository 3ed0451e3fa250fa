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
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { parseChangeRecord } from '@ml-gitops/plugin-ml-gitops-node';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  fakeMlflow,
  FakeMlflowVersion,
  fakeSource,
  fraudDetectorEntity,
  GITHUB_TOKEN,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createDeployAction } from './deploy';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const input = { entityRef: 'component:default/fraud-detector', version: '13' };

function setup(
  versions: FakeMlflowVersion[] = [{ version: '13', metrics: { auc: 0.95 } }],
) {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  for (const branch of ['dev', 'staging', 'production']) {
    repo.commit({
      branch,
      parents: [],
      message: `Initial ${branch}`,
      login: 'alice',
      date: '2026-11-01T10:00:00Z',
      files: { 'deploy/model.yaml': manifest('12') },
    });
  }
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    ...fakeMlflow('fraud-detector', versions),
  );
  return { repo, action: createDeployAction(makeOptions()) };
}

describe('ml-gitops:deploy', () => {
  it('opens a pull request to dev that changes only model_version', async () => {
    const { repo, action } = setup();
    const devHead = repo.branches.get('dev')!;
    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);

    const branch = 'ml-gitops/deploy/dev/13';
    const outputs = outputsOf(ctx);
    expect(outputs).toEqual({
      changeRequestUrl:
        'https://github.com/acme/fraud-detector-config/pull/101',
      number: 101,
      targetBranchName: 'dev',
      pullRequestUrl: 'https://github.com/acme/fraud-detector-config/pull/101',
      pullRequestNumber: 101,
      branch,
    });
    const commit = repo.commits.get(repo.branches.get(branch)!)!;
    expect(commit.parents).toEqual([devHead]);
    expect(commit.files['deploy/model.yaml']).toBe(
      manifest('12').replace('model_version: "12"', 'model_version: "13"'),
    );
    expect(repo.branches.get('dev')).toBe(devHead); // dev is untouched
    const [pull] = repo.opened;
    expect(pull).toMatchObject({
      title: 'Deploy fraud-detector 13 to dev',
      head: branch,
      base: 'dev',
      labels: ['ml-gitops/deploy'],
    });
    expect(pull.body).toContain('version `12` → `13`');
    expect(pull.body).toContain('**Gate**: passed');
    expect(pull.body).toContain('| auc | 0.95 | >= 0.92 | passed |');
    expect(pull.body).not.toContain('WARNING');
    expect(parseChangeRecord(pull.body)).toEqual({
      kind: 'deploy',
      environment: 'dev',
      from: '12',
      to: '13',
      requestedBy: 'user:default/alice',
    });
    // Authored by the person who started the task, not the app.
    expect(commit.name).toBe('Alice');
    expect(logs.join('\n')).not.toContain(GITHUB_TOKEN);
    expect(JSON.stringify(outputs)).not.toContain(GITHUB_TOKEN);
  });

  describe('a manifest with storage_uri', () => {
    const withStorage = (version: string) =>
      manifest(version).replace(
        `model_version: "${version}"\n`,
        `model_version: "${version}"\nstorage_uri: "${fakeSource(
          version,
        )}" # KServe loads it from here\n`,
      );

    function setupWithStorage(versions: FakeMlflowVersion[]) {
      const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
      repo.commit({
        branch: 'dev',
        parents: [],
        message: 'Initial dev',
        login: 'alice',
        date: '2026-11-01T10:00:00Z',
        files: { 'deploy/model.yaml': withStorage('12') },
      });
      server.use(
        ...repo.writeHandlers(),
        ...repo.handlers(),
        ...fakeMlflow('fraud-detector', versions),
      );
      return { repo, action: createDeployAction(makeOptions()) };
    }

    it("sets it to the new version's artifact location in the same commit, every other byte kept", async () => {
      const { repo, action } = setupWithStorage([
        { version: '13', metrics: { auc: 0.95 } },
      ]);
      const { ctx } = makeContext(input);
      await action.handler(ctx);
      const commit = repo.commits.get(
        repo.branches.get('ml-gitops/deploy/dev/13')!,
      )!;
      expect(commit.files['deploy/model.yaml']).toBe(withStorage('13'));
      expect(commit.message).toContain(
        `model_version 12 → 13\nstorage_uri ${fakeSource('13')}`,
      );
      expect(repo.opened[0].body).toContain(
        `Changes \`model_version\` and \`storage_uri\` (\`${fakeSource(
          '13',
        )}\`)`,
      );
    });

    it('refuses, even with force, a version whose artifacts KServe cannot read', async () => {
      const { repo, action } = setupWithStorage([
        {
          version: '13',
          metrics: { auc: 0.95 },
          source: 'dbfs:/databricks/mlflow/13/model',
        },
      ]);
      const { ctx } = makeContext({ ...input, force: true, reason: 'hotfix' });
      await expect(action.handler(ctx)).rejects.toThrow(
        "Cannot set where fraud-detector version 13 is stored (storage_uri): fraud-detector version 13: the artifact location dbfs:/databricks/mlflow/13/model is a path on the MLflow server's (or Databricks') file system, which the cluster cannot read.",
      );
      expect(repo.opened).toEqual([]);
    });
  });

  it('deploys to the named environment', async () => {
    const { repo, action } = setup();
    const { ctx } = makeContext({ ...input, environment: 'staging' });
    await action.handler(ctx);
    expect(repo.opened[0].base).toBe('staging');
  });

  it('takes the repo URL next to the entity when it is the entity’s config repo', async () => {
    const { repo, action } = setup();
    const { ctx } = makeContext({
      entityRef: input.entityRef,
      repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
      version: '13',
    });
    await action.handler(ctx);
    expect(repo.opened[0].title).toBe('Deploy fraud-detector 13 to dev');
  });

  it('refuses a repo URL alone: who may deploy is decided on the entity', async () => {
    const { repo, action } = setup();
    const { ctx } = makeContext({
      repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
      version: '13',
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      'entityRef is required: deploy is allowed per model, on its catalog entity (ml-gitops.deployment.deploy); give the component that carries the ml-gitops annotations rather than repoUrl alone',
    );
    expect(repo.opened).toEqual([]);
  });

  it('refuses a repo URL that is not the entity’s config repo, so a permission on one model opens no PR elsewhere', async () => {
    const { repo, action } = setup();
    const { ctx } = makeContext({
      entityRef: input.entityRef,
      repoUrl: 'https://github.com/acme/payments-config',
      version: '13',
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      'repoUrl https://github.com/acme/payments-config is not the config repo of component:default/fraud-detector (its ml-gitops/config-repo annotation is https://github.com/acme/fraud-detector-config); leave repoUrl out or fix the annotation',
    );
    expect(repo.opened).toEqual([]);
  });

  it('does not open a second pull request or branch when the task is retried', async () => {
    const { repo, action } = setup();
    let failOnce = true;
    server.use(
      http.post(
        'https://api.github.com/repos/acme/fraud-detector-config/pulls',
        () => {
          if (failOnce) {
            failOnce = false;
            return HttpResponse.json({ message: 'boom' }, { status: 502 });
          }
          return undefined;
        },
      ),
    );
    const checkpoints = new Map<string, unknown>();
    const first = makeContext(input, { checkpoints });
    await expect(action.handler(first.ctx)).rejects.toThrow(/failed with 502/);
    const second = makeContext(input, { checkpoints });
    await action.handler(second.ctx);
    const third = makeContext(input, { checkpoints });
    await action.handler(third.ctx);

    expect(repo.opened).toHaveLength(1);
    expect(repo.calls.filter(c => c.startsWith('create-ref:'))).toHaveLength(1);
    expect(repo.calls.filter(c => c.startsWith('commit-object:'))).toHaveLength(
      1,
    );
    expect(outputsOf(third.ctx).pullRequestNumber).toBe(101);
  });

  it('finds the branch, commit and pull request of an interrupted run without checkpoints', async () => {
    const { repo, action } = setup();
    await action.handler(makeContext(input).ctx);
    const again = makeContext(input); // checkpoints lost
    await action.handler(again.ctx);
    expect(repo.opened).toHaveLength(1);
    expect(repo.calls.filter(c => c.startsWith('commit-object:'))).toHaveLength(
      1,
    );
    expect(outputsOf(again.ctx).pullRequestNumber).toBe(101);
  });

  it('touches nothing in a dry run', async () => {
    const { repo, action } = setup();
    const { ctx, logs } = makeContext(input, { isDryRun: true });
    await action.handler(ctx);
    expect(repo.opened).toHaveLength(0);
    expect([...repo.branches.keys()]).toEqual(['dev', 'staging', 'production']);
    expect(logs.join('\n')).toContain(
      'Dry run: would commit "Deploy fraud-detector 13 to dev" on ml-gitops/deploy/dev/13',
    );
  });

  it('re-running after the environment moved on rebuilds the branch on the new head and rewrites the pull request', async () => {
    const { repo, action } = setup();
    await action.handler(makeContext(input).ctx);
    const [pull] = repo.opened;
    pull.title = 'an outdated title';
    // dev moves on: a README edit lands after the PR was opened.
    const moved = repo.commit({
      branch: 'dev',
      message: 'Document the chart',
      login: 'bob',
      date: '2026-11-02T10:00:00Z',
      files: { 'README.md': 'hello\n' },
    });

    const again = makeContext(input);
    await action.handler(again.ctx);

    expect(repo.opened).toHaveLength(1);
    expect(outputsOf(again.ctx).pullRequestNumber).toBe(pull.number);
    expect(pull.title).toBe('Deploy fraud-detector 13 to dev');
    const head = repo.branches.get('ml-gitops/deploy/dev/13')!;
    // The head contains the base again: one commit on dev's new head.
    expect(repo.commits.get(head)!.parents).toEqual([moved]);
    expect(repo.commits.get(head)!.files['README.md']).toBe('hello\n');
    expect(again.logs.join('\n')).toContain(
      'rewrote its title and description from current facts',
    );
  });

  it('a newer deploy to the same environment closes the open one it supersedes, with a link', async () => {
    const { repo, action } = setup([
      { version: '13', metrics: { auc: 0.95 } },
      { version: '14', metrics: { auc: 0.96 } },
    ]);
    await action.handler(makeContext(input).ctx);
    await action.handler(makeContext({ ...input, environment: 'staging' }).ctx);
    const newer = makeContext({ ...input, version: '14' });
    await action.handler(newer.ctx);

    const [first, staging, second] = repo.opened;
    expect(second.head).toBe('ml-gitops/deploy/dev/14');
    expect(first.state).toBe('closed');
    expect(first.comments).toEqual([
      expect.stringContaining(`Superseded by #${second.number}`),
    ]);
    // Another environment's deploy is another change: it stays open.
    expect(staging.state ?? 'open').toBe('open');
    expect(second.state ?? 'open').toBe('open');
  });

  it('two runs of the same change at once end with one branch commit and one pull request', async () => {
    const { repo, action } = setup();
    const runs = [makeContext(input), makeContext(input)];
    await Promise.all(runs.map(run => action.handler(run.ctx)));

    expect(repo.opened).toHaveLength(1);
    const head = repo.branches.get('ml-gitops/deploy/dev/13')!;
    expect(repo.commits.get(head)!.parents).toEqual([repo.branches.get('dev')]);
    expect(runs.map(run => outputsOf(run.ctx).pullRequestNumber)).toEqual([
      repo.opened[0].number,
      repo.opened[0].number,
    ]);
  });

  it.each([
    [
      'a version the registry does not have',
      { ...input, version: '99' },
      /fraud-detector version 99 does not exist in the registry mlflow-default/,
    ],
    [
      'the version the branch already declares',
      { ...input, version: '12' },
      /Branch dev already declares fraud-detector version 12; nothing to deploy/,
    ],
    [
      'an unknown environment',
      { ...input, environment: 'qa' },
      /environment "qa" is not a configured environment; choose one of dev, staging, production/,
    ],
    [
      'an invalid version id',
      { ...input, version: 'v 13!' },
      /is not a registry version id/,
    ],
    [
      'force without a reason',
      { ...input, force: true },
      /force: true needs a reason/,
    ],
    [
      'neither entity nor repo',
      { version: '13' },
      /Give entityRef .* or repoUrl/,
    ],
    [
      'an unknown entity',
      { ...input, entityRef: 'component:default/nope' },
      /component:default\/nope was not found in the catalog/,
    ],
  ])('refuses %s before touching Git', async (_what, bad, message) => {
    const { repo, action } = setup();
    await expect(action.handler(makeContext(bad).ctx)).rejects.toThrow(message);
    expect(repo.opened).toHaveLength(0);
    expect(
      repo.calls.filter(c => /^(create-ref|put|open-pull)/.test(c)),
    ).toEqual([]);
  });

  it.each([
    [
      'not READY',
      { version: '13', status: 'PENDING_REGISTRATION', metrics: { auc: 0.95 } },
      /is PENDING_REGISTRATION, not READY/,
    ],
    [
      'whose registration failed',
      {
        version: '13',
        status: 'FAILED_REGISTRATION',
        statusMessage: 'artifact upload failed',
        metrics: { auc: 0.95 },
      },
      /is FAILED_REGISTRATION, not READY \(artifact upload failed\): its registration failed/,
    ],
    [
      'archived',
      { version: '13', stage: 'Archived', metrics: { auc: 0.95 } },
      /is in the Archived stage/,
    ],
    [
      'rejected',
      {
        version: '13',
        tags: { validation_status: 'rejected' },
        metrics: { auc: 0.95 },
      },
      /is tagged validation_status=rejected/,
    ],
    [
      'failing the gate',
      { version: '13', metrics: { auc: 0.9 } },
      /the gate fails: auc 0.9 is below the minimum 0.92/,
    ],
    [
      'lacking a gated metric',
      { version: '13', metrics: {} },
      /auc is gated but the registry run has no such metric/,
    ],
  ])('refuses a version %s', async (_what, version, message) => {
    const { repo, action } = setup([version]);
    const error = action.handler(makeContext(input).ctx);
    await expect(error).rejects.toThrow(message);
    await expect(error).rejects.toThrow(/set force: true with a reason/);
    expect(repo.opened).toHaveLength(0);
  });

  it('refuses an entity without the annotations', async () => {
    const entity = fraudDetectorEntity();
    delete entity.metadata.annotations!['ml-gitops/config-repo'];
    const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
    server.use(...repo.writeHandlers(), ...repo.handlers());
    const action = createDeployAction(makeOptions({ entities: [entity] }));
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      /lacks the annotation\(s\) ml-gitops\/config-repo/,
    );
  });

  it('refuses a config repo without the environment branch', async () => {
    const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
    repo.commit({
      branch: 'main',
      message: 'init',
      date: '2026-11-01T10:00:00Z',
      files: { 'deploy/model.yaml': manifest('12') },
    });
    server.use(...repo.writeHandlers(), ...repo.handlers());
    const action = createDeployAction(makeOptions());
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      /has no branch "dev"/,
    );
  });

  it.each(['PENDING_REGISTRATION', 'FAILED_REGISTRATION'])(
    'never deploys a %s version, not even with force',
    async status => {
      const { repo, action } = setup([
        { version: '13', status, metrics: { auc: 0.95 } },
      ]);
      const error = action.handler(
        makeContext({ ...input, force: true, reason: 'need it now' }).ctx,
      );
      await expect(error).rejects.toThrow(
        `Refusing to deploy fraud-detector version 13: fraud-detector version 13 is ${status}, not READY`,
      );
      await expect(error).rejects.toThrow(
        /force cannot override this: only a READY version has a model to serve/,
      );
      expect(repo.opened).toHaveLength(0);
    },
  );

  it('opens the pull request with force and a reason, stating them in a warning', async () => {
    const { repo, action } = setup([{ version: '13', metrics: { auc: 0.9 } }]);
    const { ctx } = makeContext({
      ...input,
      force: true,
      reason: 'Hotfix for INC-1234',
    });
    await action.handler(ctx);
    const [pull] = repo.opened;
    expect(pull.body).toContain('> [!WARNING]');
    expect(pull.body).toContain('Reason: Hotfix for INC-1234');
    expect(pull.body).toContain('auc 0.9 is below the minimum 0.92');
    expect(pull.body).toContain('**Gate**: failed');
  });
});
