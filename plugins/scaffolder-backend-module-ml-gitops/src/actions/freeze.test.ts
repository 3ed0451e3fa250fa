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
import { parseModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import { parseChangeRecord } from '@ml-gitops/plugin-ml-gitops-node';
import { manifest } from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { setupServer } from 'msw/node';
import {
  fakeConfigRepoOf,
  fakeMlflow,
  fakePermissions,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createDeployAction } from './deploy';
import { createFreezeAction, createUnfreezeAction } from './freeze';
import { createPromoteAction } from './promote';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const entityRef = 'component:default/fraud-detector';
const FROZEN = `${manifest('12')}freeze:
  reason: "Holiday change freeze"
  until: "2099-01-04T08:00:00Z"
`;

function setup(
  files: Partial<Record<'dev' | 'staging' | 'production', string>> = {},
  deny: string[] = [],
) {
  const repo = fakeConfigRepoOf({
    dev: files.dev ?? manifest('13'),
    staging: files.staging ?? manifest('13'),
    production: files.production ?? manifest('12'),
  });
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    ...fakeMlflow('fraud-detector', [
      { version: '13', metrics: { auc: 0.95 } },
      { version: '14', metrics: { auc: 0.95 } },
    ]),
  );
  const options = makeOptions({ permissions: fakePermissions(deny).service });
  return {
    repo,
    freeze: createFreezeAction(options),
    unfreeze: createUnfreezeAction(options),
    deploy: createDeployAction(options),
    promote: createPromoteAction(options),
  };
}

describe('ml-gitops:environment:freeze', () => {
  it('opens a pull request that adds freeze to the manifest and changes nothing else', async () => {
    const { repo, freeze } = setup();
    const { ctx } = makeContext({
      entityRef,
      environment: 'production',
      reason: 'Holiday change freeze',
      until: '2099-01-04T08:00:00Z',
    });
    await freeze.handler(ctx);

    const branch = 'ml-gitops/freeze/production';
    expect(outputsOf(ctx).branch).toBe(branch);
    const text = repo.commits.get(repo.branches.get(branch)!)!.files[
      'deploy/model.yaml'
    ];
    expect(text.startsWith(manifest('12'))).toBe(true);
    const parsed = parseModelManifest(text);
    expect(parsed.ok && parsed.manifest.freeze).toEqual({
      reason: 'Holiday change freeze',
      until: '2099-01-04T08:00:00Z',
    });
    const [pull] = repo.opened;
    expect(pull).toMatchObject({
      title: 'Freeze fraud-detector in production until 2099-01-04T08:00:00Z',
      base: 'production',
      labels: ['ml-gitops/freeze'],
    });
    expect(parseChangeRecord(pull.body)).toMatchObject({
      kind: 'freeze',
      environment: 'production',
      reason: 'Holiday change freeze',
    });
  });

  it.each([
    [{ reason: '' }, /reason/],
    [{ reason: 'x', until: 'next week' }, /not an ISO 8601 time/],
    [{ reason: 'x', until: '2001-01-01T00:00:00Z' }, /is in the past/],
  ])('refuses %o before touching Git', async (extra, error) => {
    const { repo, freeze } = setup();
    await expect(
      freeze.handler(
        makeContext({ entityRef, environment: 'production', ...extra }).ctx,
      ),
    ).rejects.toThrow(error);
    expect(repo.opened).toEqual([]);
  });

  it('needs ml-gitops.environment.freeze', async () => {
    const { repo, freeze } = setup({}, ['ml-gitops.environment.freeze']);
    await expect(
      freeze.handler(
        makeContext({ entityRef, environment: 'production', reason: 'x' }).ctx,
      ),
    ).rejects.toThrow(/denies ml-gitops.environment.freeze/);
    expect(repo.opened).toEqual([]);
  });
});

describe('a frozen environment', () => {
  it('refuses deploys and promotions into it, quoting the reason', async () => {
    const { repo, deploy, promote } = setup({
      dev: FROZEN.replace('"12"', '"13"'),
      production: FROZEN,
    });
    await expect(
      deploy.handler(makeContext({ entityRef, version: '14' }).ctx),
    ).rejects.toThrow(
      'dev is frozen until 2099-01-04T08:00:00Z: "Holiday change freeze"',
    );
    await expect(
      promote.handler(
        makeContext({
          entityRef,
          sourceEnvironment: 'staging',
          allowUnverifiedSource: true,
        }).ctx,
      ),
    ).rejects.toThrow(
      'production is frozen until 2099-01-04T08:00:00Z: "Holiday change freeze"',
    );
    expect(repo.opened).toEqual([]);
  });

  it('is not frozen once until has passed', async () => {
    const { repo, deploy } = setup({
      dev: FROZEN.replace('"12"', '"13"').replace('2099', '2001'),
    });
    await deploy.handler(makeContext({ entityRef, version: '14' }).ctx);
    expect(repo.opened).toHaveLength(1);
  });

  it('is unfrozen by a pull request that removes freeze, byte for byte', async () => {
    const { repo, unfreeze } = setup({ production: FROZEN });
    const { ctx } = makeContext({ entityRef, environment: 'production' });
    await unfreeze.handler(ctx);
    const branch = 'ml-gitops/unfreeze/production';
    expect(
      repo.commits.get(repo.branches.get(branch)!)!.files['deploy/model.yaml'],
    ).toBe(manifest('12'));
    expect(repo.opened[0]).toMatchObject({
      title: 'Unfreeze fraud-detector in production',
      labels: ['ml-gitops/freeze'],
    });
    expect(repo.opened[0].body).toContain(
      'It was frozen because: Holiday change freeze',
    );
  });

  it('refuses to unfreeze what is not frozen', async () => {
    const { unfreeze } = setup();
    await expect(
      unfreeze.handler(makeContext({ entityRef, environment: 'staging' }).ctx),
    ).rejects.toThrow('staging of fraud-detector is not frozen');
  });
});
