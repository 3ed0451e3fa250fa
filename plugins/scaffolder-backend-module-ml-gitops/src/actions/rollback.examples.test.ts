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
import { fakePullsApi } from '../__testUtils__/fakePulls';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import {
  fakeMlflow,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createRollbackAction } from './rollback';
import { examples } from './rollback.examples';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
// Real git repositories on disk: slower than the default 5s on a busy machine.
jest.setTimeout(60_000);

describe('ml-gitops:rollback examples', () => {
  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const step = yaml.parse(example).steps[0];
      const repo = new LocalConfigRepo();
      try {
        repo.git('checkout', '--quiet', '-b', step.input.environment);
        repo.commit('Initial config', {
          'deploy/model.yaml': manifest('11'),
        });
        repo.commit('Deploy 12', { 'deploy/model.yaml': manifest('12') });
        repo.commit('Deploy 13', { 'deploy/model.yaml': manifest('13') });
        repo.pushAll();
        const api = fakePullsApi();
        const versions = ['11', '12', '13'].map(version => ({ version }));
        server.use(...api.handlers, ...fakeMlflow('fraud-detector', versions));
        const action = createRollbackAction({
          ...makeOptions(),
          remoteUrl: () => repo.bare,
        });
        expect(step.action).toBe(action.id);
        const { ctx } = makeContext(step.input);
        await action.handler(ctx);
        expect(outputsOf(ctx).previousVersion).toBe(
          step.input.toVersion ?? '12',
        );
        expect(api.pulls).toHaveLength(1);
      } finally {
        repo.cleanup();
      }
    },
  );
});
