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

import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { CanaryAnalysis } from '@ml-gitops/plugin-ml-gitops-common';
import { EntityModelDeploymentsCard } from '../EntityModelDeploymentsCard';
import { EntityMlGitopsContent } from '../EntityMlGitopsContent';
import { MlGitopsFleetPage } from '../MlGitopsFleetPage';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import { deployments, environment } from '../../__testUtils__/fixtures';

const failedRun: CanaryAnalysis = {
  kind: 'argo-rollouts',
  name: 'fraud-detector-predictor-6c9d8f7b5-4-1',
  namespace: 'ml-dev',
  cluster: 'main',
  phase: 'failed',
  sourcePhase: 'Failed',
  version: '13',
  message:
    'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
  observedAt: new Date().toISOString(),
};

const kserveCanary: CanaryAnalysis = {
  kind: 'kserve',
  name: 'fraud-detector',
  namespace: 'ml-staging',
  cluster: 'main',
  phase: 'running',
  trafficPercent: 20,
  revision: 'fraud-detector-predictor-00004',
  observedAt: new Date().toISOString(),
};

function withCanaries() {
  return mockMlGitopsApi({
    getDeployments: jest
      .fn()
      .mockResolvedValue(
        deployments([
          environment('dev', { canary: failedRun }),
          environment('staging', { canary: kserveCanary }),
          environment('production', { canary: null }),
        ]),
      ),
  });
}

function rowOf(name: string) {
  return screen.getByRole('rowheader', { name }).closest('tr') as HTMLElement;
}

describe('canary analyses in the views', () => {
  it('shows each environment’s canary in the deployments card, in words', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api: withCanaries(),
    });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });

    const dev = rowOf('dev');
    expect(within(dev).getByText('Canary failed')).toBeInTheDocument();
    expect(
      within(dev).getByText(
        'AnalysisRun fraud-detector-predictor-6c9d8f7b5-4-1: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
      ),
    ).toBeInTheDocument();

    const staging = rowOf('staging');
    expect(
      within(staging).getByText('Canary running, 20% of traffic'),
    ).toBeInTheDocument();
    expect(
      within(staging).getByText('InferenceService fraud-detector'),
    ).toBeInTheDocument();

    expect(within(rowOf('production')).queryByText(/Canary/)).toBeNull();
  });

  it('explains the analysis on hover', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api: withCanaries(),
    });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });
    await userEvent.hover(within(rowOf('dev')).getByText('Canary failed'));
    expect(
      await screen.findByRole('tooltip', {
        name: /AnalysisRun ml-dev\/fraud-detector-predictor-6c9d8f7b5-4-1 on cluster main \(version 13\) failed/,
      }),
    ).toBeInTheDocument();
  });

  it('shows the canary in the pipeline columns of the tab', async () => {
    await renderWithApis(<EntityMlGitopsContent />, { api: withCanaries() });
    const pipeline = await screen.findByRole('group', {
      name: 'Promotion pipeline',
    });
    const [dev, staging, production] = within(pipeline).getAllByRole('region', {
      name: /^Environment /,
    });
    expect(within(dev).getByText('Canary failed')).toBeInTheDocument();
    expect(
      within(staging).getByText('Canary running, 20% of traffic'),
    ).toBeInTheDocument();
    expect(within(production).queryByText(/Canary/)).toBeNull();
  });

  it('shows the canary in the fleet page cells', async () => {
    const { environments } = deployments([
      environment('dev', { canary: failedRun }),
      environment('staging', { canary: kserveCanary }),
      environment('production', { canary: null }),
    ]);
    await renderWithApis(<MlGitopsFleetPage />, {
      api: mockMlGitopsApi({
        getFleet: jest.fn().mockResolvedValue({
          items: [
            {
              entityRef: 'component:default/fraud-detector',
              model: 'fraud-detector',
              environments,
            },
          ],
        }),
      }),
      entity: null,
    });
    const table = await screen.findByRole('table', {
      name: 'Models by environment',
    });
    const row = within(table)
      .getByRole('link', { name: 'fraud-detector' })
      .closest('tr')!;
    // The row header is the model; one cell per environment follows.
    const [dev, staging, production] = Array.from(
      row.querySelectorAll<HTMLElement>('td'),
    );
    expect(within(dev).getByText('Canary failed')).toBeInTheDocument();
    expect(
      within(staging).getByText('Canary running, 20% of traffic'),
    ).toBeInTheDocument();
    expect(within(production).queryByText(/Canary/)).toBeNull();
  });

  it.each([
    ['successful', 'Canary passed'],
    ['pending', 'Canary pending'],
    ['inconclusive', 'Canary inconclusive'],
  ] as const)('labels a %s analysis "%s"', async (phase, label) => {
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api: mockMlGitopsApi({
        getDeployments: jest
          .fn()
          .mockResolvedValue(
            deployments([
              environment('dev', { canary: { ...failedRun, phase } }),
            ]),
          ),
      }),
    });
    expect(await screen.findByText(label)).toBeInTheDocument();
  });
});
