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

import type {
  DeploymentSourceKind,
  DriftStatus,
  ServingStatus,
} from '../api/types';
import { describeServing } from '../serving/serving';

/**
 * The sync state of a deployment source, normalised across operators; see
 * {@link argoCdSyncState} and {@link fluxSyncState}.
 *
 * - `synced`: Argo CD `Synced`; Flux `Ready=True` and not reconciling.
 * - `out-of-sync`: Argo CD `OutOfSync`; Flux `Ready=False`.
 * - `reconciling`: Flux `Reconciling=True` (Argo CD reports a running
 *   operation instead, see {@link DriftInput}).
 * - `unknown`: the operator cannot tell (Argo CD `Unknown`, Flux
 *   `Ready=Unknown`).
 *
 * @public
 */
export type SourceSyncState =
  | 'synced'
  | 'out-of-sync'
  | 'reconciling'
  | 'unknown';

/**
 * A source of facts that failed, e.g. the Argo CD instance or the Git host.
 *
 * @public
 */
export type DriftSourceError = {
  /** Which source, e.g. `argocd:main`, `flux:prod-eu`, `git`, `cluster:prod-eu`. */
  source: string;
  /** What went wrong. */
  message: string;
  /** ISO 8601: since when it fails. */
  since: string;
};

/**
 * Everything the drift rules need for one environment. All facts come from
 * Git and the operator, never from when the caller first looked, so the
 * answer is the same after a restart.
 *
 * @public
 */
export type DriftInput = {
  /** The current time (injected for testability). */
  now: Date | string;
  /** The grace period, in seconds (`mlGitops.driftGracePeriod`). */
  gracePeriodSeconds: number;
  /** No Argo CD Application / Flux object carries this model and environment. */
  applicationMissing?: boolean;
  /** Sources needed for the answer that failed. */
  sourceErrors?: DriftSourceError[];
  /** What Git declares: the head commit of the environment's branch. */
  declared?: {
    version: string;
    commit: string;
    /** ISO 8601 commit time of the declaring commit. */
    committedAt: string;
  } | null;
  /** What the operator reports. */
  live?: {
    /** The live model version; null when it could not be determined. */
    version: string | null;
    source: DeploymentSourceKind;
    sync: SourceSyncState;
    /**
     * The commit the operator reports as synced/applied. For Flux, empty or
     * a revision that names no commit (see {@link gitCommitOf}) when the
     * operator reports none (a HelmRelease chart version under
     * `reconcileStrategy: ChartVersion`, an OCI artifact without an origin
     * revision): then the version and Ready decide alone.
     */
    revision?: string;
    /** The operator's own words on why it is not synced, quoted in the reason. */
    message?: string;
    /** The operator's last (or current) sync operation. */
    operation?: {
      running: boolean;
      /** ISO 8601 end of the last finished operation. */
      finishedAt?: string;
    };
    /**
     * Whether the serving object's version serves; absent when no serving
     * object carries the model and environment (no KServe, no
     * InferenceService): then the sync and the version decide alone, so
     * setups without KServe keep working.
     */
    serving?: ServingStatus;
  } | null;
};

/**
 * Maps Argo CD's `status.sync.status` to a {@link SourceSyncState}.
 *
 * @public
 */
export function argoCdSyncState(
  syncStatus: string | undefined,
): SourceSyncState {
  switch (syncStatus) {
    case 'Synced':
      return 'synced';
    case 'OutOfSync':
      return 'out-of-sync';
    default:
      return 'unknown';
  }
}

/**
 * Maps the `Ready` and `Reconciling` conditions of a Flux Kustomization or
 * HelmRelease (their `status` fields: `"True"`, `"False"`, `"Unknown"`) to a
 * {@link SourceSyncState}.
 *
 * @public
 */
export function fluxSyncState(conditions: {
  ready?: string;
  reconciling?: string;
}): SourceSyncState {
  if (conditions.reconciling === 'True') return 'reconciling';
  if (conditions.ready === 'True') return 'synced';
  if (conditions.ready === 'False') return 'out-of-sync';
  return 'unknown';
}

/**
 * The Git commit a revision names, lower case, or undefined when it names
 * none. Understands a plain SHA (7 to 40 hex characters, abbreviated or
 * full), Flux's `<ref>@sha1:<sha>` and `sha1:<sha>` and the `<branch>/<sha>`
 * of source-controller before v1 (fluxcd/source-controller
 * docs/spec/v1/gitrepositories.md, "Artifact"). A `sha256:` digest (an OCI
 * artifact or a Bucket) and a Helm chart version (`0.1.0`, `0.1.0+3`,
 * `0.1.0+9f2c1e4b7a3d`) name no commit.
 *
 * @public
 */
export function gitCommitOf(revision: string | undefined): string | undefined {
  const value = revision?.trim() ?? '';
  const algorithm = /^(?:[^@]*@)?([a-z0-9]+):([0-9a-f]+)$/i.exec(value);
  if (algorithm) {
    return algorithm[1].toLowerCase() === 'sha1' &&
      algorithm[2].length >= 7 &&
      algorithm[2].length <= 40
      ? algorithm[2].toLowerCase()
      : undefined;
  }
  return /^(?:[^@:+]*\/)?([0-9a-f]{7,40})$/i.exec(value)?.[1]?.toLowerCase();
}

/**
 * Whether two Git revisions name the same commit (see {@link gitCommitOf}
 * for the forms); an abbreviated SHA matches the full one. Revisions that
 * name no commit match nothing.
 *
 * @public
 */
export function revisionsMatch(
  a: string | undefined,
  b: string | undefined,
): boolean {
  const x = gitCommitOf(a);
  const y = gitCommitOf(b);
  return !!x && !!y && (x.startsWith(y) || y.startsWith(x));
}

function toMillis(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h < 48) return `${h}h${m ? ` ${m}m` : ''}`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const SOURCE_NAMES: Record<DeploymentSourceKind, string> = {
  argocd: 'Argo CD',
  flux: 'Flux',
};

/**
 * The drift rules of one environment (see the design's "Drift rules"):
 *
 * - `missing`: no Argo CD Application / Flux object carries the model and
 *   environment.
 * - `unknown`: a source needed for the answer failed (`reason` says which
 *   and since when), or a needed fact is absent.
 * - `in-sync`: the live version equals the declared one, the source
 *   reports synced (Flux: at the declared revision) and, where a serving
 *   object is read, the version serves (Ready, model loaded, all its
 *   traffic or its canary share; see {@link ServingStatus}). Where no
 *   serving object carries the model and environment (no KServe on the
 *   cluster, no InferenceService), the sync and the version decide alone.
 * - `progressing`: they differ, the source is out of sync / reconciling, or
 *   the declared version does not serve (rolling out, failing, not ready),
 *   but the declaring commit is younger than the grace period or an
 *   operation is running. The reason quotes the serving failure, e.g.
 *   "the predictor fails: ModelLoadFailed: …".
 * - `drifted`: the same, for longer than the grace period.
 *
 * The grace period counts from the later of the declaring commit's time and
 * the end of the operator's last sync operation. `since` is that reference
 * time for in-sync, progressing and drifted, and the first failure for
 * unknown.
 *
 * @public
 */
export function evaluateDrift(input: DriftInput): DriftStatus {
  if (input.applicationMissing) {
    return {
      state: 'missing',
      reason:
        'No Argo CD Application or Flux object carries the labels ml-gitops/model and ml-gitops/environment for this model and environment',
    };
  }

  const errors = input.sourceErrors ?? [];
  if (errors.length > 0) {
    const sorted = [...errors].sort(
      (a, b) => (toMillis(a.since) ?? 0) - (toMillis(b.since) ?? 0),
    );
    const since = toMillis(sorted[0].since);
    return {
      state: 'unknown',
      ...(since !== undefined ? { since: new Date(since).toISOString() } : {}),
      reason: sorted
        .map(e => `${e.source} failing since ${e.since}: ${e.message}`)
        .join('; '),
    };
  }

  const { declared, live } = input;
  if (!declared) {
    return {
      state: 'unknown',
      reason:
        'The declared version is not known (the manifest could not be read from Git)',
    };
  }
  if (!live) {
    return { state: 'unknown', reason: 'No live state has been observed yet' };
  }
  const source = SOURCE_NAMES[live.source];
  if (live.version === null) {
    return {
      state: 'unknown',
      reason: `The live version could not be determined: no ml-gitops/model-version label on the serving objects and no manifest at the revision ${source} reports`,
    };
  }
  if (live.sync === 'unknown') {
    return {
      state: 'unknown',
      reason: `${source} reports sync status Unknown`,
    };
  }

  const now = toMillis(input.now) ?? Date.now();
  const committedAt = toMillis(declared.committedAt);
  const finishedAt = toMillis(live.operation?.finishedAt);
  const reference =
    committedAt === undefined && finishedAt === undefined
      ? undefined
      : Math.max(committedAt ?? -Infinity, finishedAt ?? -Infinity);
  const since =
    reference !== undefined ? new Date(reference).toISOString() : undefined;
  const withSince = (status: DriftStatus): DriftStatus =>
    since ? { ...status, since } : status;

  const versionsMatch = live.version === declared.version;
  // Flux speaks for a commit only when its revision names one: a HelmRelease
  // chart version or an OCI digest does not, and then the version and Ready
  // decide alone (a plain chart version is never drift).
  const atDeclaredRevision =
    live.source === 'flux' && gitCommitOf(live.revision)
      ? revisionsMatch(live.revision, declared.commit)
      : true;
  const notServing = live.serving ? describeServing(live.serving) : undefined;
  if (
    versionsMatch &&
    live.sync === 'synced' &&
    atDeclaredRevision &&
    !notServing
  ) {
    return withSince({ state: 'in-sync' });
  }

  let what: string;
  if (versionsMatch && live.sync === 'synced' && atDeclaredRevision) {
    what = notServing!;
  } else if (!versionsMatch) {
    what = `live version ${live.version} differs from the declared version ${declared.version}`;
  } else if (live.sync === 'out-of-sync') {
    what =
      live.revision && revisionsMatch(live.revision, declared.commit)
        ? `${source} reports OutOfSync at the declared revision (changed out of band)`
        : `${source} reports OutOfSync`;
  } else if (live.sync === 'reconciling') {
    what = `${source} is reconciling`;
  } else {
    what = `${source} is ready at ${
      live.revision ?? 'an unknown revision'
    }, not at the declared commit ${declared.commit.slice(0, 12)}`;
  }
  if (notServing && what !== notServing) {
    what = `${what}, and ${notServing}`;
  }

  if (live.message) {
    // An operator's message can be a whole multi-line build log: one line,
    // at most 300 characters, in the reason.
    const flat = live.message.replace(/\s+/g, ' ').trim();
    what = `${what} (${source}: "${
      flat.length > 300 ? `${flat.slice(0, 300)}…` : flat
    }")`;
  }

  if (live.operation?.running) {
    return withSince({
      state: 'progressing',
      reason: `${what}; a sync operation is running`,
    });
  }
  const grace = formatDuration(input.gracePeriodSeconds);
  if (reference !== undefined) {
    const age = (now - reference) / 1000;
    if (age < input.gracePeriodSeconds) {
      return withSince({
        state: 'progressing',
        reason: `${what}; within the grace period (${formatDuration(
          age,
        )} of ${grace})`,
      });
    }
    return withSince({
      state: 'drifted',
      reason: `${what} for ${formatDuration(
        age,
      )}, longer than the grace period of ${grace}`,
    });
  }
  return {
    state: 'drifted',
    reason: `${what}, and neither the commit time nor the end of the last sync is known`,
  };
}
