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
import { mlGitopsTabChanges } from '@ml-gitops/plugin-ml-gitops-common';
import type { GetHistoryOptions } from '../../api';
import { EntityMlGitopsContent } from './EntityMlGitopsContent';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import {
  auditDeployment,
  deployment,
  deployments,
  minutesAgo,
  entityWithoutAnnotations,
  environment,
  ENTITY_REF,
} from '../../__testUtils__/fixtures';

function historyOf(total: number) {
  const all = Array.from({ length: total }, (_, i) => deployment(i));
  return jest.fn(async (options: GetHistoryOptions) => {
    const offset = options.offset ?? 0;
    return { items: all.slice(offset, offset + (options.limit ?? 50)) };
  });
}

function formDataOf(href: string | null) {
  const url = new URL(href!, 'http://localhost');
  return {
    path: url.pathname,
    formData: JSON.parse(url.searchParams.get('formData')!),
  };
}

describe('EntityMlGitopsContent', () => {
  it('shows the pipeline in promotion order with versions and status', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory: historyOf(3),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });

    const pipeline = await screen.findByRole('group', {
      name: 'Promotion pipeline',
    });
    const columns = within(pipeline).getAllByRole('region', {
      name: /^Environment /,
    });
    expect(columns.map(c => c.getAttribute('aria-label'))).toEqual([
      'Environment dev',
      'Environment staging',
      'Environment production',
    ]);
    expect(within(columns[0]).getAllByText('13')).toHaveLength(2);
    expect(within(columns[2]).getAllByText('12')).toHaveLength(2);
    expect(within(columns[2]).getByText('In sync')).toBeInTheDocument();
    expect(within(columns[2]).getByText('Gate passed')).toBeInTheDocument();
  });

  it('opens the promote and rollback templates with the entity and environments prefilled', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });

    const promote = await screen.findByRole('button', {
      name: 'Promote to staging',
    });
    await waitFor(() => expect(promote).toHaveAttribute('href'));
    expect(formDataOf(promote.getAttribute('href'))).toEqual({
      path: '/create/templates/default/ml-gitops-promote',
      formData: {
        entityRef: ENTITY_REF,
        sourceEnvironment: 'dev',
        targetEnvironment: 'staging',
      },
    });
  });

  it('shows where a rollback goes and what changes before opening the template with that version', async () => {
    // production: 9 → 10 → 11 → 12, rolled back to 11 (the seeded story).
    const items = [
      deployment(0, { kind: 'rollback', version: '11', previousVersion: '12' }),
      deployment(1, {
        kind: 'promotion',
        version: '12',
        previousVersion: '11',
      }),
      deployment(2, {
        kind: 'promotion',
        version: '11',
        previousVersion: '10',
      }),
      deployment(3, { kind: 'promotion', version: '10', previousVersion: '9' }),
    ];
    const getHistory = jest.fn().mockResolvedValue({ items });
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory,
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });

    const rollback = await screen.findByRole('button', {
      name: 'Roll back production',
    });
    await waitFor(() => expect(rollback).toBeEnabled());
    await userEvent.click(rollback);
    const dialog = await screen.findByRole('dialog', {
      name: 'Roll back production',
    });
    expect(
      await within(dialog).findByText(/Rolls production back from version/),
    ).toHaveTextContent(
      'Rolls production back from version 11 to 10: the newest earlier version that served there and was not itself rolled back from.',
    );
    expect(
      within(dialog).getByText('Skips 12: rolled back from before.'),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText(
        'The pull request holds one commit that sets model_version to 10 in the manifest; nothing else changes.',
      ),
    ).toBeInTheDocument();
    const proceed = within(dialog).getByRole('button', {
      name: 'Continue to 10',
    });
    expect(formDataOf(proceed.getAttribute('href'))).toEqual({
      path: '/create/templates/default/ml-gitops-rollback',
      formData: {
        entityRef: ENTITY_REF,
        environment: 'production',
        toVersion: '10',
      },
    });
  });

  it('previews a rollback of a plain promotion as a git revert of it', async () => {
    const items = [
      deployment(0, {
        kind: 'promotion',
        version: '13',
        previousVersion: '12',
      }),
      deployment(1, { kind: 'deploy', version: '12', previousVersion: '11' }),
    ];
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory: jest.fn().mockResolvedValue({ items }),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    const rollback = await screen.findByRole('button', {
      name: 'Roll back production',
    });
    await waitFor(() => expect(rollback).toBeEnabled());
    await userEvent.click(rollback);
    const dialog = await screen.findByRole('dialog');
    expect(
      await within(dialog).findByText(/The pull request holds a git revert of/),
    ).toHaveTextContent(
      'The pull request holds a git revert of 0000000 (the promotion of 13 by author-0); nothing else changes.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Cancel' }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it('says while the backend still reads older history of the environment', async () => {
    const items = [
      deployment(0, { kind: 'deploy', version: '12', previousVersion: '11' }),
    ];
    const getHistory = jest
      .fn()
      .mockResolvedValue({ items, readingOlderHistory: ['production'] });
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory,
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    expect(
      await screen.findByText(
        'Older deployments of production are still being read from the config repo; they appear here as the backend reaches them.',
      ),
    ).toBeInTheDocument();
  });

  it('disables a promotion that changes nothing and says why', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    const promote = await screen.findByRole('button', {
      name: 'Promote to production',
    });
    await waitFor(() => expect(promote).toBeDisabled());
    await userEvent.hover(promote.parentElement!);
    expect(
      await screen.findByText('production already declares version 12.'),
    ).toBeInTheDocument();
  });

  it.each(Object.entries(mlGitopsTabChanges))(
    'disables only the %s button when the policy denies its permission, and enables it when allowed',
    async (kind, change) => {
      const api = mockMlGitopsApi({
        getDeployments: jest.fn().mockResolvedValue(deployments()),
      });
      await renderWithApis(<EntityMlGitopsContent />, {
        api,
        permission: request =>
          request.permission.name === change.permission.name
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      });
      const denied = await screen.findByRole('button', {
        name:
          kind === 'promote' ? 'Promote to staging' : 'Roll back production',
      });
      const other = screen.getByRole('button', {
        name:
          kind === 'promote' ? 'Roll back production' : 'Promote to staging',
      });
      await waitFor(() => expect(denied).toBeDisabled());
      await waitFor(() => expect(other).toBeEnabled());
    },
  );

  it('disables Promote and Rollback with the reason when permission is denied', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
    });
    await renderWithApis(<EntityMlGitopsContent />, {
      api,
      permission: AuthorizeResult.DENY,
    });
    const promote = await screen.findByRole('button', {
      name: 'Promote to staging',
    });
    const rollback = screen.getByRole('button', { name: 'Roll back dev' });
    await waitFor(() => expect(promote).toBeDisabled());
    expect(rollback).toBeDisabled();
    expect(promote).not.toHaveAttribute('href');

    await userEvent.hover(promote.parentElement!);
    expect(
      await screen.findByText(
        'You are not allowed to promote this model (ml-gitops.deployment.promote).',
      ),
    ).toBeInTheDocument();
    await userEvent.unhover(promote.parentElement!);
    await userEvent.hover(rollback.parentElement!);
    expect(
      await screen.findByText(
        'You are not allowed to roll back this model (ml-gitops.deployment.rollback).',
      ),
    ).toBeInTheDocument();
  });

  it('says so when the scaffolder is not installed', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api, scaffolder: false });
    const rollback = await screen.findByRole('button', {
      name: 'Roll back production',
    });
    await waitFor(() => expect(rollback).toBeDisabled());
    await userEvent.hover(rollback.parentElement!);
    expect(
      await screen.findByText(
        /The scaffolder is not installed in this Backstage app/,
      ),
    ).toBeInTheDocument();
  });

  it('pages a long history of 500 deployments, 20 rows at a time', async () => {
    const getHistory = historyOf(500);
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory,
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });

    expect(
      await screen.findByText('Deployment history of production'),
    ).toBeInTheDocument();
    expect(getHistory).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      environment: 'production',
      limit: 100,
      offset: 0,
    });

    expect(await screen.findByText('author-0')).toBeInTheDocument();
    expect(screen.getByText('author-19')).toBeInTheDocument();
    expect(screen.queryByText('author-20')).not.toBeInTheDocument();

    await userEvent.click(
      screen.getAllByRole('button', { name: /next page/i })[0],
    );
    expect(await screen.findByText('author-20')).toBeInTheDocument();
    expect(screen.queryByText('author-0')).not.toBeInTheDocument();

    // Older deployments come from the backend 100 at a time.
    await userEvent.click(
      screen.getByRole('button', { name: 'Load older deployments' }),
    );
    await waitFor(() =>
      expect(getHistory).toHaveBeenCalledWith(
        expect.objectContaining({ offset: 100, limit: 100 }),
      ),
    );
    // The page of the table stays; the rows are not blanked while loading.
    expect(screen.getByText('author-20')).toBeInTheDocument();
  }, 30_000);

  it('shows each deployment with kind, version change, reviewer, PR and time to serve', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory: jest.fn().mockResolvedValue({
        items: [
          deployment(0, {
            kind: 'rollback',
            version: '11',
            previousVersion: '12',
            author: 'linus',
            reason: 'AUC dropped on live traffic',
            timeToServeSeconds: 200,
            pullRequest: {
              number: 77,
              url: 'https://github.com/acme/fraud-detector-config/pull/77',
              mergedBy: 'grace',
              reviewers: ['grace', 'alan'],
            },
          }),
          deployment(1, {
            kind: 'rollback',
            version: '10',
            previousVersion: '11',
            timeToServeSeconds: 420,
          }),
          deployment(2, {
            kind: 'deploy',
            timeToServeSeconds: undefined,
            servingAt: undefined,
            pullRequest: undefined,
          }),
        ],
      }),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    const row = (await screen.findByText('linus')).closest('tr')!;
    expect(within(row).getByText('Rollback')).toBeInTheDocument();
    expect(
      within(row).getByText('Reason: AUC dropped on live traffic'),
    ).toBeInTheDocument();
    expect(within(row).getByText('12 → 11')).toBeInTheDocument();
    expect(within(row).getByText('grace, alan')).toBeInTheDocument();
    expect(
      within(row).getByRole('link', { name: /Pull request #77/ }),
    ).toHaveAttribute(
      'href',
      'https://github.com/acme/fraud-detector-config/pull/77',
    );
    expect(within(row).getByText('3 min 20 s')).toBeInTheDocument();
    const slowRollback = screen.getByText('author-1').closest('tr')!;
    expect(within(slowRollback).getByText('7 min')).toBeInTheDocument();
    expect(screen.getByText('not serving yet')).toBeInTheDocument();
    expect(screen.getByText(/direct commit/)).toBeInTheDocument();

    const chart = screen.getByRole('img', {
      name: /Time to serve of the last 2 deployments; rollback target 5 min/,
    });
    expect(within(chart).getAllByTestId('time-to-serve-bar')).toHaveLength(2);
    expect(
      within(chart).getByTestId('rollback-target-line'),
    ).toBeInTheDocument();
    expect(
      within(chart).getByText('rollback target 5 min'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Rollbacks: median 5 min 10 s, 1 of 2 over the 5 min target.',
      ),
    ).toBeInTheDocument();
  });

  it('shows the registry panel with aliases, gate and metrics against thresholds', async () => {
    const production = environment('production');
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(
        deployments([
          environment('dev'),
          {
            ...production,
            registry: {
              ...production.registry!,
              stage: 'Production',
              aliases: ['champion', 'prod'],
              gate: 'failed',
              metrics: { auc: 0.9, latency_p95_ms: 31 },
              // Proposed contract additions, shown when the backend sends them.
              thresholds: { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } },
              runUrl: 'https://mlflow.example.com/#/experiments/1/runs/abc',
            } as typeof production.registry,
          },
        ]),
      ),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    const panel = await screen.findByRole('region', {
      name: 'Registry of production',
    });
    expect(within(panel).getByText('champion')).toBeInTheDocument();
    expect(within(panel).getByText('prod')).toBeInTheDocument();
    expect(within(panel).getByText('Gate failed')).toBeInTheDocument();
    expect(within(panel).getByText(/stage Production/)).toBeInTheDocument();
    expect(
      within(panel).getByRole('link', { name: /Training run/ }),
    ).toHaveAttribute(
      'href',
      'https://mlflow.example.com/#/experiments/1/runs/abc',
    );
    const auc = within(panel).getByText('auc').closest('tr')!;
    expect(within(auc).getByText('0.9')).toBeInTheDocument();
    expect(within(auc).getByText('≥ 0.92')).toBeInTheDocument();
    expect(within(auc).getByText('misses')).toBeInTheDocument();
    const latency = within(panel).getByText('latency_p95_ms').closest('tr')!;
    expect(within(latency).getByText('meets')).toBeInTheDocument();
  });

  it('switches environment and loads its history', async () => {
    const getHistory = historyOf(2);
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory,
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    await userEvent.click(await screen.findByRole('tab', { name: 'staging' }));
    expect(
      await screen.findByRole('region', { name: 'Registry of staging' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(getHistory).toHaveBeenCalledWith(
        expect.objectContaining({ environment: 'staging' }),
      ),
    );
  });

  it("shows the chosen environment's delivery metrics and the model's audit export", async () => {
    const getAuditEvents = jest.fn(
      async (options: { from: string; to: string }) => ({
        from: options.from,
        to: options.to,
        items: [
          auditDeployment({ at: minutesAgo(60 * 24), environment: 'staging' }),
          auditDeployment({ at: minutesAgo(60 * 48) }),
        ],
      }),
    );
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getAuditEvents,
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    expect(
      await screen.findByText('production, the last 30 days'),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('1 deployment in 30 days'),
    ).toBeInTheDocument();
    expect(getAuditEvents).toHaveBeenCalledWith(
      expect.objectContaining({ entityRef: ENTITY_REF }),
    );
    expect(
      screen.getByRole('button', { name: 'Download audit CSV' }),
    ).toBeEnabled();

    await userEvent.click(screen.getByRole('tab', { name: 'staging' }));
    expect(
      await screen.findByText('staging, the last 30 days'),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('1 deployment in 30 days'),
    ).toBeInTheDocument();
  });

  it('shows an empty history', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    expect(
      await screen.findByText('No deployment of production is recorded yet.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'No deployment of this environment has a measured time to serve yet.',
      ),
    ).toBeInTheDocument();
  });

  it('shows a history error without hiding the pipeline', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest.fn().mockResolvedValue(deployments()),
      getHistory: jest
        .fn()
        .mockRejectedValue(new Error('History store unavailable')),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    expect(
      await screen.findAllByText(/History store unavailable/),
    ).not.toHaveLength(0);
    expect(
      screen.getByRole('group', { name: 'Promotion pipeline' }),
    ).toBeInTheDocument();
  });

  it('shows the error when deployments cannot be loaded', async () => {
    const api = mockMlGitopsApi({
      getDeployments: jest
        .fn()
        .mockRejectedValue(new Error('Backend unreachable')),
    });
    await renderWithApis(<EntityMlGitopsContent />, { api });
    expect(await screen.findAllByText(/Backend unreachable/)).not.toHaveLength(
      0,
    );
  });

  it('names the missing annotations', async () => {
    const api = mockMlGitopsApi();
    await renderWithApis(<EntityMlGitopsContent />, {
      api,
      entity: entityWithoutAnnotations,
    });
    expect(await screen.findAllByText(/ml-gitops\/model/)).not.toHaveLength(0);
    expect(api.getDeployments).not.toHaveBeenCalled();
  });
});
