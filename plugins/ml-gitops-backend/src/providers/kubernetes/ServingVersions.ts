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
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
  LABEL_MODEL_VERSION,
  ServingState,
  ServingStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  isNamedObject,
  KubeObject,
  KubernetesClusterClient,
} from './KubernetesClusters';
import { servingStatus } from './inferenceServiceStatus';
import { servingFieldsOf } from './inferenceServiceReading';
import { HeldServingObjects, servingObjectId } from './heldServingObjects';
import { forEachInTurns } from '../../lib/turns';
import { textKey } from '../../lib/textKey';

export const GROUP = 'serving.kserve.io';
/** The labels a serving object must carry to be read. */
export const SERVING_SELECTOR = `${LABEL_MODEL},${LABEL_MODEL_VERSION}`;

/** Of two objects of one model and environment, the less serving one is shown. */
const RANK: Record<ServingState, number> = {
  serving: 0,
  unknown: 1,
  'rolling-out': 2,
  'not-ready': 3,
  failed: 4,
};

/** An InferenceService as listed, at its resource version, and its status. */
type JudgedObject = {
  resourceVersion: string;
  status: ServingStatus;
  object: KubeObject;
};

/**
 * Reads the model version of the serving objects (KServe InferenceServices
 * labelled `ml-gitops/model`, `ml-gitops/environment` and
 * `ml-gitops/model-version`) and whether it really serves (their status:
 * Ready, model loaded, traffic; see `servingStatus`): one list call per
 * cluster per poll cycle, and no discovery request once the cluster's
 * discovery answer is cached.
 */
export class ServingVersions {
  /**
   * Each InferenceService of a cluster's last list, with its resource
   * version and the serving status it was judged to: Kubernetes changes an
   * object's `metadata.resourceVersion` on every write to it ("API
   * concepts", Resource versions), so an object listed at the same version
   * is the object kept, and is not judged again. The next list hands over
   * the kept object instead of its new copy, so what a steady cycle lists
   * dies young and the old generation does not fill with a fleet's copies
   * cycle after cycle. Only the last list's objects are kept, and only the
   * fields the plugin reads of them ({@link servingFieldsOf}).
   */
  private readonly judged = new Map<string, Map<string, JudgedObject>>();
  /**
   * The objects of each cluster's last list by the digest of their text
   * ({@link textKey}): an object listed with the same text is handed over
   * as kept without being parsed (the API server serializes an object the
   * same way until it is written again). Most of a steady list.
   */
  private readonly texts = new Map<string, Map<string, KubeObject>>();

  /** The clusters whose objects `held` can find here. */
  private readonly sharing = new Set<string>();

  /**
   * @param held - the objects the serving watch holds too: an object one
   *   of them holds at the listed version is kept rather than a copy, and
   *   this reader's objects are found there by the watch.
   */
  constructor(
    private readonly clients: KubernetesClusterClient[],
    private readonly held?: HeldServingObjects,
  ) {}

  /**
   * Version by model and environment; a failing cluster is skipped and
   * reported. The InferenceServices listed, by cluster, are returned too, so
   * the canary analyses need no second list call.
   */
  async read(): Promise<{
    versions: Map<string, string>;
    /** Whether the labelled version serves, by model and environment. */
    serving: Map<string, ServingStatus>;
    failures: Array<{ cluster: string; error: Error }>;
    inferenceServices: Map<string, KubeObject[]>;
  }> {
    const versions = new Map<string, string>();
    const serving = new Map<string, ServingStatus>();
    const failures: Array<{ cluster: string; error: Error }> = [];
    const inferenceServices = new Map<string, KubeObject[]>();
    await Promise.all(
      this.clients.map(async client => {
        try {
          const cluster = client.cluster.name;
          const known = this.judged.get(cluster);
          const knownTexts = this.texts.get(cluster);
          const texts = new Map<string, KubeObject>();
          if (this.held && !this.sharing.has(cluster)) {
            this.sharing.add(cluster);
            this.held.add(
              cluster,
              id => this.judged.get(cluster)?.get(id)?.object,
            );
          }
          // The object to keep for one listed: the one kept from the last
          // list, else one the watch holds, at the same version; else the
          // fields read of the listed one.
          const keep = (item: KubeObject): KubeObject => {
            const before = known?.get(servingObjectId(item));
            if (
              before &&
              before.resourceVersion === item.metadata.resourceVersion
            ) {
              return before.object;
            }
            return this.held?.find(cluster, item) ?? servingFieldsOf(item);
          };
          const items = await client.listServed(
            GROUP,
            'inferenceservices',
            SERVING_SELECTOR,
            {
              parseItem: text => {
                const key = textKey(text);
                const kept = knownTexts?.get(key);
                if (kept) {
                  texts.set(key, kept);
                  return kept;
                }
                const value: unknown = JSON.parse(text);
                if (!isNamedObject(value)) return value;
                const object = keep(value);
                texts.set(key, object);
                return object;
              },
              reuse: keep,
            },
          );
          inferenceServices.set(cluster, items);
          const judged = new Map<string, JudgedObject>();
          const statusOf = (item: KubeObject) => {
            const { resourceVersion } = item.metadata ?? {};
            if (typeof resourceVersion !== 'string' || !resourceVersion) {
              return servingStatus(item, cluster);
            }
            const id = servingObjectId(item);
            const before = known?.get(id);
            if (before?.object === item) {
              judged.set(id, before);
              return before.status;
            }
            const status = servingStatus(item, cluster);
            judged.set(id, { resourceVersion, status, object: item });
            return status;
          };
          // one item at a time, in turns: thousands of statuses to judge
          await forEachInTurns(items, item =>
            ServingVersions.summarize(
              [item],
              cluster,
              versions,
              serving,
              statusOf,
            ),
          );
          this.judged.set(cluster, judged);
          this.texts.set(cluster, texts);
        } catch (error) {
          failures.push({
            cluster: client.cluster.name,
            error: error as Error,
          });
        }
      }),
    );
    return { versions, serving, failures, inferenceServices };
  }

  /**
   * Adds the version and serving status of each labelled InferenceService
   * of a cluster to `versions` and `serving`, by model and environment (the
   * less serving of two objects of one environment wins); shared by the
   * poll's read and the watch.
   */
  static summarize(
    items: KubeObject[],
    cluster: string,
    versions: Map<string, string>,
    serving: Map<string, ServingStatus>,
    statusOf: (item: KubeObject) => ServingStatus = item =>
      servingStatus(item, cluster),
  ): void {
    for (const item of items) {
      const labelled = ServingVersions.labelled(item);
      if (!labelled) continue;
      const k = labelled.key;
      const status = statusOf(item);
      const known = serving.get(k);
      if (!known || ServingVersions.lessServing(status, known)) {
        versions.set(k, labelled.version);
        serving.set(k, status);
      }
    }
  }

  /**
   * The model environment a labelled InferenceService serves
   * ({@link ServingVersions.key}); undefined when a label is missing.
   */
  static keyOf(item: KubeObject): string | undefined {
    return ServingVersions.labelled(item)?.key;
  }

  private static labelled(
    item: KubeObject,
  ): { key: string; version: string } | undefined {
    const labels = item?.metadata?.labels ?? {};
    const model = labels[LABEL_MODEL];
    const environment = labels[LABEL_ENVIRONMENT];
    const version = labels[LABEL_MODEL_VERSION];
    return model && environment && version
      ? { key: ServingVersions.key(model, environment), version }
      : undefined;
  }

  /** Whether `a` serves less than `b`: of two, the less serving one is shown. */
  static lessServing(a: ServingStatus, b: ServingStatus): boolean {
    return RANK[a.state] > RANK[b.state];
  }

  static key(model: string, environment: string): string {
    return `${model}\u0000${environment}`;
  }
}
