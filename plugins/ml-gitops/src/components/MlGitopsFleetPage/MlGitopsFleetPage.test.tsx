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
import { ResponseError } from '@backstage/errors';
import { Route, Routes, useLocation } from 'react-router-dom';
import type { DeploymentsResponse } from '@ml-gitops/plugin-ml-gitops-common';
import { MlGitopsFleetPage } from './MlGitopsFleetPage';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import { environment, minutesAgo } from '../../__testUtils__/fixtures';

function model(
  name: string,
  states: Record<
    string,
    'in-sync' | 'progressing' | 'drifted' | 'unknown' | 'missing'
  >,
): DeploymentsResponse {
  return {
    entityRef: `component:default/${name}`,
    model: name,
    environments: Object.entries(states).map(([env, state]) =>
      environment(env, {
        drift: {
          state,
          since: minutesAgo(10),
          reason: `${name} ${env} is ${state}`,
        },
      }),
    ),
  };
}

const fleet = [
  model('churn', { dev: 'in-sync', staging: 'in-sync', production: 'in-sync' }),
  model('fraud-detector', {
    dev: 'in-sync',
    staging: 'progressing',
    production: 'drifted',
  }),
  model('ranker', {
    dev: 'missing',
    staging: 'unknown',
    production: 'in-sync',
  }),
];

function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location">{location.pathname}</div>;
}

function modelNames() {
  const table = screen.getByRole('table', { name: 'Models by environment' });
  return within(table)
    .queryAllByRole('rowheader')
    .map(cell => within(cell).getByRole('link').textContent);
}

async function choose(label: string, option: string) {
  await userEvent.click(
    screen.getByRole('button', { name: new RegExp(`^${label}`) }),
  );
  await userEvent.click(await screen.findByRole('option', { name: option }));
}

describe('MlGitopsFleetPage', () => {
  it('shows every model × environment, drifted first, linking to entity pages', async () => {
    const api = mockMlGitopsApi({
      getFleet: jest
        .fn()
        .mockResolvedValueOnce({
          items: fleet.slice(0, 2),
          nextCursor: 'page-2',
        })
        .mockResolvedValueOnce({ items: fleet.slice(2) }),
    });
    await renderWithApis(<MlGitopsFleetPage />, { api, entity: null });

    await screen.findByRole('table', { name: 'Models by environment' });
    expect(api.getFleet).toHaveBeenNthCalledWith(1, {
      limit: 100,
      cursor: undefined,
    });
    expect(api.getFleet).toHaveBeenNthCalledWith(2, {
      limit: 100,
      cursor: 'page-2',
    });
    expect(modelNames()).toEqual(['fraud-detector', 'ranker', 'churn']);
    expect(
      screen.getByRole('link', { name: 'fraud-detector' }),
    ).toHaveAttribute('href', '/catalog/default/component/fraud-detector');
    const headers = screen.getAllByRole('columnheader').map(h => h.textContent);
    expect(headers).toEqual(['Model', 'dev', 'staging', 'production']);

    const fraud = screen
      .getByRole('link', { name: 'fraud-detector' })
      .closest('tr')!;
    expect(within(fraud).getByText('Drifted')).toBeInTheDocument();
    expect(within(fraud).getByText('Progressing')).toBeInTheDocument();
    expect(within(fraud).getAllByText('Git 12 · live 12')).toHaveLength(3);

    const counts = screen.getByLabelText('Environments by drift state');
    expect(counts).toHaveTextContent('1 drifted');
    expect(counts).toHaveTextContent('1 unknown');
    expect(counts).toHaveTextContent('1 missing');
    expect(counts).toHaveTextContent('5 in sync');
  });

  it('says in a cell when the live version does not really serve', async () => {
    const failing = environment('production', {
      drift: {
        state: 'drifted',
        since: minutesAgo(3),
        reason: 'the predictor fails',
      },
    });
    failing.live = {
      ...failing.live!,
      serving: {
        state: 'failed',
        since: minutesAgo(3),
        failure: { reason: 'ModelLoadFailed', message: 'no such file' },
        cluster: 'prod-eu',
        namespace: 'ml-production',
        name: 'fraud-detector',
        basis: 'model-status',
      },
    };
    const api = mockMlGitopsApi({
      getFleet: jest.fn().mockResolvedValue({
        items: [
          {
            entityRef: 'component:default/fraud-detector',
            model: 'fraud-detector',
            environments: [environment('dev'), failing],
          },
        ],
      }),
    });
    await renderWithApis(<MlGitopsFleetPage />, { api, entity: null });
    await screen.findByRole('table', { name: 'Models by environment' });
    const row = screen
      .getByRole('link', { name: 'fraud-detector' })
      .closest('tr')!;
    const cells = within(row).getAllByRole('cell');
    expect(cells[0]).not.toHaveTextContent('Not serving');
    expect(cells[1]).toHaveTextContent('Not serving: the predictor fails');
    expect(cells[1]).toHaveTextContent('ModelLoadFailed: no such file');
  });

  it('marks a model stale when its last poll is older than the backend says', async () => {
    const api = mockMlGitopsApi({
      getFleet: jest.fn().mockResolvedValue({
        items: [
          { ...fleet[0], observedAt: minutesAgo(12), staleAfterSeconds: 90 },
          {
            ...fleet[1],
            observedAt: new Date().toISOString(),
            staleAfterSeconds: 90,
          },
        ],
      }),
    });
    await renderWithApis(<MlGitopsFleetPage />, { api, entity: null });
    await screen.findByRole('table', { name: 'Models by environment' });
    const churn = screen.getByRole('link', { name: 'churn' }).closest('tr')!;
    expect(
      within(churn).getAllByText(
        'In sync (stale: last observed 12 minutes ago)',
      ),
    ).toHaveLength(3);
    const fraud = screen
      .getByRole('link', { name: 'fraud-detector' })
      .closest('tr')!;
    expect(fraud.querySelector('[data-stale="true"]')).not.toBeInTheDocument();
  });

  it('filters by drift state and environment', async () => {
    const api = mockMlGitopsApi({
      getFleet: jest.fn().mockResolvedValue({ items: fleet }),
    });
    await renderWithApis(<MlGitopsFleetPage />, { api, entity: null });
    await screen.findByRole('table', { name: 'Models by environment' });

    await choose('Drift state', 'Unknown');
    expect(modelNames()).toEqual(['ranker']);

    await choose('Drift state', 'All states');
    await choose('Environment', 'production');
    expect(screen.getAllByRole('columnheader').map(h => h.textContent)).toEqual(
      ['Model', 'production'],
    );
    expect(modelNames()).toEqual(['fraud-detector', 'ranker', 'churn']);

    await choose('Drift state', 'Drifted');
    expect(modelNames()).toEqual(['fraud-detector']);

    await choose('Drift state', 'Missing');
    expect(modelNames()).toEqual([]);
    expect(
      screen.getByText('No model matches these filters.'),
    ).toBeInTheDocument();
  }, 30_000);

  it('says so when no model is tracked', async () => {
    const api = mockMlGitopsApi({
      getFleet: jest.fn().mockResolvedValue({ items: [] }),
    });
    await renderWithApis(<MlGitopsFleetPage />, { api, entity: null });
    expect(
      await screen.findByText(/No model is tracked yet/),
    ).toBeInTheDocument();
  });

  it('falls back to the drift list when the backend has no fleet endpoint', async () => {
    const notFound = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: { name: 'NotFoundError', message: 'Not found' },
        }),
        {
          status: 404,
          statusText: 'Not Found',
          headers: { 'Content-Type': 'application/json' },
        },
      ),
    );
    const api = mockMlGitopsApi({
      getFleet: jest.fn().mockRejectedValue(notFound),
      getDrift: jest.fn().mockResolvedValue({
        items: [
          {
            entityRef: 'component:default/fraud-detector',
            environment: 'production',
            drift: { state: 'drifted', reason: 'live 11, Git 12' },
          },
        ],
      }),
    });
    await renderWithApis(<MlGitopsFleetPage />, { api, entity: null });
    expect(
      await screen.findByText(
        /only environments that are not in sync are listed/,
      ),
    ).toBeInTheDocument();
    expect(modelNames()).toEqual(['fraud-detector']);
    expect(screen.getByText('Drifted')).toBeInTheDocument();
  });

  it('shows the error when the fleet cannot be loaded', async () => {
    const api = mockMlGitopsApi({
      getFleet: jest.fn().mockRejectedValue(new Error('Database unavailable')),
    });
    await renderWithApis(<MlGitopsFleetPage />, { api, entity: null });
    expect(await screen.findAllByText(/Database unavailable/)).not.toHaveLength(
      0,
    );
    expect(api.getDrift).not.toHaveBeenCalled();
  });
});

describe('MlGitopsFleetPage with ?entity= (a notification link)', () => {
  function renderAt(url: string) {
    const api = mockMlGitopsApi({
      getFleet: jest.fn().mockResolvedValue({ items: fleet }),
    });
    return renderWithApis(
      <Routes>
        <Route path="/ml-gitops" element={<MlGitopsFleetPage />} />
        <Route
          path="/catalog/:namespace/:kind/:name/ml-gitops"
          element={<LocationProbe />}
        />
      </Routes>,
      { api, entity: null, routeEntries: [url] },
    );
  }

  it("leads to the model's tab through the catalog's entity route", async () => {
    await renderAt('/ml-gitops?entity=Component%3Adefault%2Ffraud-detector');
    expect(await screen.findByTestId('location')).toHaveTextContent(
      '/catalog/default/component/fraud-detector/ml-gitops',
    );
  });

  it('says what is wrong with a link that names no entity, and shows the fleet', async () => {
    await renderAt('/ml-gitops?entity=not%20a%20ref%3A');
    expect(
      await screen.findByText(/This link names no catalog entity/),
    ).toBeInTheDocument();
    await screen.findByRole('table', { name: 'Models by environment' });
    expect(screen.queryByTestId('location')).not.toBeInTheDocument();
  });
});
