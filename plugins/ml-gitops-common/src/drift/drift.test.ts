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
  argoCdSyncState,
  DriftInput,
  evaluateDrift,
  fluxSyncState,
  gitCommitOf,
  revisionsMatch,
} from './drift';
import type { ServingStatus } from '../api/types';

const COMMIT = '4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39';
const NOW = '2026-11-28T12:00:00.000Z';

function input(overrides: Partial<DriftInput> = {}): DriftInput {
  return {
    now: NOW,
    gracePeriodSeconds: 300,
    declared: {
      version: '12',
      commit: COMMIT,
      committedAt: '2026-11-28T11:00:00Z',
    },
    live: {
      version: '12',
      source: 'argocd',
      sync: 'synced',
      revision: COMMIT,
      operation: { running: false, finishedAt: '2026-11-28T11:01:00Z' },
    },
    ...overrides,
  };
}

function live(
  overrides: Partial<NonNullable<DriftInput['live']>>,
): DriftInput['live'] {
  return { ...input().live!, ...overrides };
}

describe('evaluateDrift', () => {
  describe('in-sync', () => {
    it('when Argo CD reports Synced and the versions match', () => {
      expect(evaluateDrift(input())).toEqual({
        state: 'in-sync',
        since: '2026-11-28T11:01:00.000Z',
      });
    });

    it('when Flux is Ready at the declared revision', () => {
      expect(
        evaluateDrift(
          input({
            live: live({ source: 'flux', revision: `dev@sha1:${COMMIT}` }),
          }),
        ).state,
      ).toBe('in-sync');
    });

    it('not when Flux is Ready at another revision', () => {
      const result = evaluateDrift(
        input({
          live: live({ source: 'flux', revision: 'dev@sha1:0123456789abcdef' }),
        }),
      );
      expect(result.state).toBe('drifted');
      expect(result.reason).toContain(
        'Flux is ready at dev@sha1:0123456789abcdef',
      );
    });
    it('when Flux reports no commit (a chart version under ChartVersion) and serves the declared version', () => {
      expect(
        evaluateDrift(input({ live: live({ source: 'flux', revision: '' }) })),
      ).toEqual({ state: 'in-sync', since: '2026-11-28T11:01:00.000Z' });
    });

    // What a HelmRelease v2 records as its revision (helm-controller
    // api/v2 snapshot_types.go: Snapshot.chartVersion; helmrelease_types.go:
    // status.lastAttemptedRevision) is a chart version, and an OCI source
    // reports a sha256 digest (source-controller docs/spec/v1
    // ocirepositories.md, "Artifact"): none names a Git commit.
    it.each([
      ['a plain chart version', '0.1.0'],
      ['a chart version with valuesFiles (HelmChart generation)', '0.1.0+3'],
      [
        'a chart version built under reconcileStrategy Revision',
        '0.1.0+9f2c1e4b7a3d.2',
      ],
      ['an OCI artifact digest', `v1.2.0@sha256:${'ab'.repeat(32)}`],
    ])(
      'when Flux reports %s, which names no commit, and serves the declared version',
      (_what, revision) => {
        expect(
          evaluateDrift(
            input({
              live: live({ source: 'flux', revision }),
              now: '2026-12-28T12:00:00Z',
            }),
          ),
        ).toEqual({ state: 'in-sync', since: '2026-11-28T11:01:00.000Z' });
      },
    );

    it('when Flux is Ready at the commit prefix of a Revision chart version', () => {
      expect(
        evaluateDrift(
          input({
            live: live({ source: 'flux', revision: COMMIT.slice(0, 12) }),
          }),
        ).state,
      ).toBe('in-sync');
    });
  });

  describe('progressing', () => {
    it('when the versions differ within the grace period of the commit', () => {
      const result = evaluateDrift(
        input({
          declared: {
            version: '13',
            commit: COMMIT,
            committedAt: '2026-11-28T11:58:00Z',
          },
        }),
      );
      expect(result).toEqual({
        state: 'progressing',
        since: '2026-11-28T11:58:00.000Z',
        reason:
          'live version 12 differs from the declared version 13; within the grace period (2m of 5m)',
      });
    });

    it('counts the grace period from the end of the last sync when that is later', () => {
      const result = evaluateDrift(
        input({
          declared: {
            version: '13',
            commit: COMMIT,
            committedAt: '2026-11-28T10:00:00Z',
          },
          live: live({
            operation: { running: false, finishedAt: '2026-11-28T11:59:00Z' },
          }),
        }),
      );
      expect(result.state).toBe('progressing');
      expect(result.since).toBe('2026-11-28T11:59:00.000Z');
    });

    it('while an operation is running, however old the commit', () => {
      const result = evaluateDrift(
        input({
          declared: {
            version: '13',
            commit: COMMIT,
            committedAt: '2026-11-27T00:00:00Z',
          },
          live: live({ sync: 'out-of-sync', operation: { running: true } }),
        }),
      );
      expect(result.state).toBe('progressing');
      expect(result.reason).toContain('a sync operation is running');
    });

    it('when Flux is reconciling within the grace period', () => {
      const result = evaluateDrift(
        input({
          declared: {
            version: '12',
            commit: COMMIT,
            committedAt: '2026-11-28T11:59:30Z',
          },
          live: live({
            source: 'flux',
            sync: 'reconciling',
            operation: undefined,
          }),
        }),
      );
      expect(result).toMatchObject({
        state: 'progressing',
        reason: expect.stringContaining('Flux is reconciling'),
      });
    });
  });

  describe('drifted', () => {
    it('when the versions differ beyond the grace period', () => {
      const result = evaluateDrift(
        input({
          declared: {
            version: '13',
            commit: COMMIT,
            committedAt: '2026-11-28T11:00:00Z',
          },
        }),
      );
      expect(result).toEqual({
        state: 'drifted',
        since: '2026-11-28T11:01:00.000Z',
        reason:
          'live version 12 differs from the declared version 13 for 59m, longer than the grace period of 5m',
      });
    });

    it('when Argo CD is OutOfSync at the declared revision (changed out of band)', () => {
      const result = evaluateDrift(
        input({ live: live({ sync: 'out-of-sync' }) }),
      );
      expect(result.state).toBe('drifted');
      expect(result.reason).toContain(
        'OutOfSync at the declared revision (changed out of band)',
      );
    });

    it('at once for an old drift, e.g. right after a restart', () => {
      const result = evaluateDrift(
        input({
          now: new Date('2026-11-30T12:00:00Z'),
          declared: {
            version: '13',
            commit: COMMIT,
            committedAt: '2026-11-28T11:00:00Z',
          },
        }),
      );
      expect(result.state).toBe('drifted');
      expect(result.reason).toContain('for 2d 0h');
    });

    it('when no reference time is known', () => {
      const result = evaluateDrift(
        input({
          declared: {
            version: '13',
            commit: COMMIT,
            committedAt: 'not a date',
          },
          live: live({ operation: undefined }),
        }),
      );
      expect(result.state).toBe('drifted');
      expect(result.since).toBeUndefined();
    });

    it('exactly at the end of the grace period', () => {
      const result = evaluateDrift(
        input({
          declared: {
            version: '13',
            commit: COMMIT,
            committedAt: '2026-11-28T11:55:00Z',
          },
          live: live({ operation: undefined }),
        }),
      );
      expect(result.state).toBe('drifted');
    });
  });

  describe('a failed Flux apply that Flux retries', () => {
    // Ready=False + Reconciling=True (ProgressingWithRetry): NotReady, no
    // operation running; the old version still serves.
    const failing = live({
      version: '11',
      source: 'flux',
      sync: 'out-of-sync',
      revision: `dev@sha1:0123456789abcdef0123456789abcdef01234567`,
      message:
        'health check failed after 4m30s: timeout waiting for: [InferenceService/ml-dev/recsys-ranker]',
      operation: { running: false, finishedAt: '2026-11-20T09:00:00Z' },
    });

    it('is progressing within the grace period, quoting Flux', () => {
      const result = evaluateDrift(
        input({ now: '2026-11-28T11:03:00Z', live: failing }),
      );
      expect(result.state).toBe('progressing');
      expect(result.reason).toContain('Flux: "health check failed after 4m30s');
    });

    it('is drifted after the grace period, quoting Flux', () => {
      const result = evaluateDrift(input({ live: failing }));
      expect(result).toMatchObject({
        state: 'drifted',
        since: '2026-11-28T11:00:00.000Z',
      });
      expect(result.reason).toBe(
        'live version 11 differs from the declared version 12 (Flux: "health check failed after 4m30s: timeout waiting for: [InferenceService/ml-dev/recsys-ranker]") for 1h, longer than the grace period of 5m',
      );
    });
  });

  describe('the serving object', () => {
    // ServingStatus values as the backend reads them from KServe
    // InferenceServices (status.modelStatus, conditions, traffic).
    const object = {
      cluster: 'prod-eu',
      namespace: 'ml-dev',
      name: 'recsys-ranker',
    };
    const serving: ServingStatus = {
      state: 'serving',
      since: '2026-11-28T11:02:00Z',
      readyRevision: 'recsys-ranker-predictor-00012',
      trafficPercent: 100,
      storageUri: 's3://models/recsys-ranker/12',
      basis: 'model-status',
      ...object,
    };
    const crashLooping: ServingStatus = {
      state: 'failed',
      since: '2026-11-28T11:01:30Z',
      failure: {
        reason: 'ModelLoadFailed',
        message:
          'ValueError: model file model.joblib not found\n  in /mnt/models (exit code 1)',
      },
      readyRevision: 'recsys-ranker-predictor-00011',
      basis: 'model-status',
      ...object,
    };

    it('is in sync when the declared version serves', () => {
      expect(evaluateDrift(input({ live: live({ serving }) })).state).toBe(
        'in-sync',
      );
    });

    it('is in sync with a canary share while the canary runs', () => {
      expect(
        evaluateDrift(
          input({
            live: live({ serving: { ...serving, trafficPercent: 10 } }),
          }),
        ).state,
      ).toBe('in-sync');
    });

    it('is progressing while the predictor fails within the grace period, with the failure', () => {
      const result = evaluateDrift(
        input({
          now: '2026-11-28T11:03:00Z',
          live: live({ serving: crashLooping }),
        }),
      );
      expect(result).toEqual({
        state: 'progressing',
        since: '2026-11-28T11:01:00.000Z',
        reason:
          'the predictor fails: ModelLoadFailed: ValueError: model file model.joblib not found in /mnt/models (exit code 1); within the grace period (2m of 5m)',
      });
    });

    it('is drifted when the predictor still fails after the grace period, though synced', () => {
      const result = evaluateDrift(
        input({ live: live({ serving: crashLooping }) }),
      );
      expect(result.state).toBe('drifted');
      expect(result.reason).toBe(
        'the predictor fails: ModelLoadFailed: ValueError: model file model.joblib not found in /mnt/models (exit code 1) for 59m, longer than the grace period of 5m',
      );
    });

    it('is drifted when a rollout never finishes, saying what it waits for', () => {
      const result = evaluateDrift(
        input({
          live: live({
            serving: {
              ...serving,
              state: 'rolling-out',
              message:
                'revision recsys-ranker-predictor-00012 is not ready yet (the model is Loading)',
            },
          }),
        }),
      );
      expect(result.state).toBe('drifted');
      expect(result.reason).toMatch(
        /^the declared version is not serving yet: revision recsys-ranker-predictor-00012 is not ready yet \(the model is Loading\) for 59m/,
      );
    });

    it('names the object that is not ready', () => {
      const result = evaluateDrift(
        input({
          live: live({
            serving: {
              ...serving,
              state: 'not-ready',
              failure: {
                reason: 'IngressNotConfigured',
                message: 'Ingress has not yet been reconciled.',
              },
            },
          }),
        }),
      );
      expect(result.reason).toMatch(
        /^the InferenceService ml-dev\/recsys-ranker is not ready: IngressNotConfigured: Ingress has not yet been reconciled\. for/,
      );
    });

    it('adds the serving failure to a version difference', () => {
      const result = evaluateDrift(
        input({ live: live({ version: '11', serving: crashLooping }) }),
      );
      expect(result.reason).toMatch(
        /^live version 11 differs from the declared version 12, and the predictor fails: ModelLoadFailed/,
      );
    });

    it('keeps the sync and the version deciding where no serving object is read (Argo CD only)', () => {
      expect(
        evaluateDrift(input({ live: live({ serving: undefined }) })),
      ).toEqual({ state: 'in-sync', since: '2026-11-28T11:01:00.000Z' });
    });
  });

  describe('unknown', () => {
    it('when a source failed, naming it and since when', () => {
      const result = evaluateDrift(
        input({
          sourceErrors: [
            {
              source: 'git',
              message: 'HTTP 502',
              since: '2026-11-28T11:50:00Z',
            },
            {
              source: 'argocd:main',
              message: 'connection refused',
              since: '2026-11-28T11:40:00Z',
            },
          ],
        }),
      );
      expect(result).toEqual({
        state: 'unknown',
        since: '2026-11-28T11:40:00.000Z',
        reason:
          'argocd:main failing since 2026-11-28T11:40:00Z: connection refused; git failing since 2026-11-28T11:50:00Z: HTTP 502',
      });
    });

    it('when the declared or live state or the live version is not known', () => {
      expect(evaluateDrift(input({ declared: null })).state).toBe('unknown');
      expect(evaluateDrift(input({ live: null })).state).toBe('unknown');
      expect(
        evaluateDrift(input({ live: live({ version: null }) })).reason,
      ).toContain('no ml-gitops/model-version label');
    });

    it('when the operator reports Unknown', () => {
      expect(evaluateDrift(input({ live: live({ sync: 'unknown' }) }))).toEqual(
        {
          state: 'unknown',
          reason: 'Argo CD reports sync status Unknown',
        },
      );
    });
  });

  describe('missing', () => {
    it('when no application carries the model and environment', () => {
      expect(
        evaluateDrift(input({ applicationMissing: true, live: null })).state,
      ).toBe('missing');
    });
  });
});

describe('sync state helpers', () => {
  it('maps Argo CD sync statuses', () => {
    expect(argoCdSyncState('Synced')).toBe('synced');
    expect(argoCdSyncState('OutOfSync')).toBe('out-of-sync');
    expect(argoCdSyncState('Unknown')).toBe('unknown');
    expect(argoCdSyncState(undefined)).toBe('unknown');
  });

  it('maps Flux conditions', () => {
    expect(fluxSyncState({ ready: 'True' })).toBe('synced');
    expect(fluxSyncState({ ready: 'False' })).toBe('out-of-sync');
    expect(fluxSyncState({ ready: 'True', reconciling: 'True' })).toBe(
      'reconciling',
    );
    expect(fluxSyncState({})).toBe('unknown');
  });

  it('matches revisions in their several forms', () => {
    expect(revisionsMatch(`main@sha1:${COMMIT}`, COMMIT)).toBe(true);
    expect(revisionsMatch(`sha1:${COMMIT}`, COMMIT.slice(0, 7))).toBe(true);
    expect(revisionsMatch(COMMIT, COMMIT.toUpperCase())).toBe(true);
    expect(revisionsMatch('main@sha1:0123456', COMMIT)).toBe(false);
    expect(revisionsMatch(undefined, COMMIT)).toBe(false);
    expect(revisionsMatch('main', 'main')).toBe(false);
    expect(revisionsMatch(`main/${COMMIT}`, COMMIT)).toBe(true);
    // A sha256 digest is not a commit, even when its hex begins alike.
    expect(revisionsMatch(`sha256:${COMMIT}${'0'.repeat(24)}`, COMMIT)).toBe(
      false,
    );
    expect(revisionsMatch('0.1.0+9f2c1e4b7a3d', '9f2c1e4b7a3d')).toBe(false);
  });

  it('reads the commit a revision names, and none from chart versions or digests', () => {
    expect(gitCommitOf(`production@sha1:${COMMIT}`)).toBe(COMMIT);
    expect(gitCommitOf(`sha1:${COMMIT.toUpperCase()}`)).toBe(COMMIT);
    expect(gitCommitOf(`refs/heads/main/${COMMIT}`)).toBe(COMMIT);
    expect(gitCommitOf(COMMIT.slice(0, 7))).toBe(COMMIT.slice(0, 7));
    expect(gitCommitOf(`sha256:${'ab'.repeat(32)}`)).toBeUndefined();
    expect(gitCommitOf('abcdef12'.repeat(8))).toBeUndefined();
    expect(gitCommitOf('0.1.0')).toBeUndefined();
    expect(gitCommitOf('0.1.0+3')).toBeUndefined();
    expect(gitCommitOf('0.1.0+9f2c1e4b7a3d.2')).toBeUndefined();
    expect(gitCommitOf('')).toBeUndefined();
    expect(gitCommitOf(undefined)).toBeUndefined();
  });
  it('quotes a long operator message on one line, cut at 300 characters', () => {
    const status = evaluateDrift({
      declared: {
        version: '12',
        commit: 'a'.repeat(40),
        committedAt: '2026-11-01T00:00:00Z',
      },
      live: {
        version: '11',
        source: 'flux',
        sync: 'out-of-sync',
        revision: 'b'.repeat(40),
        message: `kustomize build failed:\n${'x'.repeat(400)}`,
      },
      gracePeriodSeconds: 300,
      now: '2026-11-02T00:00:00Z',
    });
    expect(status.reason).toContain(
      `(Flux: "kustomize build failed: ${'x'.repeat(276)}…")`,
    );
    expect(status.reason).not.toContain('\n');
  });
});
