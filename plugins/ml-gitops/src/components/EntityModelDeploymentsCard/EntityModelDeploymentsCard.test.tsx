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

import { act, screen, waitFor, within } from '@testing-library/react';
import {
  ML_GITOPS_SIGNAL_CHANNEL,
  statusSignalKey,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ResponseError } from '@backstage/errors';
import { EntityModelDeploymentsCard } from './EntityModelDeploymentsCard';
import {
  fakeSignals,
  mockMlGitopsApi,
  renderWithApis,
} from '../../__testUtils__/render';
import {
  deployments,
  entityWithoutAnnotations,
  environment,
  minutesAgo,
} from '../../__testUtils__/fixtures';

function rowOf(name: string) {
  return screen.getByRole('rowheader', { name }).closest('tr') as HTMLElement;
}

describe('EntityModelDeploymentsCard', () => {
  it('shows one row per environment in promotion order with versions, drift, gate and who deployed', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, { api });

    const table = await screen.findByRole('table', {
      name: 'Deployments of fraud-detector',
    });
    const rows = within(table).getAllByRole('rowheader');
    expect(rows.map(r => r.textContent)).toEqual([
      'dev',
      'staging',
      'production',
    ]);

    const production = rowOf('production');
    expect(within(production).getAllByText('12')).toHaveLength(2);
    expect(within(production).getByText('In sync')).toBeInTheDocument();
    expect(within(production).getByText('Synced')).toBeInTheDocument();
    expect(within(production).getByText('Healthy')).toBeInTheDocument();
    expect(within(production).getByText('Gate passed')).toBeInTheDocument();
    expect(within(production).getByText(/ada/)).toBeInTheDocument();
    expect(
      within(production).getByRole('link', { name: /Pull request #41/ }),
    ).toHaveAttribute(
      'href',
      'https://github.com/acme/fraud-detector-config/pull/41',
    );
    expect(within(production).getByText(/merged by grace/)).toBeInTheDocument();
    expect(within(production).getByText('2 hours ago')).toBeInTheDocument();
    expect(
      within(production).getByText('observed 1 minute ago'),
    ).toBeInTheDocument();
    expect(within(rowOf('dev')).getAllByText('13')).toHaveLength(2);
    expect(api.getDeployments).toHaveBeenCalledWith({
      entityRef: 'component:default/fraud-detector',
    });
  });

  it.each([
    ['progressing', 'Progressing', 'Rollout of 13 started 2 minutes ago'],
    ['drifted', 'Drifted', 'Live runs 11, Git declares 12 since 20 minutes'],
    ['unknown', 'Unknown', 'Argo CD instance main unreachable: ECONNREFUSED'],
    ['missing', 'Missing', 'No Argo CD Application has the labels'],
  ] as const)(
    'shows the %s state with its label and reason',
    async (state, label, reason) => {
      const api = mockMlGitopsApi({
        getDeployments: jest.fn().mockResolvedValue(
          deployments([
            environment('dev'),
            environment('production', {
              drift: { state, reason, since: minutesAgo(20) },
            }),
          ]),
        ),
      });
      await renderWithApis(<EntityModelDeploymentsCard />, { api });
      await screen.findByRole('table');
      const production = rowOf('production');
      expect(within(production).getByText(label)).toBeInTheDocument();
      expect(within(production).getByText(reason)).toBeInTheDocument();
      expect(
        within(production).getByText('since 20 minutes ago'),
      ).toBeInTheDocument();
      expect(within(rowOf('dev')).getByText('In sync')).toBeInTheDocument();
    },
  );

  it('keeps the other environments and the last good values when one source fails', async () => {
    const stale = environment('production', {
      live: {
        ...environment('production').live!,
        version: '11',
        observedAt: minutesAgo(42),
      },
      drift: {
        state: 'unknown',
        reason: 'Argo CD instance main unreachable since 02:00 UTC',
      },
    });
    const api = mockMlGitopsApi({
      getDeployments: jest
        .fn()
        .mockResolvedValue(
          deployments([environment('dev'), environment('staging'), stale]),
        ),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, { api });
    await screen.findByRole('table');

    const production = rowOf('production');
    expect(within(production).getByText('Unknown')).toBeInTheDocument();
    expect(
      within(production).getByText(
        'Argo CD instance main unreachable since 02:00 UTC',
      ),
    ).toBeInTheDocument();
    expect(within(production).getByText('11')).toBeInTheDocument();
    expect(
      within(production).getByText('observed 42 minutes ago'),
    ).toBeInTheDocument();
    expect(within(rowOf('dev')).getByText('In sync')).toBeInTheDocument();
    expect(within(rowOf('staging')).getByText('In sync')).toBeInTheDocument();
  });

  it('says what is missing when Git, live state or registry were never read', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(
        deployments([
          {
            name: 'production',
            declared: null,
            live: null,
            registry: null,
            drift: {
              state: 'missing',
              reason: 'No Flux object for production',
            },
          },
        ]),
      ),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, { api });
    await screen.findByRole('table');
    const production = rowOf('production');
    expect(
      within(production).getByText('Nothing declared'),
    ).toBeInTheDocument();
    expect(within(production).getByText('Not reported')).toBeInTheDocument();
    expect(
      within(production).getByText('Registry not read'),
    ).toBeInTheDocument();
    expect(
      within(production).getByText('No operator reports it'),
    ).toBeInTheDocument();
  });

  it('shows a failed gate and a version missing from the registry', async () => {
    const base = environment('staging');
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(
        deployments([
          environment('dev', {
            registry: { ...base.registry!, gate: 'failed' },
          }),
          environment('staging', {
            registry: { ...base.registry!, exists: false },
          }),
        ]),
      ),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, { api });
    await screen.findByRole('table');
    expect(within(rowOf('dev')).getByText('Gate failed')).toBeInTheDocument();
    expect(
      within(rowOf('staging')).getByText('Version not in registry'),
    ).toBeInTheDocument();
  });

  it('says so when no environment is tracked', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments([])),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, { api });
    expect(
      await screen.findByText(
        'The backend tracks no environment for model fraud-detector yet.',
      ),
    ).toBeInTheDocument();
  });

  it('shows the backend error when the first load fails', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'ServiceUnavailableError',
          message: 'Git host github.com unreachable; check integrations.github',
        },
        response: { statusCode: 503 },
      }),
      {
        status: 503,
        statusText: 'Service Unavailable',
        headers: { 'Content-Type': 'application/json' },
      },
    );
    const error = await ResponseError.fromResponse(response);
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockRejectedValue(error),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, { api });
    expect(
      await screen.findAllByText(/Git host github.com unreachable/),
    ).not.toHaveLength(0);
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('names the missing annotations with a snippet', async () => {
    const api = mockMlGitopsApi();
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api,
      entity: entityWithoutAnnotations,
    });
    expect(await screen.findAllByText(/ml-gitops\/model/)).not.toHaveLength(0);
    expect(screen.getAllByText(/ml-gitops\/config-repo/)).not.toHaveLength(0);
    expect(api.getDeployments).not.toHaveBeenCalled();
  });

  it('marks a status stale once it is older than the backend says, even while no new data arrives', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      // Polled a minute ago; the backend calls data stale after 90 s
      // (three 30 s periods). Then the poller stops: no signal, no new data.
      const api = mockMlGitopsApi({
        getDeployments: jest.fn().mockResolvedValue({
          ...deployments(),
          observedAt: minutesAgo(1),
          staleAfterSeconds: 90,
        }),
      });
      await renderWithApis(<EntityModelDeploymentsCard />, {
        api,
        signals: fakeSignals().api,
      });
      await screen.findByRole('table');
      const production = rowOf('production');
      expect(within(production).getByText('In sync')).toBeInTheDocument();
      expect(
        production.querySelector('[data-stale="true"]'),
      ).not.toBeInTheDocument();

      act(() => {
        jest.advanceTimersByTime(11 * 60_000);
      });
      const stale = await within(production).findByText(
        'In sync (stale: last observed 12 minutes ago)',
      );
      expect(stale.closest('[data-stale="true"]')).toHaveAttribute(
        'data-drift-state',
        'in-sync',
      );
      expect(within(production).queryByText('In sync')).not.toBeInTheDocument();
      expect(api.getDeployments).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('takes the older of the model poll and the operator answer', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue({
        ...deployments([
          environment('dev', {
            live: { ...environment('dev').live!, observedAt: minutesAgo(5) },
          }),
          environment('staging'),
        ]),
        observedAt: minutesAgo(1),
        staleAfterSeconds: 120,
      }),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, { api });
    await screen.findByRole('table');
    // dev: its operator last answered 5 minutes ago (e.g. Argo CD fails).
    expect(
      within(rowOf('dev')).getByText(
        'In sync (stale: last observed 5 minutes ago)',
      ),
    ).toBeInTheDocument();
    expect(within(rowOf('staging')).getByText('In sync')).toBeInTheDocument();
  });

  it('keeps showing data while a reload fails', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const api = mockMlGitopsApi({
        getDeployments: jest
          .fn()
          .mockResolvedValueOnce(deployments())
          .mockRejectedValueOnce(new Error('Network down')),
      });
      await renderWithApis(<EntityModelDeploymentsCard />, { api });
      await screen.findByRole('table');
      jest.advanceTimersByTime(30_000);
      expect(
        await screen.findByText(
          'Could not reload: Network down. Showing the last data received.',
        ),
      ).toBeInTheDocument();
      expect(screen.getByRole('table')).toBeInTheDocument();
      await waitFor(() => expect(api.getDeployments).toHaveBeenCalledTimes(2));
    } finally {
      jest.useRealTimers();
    }
  });

  it('reloads on a status signal for this entity, keeping the table on screen', async () => {
    const signals = fakeSignals();
    let resolveSecond: (value: unknown) => void = () => {};
    const api = mockMlGitopsApi({
      getDeployments: jest
        .fn()
        .mockResolvedValueOnce(deployments())
        .mockImplementationOnce(
          () => new Promise(resolve => (resolveSecond = resolve)),
        ),
    });
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api,
      signals: signals.api,
    });
    await screen.findByRole('table');

    // Signals carry an opaque key, not the entity ref.
    act(() =>
      signals.publish(ML_GITOPS_SIGNAL_CHANNEL, {
        keys: [statusSignalKey('component:default/other-model')],
      }),
    );
    expect(api.getDeployments).toHaveBeenCalledTimes(1);

    act(() =>
      signals.publish(ML_GITOPS_SIGNAL_CHANNEL, {
        keys: [
          statusSignalKey('component:default/other-model'),
          statusSignalKey('component:default/fraud-detector'),
        ],
      }),
    );
    await waitFor(() => expect(api.getDeployments).toHaveBeenCalledTimes(2));
    // While the reload runs the old rows stay.
    expect(
      within(rowOf('production')).getByText('In sync'),
    ).toBeInTheDocument();

    await act(async () =>
      resolveSecond(
        deployments([
          environment('production', {
            drift: {
              state: 'drifted',
              reason: 'Live runs 11, Git declares 12',
            },
          }),
        ]),
      ),
    );
    expect(
      await within(rowOf('production')).findByText('Drifted'),
    ).toBeInTheDocument();

    // A backend from before batched signals sends one key.
    act(() =>
      signals.publish(ML_GITOPS_SIGNAL_CHANNEL, {
        key: statusSignalKey('component:default/fraud-detector'),
      }),
    );
    await waitFor(() => expect(api.getDeployments).toHaveBeenCalledTimes(3));
  });
});
