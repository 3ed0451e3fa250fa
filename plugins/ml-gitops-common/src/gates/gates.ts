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

import type { GateOutcome } from '../api/types';
import type { MetricGate } from '../manifest/schema';

/**
 * The verdict on one gated metric.
 *
 * @public
 */
export type MetricGateResult = {
  metric: string;
  status: 'passed' | 'failed' | 'missing';
  /** The registry's value, when present. */
  value?: number;
  min?: number;
  max?: number;
  /** A human sentence, e.g. `auc 0.91 is below the minimum 0.92`. */
  message: string;
};

/**
 * The verdict of a performance gate.
 *
 * @public
 */
export type GateEvaluation = {
  /** `none` when nothing is gated; `failed` when any metric failed or is missing. */
  outcome: GateOutcome;
  /** One result per gated metric, in the manifest's order. */
  results: MetricGateResult[];
};

/**
 * Checks the metrics of a registry run against the gates of a manifest
 * (`gates.metrics`). Bounds are inclusive. A gated metric that the run lacks,
 * or whose value is not a finite number, fails the gate.
 *
 * @public
 */
export function evaluateGates(
  gates: Record<string, MetricGate> | undefined,
  metrics: Record<string, number>,
): GateEvaluation {
  const results: MetricGateResult[] = Object.entries(gates ?? {}).map(
    ([metric, gate]) => {
      const bounds = {
        ...(gate.min !== undefined ? { min: gate.min } : {}),
        ...(gate.max !== undefined ? { max: gate.max } : {}),
      };
      if (!Object.prototype.hasOwnProperty.call(metrics, metric)) {
        return {
          metric,
          status: 'missing',
          ...bounds,
          message: `${metric} is gated but the registry run has no such metric`,
        };
      }
      const value = metrics[metric];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return {
          metric,
          status: 'failed',
          ...bounds,
          message: `${metric} is ${String(value)}, not a finite number`,
        };
      }
      if (gate.min !== undefined && value < gate.min) {
        return {
          metric,
          status: 'failed',
          value,
          ...bounds,
          message: `${metric} ${value} is below the minimum ${gate.min}`,
        };
      }
      if (gate.max !== undefined && value > gate.max) {
        return {
          metric,
          status: 'failed',
          value,
          ...bounds,
          message: `${metric} ${value} is above the maximum ${gate.max}`,
        };
      }
      const range = [
        gate.min !== undefined ? `>= ${gate.min}` : undefined,
        gate.max !== undefined ? `<= ${gate.max}` : undefined,
      ]
        .filter(Boolean)
        .join(' and ');
      return {
        metric,
        status: 'passed',
        value,
        ...bounds,
        message: `${metric} ${value} is ${range}`,
      };
    },
  );
  let outcome: GateOutcome = 'none';
  if (results.length > 0) {
    outcome = results.every(r => r.status === 'passed') ? 'passed' : 'failed';
  }
  return { outcome, results };
}
