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
  registerMlflowVersions,
  RUN_THE_CLI,
  sandboxMlflowRegistry,
  useSandbox,
} from '../__testUtils__/sandboxWithModel';
import { sandboxGithub } from '../__testUtils__/sandboxGitHosts';

/*
 * The write path on GitHub's merge rules: the sandbox's fraud-detector
 * config repo, whose staging and production branches require the validate
 * check with "require branches to be up to date" (strict) and production a
 * code owner's approval; its registry is the sandbox's MLflow, and the
 * repo's own validate workflow checks each pull request (the sandbox's
 * Actions runner runs the real CLI). The story is the one every host runs
 * (__testUtils__/changeFlow.ts);
 * flow.gitlab.sandbox.test.ts is its GitLab twin.
 */

jest.setTimeout(600_000);

const MODEL = 'fraud-detector';
const sandbox = useSandbox(
  'flow-github',
  s =>
    registerMlflowVersions(s, MODEL, 'fraud-ml', ['14', '15', '16', '17'], {
      auc: 0.95,
      latency_p95_ms: 30,
    }),
  RUN_THE_CLI,
);

describe('deploy, promote and roll back under strict branch protection on GitHub', () => {
  it('keeps every change mergeable, one per change, and serves the right version at each step', async () => {
    const ended = await changeFlowScenario({
      sandbox,
      host: () =>
        sandboxGithub(sandbox(), 'acme', `${MODEL}-config`, {
          check: 'workflow',
        }),
      model: MODEL,
      registry: () => sandboxMlflowRegistry(sandbox()),
      // the seed: production served 9, 10, 11, 12, then rolled back to 11,
      // so the last rollback passes 12 as well as the versions of this test
      production: '11',
      versions: ['14', '15', '16', '17'],
    });
    expect(ended).toEqual({ dev: '17', staging: '17', production: '14' });
  });
});
