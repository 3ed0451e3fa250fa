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

const sealExample = stepExamples({
  id: 'seal',
  action: 'ml-gitops:secret:seal',
  name: 'Open the pull request with the SealedSecret',
});

export const examples: TemplateExample[] = [
  sealExample(
    'Seal a database password for production with the certificate configured for production (mlGitops.sealedSecrets.environments.production.certificateUrl, else mlGitops.sealedSecrets.certificateUrl), with the value from the template secrets',
    {
      entityRef: 'component:default/fraud-detector',
      environment: 'production',
      name: 'fraud-detector-db',
      namespace: 'ml-serving',
      data: { password: '${{ secrets.password }}' },
    },
  ),
  sealExample(
    'Seal an API key usable by any Secret name in its namespace, with a pasted certificate (refused unless mlGitops.sealedSecrets.allowPastedCertificate is true)',
    {
      entityRef: 'component:default/fraud-detector',
      environment: 'dev',
      name: 'feature-store-api',
      namespace: 'ml-serving',
      scope: 'namespace-wide',
      data: { 'api-key': '${{ secrets.apiKey }}' },
      certificate: '${{ parameters.certificate }}',
    },
  ),
];
