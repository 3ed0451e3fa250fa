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

import type { CanaryAnalysis } from '../api/types';
import {
  canaryBlocksPromotion,
  canaryObjectKind,
  describeCanary,
  worseCanaryPhase,
} from './canary';

const failedRun: CanaryAnalysis = {
  kind: 'argo-rollouts',
  name: 'churn-predictor-predictor-6c9d8f7b5-4-1',
  namespace: 'ml-dev',
  cluster: 'main',
  phase: 'failed',
  sourcePhase: 'Error',
  version: '8',
  message:
    'Metric "error-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)',
  observedAt: '2026-11-28T10:00:00.000Z',
};

const runningIsvc: CanaryAnalysis = {
  kind: 'kserve',
  name: 'recsys-ranker',
  namespace: 'ml-staging',
  cluster: 'prod-eu',
  phase: 'running',
  trafficPercent: 20,
  revision: 'recsys-ranker-predictor-00004',
  observedAt: '2026-11-28T10:00:00.000Z',
};

describe('canary analysis helpers', () => {
  it('orders phases by urgency', () => {
    expect(worseCanaryPhase('successful', 'failed')).toBe('failed');
    expect(worseCanaryPhase('running', 'inconclusive')).toBe('inconclusive');
    expect(worseCanaryPhase('pending', 'running')).toBe('running');
    expect(worseCanaryPhase('successful', 'pending')).toBe('pending');
  });

  it('names the Kubernetes kind', () => {
    expect(canaryObjectKind(failedRun)).toBe('AnalysisRun');
    expect(canaryObjectKind(runningIsvc)).toBe('InferenceService');
  });

  it('describes the object, version, phase, traffic and message', () => {
    expect(describeCanary(failedRun)).toBe(
      'AnalysisRun ml-dev/churn-predictor-predictor-6c9d8f7b5-4-1 on cluster main (version 8) failed (Error): Metric "error-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)',
    );
    expect(describeCanary(runningIsvc)).toBe(
      'InferenceService ml-staging/recsys-ranker on cluster prod-eu is running with 20% of the traffic',
    );
    expect(
      describeCanary({
        ...failedRun,
        phase: 'inconclusive',
        sourcePhase: 'Inconclusive',
        message: undefined,
      }),
    ).toBe(
      'AnalysisRun ml-dev/churn-predictor-predictor-6c9d8f7b5-4-1 on cluster main (version 8) was inconclusive',
    );
  });

  it.each([
    ['no analysis', false, null, undefined],
    ['a successful one', false, { ...failedRun, phase: 'successful' }, '8'],
    ['a failed one', true, failedRun, undefined],
    ['a failed one of the promoted version', true, failedRun, '8'],
    ['a failed one of another version', false, failedRun, '9'],
    ['an inconclusive one', true, { ...failedRun, phase: 'inconclusive' }, '8'],
    ['a running one without a version label', true, runningIsvc, '4'],
    ['a pending one', true, { ...runningIsvc, phase: 'pending' }, undefined],
  ] as const)('%s: blocks promotion %s', (_what, blocks, canary, version) => {
    expect(
      canaryBlocksPromotion(canary as CanaryAnalysis | null, version),
    ).toBe(blocks);
  });
});
