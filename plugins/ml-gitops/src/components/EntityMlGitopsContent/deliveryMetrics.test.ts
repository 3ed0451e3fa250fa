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

import { auditDeployment } from '../../__testUtils__/fixtures';
import { computeDeliveryMetrics, formatSpan } from './deliveryMetrics';

const TO = new Date('2026-12-01T00:00:00.000Z');
const range = (days: number) => ({
  from: new Date(TO.getTime() - days * 24 * 3600 * 1000),
  to: TO,
});

const checks = (registeredAt: string) => ({
  checkedAt: '2026-11-20T00:00:00.000Z',
  registry: {
    exists: true,
    gate: 'passed' as const,
    metrics: { auc: 0.95 },
    registeredAt,
  },
});

describe('computeDeliveryMetrics', () => {
  const events = [
    // Before the window: left out.
    auditDeployment({ at: '2026-11-01T10:00:00.000Z' }),
    auditDeployment({
      at: '2026-11-24T10:00:00.000Z',
      servingAt: '2026-11-24T10:05:00.000Z',
      checks: checks('2026-11-24T08:05:00.000Z'), // 2 h lead time
    }),
    auditDeployment({
      at: '2026-11-28T10:00:00.000Z',
      kind: 'deploy',
      servingAt: '2026-11-28T11:00:00.000Z',
      checks: checks('2026-11-27T11:00:00.000Z'), // 24 h lead time
    }),
    // Not yet serving: counted, not measured.
    auditDeployment({ at: '2026-11-30T09:00:00.000Z' }),
    auditDeployment({
      at: '2026-11-30T12:00:00.000Z',
      kind: 'rollback',
      version: '11',
      servingAt: '2026-11-30T12:03:00.000Z',
      timeToServeSeconds: 180,
      // A rollback's old version: its registration is no lead time.
      checks: checks('2026-10-01T00:00:00.000Z'),
    }),
    // Another environment and a drift episode: left out.
    auditDeployment({ at: '2026-11-29T10:00:00.000Z', environment: 'dev' }),
    {
      type: 'drift' as const,
      entityRef: 'component:default/fraud-detector',
      environment: 'production',
      at: '2026-11-29T00:00:00.000Z',
      startedAt: '2026-11-29T00:00:00.000Z',
      reason: 'the live version 10 is not the declared 12',
    },
  ];

  it('counts, rates and measures one environment over a week, per day', () => {
    const metrics = computeDeliveryMetrics(events, 'production', range(7));
    expect(metrics.days).toBe(7);
    expect(metrics.bucketDays).toBe(1);
    expect(metrics.buckets).toHaveLength(7);
    expect(metrics.buckets[0].start).toBe('2026-11-24T00:00:00.000Z');
    expect(metrics.buckets.map(b => [b.deployments, b.rollbacks])).toEqual([
      [1, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 0],
      [1, 1],
    ]);
    expect(metrics.deployments).toBe(3);
    expect(metrics.rollbacks).toBe(1);
    expect(metrics.perWeek).toBe(3);
    expect(metrics.changeFailureRate).toBeCloseTo(1 / 3);
    expect(metrics.leadTime).toEqual({
      medianSeconds: (2 * 3600 + 24 * 3600) / 2,
      measured: 2,
      of: 3,
    });
    expect(metrics.timeToRestore).toEqual({
      medianSeconds: 180,
      measured: 1,
      of: 1,
    });
  });

  it('draws weeks beyond a month, the oldest bar the shorter one', () => {
    const metrics = computeDeliveryMetrics(events, 'production', range(90));
    expect(metrics.bucketDays).toBe(7);
    expect(metrics.buckets).toHaveLength(13);
    expect(metrics.buckets[0].start).toBe(metrics.from);
    expect(metrics.buckets[12]).toEqual({
      start: '2026-11-24T00:00:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      deployments: 3,
      rollbacks: 1,
    });
    expect(metrics.deployments).toBe(4);
    expect(metrics.perWeek).toBeCloseTo(4 / (90 / 7));
  });

  it('has no failure rate and no medians without deployments', () => {
    const metrics = computeDeliveryMetrics([], 'production', range(30));
    expect(metrics.changeFailureRate).toBeUndefined();
    expect(metrics.leadTime).toEqual({ measured: 0, of: 0 });
    expect(metrics.timeToRestore).toEqual({ measured: 0, of: 0 });
    expect(metrics.buckets.every(b => b.deployments === 0)).toBe(true);
  });

  it('ignores a registration after the serving it would precede', () => {
    const metrics = computeDeliveryMetrics(
      [
        auditDeployment({
          at: '2026-11-30T10:00:00.000Z',
          servingAt: '2026-11-30T10:05:00.000Z',
          checks: checks('2026-11-30T11:00:00.000Z'),
        }),
      ],
      'production',
      range(7),
    );
    expect(metrics.leadTime).toEqual({ measured: 0, of: 1 });
  });
});

describe('formatSpan', () => {
  it.each([
    [42, '42 s'],
    [200, '3 min 20 s'],
    [5 * 3600 + 600, '5 h 10 min'],
    [3 * 86400 + 4 * 3600, '3 d 4 h'],
    [2 * 86400, '2 d'],
  ])('formats %s seconds as %s', (seconds, text) => {
    expect(formatSpan(seconds)).toBe(text);
  });
});
