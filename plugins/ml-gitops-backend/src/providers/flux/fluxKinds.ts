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

// The Flux kinds this plugin reads, and the fields of their status it reads (conditions, history).

import { KubeObject } from '../kubernetes/KubernetesClusters';

/** A condition of a Flux object's status (fluxcd/pkg apis/meta, `metav1.Condition`). */
export type Condition = {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};

/** The API group of HelmReleases; every other applier is a Kustomization. */
export const HELM_GROUP = 'helm.toolkit.fluxcd.io';

/** The Flux kinds that apply a config repo, in the order they speak for an environment. */
export const FLUX_APPLIERS = [
  { group: 'kustomize.toolkit.fluxcd.io', plural: 'kustomizations' },
  { group: HELM_GROUP, plural: 'helmreleases' },
] as const;

/** The object's status conditions, leaving out entries that are not objects. */
export function conditionsOf(object: KubeObject): Condition[] {
  const conditions = (object.status as { conditions?: Condition[] } | undefined)
    ?.conditions;
  return Array.isArray(conditions)
    ? conditions.filter(c => typeof c === 'object' && c !== null)
    : [];
}

/** The fields of a Kustomization history entry this plugin reads (fluxcd/pkg apis/meta `Snapshot`). */
export type KustomizationSnapshot = {
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
export type HelmReleaseSnapshot = {
  /** The Helm release version (revision number). */
  version?: number;
  chartVersion?: string;
  status?: string;
  lastDeployed?: string;
};

/** The object's `status.history`, newest first as Flux keeps it, leaving out entries that are not objects. */
export function historyOf<T>(object: KubeObject): T[] {
  const history = (object.status as { history?: unknown } | undefined)?.history;
  return Array.isArray(history)
    ? history.filter((h): h is T => typeof h === 'object' && h !== null)
    : [];
}
