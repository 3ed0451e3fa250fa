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
import { fakeGithubOwner } from '../__testUtils__/fakeGithubOwner';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import { fakeMlflow, makeContext, makeOptions } from '../__testUtils__/setup';
import { ConfigReader } from '@backstage/config';
import {
  fakeKubernetesApply,
  KUBE_TOKEN,
  KUBE_URL,
} from '../__testUtils__/fakeKubernetesApply';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { examples } from './configRepoCreate.examples';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
jest.setTimeout(60_000);

describe('ml-gitops:config-repo:create examples', () => {
  it.each(examples.map(e => [e.description, e.example]))(
    '%s',
    async (_description, example) => {
      const step = yaml.parse(example).steps[0];
      const remote = new LocalConfigRepo();
      try {
        const github = fakeGithubOwner({ owner: 'acme', type: 'Organization' });
        server.use(
          ...github.handlers,
          ...fakeMlflow(step.input.model, [
            {
              version: step.input.version,
              metrics: { auc: 0.95, latency_p95_ms: 30 },
            },
          ]),
        );
        const kube = fakeKubernetesApply();
        server.use(...kube.handlers);
        const options = makeOptions();
        const action = createConfigRepoCreateAction({
          ...options,
          // the Flux cluster a Flux example names, reached directly
          config: {
            ...options.config,
            ...(step.input.operator === 'flux'
              ? { fluxClusters: ['prod-eu'] }
              : {}),
          },
          rootConfig: new ConfigReader({
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    {
                      name: 'prod-eu',
                      url: KUBE_URL,
                      serviceAccountToken: KUBE_TOKEN,
                    },
                  ],
                },
              ],
            },
          }),
          remoteUrl: () => remote.bare,
        });
        expect(step.action).toBe(action.id);
        await action.handler(makeContext(step.input).ctx);
        expect(github.created).toHaveLength(1);
        expect(remote.remoteGit('branch', '--list')).toContain('production');
        // Flux examples apply three objects per environment, others none
        expect(kube.objects.size).toBe(step.input.operator === 'flux' ? 9 : 0);
      } finally {
        remote.cleanup();
      }
    },
  );
});
