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

/**
 * The Kubeflow Model Registry's seed: one registered model, `demand-forecaster`,
 * with versions "1" (archived, below its gates), "2" and "3" (live, passing
 * them). Kept apart from MODELS: no config repository describes this model
 * yet, so nothing in the Git seed or the catalog refers to it.
 */

export type KubeflowSeedVersion = {
  /** the version's name, as ML GitOps refers to it */
  name: string;
  state: 'LIVE' | 'ARCHIVED';
  /** days before the anchor the version was registered */
  registeredDaysAgo: number;
  /** a key of USERS */
  author: string;
  description: string;
  /** sent as MetadataDoubleValue custom properties */
  metrics: { accuracy: number; auc: number; latency_p95_ms: number };
  /** rows the model was trained on, sent as a MetadataIntValue */
  trainingRows: number;
  /** the version's model artifact */
  artifact: {
    uri: string;
    modelFormatName: string;
    modelFormatVersion: string;
  };
};

export type KubeflowSeedModel = {
  name: string;
  team: string;
  /** a key of USERS */
  owner: string;
  description: string;
  /** the gates a config repository for the model would declare */
  gates: { auc: { min: number }; latency_p95_ms: { max: number } };
  versions: KubeflowSeedVersion[];
};

const artifact = (model: string, version: string) => ({
  uri: `s3://models/${model}/${version}`,
  modelFormatName: 'sklearn',
  modelFormatVersion: '1',
});

/** The registered models the emulated Kubeflow Model Registry starts with. */
export const KUBEFLOW_MODELS: KubeflowSeedModel[] = [
  {
    name: 'demand-forecaster',
    team: 'growth-ml',
    owner: 'grace',
    description: 'Predicts which subscribers cancel within 30 days.',
    gates: { auc: { min: 0.85 }, latency_p95_ms: { max: 50 } },
    versions: [
      {
        name: '1',
        state: 'ARCHIVED',
        registeredDaysAgo: 40,
        author: 'grace',
        description:
          'First model on three months of events; AUC below the gate.',
        metrics: { accuracy: 0.82, auc: 0.81, latency_p95_ms: 31 },
        trainingRows: 180000,
        artifact: artifact('demand-forecaster', '1'),
      },
      {
        name: '2',
        state: 'LIVE',
        registeredDaysAgo: 21,
        author: 'grace',
        description: 'Adds support-ticket features.',
        metrics: { accuracy: 0.87, auc: 0.88, latency_p95_ms: 34 },
        trainingRows: 240000,
        artifact: artifact('demand-forecaster', '2'),
      },
      {
        name: '3',
        state: 'LIVE',
        registeredDaysAgo: 6,
        author: 'katherine',
        description: 'Retrained on six months of events.',
        metrics: { accuracy: 0.89, auc: 0.91, latency_p95_ms: 36 },
        trainingRows: 410000,
        artifact: artifact('demand-forecaster', '3'),
      },
    ],
  },
];
