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

import { configRepoCreateFluxScenario } from '../__testUtils__/createFluxFlow';
import { sandboxGithub } from '../__testUtils__/sandboxGitHosts';
import {
  useSandboxWithModel,
  sandboxMlflowRegistry,
} from '../__testUtils__/sandboxWithModel';

/*
 * Integration: ml-gitops:config-repo:create with Flux against the sandbox's
 * GitHub; the story every host runs is __testUtils__/createFluxFlow.ts and
 * configRepoCreate.gitlab.flux.sandbox.test.ts is its GitLab twin.
 */

jest.setTimeout(300_000);

const MODEL = 'loan-scorer';
const sandbox = useSandboxWithModel(MODEL);

describe('ml-gitops:config-repo:create with Flux against the sandbox', () => {
  it('applies the Flux objects, Flux deploys the model, and a sealed secret merged into secrets/ becomes a Secret', async () => {
    const ended = await configRepoCreateFluxScenario({
      sandbox,
      host: () => sandboxGithub(sandbox(), 'acme', `${MODEL}-config`),
      model: MODEL,
      owners: ['@acme/risk-ml'],
      registry: () => sandboxMlflowRegistry(sandbox()),
    });
    expect(ended).toEqual([
      ['dev', 'flux', '1'],
      ['staging', 'flux', '1'],
      ['production', 'flux', '1'],
    ]);
  });
});
