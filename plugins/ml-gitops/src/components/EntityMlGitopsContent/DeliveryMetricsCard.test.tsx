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
import type { AuditEventsResponse } from '@ml-gitops/plugin-ml-gitops-common';
import { DeliveryMetricsCard, METRICS_PAGE_SIZE } from './DeliveryMetricsCard';
import { mockMlGitopsApi, renderWithApis } from '../../__testUtils__/render';
import { auditDeployment, ENTITY_REF } from '../../__testUtils__/fixtures';

const NOW = Date.parse('2026-12-01T00:00:00.000Z');
const now = () => NOW;
const DAY = 24 * 3600 * 1000;
const daysAgo = (days: number, extraMs = 0) =>
  new Date(NOW - days * DAY + extraMs).toISOString();

/** The answer of GET /v1/audit/events for a window, as the backend pages it. */
function eventsOf(
  all: ReturnType<typeof auditDeployment>[],
  pageSize = METRICS_PAGE_SIZE,
) {
  return jest.fn(
    async (options: {
      from: string;
      to: string;
      cursor?: string;
    }): Promise<AuditEventsResponse> => {
      const inRange = all.filter(
        e => e.at >= options.from && e.at < options.to,
      );
      const start = Number(options.cursor ?? 0);
      const next = start + pageSize;
      return {
        from: options.from,
        to: options.to,
        items: inRange.slice(start, next),
        ...(next < inRange.length ? { nextCursor: String(next) } : {}),
      };
    },
  );
}

const registered = (at: string) => ({
  checkedAt: at,
  registry: {
    exists: true,
    gate: 'passed' as const,
    metrics: {},
    registeredAt: at,
  },
});

const history = [
  // 60 days ago: only in the 90-day window.
  auditDeployment({ at: daysAgo(60), kind: 'deploy' }),
  auditDeployment({
    at: daysAgo(45),
    kind: 'rollback',
    timeToServeSeconds: 600,
  }),
  // In the last week.
  auditDeployment({
    at: daysAgo(5),
    servingAt: daysAgo(5, 10 * 60_000),
    checks: registered(daysAgo(6, 10 * 60_000)), // 1 day to serve
  }),
  auditDeployment({ at: daysAgo(3) }),
  auditDeployment({
    at: daysAgo(2),
    kind: 'rollback',
    version: '11',
    servingAt: daysAgo(2, 4 * 60_000),
    timeToServeSeconds: 240,
  }),
  auditDeployment({ at: daysAgo(1), environment: 'staging' }),
];

function stat(term: string) {
  const dt = screen.getByText(term, { selector: 'dt' });
  return dt.parentElement!;
}

describe('DeliveryMetricsCard', () => {
  it('shows the four numbers as text and the chart, for the environment and window', async () => {
    const getAuditEvents = eventsOf(history);
    const api = mockMlGitopsApi({ getAuditEvents });
    await renderWithApis(
      <DeliveryMetricsCard
        entityRef={ENTITY_REF}
        environment="production"
        now={now}
      />,
      { api },
    );

    expect(
      await screen.findByRole('img', {
        name: 'Deployments and rollbacks per day over the last 30 days: 2 deployments, 1 rollback',
      }),
    ).toBeInTheDocument();
    expect(getAuditEvents).toHaveBeenCalledWith({
      entityRef: ENTITY_REF,
      from: daysAgo(30),
      to: daysAgo(0),
      limit: METRICS_PAGE_SIZE,
      cursor: undefined,
    });
    expect(
      screen.getByText('production, the last 30 days'),
    ).toBeInTheDocument();
    expect(
      within(stat('Deployment frequency')).getByText('0.5 a week'),
    ).toBeInTheDocument();
    expect(
      within(stat('Deployment frequency')).getByText(
        '2 deployments in 30 days',
      ),
    ).toBeInTheDocument();
    expect(
      within(stat('Lead time, registry to serving')).getByText('24 h'),
    ).toBeInTheDocument();
    expect(
      within(stat('Lead time, registry to serving')).getByText(
        'median of 1 measured of 2 deployments',
      ),
    ).toBeInTheDocument();
    expect(
      within(stat('Change failure rate')).getByText('50 %'),
    ).toBeInTheDocument();
    expect(
      within(stat('Change failure rate')).getByText(
        '1 rollback ÷ 2 deployments',
      ),
    ).toBeInTheDocument();
    expect(
      within(stat('Time to restore')).getByText('4 min'),
    ).toBeInTheDocument();
    expect(screen.getAllByTestId('metrics-bar')).toHaveLength(30);
    expect(screen.getByRole('button', { name: '30 days' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
  });

  it('switches the window: asks for the longer range and counts again, per week', async () => {
    const getAuditEvents = eventsOf(history);
    const api = mockMlGitopsApi({ getAuditEvents });
    await renderWithApis(
      <DeliveryMetricsCard
        entityRef={ENTITY_REF}
        environment="production"
        now={now}
      />,
      { api },
    );
    await screen.findByText('2 deployments in 30 days');

    await userEvent.click(screen.getByRole('button', { name: '90 days' }));

    expect(
      await screen.findByText('3 deployments in 90 days'),
    ).toBeInTheDocument();
    expect(getAuditEvents).toHaveBeenLastCalledWith(
      expect.objectContaining({ from: daysAgo(90), to: daysAgo(0) }),
    );
    expect(
      screen.getByRole('img', {
        name: 'Deployments and rollbacks per week over the last 90 days: 3 deployments, 2 rollbacks',
      }),
    ).toBeInTheDocument();
    expect(screen.getAllByTestId('metrics-bar')).toHaveLength(13);
    expect(
      within(stat('Change failure rate')).getByText('67 %'),
    ).toBeInTheDocument();
    // Median of 240 s and 600 s.
    expect(
      within(stat('Time to restore')).getByText('7 min'),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '90 days' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );

    await userEvent.click(screen.getByRole('button', { name: '7 days' }));
    expect(
      await screen.findByText('2 deployments in 7 days'),
    ).toBeInTheDocument();
    expect(
      within(stat('Deployment frequency')).getByText('2.0 a week'),
    ).toBeInTheDocument();
    expect(screen.getAllByTestId('metrics-bar')).toHaveLength(7);
  });

  it('follows every page of the export', async () => {
    const many = Array.from({ length: 5 }, (_, i) =>
      auditDeployment({ at: daysAgo(10 - i) }),
    );
    const getAuditEvents = eventsOf(many, 2);
    const api = mockMlGitopsApi({ getAuditEvents });
    await renderWithApis(
      <DeliveryMetricsCard
        entityRef={ENTITY_REF}
        environment="production"
        now={now}
      />,
      { api },
    );
    expect(
      await screen.findByText('5 deployments in 30 days'),
    ).toBeInTheDocument();
    expect(getAuditEvents.mock.calls.map(([o]) => o.cursor)).toEqual([
      undefined,
      '2',
      '4',
    ]);
  });

  it('says when nothing could be measured', async () => {
    const api = mockMlGitopsApi({ getAuditEvents: eventsOf([]) });
    await renderWithApis(
      <DeliveryMetricsCard
        entityRef={ENTITY_REF}
        environment="production"
        now={now}
      />,
      { api },
    );
    expect(
      await screen.findByText('0 deployments in 30 days'),
    ).toBeInTheDocument();
    expect(
      within(stat('Change failure rate')).getByText('no deployment'),
    ).toBeInTheDocument();
    expect(
      within(stat('Time to restore')).getByText('no rollback'),
    ).toBeInTheDocument();
  });

  it('shows the error when the export cannot be read', async () => {
    const api = mockMlGitopsApi({
      getAuditEvents: jest
        .fn()
        .mockRejectedValue(
          new Error('You are not allowed to read the deployments'),
        ),
    });
    await renderWithApis(
      <DeliveryMetricsCard
        entityRef={ENTITY_REF}
        environment="production"
        now={now}
      />,
      { api },
    );
    expect(
      (
        await screen.findAllByText(
          /You are not allowed to read the deployments/,
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByRole('img')).not.toBeInTheDocument();
  });
});
