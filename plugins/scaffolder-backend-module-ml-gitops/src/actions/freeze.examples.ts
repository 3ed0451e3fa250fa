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
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Freeze production over the holidays, until a set time',
    example: yaml.stringify({
      steps: [
        {
          id: 'freeze',
          action: 'ml-gitops:environment:freeze',
          name: 'Open the freeze pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'production',
            reason: 'Holiday change freeze',
            until: '2099-01-04T08:00:00Z',
          },
        },
      ],
    }),
  },
  {
    description: 'Freeze staging until someone unfreezes it',
    example: yaml.stringify({
      steps: [
        {
          id: 'freeze',
          action: 'ml-gitops:environment:freeze',
          name: 'Open the freeze pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'staging',
            reason: 'Load test of the new feature store',
          },
        },
      ],
    }),
  },
];

export const unfreezeExamples: TemplateExample[] = [
  {
    description: 'Unfreeze production',
    example: yaml.stringify({
      steps: [
        {
          id: 'unfreeze',
          action: 'ml-gitops:environment:unfreeze',
          name: 'Open the unfreeze pull request',
          input: {
            entityRef: 'component:default/fraud-detector',
            environment: 'production',
          },
        },
      ],
    }),
  },
];
