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
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import {
  auth,
  BACKEND_URL,
  discovery,
  environmentStatus,
  fakeBackend,
} from '../__testUtils__/backend';
import {
  fakeConfigRepo,
  fakeMlflow,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { createPromoteAction } from './promote';
import { examples } from './promote.examples';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

describe('ml-gitops:promote examples', () => {
  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const step = yaml.parse(example).steps[0];
      const versions: Record<string, string> = {
        dev: '13',
        staging: step.input.sourceEnvironment === 'dev' ? '12' : '13',
        production: '12',
      };
      const repo = fakeConfigRepo(versions);
      server.use(
        ...repo.writeHandlers(),
        ...repo.handlers(),
        ...fakeMlflow('fraud-detector', [
          { version: '13', metrics: { auc: 0.95 } },
        ]),
        step.input.allowUnverifiedSource
          ? http.get(`${BACKEND_URL}/v1/deployments`, () =>
              HttpResponse.error(),
            )
          : fakeBackend(
              Object.entries(versions).map(([env, v]) =>
                environmentStatus(env, v),
              ),
            ).handler,
      );
      const action = createPromoteAction({ ...makeOptions(), discovery, auth });
      expect(step.action).toBe(action.id);
      const { ctx } = makeContext(step.input);
      await action.handler(ctx);
      expect(outputsOf(ctx).pullRequestUrl).toMatch(/\/pull\/\d+$/);
      expect(repo.opened).toHaveLength(1);
    },
  );
});
