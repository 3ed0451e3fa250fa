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

import { isDeepStrictEqual } from 'node:util';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { KubeObject, KubernetesClusterClient } from './KubernetesClusters';
import {
  KubeWatchEvent,
  KubeWatchOptions,
  watchKubernetesResource,
} from './KubernetesWatch';
import { forEachInTurns } from '../../lib/turns';
import { GROUP, SERVING_SELECTOR, ServingVersions } from './ServingVersions';
import { servingFieldsOf } from './inferenceServiceReading';
import { HeldServingObjects, servingObjectId } from './heldServingObjects';

/** What the serving objects of one cluster say now, and what changed. */
export type ServingChanges = {
  cluster: string;
  /**
   * Every labelled InferenceService of the cluster now, as
   * {@link ServingVersions.read} lists them (the canary analyses read them).
   */
  inferenceServices: KubeObject[];
  /**
   * The live version of every model environment of the cluster now. The
   * watch keeps this map and changes it with its later reports: read it
   * when told, never write it.
   */
  versions: Map<string, string>;
  /** Whether that version serves, by model environment; kept as `versions`. */
  serving: Map<string, ServingStatus>;
  /**
   * The model environments ({@link ServingVersions.key}) whose version or
   * serving status changed, appeared or went away since the last report.
   */
  changed: string[];
  /**
   * The model environments any of whose objects changed (a superset of
   * `changed`): their canary may have, though what serves did not.
   */
  touched: string[];
  /** True after a (re)list: every key of the cluster is in `changed`. */
  complete: boolean;
};

/**
 * The serving objects of one cluster as the watch holds them, summarized
 * per model environment and kept up to date per event: an event costs the
 * model environments it touches, not the cluster.
 */
class ClusterServing {
  private objects = new Map<string, KubeObject>();
  /** The model environment of each labelled object, by object name. */
  private keyOfName = new Map<string, string>();
  /** The labelled objects of each model environment, by object name. */
  private members = new Map<string, Map<string, KubeObject>>();
  versions = new Map<string, string>();
  serving = new Map<string, ServingStatus>();

  constructor(
    private readonly cluster: string,
    private readonly shared?: HeldServingObjects,
  ) {}

  /** The object held by this name, if any. */
  find(name: string): KubeObject | undefined {
    return this.objects.get(name);
  }

  get inferenceServices(): KubeObject[] {
    return [...this.objects.values()];
  }

  /**
   * Replaces every object (a list), in turns: thousands of statuses to
   * judge. The maps reported before stay as they were until it ends.
   */
  async replace(items: KubeObject[]): Promise<string[]> {
    const next = new ClusterServing(this.cluster, this.shared);
    await forEachInTurns(items, item => next.put(item));
    await forEachInTurns([...next.members.keys()], k => next.summarizeKey(k));
    const changed = [...next.serving.keys()];
    for (const k of this.serving.keys()) {
      if (!next.serving.has(k)) changed.push(k);
    }
    this.objects = next.objects;
    this.keyOfName = next.keyOfName;
    this.members = next.members;
    this.versions = next.versions;
    this.serving = next.serving;
    return changed;
  }

  /** Applies events; returns the model environments changed and touched. */
  apply(events: KubeWatchEvent[]): { changed: string[]; touched: string[] } {
    const touched = new Set<string>();
    for (const { type, object } of events) {
      const name = servingObjectId(object);
      const was = this.keyOfName.get(name);
      if (was !== undefined) {
        touched.add(was);
        this.members.get(was)?.delete(name);
        this.keyOfName.delete(name);
      }
      this.objects.delete(name);
      if (type === 'DELETED') continue;
      this.put(object);
      const k = this.keyOfName.get(name);
      if (k !== undefined) touched.add(k);
    }
    const changed: string[] = [];
    for (const k of touched) {
      const version = this.versions.get(k);
      const status = this.serving.get(k);
      this.summarizeKey(k);
      // Compared as values: a summary judges the objects anew.
      if (
        this.versions.get(k) !== version ||
        !isDeepStrictEqual(this.serving.get(k), status)
      ) {
        changed.push(k);
      }
    }
    return { changed, touched: [...touched] };
  }

  private put(listed: KubeObject) {
    // Held until the next event or list: the object the poll holds at this
    // version, else only the fields the plugin reads of this one.
    const object =
      this.shared?.find(this.cluster, listed) ?? servingFieldsOf(listed);
    const name = servingObjectId(object);
    this.objects.set(name, object);
    const k = ServingVersions.keyOf(object);
    if (k === undefined) return;
    this.keyOfName.set(name, k);
    let members = this.members.get(k);
    if (!members) {
      members = new Map();
      this.members.set(k, members);
    }
    members.set(name, object);
  }

  /** Summarizes one model environment from its objects (none: gone). */
  private summarizeKey(k: string) {
    const members = this.members.get(k);
    if (!members || members.size === 0) {
      this.members.delete(k);
      this.versions.delete(k);
      this.serving.delete(k);
      return;
    }
    const versions = new Map<string, string>();
    const serving = new Map<string, ServingStatus>();
    // In name order, as a list returns them: of two objects equally
    // serving, the first one's version is shown.
    const inListOrder = [...members.keys()].sort().map(n => members.get(n)!);
    ServingVersions.summarize(inListOrder, this.cluster, versions, serving);
    for (const [key, status] of serving) {
      const version = versions.get(key);
      this.versions.set(key, version ?? '');
      this.serving.set(key, status);
    }
  }
}

/**
 * Watches the labelled KServe InferenceServices of each cluster (one
 * Kubernetes watch per cluster, see {@link watchKubernetesResource}) and
 * reports, per cluster, what {@link ServingVersions.read} would read now,
 * with the model environments that changed. A (re)list is judged in turns
 * and the events that arrive meanwhile wait for it, in order. A cluster
 * that does not serve KServe reports nothing served. The clients are those
 * of the moment: a cluster added later needs a new watch.
 */
export function watchServing(options: {
  clients: KubernetesClusterClient[];
  onChange: (changes: ServingChanges) => void;
  signal: AbortSignal;
  logger: LoggerService;
  options?: KubeWatchOptions;
  /** The objects the poll holds, to hold one object for one version. */
  held?: HeldServingObjects;
}): void {
  for (const client of options.clients) {
    const cluster = client.cluster.name;
    const held = new ClusterServing(cluster, options.held);
    const unshare = options.held?.add(cluster, id => held.find(id));
    if (unshare) {
      options.signal.addEventListener('abort', unshare, { once: true });
    }
    let listed = false;
    let queue = Promise.resolve();
    const report = (
      changed: string[],
      touched: string[],
      complete: boolean,
    ) => {
      if (options.signal.aborted || (!complete && changed.length === 0)) {
        return;
      }
      options.onChange({
        cluster,
        inferenceServices: held.inferenceServices,
        versions: held.versions,
        serving: held.serving,
        changed,
        touched,
        complete,
      });
    };
    const next = (what: string, step: () => Promise<void> | void) => {
      queue = queue
        .then(step)
        .catch(error =>
          options.logger.error(
            `Handling the ${what} of the InferenceServices of cluster "${cluster}" failed: ${
              (error as Error)?.message ?? error
            }`,
          ),
        );
    };

    watchKubernetesResource({
      client,
      group: GROUP,
      plural: 'inferenceservices',
      labelSelector: SERVING_SELECTOR,
      version: () => client.preferredVersion(GROUP),
      onList: items =>
        next('list', async () => {
          const changed = await held.replace(items);
          listed = true;
          report(changed, changed, true);
        }),
      onEvents: events =>
        next('events', () => {
          const { changed, touched } = held.apply(events);
          // Events before the first list completes are part of it.
          if (listed) report(changed, touched, false);
        }),
      signal: options.signal,
      logger: options.logger,
      options: options.options,
    });
  }
}
