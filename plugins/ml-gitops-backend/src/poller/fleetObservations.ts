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

// The fleet's live state as one read sees it: observations by model environment, failures, serving objects.

import {
  CanaryAnalysis,
  ServingStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { KubeObject } from '../providers/kubernetes/KubernetesClusters';
import { Failure } from './failures';

/** The observations of one cycle, with the sources that failed. */
export type FleetObservations = {
  byKey: Map<string, LiveObservation>;
  /** When this listing was taken. */
  observedAt: string;
  sources: Map<string, DeploymentSource>;
  failures: Array<{ source: string; failure: Failure }>;
  /** Canary analyses by model and environment; `failed` when a cluster could not be read. */
  canaries?: { byKey: Map<string, CanaryAnalysis>; failed: boolean };
  /**
   * Whether the serving objects' versions serve, by model and environment;
   * `failed` when a cluster could not be read.
   */
  serving?: { byKey: Map<string, ServingStatus>; failed: boolean };
  /** The clusters whose serving objects were read or tried. */
  clusters?: string[];
  /**
   * What the watches need to apply a cluster's new serving objects without
   * a list call: the InferenceServices and AnalysisRuns of each cluster
   * read, the serving objects' version by model environment, and the model
   * environments whose observation took its `liveVersion` from them.
   */
  served?: {
    inferenceServices: Map<string, KubeObject[]>;
    analysisRuns?: Map<string, unknown[]>;
    versions: Map<string, string>;
    filled: Set<string>;
    /**
     * What a watch holds of its cluster, by cluster: the version and
     * serving status of each model environment (the watch's own maps).
     */
    byCluster?: Map<string, ClusterServed>;
  };
};

/** The version and serving status of each model environment of one cluster. */
export type ClusterServed = {
  versions: Map<string, string>;
  serving: Map<string, ServingStatus>;
};

/** The key of one model environment in a {@link FleetObservations}. */
export const fleetKey = (model: string, environment: string) =>
  `${model}\u0000${environment}`;

/** `argocd:main`, `flux:prod-eu`. */
export function sourceName(source: DeploymentSource): string {
  return `${source.kind}:${source.instance}`;
}
