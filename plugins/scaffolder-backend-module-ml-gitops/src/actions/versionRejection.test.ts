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
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import {
  fakeConfigRepo,
  fakeMlflow,
  FakeMlflowVersion,
  fakePermissions,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import {
  createRejectVersionAction,
  createUnrejectVersionAction,
} from './versionRejection';
import { rejectExamples, unrejectExamples } from './versionRejection.examples';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const entityRef = 'component:default/fraud-detector';

function setup(deny: string[] = []) {
  const repo = fakeConfigRepo({
    dev: '12',
    staging: '12',
    production: '12',
  });
  const versions: FakeMlflowVersion[] = [
    { version: '12', metrics: { auc: 0.95 } },
    { version: '13', metrics: { auc: 0.95 } },
  ];
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    ...fakeMlflow('fraud-detector', versions),
  );
  const options = makeOptions({ permissions: fakePermissions(deny).service });
  return {
    versions,
    reject: createRejectVersionAction(options),
    unreject: createUnrejectVersionAction(options),
  };
}

describe('ml-gitops:version:reject and unreject', () => {
  it('rejects with reason, who and when, then un-rejects, clearing every tag', async () => {
    const { versions, reject, unreject } = setup();
    await reject.handler(
      makeContext({ entityRef, version: '13', reason: 'Leaks PII' }).ctx,
    );
    expect(versions[1].tags).toEqual({
      validation_status: 'rejected',
      'ml-gitops.rejected_reason': 'Leaks PII',
      'ml-gitops.rejected_by': 'user:default/alice',
      'ml-gitops.rejected_at': expect.stringMatching(/^\d{4}-/),
    });
    const { ctx } = makeContext({ entityRef, version: '13' });
    await unreject.handler(ctx);
    expect(outputsOf(ctx).previousReason).toBe('Leaks PII');
    expect(versions[1].tags ?? {}).toEqual({});
  });

  it('refuses to un-reject a version that is not rejected, or one that does not exist', async () => {
    const { unreject, reject } = setup();
    await expect(
      unreject.handler(makeContext({ entityRef, version: '12' }).ctx),
    ).rejects.toThrow('fraud-detector version 12 is not rejected');
    await expect(
      reject.handler(
        makeContext({ entityRef, version: '99', reason: 'x' }).ctx,
      ),
    ).rejects.toThrow('fraud-detector version 99 does not exist');
  });

  it('each needs its own permission', async () => {
    const { versions, reject, unreject } = setup([
      'ml-gitops.version.unreject',
    ]);
    await reject.handler(
      makeContext({ entityRef, version: '13', reason: 'Leaks PII' }).ctx,
    );
    await expect(
      unreject.handler(makeContext({ entityRef, version: '13' }).ctx),
    ).rejects.toThrow(/denies ml-gitops.version.unreject/);
    expect(versions[1].tags?.validation_status).toBe('rejected');
  });

  it.each([
    ...rejectExamples.map(e => [e.description, e.example] as const),
    ...unrejectExamples.map(e => [e.description, e.example] as const),
  ])('example: %s', async (_d, example) => {
    const { versions, reject, unreject } = setup();
    versions[1].tags = { validation_status: 'rejected' };
    const step = yaml.parse(example).steps[0];
    const action = step.action === reject.id ? reject : unreject;
    await action.handler(makeContext(step.input).ctx);
    expect(versions[1].tags?.validation_status).toBe(
      step.action === reject.id ? 'rejected' : undefined,
    );
  });
});
