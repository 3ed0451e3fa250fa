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

import { RUN_THE_CLI, useSandbox } from '../__testUtils__/sandboxWithModel';
import { sandboxGitlab } from '../__testUtils__/sandboxGitHosts';
import { sealSecretScenario } from '../__testUtils__/sealFlow';

/*
 * The GitLab twin of sealSecret.sandbox.test.ts: the merge request goes to
 * the sandbox's GitLab project ml-platform/demand-forecaster-config, whose
 * production branch takes it with a passed pipeline and a code owner's
 * approval (secrets/ belongs to @ml-platform).
 */

jest.setTimeout(180_000);

const sandbox = useSandbox('seal-gitlab', undefined, RUN_THE_CLI);

describe('ml-gitops:secret:seal against the sandbox GitLab', () => {
  it('seals with the served certificate, opens the change, lands it, and the controller unseals it', async () => {
    const ended = await sealSecretScenario({
      sandbox,
      host: () =>
        sandboxGitlab(sandbox(), 'ml-platform/demand-forecaster-config', {
          check: 'pipeline',
        }),
      model: 'demand-forecaster',
    });
    expect(ended).toEqual({
      path: 'secrets/demand-forecaster-db.sealed.yaml',
      target: 'production',
    });
  });
});
