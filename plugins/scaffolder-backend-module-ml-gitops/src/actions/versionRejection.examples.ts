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

const rejectExample = stepExamples({
  id: 'reject',
  action: 'ml-gitops:version:reject',
  name: 'Reject the version',
});

const unrejectExample = stepExamples({
  id: 'unreject',
  action: 'ml-gitops:version:unreject',
  name: 'Clear the rejection',
});

export const rejectExamples: TemplateExample[] = [
  rejectExample('Reject a version found wanting before it reached production', {
    entityRef: 'component:default/fraud-detector',
    version: '13',
    reason: 'Leaks card numbers into its explanations',
  }),
];

export const unrejectExamples: TemplateExample[] = [
  unrejectExample('Un-reject a version cleared by the investigation', {
    entityRef: 'component:default/fraud-detector',
    version: '13',
  }),
];
