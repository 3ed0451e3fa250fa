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
import type { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { EntityModelDeploymentsCard } from '../EntityModelDeploymentsCard';
import { EntityMlGitopsContent } from '../EntityMlGitopsContent';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import { deployments, environment } from '../../__testUtils__/fixtures';

/*
 * Serving states as the backend reads them from KServe InferenceServices
 * (status.modelStatus, the Ready and PredictorReady conditions, traffic).
 */
const object = { cluster: 'prod-eu', name: 'fraud-detector' };

const crashLooping: ServingStatus = {
  ...object,
  namespace: 'ml-dev',
  state: 'failed',
  since: new Date().toISOString(),
  failure: {
    reason: 'ModelLoadFailed',
    message:
      'OSError: libgomp.so.1: cannot open shared object file (exit code 1)',
  },
  readyRevision: 'fraud-detector-predictor-00011',
  basis: 'model-status',
};

const canary: ServingStatus = {
  ...object,
  namespace: 'ml-staging',
  state: 'serving',
  readyRevision: 'fraud-detector-predictor-00007',
  trafficPercent: 10,
  storageUri: 's3://models/fraud-detector/12',
  basis: 'model-status',
};

const olderKserve: ServingStatus = {
  ...object,
  namespace: 'ml-production',
  state: 'serving',
  readyRevision: 'fraud-detector-predictor-00003',
  trafficPercent: 100,
  basis: 'ready-condition',
};

function api(
  serving: Record<'dev' | 'staging' | 'production', ServingStatus | undefined>,
) {
  const env = (name: 'dev' | 'staging' | 'production') => {
    const base = environment(name);
    return {
      ...base,
      live: {
        ...base.live!,
        ...(serving[name] ? { serving: serving[name] } : {}),
      },
    };
  };
  return mockMlGitopsApi({
    getDeployments: jest
      .fn()
      .mockResolvedValue(
        deployments([env('dev'), env('staging'), env('production')]),
      ),
  });
}

function rowOf(name: string) {
  return screen.getByRole('rowheader', { name }).closest('tr') as HTMLElement;
}

describe('whether the live version serves, in the views', () => {
  it('shows a failing predictor with its reason, a canary share and the older-KServe hint on the card', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api: api({
        dev: crashLooping,
        staging: canary,
        production: olderKserve,
      }),
    });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });

    const dev = rowOf('dev');
    expect(
      within(dev).getByText('Not serving: the predictor fails'),
    ).toBeInTheDocument();
    expect(
      within(dev).getByText(
        'ModelLoadFailed: OSError: libgomp.so.1: cannot open shared object file (exit code 1)',
      ),
    ).toBeInTheDocument();

    const staging = rowOf('staging');
    expect(
      within(staging).getByText('Serving, 10% of traffic'),
    ).toBeInTheDocument();
    expect(within(staging).queryByText(/Readiness only/)).toBeNull();

    const production = rowOf('production');
    expect(within(production).getByText('Serving')).toBeInTheDocument();
    expect(
      within(production).getByText('Readiness only: no model status'),
    ).toHaveAttribute(
      'title',
      'This KServe reports no model status: judged by the Ready condition alone, without the model load state',
    );
  });

  it('names the serving object, its ready revision and model on hover', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api: api({ dev: undefined, staging: canary, production: undefined }),
    });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });
    await userEvent.hover(
      within(rowOf('staging')).getByText('Serving, 10% of traffic'),
    );
    expect(
      await screen.findByRole('tooltip', {
        name: 'InferenceService ml-staging/fraud-detector on prod-eu, ready revision fraud-detector-predictor-00007, model s3://models/fraud-detector/12',
      }),
    ).toBeInTheDocument();
  });

  it('says what a rollout waits for, and shows nothing without a serving object', async () => {
    await renderWithApis(<EntityModelDeploymentsCard />, {
      api: api({
        dev: {
          ...canary,
          state: 'rolling-out',
          trafficPercent: 100,
          message:
            'revision fraud-detector-predictor-00008 is not ready yet, the model is Loading',
        },
        staging: undefined,
        production: undefined,
      }),
    });
    await screen.findByRole('table', { name: 'Deployments of fraud-detector' });
    const dev = rowOf('dev');
    expect(within(dev).getByText('Rolling out')).toBeInTheDocument();
    expect(
      within(dev).getByText(
        'revision fraud-detector-predictor-00008 is not ready yet, the model is Loading',
      ),
    ).toBeInTheDocument();
    expect(
      within(rowOf('staging')).queryByText(/Serving|Rolling out|Not serving/),
    ).toBeNull();
  });

  it('shows the serving state in the pipeline columns of the tab', async () => {
    await renderWithApis(<EntityMlGitopsContent />, {
      api: api({ dev: crashLooping, staging: canary, production: undefined }),
    });
    const pipeline = await screen.findByRole('group', {
      name: 'Promotion pipeline',
    });
    const [dev, staging, production] = within(pipeline).getAllByRole('region', {
      name: /^Environment /,
    });
    expect(
      within(dev).getByText('Not serving: the predictor fails'),
    ).toBeInTheDocument();
    expect(
      within(dev).getByText(/^ModelLoadFailed: OSError/),
    ).toBeInTheDocument();
    expect(
      within(staging).getByText('Serving, 10% of traffic'),
    ).toBeInTheDocument();
    expect(within(production).queryByText(/^Serving/)).toBeNull();
  });
});
