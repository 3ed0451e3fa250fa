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

import { configRepoCreateScenario } from '../__testUtils__/createFlow';
import { sandboxGithub } from '../__testUtils__/sandboxGitHosts';
import {
  useSandboxWithModel,
  sandboxMlflowRegistry,
} from '../__testUtils__/sandboxWithModel';

/*
 * Integration: ml-gitops:config-repo:create with Argo CD against the
 * sandbox's GitHub; the story every host runs is __testUtils__/createFlow.ts
 * and configRepoCreate.gitlab.sandbox.test.ts is its GitLab twin.
 */

jest.setTimeout(300_000);

const MODEL = 'credit-scorer';
const sandbox = useSandboxWithModel(MODEL);

describe('ml-gitops:config-repo:create against the sandbox', () => {
  it('registers the Applications, and a sealed secret merged into secrets/ is applied and unsealed in the cluster', async () => {
    const ended = await configRepoCreateScenario({
      sandbox,
      host: () => sandboxGithub(sandbox(), 'acme', `${MODEL}-config`),
      model: MODEL,
      owners: ['@acme/risk-ml'],
      registry: () => sandboxMlflowRegistry(sandbox()),
    });
    expect(ended).toEqual(['scorer-db']);
  });
});
