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
  ServingStatus,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  EnvironmentDeclaration,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  EnvironmentStatusInput,
  resolveEnvironmentStatus,
} from './resolveEnvironmentStatus';

const NOW = new Date('2026-03-02T12:00:00.000Z');
const HOUR_AGO = '2026-03-02T11:00:00.000Z';
const MINUTE_AGO = '2026-03-02T11:59:00.000Z';
const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const OTHER = 'ffffffffffffffffffffffffffffffffffffffff';

function declaration(
  overrides: Partial<EnvironmentDeclaration> = {},
): EnvironmentDeclaration {
  return {
    environment: 'production',
    head: HEAD,
    headCommittedAt: HOUR_AGO,
    version: '7',
    declaring: { commit: HEAD, author: 'ada', committedAt: HOUR_AGO },
    ...overrides,
  };
}

function observation(
  overrides: Partial<LiveObservation> = {},
): LiveObservation {
  return {
    model: 'fraud-detector',
    environment: 'production',
    source: 'argocd',
    instance: 'main',
    application: 'fraud-detector-production',
    syncStatus: 'Synced',
    healthStatus: 'Healthy',
    revision: HEAD,
    operationRunning: false,
    lastSyncFinishedAt: HOUR_AGO,
    ...overrides,
  };
}

function observed(
  o: LiveObservation = observation(),
  sync: SourceSyncState = 'synced',
  version: string | null = '7',
): EnvironmentStatusInput['observation'] {
  return {
    observation: o,
    sync,
    sourceName: `${o.source}:${o.instance}`,
    version,
  };
}

function serving(overrides: Partial<ServingStatus> = {}): ServingStatus {
  return {
    state: 'serving',
    since: HOUR_AGO,
    basis: 'model-status',
    cluster: 'prod',
    namespace: 'models',
    name: 'fraud-detector',
    storageUri: 's3://models/fraud-detector/7',
    ...overrides,
  };
}

/** What a previous poll stored: in sync, observed from argocd:main an hour ago. */
function storedStatus(
  overrides: Partial<EnvironmentStatus> = {},
): EnvironmentStatus {
  return {
    name: 'production',
    declared: {
      version: '6',
      commit: OTHER,
      author: 'bo',
      committedAt: HOUR_AGO,
    },
    live: {
      version: '6',
      revision: OTHER,
      source: 'argocd',
      instance: 'main',
      application: 'fraud-detector-production',
      syncStatus: 'Synced',
      healthStatus: 'Healthy',
      observedAt: HOUR_AGO,
    },
    registry: null,
    drift: { state: 'in-sync', since: HOUR_AGO },
    ...overrides,
  };
}

const failing = (source: string) => ({
  source,
  failure: { message: 'connect ECONNREFUSED', since: MINUTE_AGO },
});

const canary: CanaryAnalysis = {
  kind: 'kserve',
  name: 'fraud-detector',
  namespace: 'models',
  cluster: 'prod',
  phase: 'failed',
  observedAt: HOUR_AGO,
};

function input(
  overrides: Partial<EnvironmentStatusInput> = {},
): EnvironmentStatusInput {
  return {
    environment: 'production',
    now: NOW,
    gracePeriodSeconds: 600,
    git: { missingBranches: [] },
    declaration: declaration(),
    observation: observed(),
    fleet: { observedAt: NOW.toISOString(), failures: [] },
    fleetKey: 'fraud-detector\u0000production',
    sourceSeen: new Map(),
    registry: null,
    ...overrides,
  };
}

describe('resolveEnvironmentStatus', () => {
  it.each<{
    name: string;
    input: Partial<EnvironmentStatusInput>;
    state: EnvironmentStatus['drift']['state'];
    reason?: string;
  }>([
    {
      name: 'in sync: the declared version is live and synced',
      input: {},
      state: 'in-sync',
    },
    {
      name: 'drifted: another version is live for longer than the grace period',
      input: { observation: observed(observation(), 'synced', '6') },
      state: 'drifted',
      reason: 'live version 6 differs from the declared version 7',
    },
    {
      name: 'progressing: another version is live within the grace period',
      input: {
        declaration: declaration({
          headCommittedAt: MINUTE_AGO,
          declaring: { commit: HEAD, author: 'ada', committedAt: MINUTE_AGO },
        }),
        observation: observed(
          observation({ lastSyncFinishedAt: undefined }),
          'synced',
          '6',
        ),
      },
      state: 'progressing',
      reason: 'within the grace period',
    },
    {
      name: 'progressing: Argo CD runs a sync operation',
      input: {
        observation: observed(
          observation({ syncStatus: 'OutOfSync', operationRunning: true }),
          'out-of-sync',
        ),
      },
      state: 'progressing',
      reason: 'a sync operation is running',
    },
    {
      name: 'progressing within the grace period: the branch head moved after the declaring commit',
      input: {
        declaration: declaration({ headCommittedAt: MINUTE_AGO }),
        observation: observed(
          observation({
            syncStatus: 'OutOfSync',
            lastSyncFinishedAt: undefined,
          }),
          'out-of-sync',
        ),
      },
      state: 'progressing',
      reason: 'Argo CD reports OutOfSync',
    },
    {
      name: 'not serving: the synced version fails to load',
      input: {
        fleet: {
          observedAt: NOW.toISOString(),
          failures: [],
          serving: {
            byKey: new Map([
              [
                'fraud-detector\u0000production',
                serving({
                  state: 'failed',
                  failure: {
                    reason: 'ModelLoadFailed',
                    message: 'no such file',
                  },
                }),
              ],
            ]),
            failed: false,
          },
        },
      },
      state: 'drifted',
      reason: 'the predictor fails: ModelLoadFailed',
    },
    {
      name: 'not serving: Argo CD reports the application Degraded',
      input: {
        observation: observed(observation({ healthStatus: 'Degraded' })),
        fleet: {
          observedAt: NOW.toISOString(),
          failures: [],
          serving: {
            byKey: new Map([['fraud-detector\u0000production', serving()]]),
            failed: false,
          },
        },
      },
      state: 'drifted',
      reason:
        'Argo CD reports the health of fraud-detector-production Degraded',
    },
    {
      name: 'unknown: the operator cannot tell its sync state',
      input: {
        observation: observed(
          observation({
            source: 'flux',
            instance: 'prod',
            syncStatus: 'Unknown',
            healthStatus: 'Unknown',
          }),
          'unknown',
        ),
      },
      state: 'unknown',
      reason: 'Flux reports sync status Unknown',
    },
    {
      name: 'not in sync: Flux is ready at another commit than the declared one',
      input: {
        observation: observed(
          observation({
            source: 'flux',
            instance: 'prod',
            syncStatus: 'Ready',
            revision: `production@sha1:${OTHER}`,
          }),
          'synced',
        ),
      },
      state: 'drifted',
      reason: 'Flux is ready at',
    },
    {
      name: 'unknown: the live version cannot be read',
      input: { observation: observed(observation(), 'synced', null) },
      state: 'unknown',
      reason: 'The live version could not be determined',
    },
    {
      name: 'missing: no source reports the environment and none fails',
      input: { observation: undefined },
      state: 'missing',
    },
    {
      name: 'unknown (stale): the source that reported it fails',
      input: {
        observation: undefined,
        before: { status: storedStatus(), observedFrom: 'argocd:main' },
        fleet: {
          observedAt: NOW.toISOString(),
          failures: [failing('argocd:main')],
        },
      },
      state: 'unknown',
      reason: 'argocd:main failing since',
    },
    {
      name: 'unknown: the config repo has no branch for the environment',
      input: {
        git: { missingBranches: ['production'] },
        declaration: undefined,
      },
      state: 'unknown',
      reason: 'The config repo has no branch "production"',
    },
    {
      name: 'unknown: the manifest has no version',
      input: {
        declaration: declaration({
          version: null,
          manifestProblem: 'model_version: Required',
        }),
      },
      state: 'unknown',
      reason: 'model_version: Required',
    },
    {
      name: 'unknown: Git cannot be read',
      input: {
        git: {
          missingBranches: [],
          failure: { message: 'Bad credentials', since: MINUTE_AGO },
        },
        declaration: undefined,
      },
      state: 'unknown',
      reason: 'git failing since',
    },
  ])('$name', ({ input: overrides, state, reason }) => {
    const { status } = resolveEnvironmentStatus(input(overrides));
    expect(status.drift.state).toBe(state);
    expect(status.drift.reason ?? '').toContain(reason ?? '');
  });

  it('shows what Git declares and what the operator reports, observed from its source', () => {
    const { status, observedFrom } = resolveEnvironmentStatus(input());
    expect(observedFrom).toBe('argocd:main');
    expect(status).toEqual({
      name: 'production',
      declared: {
        version: '7',
        commit: HEAD,
        author: 'ada',
        committedAt: HOUR_AGO,
      },
      live: {
        version: '7',
        revision: HEAD,
        source: 'argocd',
        instance: 'main',
        application: 'fraud-detector-production',
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
        observedAt: NOW.toISOString(),
      },
      registry: null,
      drift: { state: 'in-sync', since: HOUR_AGO },
    });
  });

  it('keeps the last declared version while Git cannot be read', () => {
    const before = storedStatus();
    const { status } = resolveEnvironmentStatus(
      input({
        git: {
          missingBranches: [],
          failure: { message: 'Bad credentials', since: MINUTE_AGO },
        },
        declaration: undefined,
        before: { status: before },
      }),
    );
    expect(status.declared).toEqual(before.declared);
  });

  it('keeps a live state nobody reports, observed when its source last answered', () => {
    const seen = '2026-03-02T11:58:00.000Z';
    const { status, observedFrom } = resolveEnvironmentStatus(
      input({
        observation: undefined,
        before: { status: storedStatus(), observedFrom: 'argocd:main' },
        fleet: {
          observedAt: NOW.toISOString(),
          failures: [failing('argocd:main')],
        },
        sourceSeen: new Map([['argocd:main', seen]]),
      }),
    );
    expect(status.live).toEqual({ ...storedStatus().live, observedAt: seen });
    expect(observedFrom).toBeUndefined();
  });

  it('blames only the failing source that last reported the environment', () => {
    const { status } = resolveEnvironmentStatus(
      input({
        observation: undefined,
        before: { status: storedStatus(), observedFrom: 'argocd:main' },
        fleet: {
          observedAt: NOW.toISOString(),
          failures: [failing('argocd:other'), failing('argocd:main')],
        },
      }),
    );
    expect(status.drift.reason).toContain('argocd:main');
    expect(status.drift.reason).not.toContain('argocd:other');
  });

  it('passes the registry through: without one the status still resolves', () => {
    const registry = {
      version: '7',
      exists: true,
      aliases: ['champion'],
      metrics: { auc: 0.93 },
      gate: 'passed' as const,
    };
    expect(resolveEnvironmentStatus(input()).status.registry).toBeNull();
    expect(resolveEnvironmentStatus(input({ registry })).status.registry).toBe(
      registry,
    );
  });

  it('shows the canary analysis, and keeps the last one while a cluster cannot be read', () => {
    const before = { status: storedStatus({ canary }) };
    const read = (failed: boolean) =>
      resolveEnvironmentStatus(
        input({
          before,
          fleet: {
            observedAt: NOW.toISOString(),
            failures: [],
            canaries: { byKey: new Map(), failed },
          },
        }),
      ).status.canary;
    expect(read(true)).toBe(canary);
    expect(read(false)).toBeNull();
    expect(
      resolveEnvironmentStatus(input({ before })).status,
    ).not.toHaveProperty('canary');
  });

  it('keeps the last serving state while the cluster cannot be read, and drops the storage URI of a Degraded one', () => {
    const lastKnown = serving();
    const before = {
      status: storedStatus({
        live: { ...storedStatus().live!, serving: lastKnown },
      }),
    };
    const fleet = {
      observedAt: NOW.toISOString(),
      failures: [],
      serving: { byKey: new Map(), failed: true },
    };
    expect(
      resolveEnvironmentStatus(input({ before, fleet })).status.live?.serving,
    ).toBe(lastKnown);
    const degraded = resolveEnvironmentStatus(
      input({
        before,
        fleet,
        observation: observed(observation({ healthStatus: 'Degraded' })),
      }),
    ).status.live?.serving;
    expect(degraded?.state).toBe('failed');
    expect(degraded).not.toHaveProperty('storageUri');
  });
});
