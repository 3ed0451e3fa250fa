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
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import {
  fakeConfigRepoOf,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createFreezeAction, createUnfreezeAction } from './freeze';
import { examples, unfreezeExamples } from './freeze.examples';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

function repoWith(text: string) {
  const repo = fakeConfigRepoOf({ dev: text, staging: text, production: text });
  server.use(...repo.writeHandlers(), ...repo.handlers());
  return repo;
}

describe('ml-gitops:environment:freeze and unfreeze examples', () => {
  it.each([
    ...examples.map(e => [e.description, e.example, 'freeze'] as const),
    ...unfreezeExamples.map(
      e => [e.description, e.example, 'unfreeze'] as const,
    ),
  ])('%s', async (_description, example, kind) => {
    const repo = repoWith(
      kind === 'freeze'
        ? manifest('12')
        : `${manifest('12')}freeze:\n  reason: "Holiday change freeze"\n`,
    );
    const action =
      kind === 'freeze'
        ? createFreezeAction(makeOptions())
        : createUnfreezeAction(makeOptions());
    const step = yaml.parse(example).steps[0];
    expect(step.action).toBe(action.id);
    const { ctx } = makeContext(step.input);
    await action.handler(ctx);
    expect(outputsOf(ctx).pullRequestUrl).toMatch(/\/pull\/\d+$/);
    expect(repo.opened).toHaveLength(1);
  });
});
