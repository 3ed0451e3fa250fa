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

const configRepoExample = stepExamples({
  id: 'config-repo',
  action: 'ml-gitops:config-repo:create',
  name: 'Create the config repo',
});

export const examples: TemplateExample[] = [
  configRepoExample(
    'Create the config repo of a model, starting every environment at version 1 with a gate',
    {
      repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
      model: 'fraud-detector',
      version: '1',
      owners: ['@acme/ml-team'],
      gates: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } },
    },
  ),
  configRepoExample(
    'Create a public config repo serving in one namespace of a remote cluster',
    {
      repoUrl: 'https://github.com/acme/churn-model-config',
      model: 'churn-model',
      version: '3',
      registry: 'mlflow-default',
      owners: ['@acme/growth', 'lead@acme.example'],
      visibility: 'public',
      namespace: 'ml-serving',
      destinationServer: 'https://prod-eu.k8s.acme.example',
      replicas: 3,
    },
  ),
  configRepoExample(
    'Create a private config repo that Flux deploys: its objects applied on the cluster prod-eu, reading the repo with an existing Git credentials Secret',
    {
      repoUrl: 'github.com?owner=acme&repo=ranker-config',
      model: 'ranker',
      version: '7',
      owners: ['@acme/search'],
      operator: 'flux',
      fluxCluster: 'prod-eu',
      fluxSecretRef: 'github-acme',
    },
  ),
];
