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
  DriftSourceError,
  EnvironmentFreeze,
  EnvironmentStatus,
  evaluateDrift,
  LiveState,
  RegistryState,
  ServingStatus,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  EnvironmentDeclaration,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { Failure } from './failures';
import { FleetObservations } from './fleetObservations';

/**
 * Everything one environment's status is made of, read beforehand: no I/O
 * happens while it is resolved.
 */
export type EnvironmentStatusInput = {
  environment: string;
  now: Date;
  /** `mlGitops.driftGracePeriod`, in seconds. */
  gracePeriodSeconds: number;
  /** The stored status, and the source its live state was observed from. */
  before?: { status: EnvironmentStatus; observedFrom?: string };
  /** What the config repo read found (its failure, the branches it lacks). */
  git: { failure?: Failure; missingBranches: string[] };
  /** The branch's declaration; absent when the branch could not be read or is missing. */
  declaration?: EnvironmentDeclaration;
  /**
   * This cycle's observation of the environment, with the revision of the
   * entity's config repo; absent when no source reported it.
   */
  observation?: {
    observation: LiveObservation;
    /** The observation's state as its source maps it to the contract's. */
    sync: SourceSyncState;
    /** `kind:instance` of the source that reported it, when known. */
    sourceName?: string;
    /** The live version read from the serving objects or the manifest. */
    version: string | null;
  };
  /** The cycle's fleet read: its time, failing sources, serving objects, canaries. */
  fleet: Pick<
    FleetObservations,
    'observedAt' | 'failures' | 'serving' | 'canaries'
  >;
  /** The key of this model environment in `fleet`. */
  fleetKey: string;
  /** When each deployment source last answered (`argocd:main` → ISO time). */
  sourceSeen: ReadonlyMap<string, string>;
  registry: RegistryState | null;
  freeze?: EnvironmentFreeze;
};

/**
 * The status of one environment from what Git declares, what the operator
 * reports and what the registry knows, by the drift rules of the design
 * contract. A failing source makes the environment `unknown`, and the last
 * good values stay.
 */
export function resolveEnvironmentStatus(input: EnvironmentStatusInput): {
  status: EnvironmentStatus;
  /** The source the live state was observed from this cycle. */
  observedFrom?: string;
} {
  const { environment, now, before, git, declaration, fleet } = input;
  const observed = input.observation;
  const observation = observed?.observation;
  const prior = before?.status;

  const errors: DriftSourceError[] = [];
  if (git.failure) {
    errors.push({ source: 'git', ...git.failure });
  }
  if (!observation) {
    // The source that last reported this environment is the one to
    // blame when it fails; without one, any failing source may hold it.
    const last = prior?.live
      ? `${prior.live.source}:${prior.live.instance}`
      : undefined;
    const own = fleet.failures.filter(f => f.source === last);
    for (const f of own.length > 0 ? own : fleet.failures) {
      errors.push({ source: f.source, ...f.failure });
    }
  }

  const declared = declaredState(
    declaration,
    git.failure ? prior?.declared ?? null : null,
  );

  let live: LiveState | null = prior?.live ?? null;
  let observedFrom: string | undefined;
  if (live && before?.observedFrom) {
    // Kept from before: observed when its source last answered.
    const seen = input.sourceSeen.get(before.observedFrom);
    if (seen && seen > live.observedAt) {
      live = { ...live, observedAt: seen };
    }
  }
  if (observed && observation) {
    observedFrom = observed.sourceName;
    live = {
      version: observed.version,
      revision: observation.revision,
      source: observation.source,
      instance: observation.instance,
      application: observation.application,
      syncStatus: observation.syncStatus,
      healthStatus: observation.healthStatus,
      observedAt: fleet.observedAt,
      ...(observation.url ? { url: observation.url } : {}),
    };
    const serving = servingOf(
      fleet,
      input.fleetKey,
      prior?.live?.serving,
      observation,
    );
    if (serving) live.serving = serving;
  }

  let drift: EnvironmentStatus['drift'];
  if (!git.failure && git.missingBranches.includes(environment)) {
    drift = {
      state: 'unknown',
      reason: `The config repo has no branch "${environment}"; create it or change mlGitops.environments`,
    };
  } else if (declaration && !declaration.version && !git.failure) {
    drift = {
      state: 'unknown',
      reason:
        declaration.manifestProblem ?? 'The manifest has no model_version',
    };
  } else {
    drift = evaluateDrift({
      now,
      gracePeriodSeconds: input.gracePeriodSeconds,
      applicationMissing: !observation && errors.length === 0,
      sourceErrors: errors,
      declared: driftDeclared(declared, declaration),
      live:
        observed && observation && live
          ? {
              version: live.version,
              source: observation.source,
              sync: observed.sync,
              revision: observation.revision,
              ...(observation.statusMessage
                ? { message: observation.statusMessage }
                : {}),
              operation: {
                running: observation.operationRunning,
                ...(observation.lastSyncFinishedAt
                  ? { finishedAt: observation.lastSyncFinishedAt }
                  : {}),
              },
              ...(live.serving ? { serving: live.serving } : {}),
            }
          : null,
    });
  }

  const status: EnvironmentStatus = {
    name: environment,
    declared,
    live,
    registry: input.registry,
    drift,
    ...(input.freeze ? { freeze: input.freeze } : {}),
  };
  if (fleet.canaries) {
    // While a cluster cannot be read, the last known analysis stays.
    status.canary =
      fleet.canaries.byKey.get(input.fleetKey) ??
      (fleet.canaries.failed ? prior?.canary ?? null : null);
  }
  return { status, ...(observedFrom ? { observedFrom } : {}) };
}

/**
 * Whether the serving object's version serves, from this cycle's read: the
 * last known state while a cluster cannot be read; absent when no serving
 * object carries the model and environment. Argo CD's Degraded health is
 * never serving (KServe's own status may not have caught up, or another
 * object of the application fails).
 */
function servingOf(
  fleet: Pick<FleetObservations, 'serving'>,
  k: string,
  lastKnown: ServingStatus | undefined,
  observation: LiveObservation,
): ServingStatus | undefined {
  if (!fleet.serving) return undefined;
  const serving =
    fleet.serving.byKey.get(k) ??
    (fleet.serving.failed ? lastKnown : undefined);
  if (
    serving?.state === 'serving' &&
    observation.source === 'argocd' &&
    observation.healthStatus === 'Degraded'
  ) {
    const { storageUri: _storageUri, ...rest } = serving;
    return {
      ...rest,
      state: 'failed',
      failure: {
        reason: 'Degraded',
        message: `Argo CD reports the health of ${observation.application} Degraded`,
      },
    };
  }
  return serving;
}

/**
 * What the API shows as declared: the version at the branch head with the
 * commit that set it; the last good value while Git cannot be read.
 */
function declaredState(
  declaration: EnvironmentDeclaration | undefined,
  lastGood: EnvironmentStatus['declared'],
): EnvironmentStatus['declared'] {
  if (!declaration) {
    return lastGood;
  }
  if (!declaration.version) {
    return null;
  }
  const { declaring } = declaration;
  return {
    version: declaration.version,
    commit: declaring.commit,
    author: declaring.author,
    committedAt: declaring.committedAt,
    ...(declaring.pullRequest ? { pullRequest: declaring.pullRequest } : {}),
  };
}

/**
 * What the drift rules compare with: the operator applies the branch head,
 * and the grace period runs from the latest change of the branch.
 */
function driftDeclared(
  declared: EnvironmentStatus['declared'],
  declaration: EnvironmentDeclaration | undefined,
) {
  if (!declared) {
    return null;
  }
  if (!declaration) {
    return {
      version: declared.version,
      commit: declared.commit,
      committedAt: declared.committedAt,
    };
  }
  const headIsLater =
    Date.parse(declaration.headCommittedAt) > Date.parse(declared.committedAt);
  return {
    version: declared.version,
    commit: declaration.head,
    committedAt: headIsLater
      ? declaration.headCommittedAt
      : declared.committedAt,
  };
}
