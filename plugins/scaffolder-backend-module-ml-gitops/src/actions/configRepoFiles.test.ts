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

import yaml from 'yaml';
import { configRepoFiles } from './configRepoFiles';
import { ConfigRepoSpec } from './configRepoSpec';

/** The merge check of a new config repo follows its Git host. */
const spec = (gitHost?: 'github' | 'gitlab'): ConfigRepoSpec => ({
  model: 'demand-forecaster',
  version: '3',
  registry: 'kubeflow-default',
  storageUri: 's3://models/demand-forecaster/3',
  modelFormat: 'sklearn',
  registryUrl: 'https://registry.example.com',
  registryType: 'kubeflow',
  runtime: 'kserve',
  replicas: 2,
  gates: { auc: { min: 0.85 } },
  environments: ['dev', 'staging', 'production'],
  owners: ['@ml-platform/growth'],
  repoUrl: 'https://gitlab.example.com/ml-platform/demand-forecaster-config',
  namespace: 'ml-{environment}',
  argocdNamespace: 'argocd',
  argocdProject: 'default',
  destinationServer: 'https://kubernetes.default.svc',
  ...(gitHost ? { gitHost } : {}),
});

describe('the merge check of a new config repo', () => {
  it('is a merge request pipeline job on GitLab, with the registry as variables', () => {
    const files = configRepoFiles(spec('gitlab'));
    expect(files['.github/workflows/validate.yaml']).toBeUndefined();
    const ci = yaml.parse(files['.gitlab-ci.yml']);
    expect(ci.variables).toEqual({
      ML_GITOPS_REGISTRY_URL: 'https://registry.example.com',
      ML_GITOPS_REGISTRY_TYPE: 'kubeflow',
    });
    const job = ci['ml-gitops/validate'];
    expect(job.rules).toEqual([
      { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
    ]);
    expect(job.variables).toEqual({ GIT_DEPTH: '0' });
    expect(job.script.at(-1)).toMatch(
      /^npx --yes @ml-gitops\/cli@\S+ validate --base "origin\/\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"$/,
    );
  });

  it('is a GitHub Actions workflow on GitHub, and by default', () => {
    for (const files of [
      configRepoFiles(spec('github')),
      configRepoFiles(spec()),
    ]) {
      expect(files['.gitlab-ci.yml']).toBeUndefined();
      expect(
        yaml.parse(files['.github/workflows/validate.yaml']).jobs.validate.name,
      ).toBe('ml-gitops/validate');
    }
  });
});
