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

import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { EntityModelDriftCard } from './EntityModelDriftCard';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import {
  deployments,
  entityWithoutAnnotations,
  environment,
  minutesAgo,
} from '../../__testUtils__/fixtures';

const drifted = environment('production', {
  live: { ...environment('production').live!, version: '11' },
  drift: {
    state: 'drifted',
    since: minutesAgo(30),
    reason: 'Live runs 11, Git declares 12 for 30 minutes',
  },
});
const unknown = environment('staging', {
  drift: { state: 'unknown', reason: 'MLflow mlflow-default unreachable: 503' },
});
const missing = environment('dev', {
  live: null,
  drift: { state: 'missing' },
});
const progressing = environment('dev', {
  drift: { state: 'progressing', since: minutesAgo(2), reason: 'Syncing 13' },
});

describe('EntityModelDriftCard', () => {
  it('tells what to do when the declared version is applied but its predictor fails', async () => {
    const failing = environment('production', {
      live: {
        ...environment('production').live!,
        serving: {
          state: 'failed',
          failure: {
            reason: 'ModelLoadFailed',
            message: 'OSError: libgomp.so.1 (exit code 1)',
          },
          basis: 'model-status',
          cluster: 'prod-eu',
          namespace: 'ml-production',
          name: 'fraud-detector',
        },
      },
      drift: {
        state: 'drifted',
        since: minutesAgo(30),
        reason:
          'the predictor fails: ModelLoadFailed: OSError: libgomp.so.1 (exit code 1) for 30m, longer than the grace period of 5m',
      },
    });
    await renderWithApis(<EntityModelDriftCard />, {
      api: mockMlGitopsApi({
        getDeployments: jest.fn().mockResolvedValue(deployments([failing])),
      }),
    });
    const [episode] = await screen.findAllByRole('region', {
      name: /^Drift in /,
    });
    expect(
      within(episode).getByText(
        "Git's version 12 is applied but does not serve. Look at the InferenceService ml-production/fraud-detector on prod-eu (its events and the predictor's logs); fix the model or its runtime, or roll back to the previous version.",
      ),
    ).toBeInTheDocument();
    expect(within(episode).queryByText(/so Git wins again/)).toBeNull();
  });

  it('lists each environment that is not in sync, most urgent first, with why and what to do', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest
        .fn()
        .mockResolvedValue(deployments([missing, unknown, drifted])),
    });
    await renderWithApis(<EntityModelDriftCard />, { api });

    const episodes = await screen.findAllByRole('region', {
      name: /^Drift in /,
    });
    expect(episodes.map(e => e.getAttribute('aria-label'))).toEqual([
      'Drift in production',
      'Drift in staging',
      'Drift in dev',
    ]);

    const production = episodes[0];
    expect(within(production).getByText('Drifted')).toBeInTheDocument();
    expect(
      within(production).getByText('since 30 minutes ago'),
    ).toBeInTheDocument();
    expect(
      within(production).getByText(
        'Live runs 11, Git declares 12 for 30 minutes',
      ),
    ).toBeInTheDocument();
    expect(
      within(production).getByText(/Git declares 12, live runs 11/),
    ).toBeInTheDocument();
    expect(
      within(production).getByText(
        'Argo CD Application fraud-detector-production on instance main',
      ),
    ).toBeInTheDocument();
    expect(
      within(production).getByText(/sync in Argo CD so Git wins again/),
    ).toBeInTheDocument();

    expect(within(episodes[1]).getByText('Unknown')).toBeInTheDocument();
    expect(
      within(episodes[1]).getByText('MLflow mlflow-default unreachable: 503'),
    ).toBeInTheDocument();

    expect(within(episodes[2]).getByText('Missing')).toBeInTheDocument();
    expect(
      within(episodes[2]).getByText(/nothing reported/),
    ).toBeInTheDocument();
    expect(
      within(episodes[2]).getByText(
        /carries the labels ml-gitops\/model: fraud-detector and ml-gitops\/environment: dev/,
      ),
    ).toBeInTheDocument();
  });

  it('shows a progressing rollout', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments([progressing])),
    });
    await renderWithApis(<EntityModelDriftCard />, { api });
    const episode = await screen.findByRole('region', { name: 'Drift in dev' });
    expect(within(episode).getByText('Progressing')).toBeInTheDocument();
    expect(within(episode).getByText('Syncing 13')).toBeInTheDocument();
    expect(
      within(episode).getByText(/A change is rolling out/),
    ).toBeInTheDocument();
  });

  it('links to the operator object when the backend sends its URL', async () => {
    const withUrl = {
      ...drifted,
      live: {
        ...drifted.live!,
        url: 'https://argocd.example.com/applications/fraud-detector-production',
      },
    };
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments([withUrl])),
    });
    await renderWithApis(<EntityModelDriftCard />, { api });
    expect(
      await screen.findByRole('link', {
        name: /Argo CD Application fraud-detector-production on instance main/,
      }),
    ).toHaveAttribute(
      'href',
      'https://argocd.example.com/applications/fraud-detector-production',
    );
  });

  it('says all is well when every environment is in sync', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
    });
    await renderWithApis(<EntityModelDriftCard />, { api });
    expect(
      await screen.findByText('Every environment runs what Git declares.'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('region', { name: /^Drift in/ }),
    ).not.toBeInTheDocument();
  });

  it('refreshes on demand and reloads', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest
        .fn()
        .mockResolvedValueOnce(deployments([drifted]))
        .mockResolvedValueOnce(deployments()),
    });
    await renderWithApis(<EntityModelDriftCard />, { api });
    await screen.findByRole('region', { name: 'Drift in production' });

    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));

    expect(api.refresh).toHaveBeenCalledWith({
      entityRef: 'component:default/fraud-detector',
    });
    expect(
      await screen.findByText('Every environment runs what Git declares.'),
    ).toBeInTheDocument();
    expect(api.getDeployments).toHaveBeenCalledTimes(2);
  });

  it('disables Refresh and says why when permission is denied', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments([drifted])),
    });
    await renderWithApis(<EntityModelDriftCard />, {
      api,
      permission: AuthorizeResult.DENY,
    });
    await screen.findByRole('region', { name: 'Drift in production' });
    const button = screen.getByRole('button', { name: 'Refresh' });
    await waitFor(() => expect(button).toBeDisabled());
    await userEvent.hover(button.parentElement!);
    expect(
      await screen.findByText(
        'You are not allowed to refresh this model (ml-gitops.deployment.refresh).',
      ),
    ).toBeInTheDocument();
  });

  it('shows the error of a failed first load', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockRejectedValue(new Error('Backend down')),
    });
    await renderWithApis(<EntityModelDriftCard />, { api });
    expect(await screen.findAllByText(/Backend down/)).not.toHaveLength(0);
  });

  it('names the missing annotations', async () => {
    const api = mockMlGitopsApi();
    await renderWithApis(<EntityModelDriftCard />, {
      api,
      entity: entityWithoutAnnotations,
    });
    expect(await screen.findByText('Model drift')).toBeInTheDocument();
    expect(screen.getAllByText(/ml-gitops\/config-repo/)).not.toHaveLength(0);
    expect(api.getDeployments).not.toHaveBeenCalled();
  });
});
