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

// The watches' reports applied to a fleet read: the observations they replace, and the models that changed.

import { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import { ServingChanges } from '../providers/kubernetes/ServingWatch';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import {
  ClusterServed,
  FleetObservations,
  fleetKey,
  sourceName,
} from './fleetObservations';
import { KubeObject } from '../providers/kubernetes/KubernetesClusters';
import { sameJson } from './StatusSnapshot';

/**
 * Applies what a deployment source's watch reported to a fleet read: each
 * observation replaces the one held for its model environment (its
 * `liveVersion` from the serving objects when the source gives none); a
 * removed object goes when the fleet still holds that same application from
 * this source; a complete set drops this source's others, and its failure.
 * Returns the models whose observations changed.
 */
export function applySourceChangesTo(
  fleet: FleetObservations,
  source: DeploymentSource,
  changes: LiveObservationChanges,
): Set<string> {
  const name = sourceName(source);
  const models = new Set<string>();
  const drop = (k: string) => {
    const held = fleet.byKey.get(k);
    if (held) models.add(held.model);
    fleet.byKey.delete(k);
    fleet.sources.delete(k);
    fleet.served?.filled.delete(k);
  };
  const listed = new Set<string>();
  for (const observation of changes.observations) {
    const k = fleetKey(observation.model, observation.environment);
    listed.add(k);
    let next = observation;
    const version = fleet.served?.versions.get(k);
    if (observation.liveVersion === undefined && version !== undefined) {
      next = { ...observation, liveVersion: version };
      fleet.served?.filled.add(k);
    } else {
      fleet.served?.filled.delete(k);
    }
    if (
      fleet.sources.get(k) !== source ||
      !sameJson(fleet.byKey.get(k), next)
    ) {
      models.add(observation.model);
    }
    fleet.byKey.set(k, next);
    fleet.sources.set(k, source);
  }
  for (const gone of changes.removed) {
    const k = fleetKey(gone.model, gone.environment);
    if (
      fleet.sources.get(k) === source &&
      fleet.byKey.get(k)?.application === gone.application
    ) {
      drop(k);
    }
  }
  if (changes.complete) {
    for (const [k, from] of [...fleet.sources]) {
      if (from === source && !listed.has(k)) drop(k);
    }
    const failed = fleet.failures.filter(f => f.source === name);
    if (failed.length > 0) {
      fleet.failures = fleet.failures.filter(f => f.source !== name);
      for (const observation of fleet.byKey.values()) {
        models.add(observation.model);
      }
    }
  }
  return models;
}

/**
 * Applies what a cluster's InferenceService watch reported to a fleet read:
 * the cluster's serving objects replace the ones read, and the live
 * versions, serving states and canaries of the model environments it
 * names follow from them as the read makes them (canaries as of
 * `observedAt`); the others are not looked at. Returns the models whose
 * serving objects changed.
 */
export function applyServingChangesTo(
  fleet: FleetObservations,
  changes: ServingChanges,
  observedAt: string,
): Set<string> {
  const models = new Set<string>();
  const served = fleet.served;
  if (!served) return models;
  served.inferenceServices.set(changes.cluster, changes.inferenceServices);
  served.byCluster ??= new Map();
  served.byCluster.set(changes.cluster, {
    versions: changes.versions,
    serving: changes.serving,
  });
  fleet.serving ??= { byKey: new Map(), failed: false };
  const serving = fleet.serving.byKey;
  for (const k of changes.changed) {
    const before = { version: served.versions.get(k), status: serving.get(k) };
    const now = servedAcrossClusters(served, k);
    if (now) {
      served.versions.set(k, now.version);
      serving.set(k, now.status);
    } else {
      served.versions.delete(k);
      serving.delete(k);
    }
    // A relist reports every key: only what differs from the read is news.
    if (
      before.version === now?.version &&
      sameJson(before.status, now?.status)
    ) {
      continue;
    }
    models.add(k.slice(0, k.indexOf('\u0000')));
    const observation = fleet.byKey.get(k);
    if (!observation) continue;
    if (observation.liveVersion === undefined || served.filled.has(k)) {
      const { liveVersion: _old, ...rest } = observation;
      if (now === undefined) {
        fleet.byKey.set(k, rest);
        served.filled.delete(k);
      } else {
        fleet.byKey.set(k, { ...rest, liveVersion: now.version });
        served.filled.add(k);
      }
    }
  }
  if (served.analysisRuns && fleet.canaries) {
    CanaryAnalyses.combineKeys(
      served.analysisRuns,
      served.inferenceServices,
      observedAt,
      changes.touched,
      fleet.canaries.byKey,
    );
  }
  return models;
}

const summaries = new WeakMap<KubeObject[], ClusterServed>();

/**
 * The version and serving status of one model environment over every
 * cluster read, in the read's order: the less serving of several wins, as
 * {@link ServingVersions.summarize} decides within a cluster.
 */
function servedAcrossClusters(
  served: NonNullable<FleetObservations['served']>,
  k: string,
): { version: string; status: ServingStatus } | undefined {
  let found: { version: string; status: ServingStatus } | undefined;
  for (const [cluster, items] of served.inferenceServices) {
    let summary = served.byCluster?.get(cluster) ?? summaries.get(items);
    if (!summary) {
      // A cluster as the poll listed it: summarized once per list.
      summary = { versions: new Map(), serving: new Map() };
      ServingVersions.summarize(
        items,
        cluster,
        summary.versions,
        summary.serving,
      );
      summaries.set(items, summary);
    }
    const status = summary.serving.get(k);
    if (
      status &&
      (!found || ServingVersions.lessServing(status, found.status))
    ) {
      found = { version: summary.versions.get(k) ?? '', status };
    }
  }
  return found;
}
