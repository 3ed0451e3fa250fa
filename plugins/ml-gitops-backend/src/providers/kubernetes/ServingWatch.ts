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

import { LoggerService } from '@backstage/backend-plugin-api';
import { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { KubeObject, KubernetesClusterClient } from './KubernetesClusters';
import { KubeWatchOptions, watchKubernetesResource } from './KubernetesWatch';
import { GROUP, SERVING_SELECTOR, ServingVersions } from './ServingVersions';

/** What the serving objects of one cluster say now, and what changed. */
export type ServingChanges = {
  cluster: string;
  /**
   * Every labelled InferenceService of the cluster now, as
   * {@link ServingVersions.read} lists them (the canary analyses read them).
   */
  inferenceServices: KubeObject[];
  /** The live version of every model environment of the cluster now. */
  versions: Map<string, string>;
  /** Whether that version serves, by model environment. */
  serving: Map<string, ServingStatus>;
  /**
   * The model environments ({@link ServingVersions.key}) whose version or
   * serving status changed, appeared or went away since the last report.
   */
  changed: string[];
  /** True after a (re)list: every key of the cluster is in `changed`. */
  complete: boolean;
};

/**
 * Watches the labelled KServe InferenceServices of each cluster (one
 * Kubernetes watch per cluster, see {@link watchKubernetesResource}) and
 * reports, per cluster, what {@link ServingVersions.read} would read now,
 * with the model environments that changed. A cluster that does not serve
 * KServe reports nothing served. The clients are those of the moment: a
 * cluster added later needs a new watch.
 */
export function watchServing(options: {
  clients: KubernetesClusterClient[];
  onChange: (changes: ServingChanges) => void;
  signal: AbortSignal;
  logger: LoggerService;
  options?: KubeWatchOptions;
}): void {
  for (const client of options.clients) {
    const cluster = client.cluster.name;
    let objects = new Map<string, KubeObject>();
    let listed = false;
    let before = new Map<string, string>();

    const report = (complete: boolean) => {
      if (!listed) return;
      const inferenceServices = [...objects.values()];
      const versions = new Map<string, string>();
      const serving = new Map<string, ServingStatus>();
      ServingVersions.summarize(inferenceServices, cluster, versions, serving);
      const now = new Map<string, string>();
      for (const [key, status] of serving) {
        now.set(key, JSON.stringify([versions.get(key), status]));
      }
      const changed = [...now.keys()].filter(
        key => complete || before.get(key) !== now.get(key),
      );
      for (const key of before.keys()) {
        if (!now.has(key)) changed.push(key);
      }
      before = now;
      if (complete || changed.length > 0) {
        options.onChange({
          cluster,
          inferenceServices,
          versions,
          serving,
          changed,
          complete,
        });
      }
    };

    const name = (object: KubeObject) =>
      `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    watchKubernetesResource({
      client,
      group: GROUP,
      plural: 'inferenceservices',
      labelSelector: SERVING_SELECTOR,
      version: () => client.preferredVersion(GROUP),
      onList: items => {
        objects = new Map(items.map(object => [name(object), object]));
        listed = true;
        report(true);
      },
      onEvents: events => {
        for (const { type, object } of events) {
          if (type === 'DELETED') objects.delete(name(object));
          else objects.set(name(object), object);
        }
        report(false);
      },
      signal: options.signal,
      logger: options.logger,
      options: options.options,
    });
  }
}
