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

import { changeFlowScenario } from '../__testUtils__/changeFlow';
import {
  registerKubeflowVersions,
  RUN_THE_CLI,
  sandboxKubeflowRegistry,
  useSandbox,
} from '../__testUtils__/sandboxWithModel';
import { sandboxGitlab } from '../__testUtils__/sandboxGitHosts';

/*
 * The GitLab twin of flow.sandbox.test.ts: the sandbox's GitLab project
 * ml-platform/demand-forecaster-config, whose merge requests need their
 * pipeline to succeed and, into production, a code owner's approval under
 * the Production approval rule; its registry is the sandbox's Kubeflow
 * Model Registry. Same story (__testUtils__/changeFlow.ts): every merge
 * request is asked of git in GitLab's bare repository, checked by the
 * project's own .gitlab-ci.yml (the sandbox's CI runs the real CLI against
 * the Kubeflow registry), approved and merged through GitLab's REST API,
 * and served after Argo CD syncs.
 */

jest.setTimeout(600_000);

const MODEL = 'demand-forecaster';
const sandbox = useSandbox(
  'flow-gitlab',
  s =>
    registerKubeflowVersions(s, MODEL, ['4', '5', '6', '7'], {
      auc: 0.9,
      latency_p95_ms: 40,
    }),
  RUN_THE_CLI,
);

describe('deploy, promote and roll back under protected branches on GitLab', () => {
  it('keeps every change mergeable, one per change, and serves the right version at each step', async () => {
    const ended = await changeFlowScenario({
      sandbox,
      host: () =>
        sandboxGitlab(sandbox(), 'ml-platform/demand-forecaster-config', {
          check: 'pipeline',
        }),
      model: MODEL,
      registry: () => sandboxKubeflowRegistry(sandbox()),
      // the seed: dev and staging declare 3, production 2
      production: '2',
      versions: ['4', '5', '6', '7'],
    });
    expect(ended).toEqual({ dev: '7', staging: '7', production: '4' });
  });
});
