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

/*
 * The fixture builders of the backend's tests, measured against what Argo
 * CD and the CRDs publish (Argo CD's swagger; the KServe InferenceService and
 * Argo Rollouts AnalysisRun schemas). The tests that serve them check their
 * answers too (registerContractChecks).
 */

import {
  argoCdContractProblems,
  kubeContractProblems,
} from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { argoCdApplication, argoCdListAnswer } from './argoCd';
import {
  analysisRun,
  inferenceService,
} from '../providers/canary/__testUtils__/fixtures';

const SHA = '9f2c1e4b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';

describe("the backend's fixtures follow the published contracts", () => {
  it.each([
    ['a synced application', { model: 'm', environment: 'dev', revision: SHA }],
    [
      'a running sync',
      {
        model: 'm',
        environment: 'dev',
        syncStatus: 'OutOfSync',
        healthStatus: 'Progressing',
        revision: SHA,
        operation: { phase: 'Running', startedAt: '2026-11-28T00:00:00Z' },
      },
    ],
    [
      'a multi-source application',
      {
        model: 'm',
        environment: 'prod',
        sources: [
          { repoURL: 'https://github.com/acme/m-config', path: 'deploy' },
          { repoURL: 'https://charts.example.com', chart: 'kserve' },
        ],
        revisions: [SHA, '1.2.0'],
        operation: {
          phase: 'Succeeded',
          startedAt: '2026-11-28T00:00:00Z',
          finishedAt: '2026-11-28T00:01:00Z',
        },
      },
    ],
  ])("argoCdApplication: %s follows Argo CD's swagger", async (_, input) => {
    const app = argoCdApplication(input);
    expect(argoCdContractProblems('v1alpha1Application', app)).toEqual([]);
    const list = await argoCdListAnswer(
      new Request('https://argocd.example.com/api/v1/applications'),
      [app],
    ).json();
    expect(argoCdContractProblems('v1alpha1ApplicationList', list)).toEqual([]);
  });

  it('analysisRun and inferenceService follow their CRDs', () => {
    for (const object of [
      analysisRun({ name: 'r1' }),
      analysisRun({
        name: 'r2',
        phase: 'Failed',
        message: 'metric "error-rate" assessed Failed',
        completedAt: '2026-11-28T00:10:00Z',
        rolloutType: 'Background',
        metrics: [
          {
            name: 'error-rate',
            phase: 'Failed',
            message: 'too many errors',
            values: [
              {
                phase: 'Failed',
                value: '0.2',
                finishedAt: '2026-11-28T00:09:00Z',
              },
            ],
          },
        ],
      }),
      inferenceService({}),
      inferenceService({
        canaryTrafficPercent: 10,
        deploymentMode: 'Standard',
        conditions: [
          { type: 'Ready', status: 'False', reason: 'Canary', message: 'm' },
        ],
      }),
    ]) {
      expect(kubeContractProblems(object)).toEqual([]);
    }
  });
});
