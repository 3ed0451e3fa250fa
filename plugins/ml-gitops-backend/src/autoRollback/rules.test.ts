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

import {
  CanaryAnalysis,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { AutoRollbackSettings } from './config';
import { rollbackDecision, rollbackFailure, servingFailure } from './rules';

const settings: AutoRollbackSettings = {
  enabled: true,
  onCanaryFailure: true,
  onNotServing: true,
  notServingAfterMs: 10 * 60_000,
  rejectVersion: true,
};

const MERGED = '2026-12-01T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(MERGED) + minutes * 60_000);

const failedRun: CanaryAnalysis = {
  kind: 'argo-rollouts',
  name: 'fraud-detector-predictor-7d9-12-1',
  namespace: 'ml-production',
  cluster: 'prod-eu',
  phase: 'failed',
  sourcePhase: 'Failed',
  version: '12',
  message:
    'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
  observedAt: MERGED,
};

function status(over: Partial<EnvironmentStatus> = {}): EnvironmentStatus {
  return {
    name: 'production',
    declared: {
      version: '12',
      commit: 'c12',
      author: 'grace',
      committedAt: MERGED,
    },
    live: {
      version: '12',
      revision: 'c12',
      source: 'argocd',
      instance: 'main',
      application: 'fraud-detector-production',
      syncStatus: 'Synced',
      healthStatus: 'Healthy',
      observedAt: MERGED,
    },
    registry: null,
    drift: { state: 'in-sync' },
    ...over,
  };
}

const notServing = (state: 'progressing' | 'drifted' = 'drifted') =>
  status({
    live: { ...status().live!, version: '11', healthStatus: 'Progressing' },
    drift: {
      state,
      since: MERGED,
      reason: 'Git declares 12, argocd main serves 11',
    },
  });

describe('servingFailure', () => {
  it.each([
    ['in sync', status(), undefined],
    ['no live state', status({ live: null }), undefined],
    [
      'a source failed',
      status({
        live: { ...status().live!, version: '11' },
        drift: { state: 'unknown', reason: 'argocd:main failed' },
      }),
      undefined,
    ],
    [
      'out of sync at the declared version (it serves)',
      status({ drift: { state: 'drifted', reason: 'OutOfSync' } }),
      undefined,
    ],
    [
      'another version live, drifted',
      notServing(),
      'Git declares 12, argocd main serves 11',
    ],
    [
      'another version live, progressing, no reason',
      status({
        live: { ...status().live!, version: null, syncStatus: 'OutOfSync' },
        drift: { state: 'progressing' },
      }),
      'argocd fraud-detector-production serves no version (OutOfSync, Healthy)',
    ],
    [
      'the declared version applied but its predictor fails',
      status({
        live: {
          ...status().live!,
          serving: {
            state: 'failed',
            failure: {
              reason: 'ModelLoadFailed',
              message: 'model file not found',
            },
            basis: 'model-status',
            cluster: 'prod-eu',
            namespace: 'ml-production',
            name: 'fraud-detector',
          },
        },
        drift: { state: 'drifted', reason: 'the predictor fails' },
      }),
      'the predictor fails: ModelLoadFailed: model file not found',
    ],
    [
      'the declared version applied and serving',
      status({
        live: {
          ...status().live!,
          serving: {
            state: 'serving',
            basis: 'model-status',
            cluster: 'prod-eu',
            namespace: 'ml-production',
            name: 'fraud-detector',
          },
        },
        drift: { state: 'drifted', reason: 'OutOfSync' },
      }),
      undefined,
    ],
  ])('%s', (_what, s, expected) => {
    expect(servingFailure(s)).toBe(expected);
  });
});

describe('rollbackFailure', () => {
  it('names a failed canary analysis of the declared version with its message', () => {
    expect(
      rollbackFailure({
        status: status({ canary: failedRun }),
        settings,
        now: at(1),
      }),
    ).toEqual({
      kind: 'canary-failed',
      reason:
        'Automatic rollback: canary analysis fraud-detector-predictor-7d9-12-1 of version 12 failed: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
    });
  });

  it('names the failed metrics when the analysis has no message', () => {
    const failure = rollbackFailure({
      status: status({
        canary: {
          ...failedRun,
          version: undefined,
          message: undefined,
          metrics: [
            { name: 'error-rate', phase: 'failed', value: '[0.044]' },
            { name: 'latency', phase: 'successful', value: '[31]' },
          ],
        },
      }),
      settings,
      now: at(1),
    });
    expect(failure?.reason).toBe(
      'Automatic rollback: canary analysis fraud-detector-predictor-7d9-12-1 of version 12 failed: error-rate = [0.044]',
    );
  });

  it.each([
    ['an analysis of another version', { ...failedRun, version: '11' }],
    ['a running analysis', { ...failedRun, phase: 'running' as const }],
    ['an inconclusive one', { ...failedRun, phase: 'inconclusive' as const }],
  ])('ignores %s', (_what, canary) => {
    expect(
      rollbackFailure({ status: status({ canary }), settings, now: at(1) }),
    ).toBeUndefined();
  });

  it('ignores a failed canary when onCanaryFailure is off', () => {
    expect(
      rollbackFailure({
        status: status({ canary: failedRun }),
        settings: { ...settings, onCanaryFailure: false },
        now: at(1),
      }),
    ).toBeUndefined();
  });

  it('fires for a version not serving once notServingAfter has passed since its merge', () => {
    expect(
      rollbackFailure({ status: notServing(), settings, now: at(9.9) }),
    ).toBeUndefined();
    expect(
      rollbackFailure({ status: notServing(), settings, now: at(10) }),
    ).toEqual({
      kind: 'not-serving',
      reason:
        'Automatic rollback: version 12 has not served 10 min after its merge: Git declares 12, argocd main serves 11',
    });
    expect(
      rollbackFailure({
        status: notServing('progressing'),
        settings: { ...settings, notServingAfterMs: 90_000 },
        now: at(2),
      })?.reason,
    ).toBe(
      'Automatic rollback: version 12 has not served 1 min 30 s after its merge: Git declares 12, argocd main serves 11',
    );
  });

  it('does not fire for a version that served since (a later drift is an out-of-band change)', () => {
    expect(
      rollbackFailure({
        status: notServing(),
        settings,
        now: at(60),
        deployment: { servingAt: at(2).toISOString() },
      }),
    ).toBeUndefined();
  });

  it('does not fire for a version not serving when onNotServing is off', () => {
    expect(
      rollbackFailure({
        status: notServing(),
        settings: { ...settings, onNotServing: false },
        now: at(60),
      }),
    ).toBeUndefined();
  });
});

describe('rollbackDecision', () => {
  const failing = status({ canary: failedRun });

  it('rolls back a failure in an enabled environment', () => {
    expect(
      rollbackDecision({ status: failing, settings, now: at(1) }),
    ).toMatchObject({
      action: 'roll-back',
      failure: { kind: 'canary-failed' },
    });
  });

  it('does nothing where it is not enabled, or without a failure', () => {
    expect(
      rollbackDecision({
        status: failing,
        settings: { ...settings, enabled: false },
        now: at(1),
      }),
    ).toEqual({ action: 'none' });
    expect(
      rollbackDecision({ status: status(), settings, now: at(1) }),
    ).toEqual({ action: 'none' });
  });

  it('leaves a frozen environment alone until its freeze ends', () => {
    const frozen = {
      ...failing,
      freeze: { reason: 'incident 4711', until: at(30).toISOString() },
    };
    expect(rollbackDecision({ status: frozen, settings, now: at(1) })).toEqual({
      action: 'skip',
      failure: expect.objectContaining({ kind: 'canary-failed' }),
      why: 'production is frozen ("incident 4711")',
    });
    expect(
      rollbackDecision({ status: frozen, settings, now: at(31) }).action,
    ).toBe('roll-back');
    expect(
      rollbackDecision({
        status: { ...failing, freeze: { reason: 'audit' } },
        settings,
        now: at(500),
      }).action,
    ).toBe('skip');
  });

  it('never rolls back a version that a rollback brought back', () => {
    expect(
      rollbackDecision({
        status: failing,
        settings,
        now: at(1),
        deployment: { kind: 'rollback' },
      }),
    ).toMatchObject({
      action: 'skip',
      why: 'version 12 was brought back by a rollback',
    });
    expect(
      rollbackDecision({
        status: failing,
        settings,
        now: at(1),
        deployment: { kind: 'promotion' },
      }).action,
    ).toBe('roll-back');
  });
});
