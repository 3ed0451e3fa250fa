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
import {
  DeploymentSource,
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import { KubernetesClusterClient } from '../providers/kubernetes/KubernetesClusters';
import { KubeWatchOptions } from '../providers/kubernetes/KubernetesWatch';
import { HeldServingObjects } from '../providers/kubernetes/heldServingObjects';
import {
  ServingChanges,
  watchServing,
} from '../providers/kubernetes/ServingWatch';

/**
 * How long one replica watches before it lets go of the watch task: then
 * the scheduler hands the task to whichever replica claims it first (often
 * the same one), whose watches start with a fresh list.
 */
export const WATCH_LEASE_MS = 5 * 60_000;

/**
 * The scheduled task that holds the watches: `scope: 'global'`, so the
 * scheduler's lock on it (a row in its database table, taken by one
 * replica until the run ends or times out) lets one replica watch at a
 * time. Its timeout exceeds {@link WATCH_LEASE_MS}, so the holder ends its
 * run before the lock can expire under it; a replica that dies holding it
 * is replaced when the timeout passes. The first run waits a few seconds,
 * which also keeps it out of the runs a test scheduler makes at startup.
 */
export const WATCH_TASK = {
  id: 'ml-gitops-watch',
  frequency: { seconds: 5 },
  timeout: { milliseconds: WATCH_LEASE_MS + 60_000 },
  initialDelay: { seconds: 5 },
  scope: 'global' as const,
};

/** What the watches report to: the poller. */
export type WatchedFleet = {
  sourceChanged(
    source: DeploymentSource,
    changes: LiveObservationChanges,
  ): void;
  servingChanged(changes: ServingChanges): void;
  settleWatched(options?: { drop?: boolean }): Promise<void>;
  /** Reads what resolving a report needs, when this replica has not polled. */
  prepareWatches(): Promise<void>;
};

/**
 * Runs the watches of the fleet while this replica holds the watch task:
 * each deployment source's own (`DeploymentSource.watch`: Argo CD's event
 * stream, Flux's Kubernetes watches) and one InferenceService watch per
 * cluster, restarted when the list of clusters changes. Polling stays the
 * fallback and the consistency check.
 */
export class FleetWatches {
  /** The watches of the lease held now. */
  private held?: AbortController;
  /** The serving watches of the lease held now, and the clusters they watch. */
  private serving?: { controller: AbortController; clusters: string };
  private stopped = false;

  constructor(
    private readonly deps: {
      logger: LoggerService;
      sources: DeploymentSource[];
      /** The clusters of the moment, kept up to date in place. */
      clusters: {
        clients: KubernetesClusterClient[];
        listOnce(): Promise<void>;
      };
      fleet: WatchedFleet;
      /** The InferenceServices the poll holds, shared with the watch. */
      servingObjects?: HeldServingObjects;
      leaseMs?: number;
      /** For tests: reconnect sooner. */
      watchOptions?: KubeWatchOptions;
    },
  ) {}

  /** Whether this replica watches now. */
  get watching(): boolean {
    return !!this.held;
  }

  /**
   * Watches until `signal` aborts (the task's timeout, the scheduler's
   * shutdown), {@link stop} is called, or the lease time passes.
   */
  async hold(signal: AbortSignal): Promise<void> {
    if (this.stopped || signal.aborted) return;
    const { logger, sources, fleet } = this.deps;
    const controller = new AbortController();
    this.held = controller;
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort);
    try {
      // The first watch of the clusters waits for their first list.
      await this.deps.clusters.listOnce().catch(() => undefined);
      // Another replica may hold the scheduled poll: without a fleet read
      // and the catalog's models here, what the watches report is lost.
      await fleet
        .prepareWatches()
        .catch(error =>
          logger.warn(
            `Reading the fleet before watching failed; the watches resolve nothing until a poll on this replica reads it: ${
              (error as Error)?.message ?? error
            }`,
          ),
        );
      if (controller.signal.aborted) return;
      const watched = sources.filter(source => source.watch);
      for (const source of watched) {
        source.watch!(
          changes => fleet.sourceChanged(source, changes),
          controller.signal,
        );
      }
      this.watchServing(controller.signal);
      logger.info(
        `Watching ${watched.length} deployment source(s) and the InferenceServices of ${this.deps.clusters.clients.length} cluster(s) on this replica`,
      );
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, this.deps.leaseMs ?? WATCH_LEASE_MS);
        controller.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    } finally {
      signal.removeEventListener('abort', abort);
      controller.abort();
      if (this.held === controller) {
        this.held = undefined;
        this.serving = undefined;
      }
    }
  }

  /**
   * Restarts the InferenceService watches when the clusters differ from
   * the ones watched (the Kubernetes plugin's list changed).
   */
  clustersChanged(): void {
    const held = this.held;
    if (!held || held.signal.aborted) return;
    if (this.serving?.clusters === this.clusterNames()) return;
    this.deps.logger.info(
      `The clusters changed: watching the InferenceServices of ${
        this.clusterNames() || 'none'
      }`,
    );
    this.watchServing(held.signal);
  }

  /** Stops the watches for good (the backend shuts down). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.held?.abort();
    await this.deps.fleet.settleWatched({ drop: true });
  }

  private clusterNames(): string {
    return this.deps.clusters.clients
      .map(c => c.cluster.name)
      .sort()
      .join(', ');
  }

  private watchServing(parent: AbortSignal) {
    this.serving?.controller.abort();
    const controller = new AbortController();
    parent.addEventListener('abort', () => controller.abort(), { once: true });
    this.serving = { controller, clusters: this.clusterNames() };
    watchServing({
      clients: [...this.deps.clusters.clients],
      onChange: changes => this.deps.fleet.servingChanged(changes),
      signal: controller.signal,
      logger: this.deps.logger,
      options: this.deps.watchOptions,
      held: this.deps.servingObjects,
    });
  }
}
