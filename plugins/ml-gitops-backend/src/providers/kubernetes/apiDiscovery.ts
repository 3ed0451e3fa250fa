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

// What one cluster's API server serves: each API group's preferred version, cached as kubectl caches discovery.

import { ServiceUnavailableError } from '@backstage/errors';
import { ClusterTransport } from './clusterTransport';

/**
 * How long a served API group's preferred version is kept: the six hours
 * recent kubectl keeps its disk discovery cache (ToDiscoveryClient in
 * cli-runtime's genericclioptions/config_flags.go; ten minutes in older
 * releases), since a list that answers 404 drops the entry at once (see
 * `KubernetesClusterClient.listServed`).
 */
export const DISCOVERY_TTL_MS = 6 * 60 * 60_000;

/**
 * How long a group or resource that is not served is remembered as such: a
 * controller installed later (KServe, Argo Rollouts, Flux) is found within
 * ten minutes.
 */
export const NOT_SERVED_TTL_MS = 10 * 60_000;

/** What discovery said about one API group. */
export type Discovered = {
  /** The preferred version; undefined when the group is not served. */
  version: string | undefined;
  /** The number of the discovery request that said it, per client. */
  seq: number;
  expiresAt: number;
};

/** The discovery answers of one cluster, by API group. */
export class ApiDiscovery {
  /** Discovery answers by API group (see {@link DISCOVERY_TTL_MS}). */
  private readonly discovery = new Map<string, Discovered>();
  private readonly discovering = new Map<string, Promise<Discovered>>();
  private count = 0;

  constructor(
    private readonly transport: ClusterTransport,
    private readonly now: () => number,
  ) {}

  /** Discovery requests answered so far. */
  get answered(): number {
    return this.count;
  }

  /**
   * The group's discovery answer, kept like kubectl keeps its discovery
   * cache: a served group for {@link DISCOVERY_TTL_MS}, a group that is not
   * served for {@link NOT_SERVED_TTL_MS}; dropped when a list of one of its
   * resources answers 404. Callers asking at once share one request.
   */
  async group(group: string): Promise<Discovered> {
    const known = this.discovery.get(group);
    if (known && this.now() < known.expiresAt) return known;
    let pending = this.discovering.get(group);
    if (!pending) {
      pending = this.discover(group).finally(() =>
        this.discovering.delete(group),
      );
      this.discovering.set(group, pending);
    }
    return pending;
  }

  private async discover(group: string): Promise<Discovered> {
    const path = `/apis/${group}`;
    const answer = await this.transport.send(path);
    let version: string | undefined;
    if (answer.response.status === 404) {
      await answer.response.text().catch(() => undefined);
    } else if (!answer.response.ok) {
      throw await this.transport.failure(path, answer);
    } else {
      const body = (await this.transport.body(path, answer.response)) as {
        preferredVersion?: { version?: unknown };
        versions?: Array<{ version?: unknown }>;
      };
      const preferred =
        body.preferredVersion?.version ??
        (Array.isArray(body.versions) ? body.versions[0]?.version : undefined);
      if (preferred !== undefined && typeof preferred !== 'string') {
        throw new ServiceUnavailableError(
          `Cluster "${this.transport.clusterName}" answered /apis/${group} with an APIGroup whose preferredVersion is not a string`,
        );
      }
      version = preferred;
    }
    this.count += 1;
    const discovered: Discovered = {
      version,
      seq: this.count,
      expiresAt: this.now() + (version ? DISCOVERY_TTL_MS : NOT_SERVED_TTL_MS),
    };
    this.discovery.set(group, discovered);
    return discovered;
  }

  /** Forgets what discovery said about a group that answered 404 to a list. */
  forget(group: string, version: string): void {
    if (this.discovery.get(group)?.version === version) {
      this.discovery.delete(group);
    }
  }
}
