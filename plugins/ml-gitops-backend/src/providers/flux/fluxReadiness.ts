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

// How ready a Flux Kustomization or HelmRelease is, by Flux's own rules, and the sync state that makes.

import { SourceSyncState } from '@ml-gitops/plugin-ml-gitops-common';
import { KubeObject } from '../kubernetes/KubernetesClusters';
import {
  Condition,
  conditionsOf,
  HELM_GROUP,
  historyOf,
  KustomizationSnapshot,
} from './fluxKinds';

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
