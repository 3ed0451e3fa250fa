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

const rollbackExample = stepExamples({
  id: 'rollback',
  action: 'ml-gitops:rollback',
  name: 'Open the rollback pull request',
});

export const examples: TemplateExample[] = [
  rollbackExample(
    'Roll production back to the newest earlier version that served there, marking the version it leaves rejected',
    {
      entityRef: 'component:default/fraud-detector',
      environment: 'production',
      reason: 'False positives on card-not-present traffic',
    },
  ),
  rollbackExample(
    "Roll back to a named version without rejecting the one it leaves, naming the config repo too (it must be the entity's)",
    {
      entityRef: 'component:default/fraud-detector',
      repoUrl: 'https://github.com/acme/fraud-detector-config',
      environment: 'staging',
      reason: 'p95 latency doubled',
      toVersion: '11',
      rejectVersion: false,
    },
  ),
];
