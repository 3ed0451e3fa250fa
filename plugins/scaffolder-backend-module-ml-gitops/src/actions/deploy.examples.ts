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

import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stepExamples } from './exampleSteps';

const deployExample = stepExamples({
  id: 'deploy',
  action: 'ml-gitops:deploy',
  name: 'Open the deployment pull request',
});

export const examples: TemplateExample[] = [
  deployExample(
    'Deploy a registered model version to the first environment (dev) of the entity',
    {
      entityRef: 'component:default/fraud-detector',
      version: '13',
    },
  ),
  deployExample(
    "Deploy to a named environment, naming the config repo and manifest too (the repo must be the entity's)",
    {
      entityRef: 'component:default/fraud-detector',
      repoUrl: 'https://github.com/acme/fraud-detector-config',
      manifestPath: 'deploy/model.yaml',
      version: '13',
      environment: 'staging',
    },
  ),
  deployExample(
    'Deploy a version that fails the gate, overriding the checks with a reason (stated in the pull request)',
    {
      entityRef: 'component:default/fraud-detector',
      version: '14',
      force: true,
      reason:
        'Hotfix for INC-1234; the gate metric is recomputed after the fix',
    },
  ),
];
