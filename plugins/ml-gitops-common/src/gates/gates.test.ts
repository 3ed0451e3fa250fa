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

import { evaluateGates } from './gates';

describe('evaluateGates', () => {
  const gates = { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } };

  it('passes when every metric is within its bounds (inclusive)', () => {
    expect(
      evaluateGates(gates, { auc: 0.92, latency_p95_ms: 40, other: 1 }),
    ).toEqual({
      outcome: 'passed',
      results: [
        {
          metric: 'auc',
          status: 'passed',
          value: 0.92,
          min: 0.92,
          message: 'auc 0.92 is >= 0.92',
        },
        {
          metric: 'latency_p95_ms',
          status: 'passed',
          value: 40,
          max: 40,
          message: 'latency_p95_ms 40 is <= 40',
        },
      ],
    });
  });

  it('fails below a minimum', () => {
    const result = evaluateGates(gates, { auc: 0.91, latency_p95_ms: 10 });
    expect(result.outcome).toBe('failed');
    expect(result.results[0]).toMatchObject({
      status: 'failed',
      message: 'auc 0.91 is below the minimum 0.92',
    });
  });

  it('fails above a maximum', () => {
    const result = evaluateGates(gates, { auc: 0.99, latency_p95_ms: 41 });
    expect(result.outcome).toBe('failed');
    expect(result.results[1].message).toBe(
      'latency_p95_ms 41 is above the maximum 40',
    );
  });

  it('checks both bounds of a range', () => {
    const range = { loss: { min: 0.1, max: 0.2 } };
    expect(evaluateGates(range, { loss: 0.15 }).outcome).toBe('passed');
    expect(evaluateGates(range, { loss: 0.05 }).outcome).toBe('failed');
    expect(evaluateGates(range, { loss: 0.25 }).outcome).toBe('failed');
    expect(evaluateGates(range, { loss: 0.15 }).results[0].message).toBe(
      'loss 0.15 is >= 0.1 and <= 0.2',
    );
  });

  it('fails a gated metric missing from the run, naming it', () => {
    const result = evaluateGates(gates, { auc: 0.95 });
    expect(result.outcome).toBe('failed');
    expect(result.results[1]).toEqual({
      metric: 'latency_p95_ms',
      status: 'missing',
      max: 40,
      message:
        'latency_p95_ms is gated but the registry run has no such metric',
    });
  });

  it('fails a NaN metric and does not trust inherited properties', () => {
    expect(
      evaluateGates({ auc: { min: 0.5 } }, { auc: NaN }).results[0].status,
    ).toBe('failed');
    expect(evaluateGates({ toString: { min: 0 } }, {}).results[0].status).toBe(
      'missing',
    );
  });

  it('is none without gates', () => {
    expect(evaluateGates(undefined, { auc: 1 })).toEqual({
      outcome: 'none',
      results: [],
    });
    expect(evaluateGates({}, {})).toEqual({ outcome: 'none', results: [] });
  });
});
