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

// One object for one version of an InferenceService, however many readers hold it: the poll's list and the serving watch.

import type { KubeObject } from './KubernetesClusterClient';

/** An object's namespace and name, as the holders key it. */
export function servingObjectId(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
}

/**
 * The InferenceServices the poll and the serving watch hold, per cluster.
 * Each lists (or is told of) the same objects and keeps what it read; a
 * reader that finds an object another one already holds at the same
 * resource version (Kubernetes changes it on every write, "API concepts",
 * Resource versions) keeps that one instead of its own copy, so a fleet's
 * objects are held once, not once per reader.
 */
export class HeldServingObjects {
  private readonly holders = new Map<
    string,
    Set<(id: string) => KubeObject | undefined>
  >();

  /**
   * Adds a holder of a cluster's objects, looked up by
   * {@link servingObjectId}; returns what removes it.
   */
  add(
    cluster: string,
    lookup: (id: string) => KubeObject | undefined,
  ): () => void {
    let lookups = this.holders.get(cluster);
    if (!lookups) {
      lookups = new Set();
      this.holders.set(cluster, lookups);
    }
    lookups.add(lookup);
    return () => {
      lookups!.delete(lookup);
      if (lookups!.size === 0 && this.holders.get(cluster) === lookups) {
        this.holders.delete(cluster);
      }
    };
  }

  /** The object a holder keeps for `item`: same name, same resource version. */
  find(cluster: string, item: KubeObject): KubeObject | undefined {
    const resourceVersion = item.metadata?.resourceVersion;
    if (typeof resourceVersion !== 'string' || resourceVersion === '') {
      return undefined;
    }
    const id = servingObjectId(item);
    for (const lookup of this.holders.get(cluster) ?? []) {
      const held = lookup(id);
      if (held && held.metadata.resourceVersion === resourceVersion) {
        return held;
      }
    }
    return undefined;
  }
}
