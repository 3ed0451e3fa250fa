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

// What a Flux Kustomization or HelmRelease says: readiness, applied revision, the observation made of it.

import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import { LiveObservation } from '@ml-gitops/plugin-ml-gitops-node';
import { KubeObject } from '../kubernetes/KubernetesClusters';

type Condition = {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};

const HELM_GROUP = 'helm.toolkit.fluxcd.io';
/** The Flux kinds that apply a config repo, by API group. */
const APPLIERS = [
  { group: 'kustomize.toolkit.fluxcd.io', plural: 'kustomizations' },
  { group: HELM_GROUP, plural: 'helmreleases' },
] as const;

/**
 * The Git commit in a Flux source revision, or '' when the revision names no
 * commit. Flux's revision formats (fluxcd/source-controller
 * docs/spec/v1/gitrepositories.md and ocirepositories.md, "Artifact"
 * revision): a GitRepository reports `<ref>@sha1:<commit>` (`sha1:<commit>`
 * for a plain commit checkout; `<branch>/<commit>` before source-controller
 * v1), an OCIRepository `<tag>@sha256:<digest>` or `sha256:<digest>` and a
 * Bucket `sha256:<digest>` (`<tag>/<digest hex>` before v1). Only a SHA-1
 * names a Git commit: a sha256 digest is the hash of an artifact, not of a
 * commit, so it gives ''.
 */
export function fluxRevisionCommit(revision: unknown): string {
  const value = typeof revision === 'string' ? revision.trim() : '';
  const algorithm = /^(?:[^@]*@)?([a-z0-9]+):([0-9a-f]+)$/i.exec(value);
  if (algorithm) {
    return algorithm[1].toLowerCase() === 'sha1' && algorithm[2].length === 40
      ? algorithm[2].toLowerCase()
      : '';
  }
  const legacy = /^(?:.+\/)?([0-9a-f]+)$/i.exec(value);
  return legacy && legacy[1].length === 40 ? legacy[1].toLowerCase() : '';
}

/**
 * The commit prefix in the chart version of a HelmRelease whose chart is
 * built from a GitRepository, or '' when it has none.
 *
 * source-controller (internal/controller/helmchart_controller.go,
 * buildFromTarballArtifact) sets the SemVer build metadata of a chart built
 * with `reconcileStrategy: Revision` from a GitRepository to the first 12
 * hex characters of the commit, followed by `.<HelmChart generation>` when
 * the chart has `valuesFiles`: `0.1.0+9f2c1e4b7a3d` or
 * `0.1.0+9f2c1e4b7a3d.2`. With the default `reconcileStrategy:
 * ChartVersion` the version is the chart's own (`0.1.0`, or `0.1.0+2` with
 * valuesFiles): no commit is in it, and a Git commit that does not bump the
 * chart version is not even packaged into a new chart.
 */
export function chartVersionCommit(
  chartVersion: unknown,
  reconcileStrategy: unknown,
): string {
  if (reconcileStrategy !== 'Revision' || typeof chartVersion !== 'string') {
    return '';
  }
  const metadata = chartVersion.trim().split('+')[1] ?? '';
  const first = metadata.split('.')[0];
  return /^[0-9a-f]{12}$/i.test(first) ? first.toLowerCase() : '';
}

function conditionsOf(object: KubeObject): Condition[] {
  const conditions = (object.status as { conditions?: Condition[] } | undefined)
    ?.conditions;
  return Array.isArray(conditions)
    ? conditions.filter(c => typeof c === 'object' && c !== null)
    : [];
}

function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * Readiness as ML GitOps reports it: Ready, NotReady, Reconciling, Stalled
 * or Unknown, and whether an operation (an apply) is running.
 *
 * The rules follow Flux's own:
 * - kustomize-controller (internal/controller/kustomization_controller.go,
 *   `reconcile`) marks every reconciliation `Ready=Unknown` (reason
 *   Progressing, "Reconciliation in progress") and `Reconciling=True`
 *   (reason Progressing) before it fetches, builds and applies: that is an
 *   apply running.
 * - When it fails, `Ready=False` carries the failure, and the controllers'
 *   `finalizeStatus` keeps `Reconciling=True` but sets its reason to
 *   `ProgressingWithRetry` until the next attempt (fluxcd/pkg
 *   runtime/conditions; kustomize-controller docs/spec/v1/kustomizations.md,
 *   "Failed Kustomization"). kstatus would call that InProgress, but the
 *   `flux` CLI calls a reconciliation whose Ready is False failed, whatever
 *   Reconciling says (flux2 cmd/flux/reconcile.go: "reconciliation
 *   failed"), and so does this plugin: a retrying failure is NotReady, no
 *   operation runs, and it becomes drift after the grace period.
 * - `Stalled=True` means Flux gave up until the spec changes.
 * - A new attempt after a failure is Progressing again; when the newest
 *   history entry already failed at the revision being attempted, it is a
 *   retry of that failure (still NotReady, quoting the recorded failure)
 *   rather than a fresh apply, so a retrying failure does not flap between
 *   drifted and progressing on every retry.
 */
export function fluxReadiness(
  object: KubeObject,
  group: string = 'kustomize.toolkit.fluxcd.io',
): {
  syncStatus: string;
  healthStatus: string;
  reconciling: boolean;
  message?: string;
} {
  const conditions = conditionsOf(object);
  const get = (type: string) => conditions.find(c => c.type === type);
  const ready = get('Ready');
  const reconcilingCondition = get('Reconciling');
  const stalled = get('Stalled')?.status === 'True';
  const reconciling = reconcilingCondition?.status === 'True';
  const failedMessage = (condition?: Condition) =>
    condition?.message ?? condition?.reason ?? undefined;
  if (stalled) {
    return {
      syncStatus: 'Stalled',
      healthStatus: 'Degraded',
      reconciling: false,
      ...withMessage(failedMessage(get('Stalled')) ?? failedMessage(ready)),
    };
  }
  if (ready?.status === 'False') {
    return {
      syncStatus: 'NotReady',
      healthStatus: 'Degraded',
      reconciling: false,
      ...withMessage(failedMessage(ready)),
    };
  }
  if (reconciling) {
    const retry = retriedFailure(object, group);
    if (retry) {
      return {
        syncStatus: 'NotReady',
        healthStatus: 'Degraded',
        reconciling: false,
        message: retry,
      };
    }
    return {
      syncStatus: 'Reconciling',
      healthStatus: 'Progressing',
      reconciling: true,
    };
  }
  if (ready?.status === 'True') {
    return { syncStatus: 'Ready', healthStatus: 'Healthy', reconciling: false };
  }
  return { syncStatus: 'Unknown', healthStatus: 'Unknown', reconciling: false };
}

/**
 * The contract's sync state of a readiness {@link fluxReadiness} reported:
 * Flux objects report readiness, not Argo CD's sync status.
 */
export function fluxReadinessSyncState(syncStatus: string): SourceSyncState {
  switch (syncStatus) {
    case 'Ready':
      return 'synced';
    case 'Reconciling':
      return 'reconciling';
    case 'NotReady':
    case 'Stalled':
      return 'out-of-sync';
    default:
      return 'unknown';
  }
}

function withMessage(message: string | undefined) {
  return message ? { message } : {};
}

type KustomizationSnapshot = {
  digest?: string;
  firstReconciled?: string;
  lastReconciled?: string;
  lastReconciledStatus?: string;
  metadata?: { revision?: string };
};

/**
 * The fields of a HelmRelease v2 history entry this plugin reads
 * (helm-controller api/v2 snapshot_types.go, `Snapshot`: also digest, name,
 * namespace, chartName, appVersion, configDigest, firstDeployed, deleted,
 * testHooks, ociDigest).
 */
type HelmReleaseSnapshot = {
  /** The Helm release version (revision number). */
  version?: number;
  chartVersion?: string;
  status?: string;
  lastDeployed?: string;
};

function historyOf<T>(object: KubeObject): T[] {
  const history = (object.status as { history?: unknown } | undefined)?.history;
  return Array.isArray(history)
    ? history.filter((h): h is T => typeof h === 'object' && h !== null)
    : [];
}

/**
 * A retry in progress of a failure Flux recorded, as a message; undefined
 * when the running reconciliation is not a retry.
 * - Kustomization: `status.history` (kustomize-controller v1.7+,
 *   fluxcd/pkg apis/meta `History.Upsert`, newest first) whose newest entry
 *   failed at the revision now being attempted (`lastAttemptedRevision`).
 * - HelmRelease v2: `status.failures`, the failures since the last success
 *   (helm-controller docs/spec/v2/helmreleases.md, "Failures").
 */
function retriedFailure(object: KubeObject, group: string): string | undefined {
  const status = (object.status ?? {}) as {
    lastAttemptedRevision?: string;
    failures?: number;
  };
  if (group === HELM_GROUP) {
    return typeof status.failures === 'number' && status.failures > 0
      ? `retrying after ${status.failures} failed attempt${
          status.failures === 1 ? '' : 's'
        } at chart ${status.lastAttemptedRevision ?? 'version unknown'}`
      : undefined;
  }
  const newest = historyOf<KustomizationSnapshot>(object)[0];
  if (
    newest?.lastReconciledStatus &&
    newest.lastReconciledStatus !== 'ReconciliationSucceeded' &&
    newest.metadata?.revision === status.lastAttemptedRevision
  ) {
    return `retrying after ${newest.lastReconciledStatus} at ${newest.metadata?.revision}`;
  }
  return undefined;
}

/**
 * What is applied and since when, from what Flux records.
 *
 * Ready's lastTransitionTime cannot say when the applied revision changed:
 * every reconciliation turns Ready Unknown and back to True
 * (kustomize-controller `reconcile`), so it restarts at every interval.
 * What Flux records instead:
 * - Kustomization (kustomize-controller v1.7+): `status.history`, one entry
 *   per digest of the applied manifests and status, newest first; the
 *   newest `ReconciliationSucceeded` entry's `firstReconciled` is the end of
 *   the first reconciliation that applied those manifests (fluxcd/pkg
 *   apis/meta history.go `Upsert`; kustomize-controller
 *   docs/spec/v1/kustomizations.md, "History"). Older controllers record no
 *   time: then none is reported, and the grace period counts from the
 *   declaring commit alone, which keeps DESIGN.md's rule that only facts from
 *   Git and the operator count (a restarted backend flags an old drift at
 *   once). The revision is `lastAppliedRevision`, or for an OCI source its
 *   `lastAppliedOriginRevision` (the `org.opencontainers.image.revision`
 *   the artifact was pushed with).
 * - HelmRelease v2: `status.history`, the Helm release snapshots, newest
 *   first (helm-controller docs/spec/v2/helmreleases.md, "History"); the
 *   newest with `status: deployed` is what serves. Its `lastDeployed` is
 *   Helm's `info.last_deployed` of that release version, stamped when the
 *   install/upgrade/rollback that made it ran; periodic reconciles that
 *   change nothing create no release. (`firstDeployed` is the first deploy
 *   of the release as a whole, copied into every later version by Helm's
 *   upgrade action, so it says nothing about the current version.) Its
 *   commit comes from the chart version only with `reconcileStrategy:
 *   Revision` and a GitRepository source; see {@link chartVersionCommit}.
 */
function appliedState(
  object: KubeObject,
  group: string,
): {
  revision: string;
  changedAt?: string;
} {
  const status = (object.status ?? {}) as {
    lastAppliedRevision?: string;
    lastAppliedOriginRevision?: string;
  };
  if (group === HELM_GROUP) {
    const spec = object.spec as
      | {
          chart?: {
            spec?: {
              reconcileStrategy?: string;
              sourceRef?: { kind?: string };
            };
          };
        }
      | undefined;
    // Only a chart built from a GitRepository carries a commit: under
    // `Revision` a Bucket's chart carries 12 hex characters of the bucket's
    // sha256 digest instead (source-controller
    // internal/controller/helmchart_controller.go, buildFromTarballArtifact),
    // and a `spec.chartRef` (OCIRepository, HelmChart) names no Git source.
    const strategy =
      spec?.chart?.spec?.sourceRef?.kind === 'GitRepository'
        ? spec.chart.spec.reconcileStrategy ?? 'ChartVersion'
        : 'none';
    // Newest release version first, as helm-controller sorts them
    // (Snapshots.SortByVersion), whatever order the list has.
    const history = historyOf<HelmReleaseSnapshot>(object).sort(
      (a, b) => (b.version ?? 0) - (a.version ?? 0),
    );
    const deployed = history.find(h => h.status === 'deployed');
    // v2beta1 had no history but lastAppliedRevision (the chart version).
    const chartVersion = deployed?.chartVersion ?? status.lastAppliedRevision;
    const changedAt = isoTime(deployed?.lastDeployed);
    return {
      revision: chartVersionCommit(chartVersion, strategy),
      ...(changedAt ? { changedAt } : {}),
    };
  }
  const revision =
    fluxRevisionCommit(status.lastAppliedRevision) ||
    fluxRevisionCommit(status.lastAppliedOriginRevision);
  const applied = historyOf<KustomizationSnapshot>(object).find(
    h => h.lastReconciledStatus === 'ReconciliationSucceeded',
  );
  const changedAt =
    applied && fluxRevisionCommit(applied.metadata?.revision) === revision
      ? isoTime(applied.firstReconciled)
      : undefined;
  return { revision, ...(changedAt ? { changedAt } : {}) };
}

/** The GitRepository a Kustomization or HelmRelease reads from, if any. */
export function sourceRefOf(
  object: KubeObject,
): { name: string; namespace: string } | undefined {
  const spec = object.spec as
    | {
        sourceRef?: { kind?: string; name?: string; namespace?: string };
        chart?: {
          spec?: {
            sourceRef?: { kind?: string; name?: string; namespace?: string };
          };
        };
      }
    | undefined;
  const ref = spec?.sourceRef ?? spec?.chart?.spec?.sourceRef;
  if (ref?.kind !== 'GitRepository' || !ref.name) return undefined;
  return {
    name: ref.name,
    namespace: ref.namespace ?? object.metadata.namespace ?? 'flux-system',
  };
}

/**
 * The observation of one Flux Kustomization or HelmRelease, as the list and
 * the watch both report it; undefined without the model and environment
 * labels.
 */
export function fluxObservation(
  object: KubeObject,
  group: string,
  instance: string,
): LiveObservation | undefined {
  const model = object.metadata.labels?.[LABEL_MODEL];
  const environment = object.metadata.labels?.[LABEL_ENVIRONMENT];
  if (!model || !environment) return undefined;
  const readiness = fluxReadiness(object, group);
  const applied = appliedState(object, group);
  return {
    model,
    environment,
    source: 'flux',
    instance,
    application: `${object.metadata.namespace ?? 'default'}/${
      object.metadata.name
    }`,
    syncStatus: readiness.syncStatus,
    healthStatus: readiness.healthStatus,
    revision: applied.revision,
    operationRunning: readiness.reconciling,
    ...(applied.changedAt ? { lastSyncFinishedAt: applied.changedAt } : {}),
    ...(readiness.message ? { statusMessage: readiness.message } : {}),
  };
}

/** The Flux kinds that apply a config repo, in the order they speak for an environment. */
export const FLUX_APPLIERS = APPLIERS;
