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
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ScmIntegrations } from '@backstage/integration';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import {
  GithubConfigRepoClient,
  GithubConfigRepoWriter,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  GitBackedRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { setupServer } from 'msw/node';
import path from 'node:path';
import { AutoRollbackStore } from '../database/AutoRollbackStore';
import { DatabaseMlGitopsStore } from '../database/DatabaseMlGitopsStore';
import { modelEntity } from '../__testUtils__/modelEntity';
import { AutoRollback } from './AutoRollback';
import { readAutoRollbackConfig } from './config';

/*
 * The automatic rollback's own rules around the shared core: what it does
 * when there is nothing to go back to, when the Git host fails, when
 * someone else's rollback is open and when Git moved on. A real Git
 * repository on disk, GitHub's API through msw.
 */

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const MODEL = 'deploy/model.yaml';
const REF = 'component:default/fraud-detector';
const ENVIRONMENTS = ['dev', 'staging', 'production'];
const integrations = ScmIntegrations.fromConfig(
  mockServices.rootConfig({
    data: {
      integrations: { github: [{ host: 'github.com', token: 'app-token' }] },
    },
  }),
);
const loc = GithubConfigRepoClient.fromIntegrations({
  integrations,
  cache: { get: async () => undefined, set: async () => {} },
}).locate('https://github.com/acme/fraud-detector-config');
const entity = {
  ...modelEntity('fraud-detector'),
  metadata: {
    ...modelEntity('fraud-detector').metadata,
    annotations: {
      ...modelEntity('fraud-detector').metadata.annotations,
      'ml-gitops/auto-rollback': 'true',
    },
  },
};

let repo: GitBackedRepo;
afterEach(() => repo.cleanup());

async function setup(versions: string[]) {
  repo = new GitBackedRepo('acme', 'fraud-detector-config', 'production');
  let commit = '';
  for (const version of versions) {
    commit = repo.commit(`Promote fraud-detector to production: → ${version}`, {
      [MODEL]: manifest(version),
    });
  }
  repo.pushAll();
  server.use(...repo.handlers());
  const knex = await databases.init('SQLITE_3');
  await DatabaseMlGitopsStore.create({
    database: { getClient: async () => knex },
  });
  const clock = { now: new Date('2026-12-01T10:00:00Z') };
  const notifications = {
    send: jest.fn(async (_n: NotificationSendOptions) => {}),
  };
  const logger = mockServices.logger.mock();
  const remote = { url: repo.bare };
  const autoRollback = new AutoRollback({
    config: {
      environments: ENVIRONMENTS,
      registries: [],
      autoRollback: readAutoRollbackConfig(undefined, ENVIRONMENTS),
    },
    incidents: await AutoRollbackStore.create({
      database: { getClient: async () => knex },
    }),
    deploymentOf: async () => undefined,
    writer: GithubConfigRepoWriter.fromIntegrations({ integrations }),
    logger,
    notifications,
    now: () => clock.now,
    remoteUrl: () => remote.url,
  });
  const version = versions[versions.length - 1];
  const status: EnvironmentStatus = {
    name: 'production',
    declared: {
      version,
      commit,
      author: 'grace',
      committedAt: '2026-12-01T09:00:00Z',
    },
    live: null,
    registry: null,
    drift: { state: 'in-sync' },
    canary: {
      kind: 'argo-rollouts',
      name: 'fd-canary-1',
      namespace: 'ml-production',
      cluster: 'prod-eu',
      phase: 'failed',
      version,
      message: 'Metric "error-rate" assessed Failed',
      observedAt: '2026-12-01T09:30:00Z',
    },
  };
  const consider = (s: EnvironmentStatus = status) =>
    autoRollback.consider({
      entityRef: REF,
      entity,
      model: 'fraud-detector',
      loc,
      manifestPath: MODEL,
      status: s,
    });
  const advance = (minutes: number) => {
    clock.now = new Date(clock.now.getTime() + minutes * 60_000);
  };
  const titles = () =>
    notifications.send.mock.calls.map(([n]) => n.payload.title);
  const descriptions = () =>
    notifications.send.mock.calls.map(([n]) => n.payload.description);
  return {
    consider,
    advance,
    titles,
    descriptions,
    logger,
    remote,
    status,
    knex,
  };
}

describe('AutoRollback', () => {
  it('tells the owners once that there is no version to go back to', async () => {
    const t = await setup(['12']);
    await t.consider();
    t.advance(30);
    await t.consider();
    expect(repo.fake.opened).toEqual([]);
    expect(t.titles()).toEqual([
      'fraud-detector: no automatic rollback of production, no version to go back to',
    ]);
    expect(t.descriptions()[0]).toContain(
      'Nothing to roll back on production: no earlier version of fraud-detector served there',
    );
  });

  it('retries when the Git host fails, telling the owners of the first failure only', async () => {
    const t = await setup(['11', '12']);
    t.remote.url = path.join(repo.root, 'gone.git');
    await t.consider();
    t.advance(4);
    await t.consider(); // before the retry time: nothing
    t.advance(1);
    await t.consider(); // the retry fails too
    expect(t.titles()).toEqual([
      'fraud-detector: the automatic rollback of production could not open its pull request',
    ]);
    expect(
      t.logger.warn.mock.calls.filter(([m]) => /retried in 5 min/.test(m)),
    ).toHaveLength(2);

    t.remote.url = repo.bare;
    t.advance(5);
    await t.consider();
    expect(repo.fake.opened).toHaveLength(1);
    expect(t.titles()).toHaveLength(2);
    expect(t.titles()[1]).toBe(
      'fraud-detector: automatic rollback of production proposed (12 → 11)',
    );
  });

  it('leaves an environment alone while someone else’s rollback pull request is open', async () => {
    const t = await setup(['10', '11', '12']);
    repo.git('checkout', '--quiet', '-b', 'ml-gitops/rollback/production/10');
    repo.commit('Roll back to 10', { [MODEL]: manifest('10') });
    repo.pushAll();
    repo.sync();
    repo.fake.opened.push({
      number: 77,
      title: 'Roll back fraud-detector in production: 12 → 10',
      body: 'by hand',
      head: 'ml-gitops/rollback/production/10',
      base: 'production',
      labels: ['ml-gitops/rollback'],
      reviewers: [],
      teamReviewers: [],
    });
    await t.consider();
    expect(repo.fake.opened).toHaveLength(1);
    expect(t.titles()).toEqual([]);

    // Closed without merging: the next look, ten minutes on, acts.
    repo.fake.opened[0].state = 'closed';
    t.advance(5);
    await t.consider();
    expect(repo.fake.opened).toHaveLength(1);
    t.advance(5);
    await t.consider();
    expect(repo.fake.opened.map(p => p.head)).toEqual([
      'ml-gitops/rollback/production/10',
      'ml-gitops/rollback/production/11',
    ]);
  });

  it('does nothing when Git moved on from the failing version, or the environment is frozen', async () => {
    const t = await setup(['11', '12', '13']);
    // The status still shows 12 (the poll was before the merge of 13).
    const stale = {
      ...t.status,
      declared: { ...t.status.declared!, version: '12', commit: 'c12' },
      canary: { ...t.status.canary!, version: '12' },
    };
    await t.consider(stale);
    expect(repo.fake.opened).toEqual([]);
    expect(t.logger.info).toHaveBeenCalledWith(
      'Not rolling back component:default/fraud-detector in production automatically: production no longer declares fraud-detector version 12 (it declares 13); nothing to roll back',
    );

    await t.consider({ ...t.status, freeze: { reason: 'incident 4711' } });
    expect(repo.fake.opened).toEqual([]);
    expect(await t.knex('ml_gitops_auto_rollbacks').count('* as n')).toEqual([
      { n: 1 },
    ]);
    expect(t.titles()).toEqual([]);
  });
});
