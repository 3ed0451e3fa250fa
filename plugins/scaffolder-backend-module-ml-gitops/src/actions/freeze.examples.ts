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

const freezeExample = stepExamples({
  id: 'freeze',
  action: 'ml-gitops:environment:freeze',
  name: 'Open the freeze pull request',
});

const unfreezeExample = stepExamples({
  id: 'unfreeze',
  action: 'ml-gitops:environment:unfreeze',
  name: 'Open the unfreeze pull request',
});

export const examples: TemplateExample[] = [
  freezeExample('Freeze production over the holidays, until a set time', {
    entityRef: 'component:default/fraud-detector',
    environment: 'production',
    reason: 'Holiday change freeze',
    until: '2099-01-04T08:00:00Z',
  }),
  freezeExample('Freeze staging until someone unfreezes it', {
    entityRef: 'component:default/fraud-detector',
    environment: 'staging',
    reason: 'Load test of the new feature store',
  }),
];

export const unfreezeExamples: TemplateExample[] = [
  unfreezeExample('Unfreeze production', {
    entityRef: 'component:default/fraud-detector',
    environment: 'production',
  }),
];
