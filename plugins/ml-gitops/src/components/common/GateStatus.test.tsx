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
import type { RegistryState } from '@ml-gitops/plugin-ml-gitops-common';
import { EntityModelDeploymentsCard } from '../EntityModelDeploymentsCard';
import { EntityMlGitopsContent } from '../EntityMlGitopsContent';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import { deployments, environment } from '../../__testUtils__/fixtures';

const REASON =
  'registry:mlflow-default failing since 2026-11-28T00:02:00.000Z: Registry "mlflow-default": MLflow at https://mlflow.example.com is unreachable (connect ECONNREFUSED); check the URL and the network';

/** What the backend sends while MLflow cannot be read. */
const unreachable: RegistryState = {
  version: '12',
  exists: true,
  aliases: ['champion'],
  metrics: { auc: 0.95 },
  gate: 'unknown',
  thresholds: { auc: { min: 0.92 } },
  reason: REASON,
};

function api() {
  return mockMlGitopsApi({
    getDeployments: jest.fn().mockResolvedValue(
      deployments([
        environment('dev'),
        environment('staging', {
          // No earlier answer for this version: nothing to fall back on.
          registry: {
            version: '12',
            exists: false,
            aliases: [],
            metrics: {},
            gate: 'unknown',
            reason: REASON,
          },
        }),
        environment('production', { registry: unreachable }),
      ]),
    ),
  });
}

function rowOf(name: string) {
  return screen.getByRole('rowheader', { name }).closest('tr') as HTMLElement;
}

describe('a gate the registry could not answer', () => {
  it('is shown as unknown, not passed, in the deployments card', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, { api: api() });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });

    expect(within(rowOf('dev')).getByText('Gate passed')).toBeInTheDocument();
    for (const name of ['staging', 'production']) {
      const row = rowOf(name);
      expect(
        within(row).getByText('Gate unknown: registry unreachable'),
      ).toBeInTheDocument();
      expect(within(row).queryByText('Gate passed')).not.toBeInTheDocument();
      // Unknown is not "not in the registry".
      expect(
        within(row).queryByText('Version not in registry'),
      ).not.toBeInTheDocument();
    }
  });

  it('says which registry fails and since when on hover', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, { api: api() });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });
    await userEvent.hover(
      within(rowOf('production')).getByText(
        'Gate unknown: registry unreachable',
      ),
    );
    expect(await screen.findByRole('tooltip')).toHaveTextContent(REASON);
  });

  it('keeps the last good metrics in the registry panel beside the unknown gate', async () => {
    await renderWithApis(<EntityMlGitopsContent />, { api: api() });
    const panel = await screen.findByRole('region', {
      name: 'Registry of production',
    });
    expect(
      within(panel).getByText('Gate unknown: registry unreachable'),
    ).toBeInTheDocument();
    const auc = within(panel).getByText('auc').closest('tr')!;
    expect(within(auc).getByText('0.95')).toBeInTheDocument();
  });
});

describe('a version MLflow has not registered (READY) yet', () => {
  // MLflow's ModelVersionStatus (mlflow/protos/model_registry.proto): a
  // version is PENDING_REGISTRATION until it becomes READY or
  // FAILED_REGISTRATION. The backend sends the state and a failed gate.
  const registering = (status: string): RegistryState => ({
    version: '13',
    exists: true,
    status,
    aliases: [],
    metrics: { auc: 0.95 },
    gate: 'failed',
    thresholds: { auc: { min: 0.92 } },
  });
  const notReady = () =>
    mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(
        deployments([
          environment('dev', {
            registry: registering('PENDING_REGISTRATION'),
          }),
          environment('staging', {
            registry: registering('FAILED_REGISTRATION'),
          }),
          environment('production', {
            registry: { ...registering('READY'), gate: 'passed' },
          }),
        ]),
      ),
    });

  it('labels the version in the registry panel with its state', async () => {
    await renderWithApis(<EntityMlGitopsContent />, { api: notReady() });
    const panel = async (name: string) => {
      await userEvent.click(await screen.findByRole('tab', { name }));
      return screen.findByRole('region', { name: `Registry of ${name}` });
    };

    const dev = await panel('dev');
    expect(within(dev).getByText('pending registration')).toBeInTheDocument();
    expect(
      within(dev).getByText('Gate blocked: registration pending'),
    ).toBeInTheDocument();
    expect(within(dev).queryByText('Gate passed')).not.toBeInTheDocument();

    const staging = await panel('staging');
    expect(
      within(staging).getByText('registration failed'),
    ).toBeInTheDocument();
    expect(
      within(staging).getByText('Gate failed: registration failed'),
    ).toBeInTheDocument();

    const production = await panel('production');
    expect(
      within(production).queryByText(/registration/),
    ).not.toBeInTheDocument();
    expect(within(production).getByText('Gate passed')).toBeInTheDocument();
  });

  it('shows the state instead of a gate in the deployments card, with what to do on hover', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, { api: notReady() });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });
    const dev = rowOf('dev');
    expect(
      within(dev).getByText('Gate blocked: registration pending'),
    ).toBeInTheDocument();
    await userEvent.hover(
      within(dev).getByText('Gate blocked: registration pending'),
    );
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'MLflow is still registering this version (PENDING_REGISTRATION); it cannot be deployed until it is READY.',
    );
  });
});
