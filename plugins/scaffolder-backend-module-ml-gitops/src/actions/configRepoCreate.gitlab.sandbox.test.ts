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

import { SANDBOX_CREDENTIALS } from 'sandbox';
import { configRepoCreateScenario } from '../__testUtils__/createFlow';
import { sandboxGitlab } from '../__testUtils__/sandboxGitHosts';
import {
  useSandboxWithKubeflowModel,
  sandboxKubeflowRegistry,
} from '../__testUtils__/sandboxWithModel';

/*
 * The GitLab twin of configRepoCreate.sandbox.test.ts: the action creates
 * the project ml-platform/credit-scorer-config on the sandbox's GitLab,
 * with the model's version 1 in the sandbox's Kubeflow Model Registry, and
 * protects it the way GitLab's API is asked (docs.gitlab.com/api/
 * protected_branches, docs.gitlab.com/api/merge_request_approvals).
 */

jest.setTimeout(300_000);

const MODEL = 'credit-scorer';
const PROJECT = `ml-platform/${MODEL}-config`;
const sandbox = useSandboxWithKubeflowModel(MODEL);

async function gitlab(p: string) {
  const res = await fetch(
    `${sandbox().urls.gitlab}/api/v4/projects/${encodeURIComponent(
      PROJECT,
    )}${p}`,
    { headers: { 'private-token': SANDBOX_CREDENTIALS.gitlab.token } },
  );
  expect(res.status).toBe(200);
  return res.json();
}

describe('ml-gitops:config-repo:create against the sandbox GitLab', () => {
  it('registers the Applications, and a sealed secret merged into secrets/ is applied and unsealed in the cluster', async () => {
    const ended = await configRepoCreateScenario({
      sandbox,
      host: () => sandboxGitlab(sandbox(), PROJECT),
      model: MODEL,
      owners: ['@ml-platform/growth-ml'],
      registry: () => sandboxKubeflowRegistry(sandbox()),
    });
    expect(ended).toEqual(['scorer-db']);
  });

  it('protects staging and production, production with a code owner approval, and needs the pipeline to pass', async () => {
    const project = await gitlab('');
    expect(project).toMatchObject({
      default_branch: 'dev',
      only_allow_merge_if_pipeline_succeeds: true,
    });
    const protections = await gitlab('/protected_branches');
    expect(
      Object.fromEntries(
        protections.map((p: any) => [
          p.name,
          {
            push: p.push_access_levels.map((l: any) => l.access_level),
            codeOwners: p.code_owner_approval_required,
          },
        ]),
      ),
    ).toMatchObject({
      staging: { push: [0] },
      production: { push: [0], codeOwners: true },
    });
    const rules = await gitlab('/approval_rules');
    expect(
      rules.find((r: any) =>
        r.protected_branches.some((b: any) => b.name === 'production'),
      ),
    ).toMatchObject({ approvals_required: 1 });
  });
});
