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
import { NotAllowedError } from '@backstage/errors';
import type { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { setupServer } from 'msw/node';
import {
  fakePermissions,
  makeContext,
  makeOptions,
} from '../__testUtils__/setup';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { createDeployAction } from './deploy';
import { createPromoteAction } from './promote';
import { createFreezeAction, createUnfreezeAction } from './freeze';
import { createRollbackAction } from './rollback';
import {
  createRejectVersionAction,
  createUnrejectVersionAction,
} from './versionRejection';
import { createSealSecretAction } from './sealSecret';

/*
 * The attack: anyone who may create scaffolder tasks posts
 * /api/scaffolder/v2/tasks (or runs `ml-gitops deploy`) for a model whose
 * buttons the UI hides from them, and the integration opens the pull
 * request. Each action now asks the permission policy with the initiator's
 * credentials before it reads or writes anything: no handler is registered
 * below, so any request to GitHub or MLflow would fail the test differently.
 */

const server = setupServer();
registerMswTestHooks(server);

const ENTITY = 'component:default/fraud-detector';

type Case = [
  string,
  string,
  (options: ReturnType<typeof makeOptions>) => TemplateAction<any, any, any>,
  Record<string, unknown>,
  RegExp,
];

const cases: Case[] = [
  [
    'deploy',
    'ml-gitops.deployment.deploy',
    createDeployAction,
    { entityRef: ENTITY, version: '13' },
    /may not deploy component:default\/fraud-detector: the permission policy denies ml-gitops\.deployment\.deploy on component:default\/fraud-detector$/,
  ],
  [
    'promote',
    'ml-gitops.deployment.promote',
    options => createPromoteAction(options),
    {
      entityRef: ENTITY,
      sourceEnvironment: 'staging',
      targetEnvironment: 'production',
    },
    /may not promote component:default\/fraud-detector: the permission policy denies ml-gitops\.deployment\.promote/,
  ],
  [
    'roll back',
    'ml-gitops.deployment.rollback',
    createRollbackAction,
    { entityRef: ENTITY, environment: 'production', reason: 'slow' },
    /may not roll back component:default\/fraud-detector: the permission policy denies ml-gitops\.deployment\.rollback/,
  ],
  [
    'seal a secret',
    'ml-gitops.secret.seal',
    options =>
      createSealSecretAction({
        ...options,
        config: {
          ...options.config,
          // no handler answers it: fetched before the check, the test fails
          sealedSecrets: {
            certificateUrl: 'https://sealed-secrets.example.com/v1/cert.pem',
          },
        },
      }),
    {
      entityRef: ENTITY,
      environment: 'production',
      name: 'fraud-detector-db',
      namespace: 'ml-serving',
      data: { password: 'not-for-git' },
    },
    /may not seal a secret for component:default\/fraud-detector: the permission policy denies ml-gitops\.secret\.seal/,
  ],
  [
    'mark the version it rolls back from rejected',
    'ml-gitops.version.reject',
    createRollbackAction,
    { entityRef: ENTITY, environment: 'production', reason: 'slow' },
    /may not mark the version left by this rollback rejected for component:default\/fraud-detector \(set rejectVersion: false to roll back without rejecting\): the permission policy denies ml-gitops\.version\.reject/,
  ],
  [
    'freeze an environment',
    'ml-gitops.environment.freeze',
    createFreezeAction,
    { entityRef: ENTITY, environment: 'production', reason: 'holidays' },
    /may not freeze environments of component:default\/fraud-detector: the permission policy denies ml-gitops\.environment\.freeze/,
  ],
  [
    'unfreeze an environment',
    'ml-gitops.environment.freeze',
    createUnfreezeAction,
    { entityRef: ENTITY, environment: 'production' },
    /may not unfreeze environments of component:default\/fraud-detector: the permission policy denies ml-gitops\.environment\.freeze/,
  ],
  [
    'reject a version',
    'ml-gitops.version.reject',
    createRejectVersionAction,
    { entityRef: ENTITY, version: '12', reason: 'leaks' },
    /may not reject versions of component:default\/fraud-detector: the permission policy denies ml-gitops\.version\.reject/,
  ],
  [
    'un-reject a version',
    'ml-gitops.version.unreject',
    createUnrejectVersionAction,
    { entityRef: ENTITY, version: '12' },
    /may not un-reject versions of component:default\/fraud-detector: the permission policy denies ml-gitops\.version\.unreject/,
  ],
  [
    'create a config repo',
    'ml-gitops.config-repo.create',
    options => createConfigRepoCreateAction(options),
    {
      repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
      model: 'fraud-detector',
      version: '1',
      owners: ['@acme/ml-team'],
    },
    /may not create config repos: the permission policy denies ml-gitops\.config-repo\.create$/,
  ],
];

describe('every action asks the permission policy as the initiator', () => {
  it.each(cases)(
    'refuses to %s when the policy denies %s, before touching Git',
    async (_, permission, create, input, message) => {
      const policy = fakePermissions([permission]);
      const action = create(makeOptions({ permissions: policy.service }));
      const { ctx } = makeContext(input as any);
      const error = await action.handler(ctx).catch(e => e);
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(error.message).toMatch(message);
      expect(policy.asked.map(a => a.permission)).toContain(permission);
    },
  );

  it.each([
    ['deploy', createDeployAction, { entityRef: ENTITY, version: '13' }],
    [
      'promote',
      (options: ReturnType<typeof makeOptions>) => createPromoteAction(options),
      {
        entityRef: ENTITY,
        sourceEnvironment: 'staging',
        targetEnvironment: 'production',
      },
    ],
  ] as const)(
    'refuses force on %s to someone without the override permission',
    async (_, create, input) => {
      const policy = fakePermissions(['ml-gitops.deployment.override']);
      const action = create(makeOptions({ permissions: policy.service }));
      const { ctx } = makeContext({
        ...input,
        force: true,
        reason: 'the gate is wrong today',
      } as any);
      const error = await action.handler(ctx).catch(e => e);
      expect(error).toBeInstanceOf(NotAllowedError);
      expect(error.message).toMatch(
        /may not override the checks of component:default\/fraud-detector with force: the permission policy denies ml-gitops\.deployment\.override/,
      );
    },
  );
});
