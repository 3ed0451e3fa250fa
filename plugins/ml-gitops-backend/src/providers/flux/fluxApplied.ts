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

// What a Flux Kustomization or HelmRelease has applied, and since when: the commit in its revision or chart version.

import { KubeObject } from '../kubernetes/KubernetesClusters';
import {
  HELM_GROUP,
  HelmReleaseSnapshot,
  historyOf,
  KustomizationSnapshot,
} from './fluxKinds';

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

function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
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
export function appliedState(
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
