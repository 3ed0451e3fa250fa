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

// The canary analyses of every cluster, read each poll cycle from AnalysisRuns and InferenceServices.

import {
  CanaryAnalysis,
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  KubeObject,
  KubernetesClusterClient,
} from '../kubernetes/KubernetesClusters';
import { array, record, text } from '../kubernetes/json';
import {
  analysisRunCanary,
  Candidate,
  inferenceServiceCanary,
  prefer,
} from './canaryCandidates';

/*
 * Canary analyses, read from the clusters of the kubernetes config with one
 * list call per resource kind per cluster per poll cycle:
 *
 * - Argo Rollouts `AnalysisRun`s (argoproj.io/v1alpha1). The Rollout
 *   controller gives a run the labels of the Rollout's `spec.selector
 *   .matchLabels` and of `analysisRunMetadata.labels` of the Rollout's
 *   analysis step, not the Rollout's own labels, so the chart sets
 *   `ml-gitops/model` and `ml-gitops/environment` (and, when it can,
 *   `ml-gitops/model-version`) in one of those two places. Runs without both
 *   labels are not listed.
 * - KServe `InferenceService`s (serving.kserve.io), the ones the serving
 *   versions are read from, labelled `ml-gitops/model`,
 *   `ml-gitops/environment` and `ml-gitops/model-version`: the canary split of
 *   `spec.predictor.canaryTrafficPercent` and the predictor's
 *   `status.components.predictor` revisions and traffic (Serverless mode):
 *   `latestCreatedRevision`, `latestReadyRevision`,
 *   `latestRolledoutRevision`, `previousRolledoutRevision` and Knative's
 *   `traffic[]`, the only canary fields KServe's InferenceService status has
 *   (kserve/kserve pkg/apis/serving/v1beta1/inference_service_status.go,
 *   `ComponentStatusSpec`), read by `readInferenceService`, which the
 *   serving state shares. KServe splits traffic only through Knative
 *   revisions: in RawDeployment mode (`Standard` since KServe 0.16,
 *   pkg/constants/constants.go) it ignores `canaryTrafficPercent` and
 *   rolls a plain Deployment, so such an InferenceService has no canary.
 *
 * A cluster without the Argo Rollouts or KServe CRDs (404 on discovery or on
 * the list) has no canary analysis; that is not an error.
 */

const ROLLOUTS_GROUP = 'argoproj.io';

const indexes = new WeakMap<unknown[], Map<string, KubeObject[]>>();

/**
 * The objects of a list by model and environment label, in list order;
 * kept for the list it was made of, as a list is never changed.
 */
function byModelEnvironment(items: unknown[]): Map<string, KubeObject[]> {
  let index = indexes.get(items);
  if (!index) {
    index = new Map();
    for (const item of array(items)) {
      const labels = record(record(record(item).metadata).labels);
      const model = text(labels[LABEL_MODEL]);
      const environment = text(labels[LABEL_ENVIRONMENT]);
      if (!model || !environment) continue;
      const k = `${model}\u0000${environment}`;
      const list = index.get(k);
      if (list) list.push(item as KubeObject);
      else index.set(k, [item as KubeObject]);
    }
    indexes.set(items, index);
  }
  return index;
}
const KSERVE_GROUP = 'serving.kserve.io';
/** The result of one read: canaries by model and environment, and failures. */
export type CanaryReadResult = {
  byKey: Map<string, CanaryAnalysis>;
  failures: Array<{ cluster: string; error: Error }>;
  /**
   * The AnalysisRuns listed, by cluster (a cluster missing could not be
   * read), so that a watch's new InferenceServices can be judged with them
   * again without a list call ({@link CanaryAnalyses.combine}).
   */
  analysisRuns?: Map<string, unknown[]>;
};

/**
 * Reads the canary analyses of every cluster: one list call for
 * AnalysisRuns per cluster, and the InferenceServices the serving versions
 * already listed (or one list call for them).
 */
export class CanaryAnalyses {
  constructor(
    private readonly clients: KubernetesClusterClient[],
    private readonly options: { now?: () => Date } = {},
  ) {}

  static key(model: string, environment: string): string {
    return `${model}\u0000${environment}`;
  }

  /**
   * The canary of each model environment from the AnalysisRuns and
   * InferenceServices of each cluster, as listed: the worse or newer of
   * several (see `prefer`). Pure: the read and the watches share it.
   */
  static combine(
    analysisRuns: Map<string, unknown[]>,
    inferenceServices: Map<string, unknown[]>,
    observedAt: string,
  ): Map<string, CanaryAnalysis> {
    const chosen = new Map<string, Candidate>();
    const offer = (candidate: Candidate | undefined) => {
      if (!candidate) return;
      const k = CanaryAnalyses.key(candidate.model, candidate.environment);
      const current = chosen.get(k);
      if (!current || prefer(candidate, current)) chosen.set(k, candidate);
    };
    for (const [cluster, items] of analysisRuns) {
      for (const item of array(items)) {
        offer(analysisRunCanary(item as KubeObject, cluster, observedAt));
      }
    }
    for (const [cluster, items] of inferenceServices) {
      for (const item of array(items)) {
        offer(inferenceServiceCanary(item as KubeObject, cluster, observedAt));
      }
    }
    const byKey = new Map<string, CanaryAnalysis>();
    for (const [k, candidate] of chosen) byKey.set(k, candidate.canary);
    return byKey;
  }

  /**
   * {@link combine} for some model environments only, written into `into`
   * (a key without a canary any more is removed): what a watch's event
   * changed costs those keys, not the fleet.
   */
  static combineKeys(
    analysisRuns: Map<string, unknown[]>,
    inferenceServices: Map<string, unknown[]>,
    observedAt: string,
    keys: Iterable<string>,
    into: Map<string, CanaryAnalysis>,
  ): void {
    for (const k of keys) {
      let chosen: Candidate | undefined;
      const offer = (candidate: Candidate | undefined) => {
        if (candidate && (!chosen || prefer(candidate, chosen))) {
          chosen = candidate;
        }
      };
      for (const [cluster, items] of analysisRuns) {
        for (const item of byModelEnvironment(items).get(k) ?? []) {
          offer(analysisRunCanary(item, cluster, observedAt));
        }
      }
      for (const [cluster, items] of inferenceServices) {
        for (const item of byModelEnvironment(items).get(k) ?? []) {
          offer(inferenceServiceCanary(item, cluster, observedAt));
        }
      }
      if (chosen) into.set(k, chosen.canary);
      else into.delete(k);
    }
  }

  /** The objects of one kind labelled with a model and an environment. */
  private async listLabelled(
    client: KubernetesClusterClient,
    group: string,
    plural: string,
  ): Promise<KubeObject[]> {
    return client.listServed(
      group,
      plural,
      `${LABEL_MODEL},${LABEL_ENVIRONMENT}`,
    );
  }

  private analysisRuns(client: KubernetesClusterClient) {
    return this.listLabelled(client, ROLLOUTS_GROUP, 'analysisruns');
  }

  private inferenceServices(client: KubernetesClusterClient) {
    return this.listLabelled(client, KSERVE_GROUP, 'inferenceservices');
  }

  /**
   * @param listed - the InferenceServices already listed this cycle, by
   *   cluster name (a cluster missing from the map could not be read); when
   *   not given, they are listed here.
   */
  async read(
    listed?: Promise<Map<string, KubeObject[]> | undefined>,
  ): Promise<CanaryReadResult> {
    const observedAt = (this.options.now?.() ?? new Date()).toISOString();
    const analysisRuns = new Map<string, unknown[]>();
    const inferenceServices = new Map<string, unknown[]>();
    const failures: CanaryReadResult['failures'] = [];
    const fail = (cluster: string, error: unknown) =>
      failures.push({
        cluster,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    await Promise.all(
      this.clients.map(async client => {
        const cluster = client.cluster.name;
        const [runs, services] = await Promise.allSettled([
          this.analysisRuns(client),
          listed
            ? listed.then(map => {
                const items = map?.get(cluster);
                if (!items) {
                  throw new Error(
                    `the InferenceServices of cluster ${cluster} could not be read`,
                  );
                }
                return items;
              })
            : this.inferenceServices(client),
        ]);
        if (runs.status === 'fulfilled') {
          analysisRuns.set(cluster, array(runs.value));
        } else {
          fail(cluster, runs.reason);
        }
        if (services.status === 'fulfilled') {
          inferenceServices.set(cluster, array(services.value));
        } else {
          fail(cluster, services.reason);
        }
      }),
    );
    return {
      byKey: CanaryAnalyses.combine(
        analysisRuns,
        inferenceServices,
        observedAt,
      ),
      failures,
      analysisRuns,
    };
  }
}
