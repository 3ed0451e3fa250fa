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

import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  DeploymentSource,
  HistoryBudget,
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import { ServingChanges } from '../providers/kubernetes/ServingWatch';
import { forEachInTurns } from '../lib/turns';
import { mapWithConcurrency } from './concurrency';
import { ConfigRepoReader } from './ConfigRepoReader';
import { errorMessage } from './failures';
import { sourceName } from './fleetObservations';
import { FleetReader } from './FleetReader';
import { ModelEntities } from './modelEntities';
import { ModelIndex } from './modelIndex';
import { ModelLocks } from './modelLocks';
import { ModelPoller, PreparedModel } from './ModelPoller';
import { MlGitopsPollerDeps, wirePoller } from './pollerParts';
import { PollHealth } from './PollHealth';
import { RefreshFolding } from './refreshFolding';
import { StatusSnapshot } from './StatusSnapshot';
import { WatchedModels } from './WatchedModels';

export { normalizeRepoUrl, withConfigRepoRevision } from './repoUrls';
export type { MlGitopsPollerDeps } from './pollerParts';
export { WATCH_DEBOUNCE_MS } from './WatchedModels';

/**
 * Polls the fleet: every model entity's config repo, the live state from
 * every deployment source (one list call per source), and the registry,
 * then stores status, history and drift episodes. A failing source makes
 * only its environments `unknown`; the last good values stay.
 *
 * This class schedules and folds polls together; the work is done by
 * {@link FleetReader} (the operators' state), {@link ModelPoller} (one
 * model, through `resolveEnvironmentStatus`), {@link StatusSnapshot}
 * (what is stored, and batched writes), {@link WatchedModels} (what the
 * watches report) and {@link RefreshFolding} (polls outside the schedule).
 */
export class MlGitopsPoller {
  /** Requests left for reading older history, shared by a cycle's models. */
  private historyBudget?: HistoryBudget;
  /** What first reads of branches may spend per scheduled cycle. */
  private firstReads?: HistoryBudget;
  private readonly health: PollHealth;
  private readonly entities: ModelEntities;
  private readonly index: ModelIndex;
  private readonly locks: ModelLocks;
  private readonly fleet: FleetReader;
  private readonly snapshot: StatusSnapshot;
  private readonly configRepos: ConfigRepoReader;
  private readonly models: ModelPoller;
  private readonly watched: WatchedModels;
  private readonly refreshes: RefreshFolding;

  constructor(private readonly deps: MlGitopsPollerDeps) {
    const parts = wirePoller(deps);
    this.health = parts.health;
    this.entities = parts.entities;
    this.index = parts.index;
    this.locks = parts.locks;
    this.fleet = parts.fleet;
    this.snapshot = parts.snapshot;
    this.configRepos = parts.configRepos;
    this.models = parts.models;
    this.watched = parts.watched;
    this.refreshes = new RefreshFolding({
      minIntervalMs: deps.config.refreshMinIntervalMs,
      poll: (entityRef, options) => this.pollEntityRefNow(entityRef, options),
    });
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /**
   * Polls every model entity of the catalog, and records the cycle and
   * what each outside system answered for `GET /v1/health`.
   */
  async pollAll(): Promise<void> {
    const startedAt = this.now().toISOString();
    const cycle = {
      failedModels: [] as string[],
      models: 0,
      clusters: [] as string[],
    };
    const polledRepos = this.configRepos.startCycle();
    try {
      await this.pollFleet(cycle);
    } catch (error) {
      await this.health
        .failCycle(this.deps.store, {
          message: errorMessage(error),
          at: this.now().toISOString(),
        })
        .catch(() => undefined);
      throw error;
    }
    const expected = new Set([
      ...this.deps.sources.map(sourceName),
      ...[...this.deps.registries.keys()].map(name => `registry:${name}`),
      ...cycle.clusters.map(cluster => `cluster:${cluster}`),
    ]);
    await this.health
      .finishCycle(this.deps.store, {
        startedAt,
        finishedAt: this.now().toISOString(),
        models: cycle.models,
        failedModels: cycle.failedModels,
        polledRepos,
        expected,
      })
      .catch(error =>
        this.deps.logger.warn(
          `Recording the poller's health failed: ${errorMessage(error)}`,
        ),
      );
  }

  private async pollFleet(cycle: {
    failedModels: string[];
    models: number;
    clusters: string[];
  }): Promise<void> {
    const started = Date.now();
    // The fleet's lists (Argo CD, Flux, the clusters) are read while each
    // model's config repo and registry facts are: resolving waits for them.
    const fleetRead = this.fleet.scheduled();
    fleetRead.catch(() => undefined);
    const [{ entities, branchHeads }, snapshot] = await Promise.all([
      this.entities.all().then(async list => {
        await this.configRepos.prefetchHistoryProgress(
          list.map(e => stringifyEntityRef(e)),
        );
        return {
          entities: list,
          branchHeads: await this.configRepos.prefetchBranchHeads(list),
        };
      }),
      this.snapshot.sync(),
    ]);
    const perCycle = this.deps.config.historyRequestsPerCycle;
    if (perCycle > 0) {
      this.historyBudget ??= new HistoryBudget(perCycle);
      this.historyBudget.startCycle();
    }
    this.firstReads ??= new HistoryBudget(
      this.deps.config.historyFirstReadRequestsPerCycle,
    );
    this.firstReads.startCycle();
    const options = {
      branchHeads,
      historyBudget: this.historyBudget,
      firstReads: this.firstReads,
    };
    const failed = (entityRef: string, error: unknown) => {
      cycle.failedModels.push(entityRef);
      this.deps.logger.error(
        `Polling ${entityRef} failed: ${errorMessage(error)}`,
      );
    };
    // A model the watches are resolving now is read and resolved after
    // them, from what they stored.
    const locked = async <T>(entityRef: string, fn: () => Promise<T>) => {
      const release = await this.locks.lock(entityRef);
      try {
        return await fn();
      } finally {
        release();
      }
    };
    const prepared = new Map<string, PreparedModel>();
    await mapWithConcurrency(
      entities,
      this.deps.config.concurrency,
      async entity => {
        const entityRef = stringifyEntityRef(entity);
        try {
          prepared.set(
            entityRef,
            await locked(entityRef, () =>
              this.models.prepare(
                entity,
                snapshot.get(entityRef) ?? new Map(),
                options,
              ),
            ),
          );
        } catch (error) {
          failed(entityRef, error);
        }
      },
    );
    const fleet = await fleetRead;
    const writer = this.snapshot.batchWriter();
    await mapWithConcurrency(
      entities,
      this.deps.config.concurrency,
      async entity => {
        const entityRef = stringifyEntityRef(entity);
        const read = prepared.get(entityRef);
        if (!read) return;
        prepared.delete(entityRef);
        try {
          const polled = await locked(entityRef, async () => {
            const stored = snapshot.get(entityRef) ?? new Map();
            // Resolved by a push or a watch since it was read: read again.
            const current = this.models.preparedBefore(read)
              ? await this.models.prepare(entity, stored, options)
              : read;
            return this.models.resolve(current, fleet, stored, options);
          });
          if (polled.changed) {
            await writer.add(polled);
          }
        } catch (error) {
          failed(entityRef, error);
        }
      },
    );
    cycle.models = entities.length;
    cycle.clusters = fleet.clusters ?? [];
    await writer.flush();
    await this.snapshot.recordFreshness();
    await this.index.rebuild(entities);

    // Models that left the catalog are forgotten; their history stays.
    const known = new Set<string>();
    await forEachInTurns(entities, e => known.add(stringifyEntityRef(e)));
    await this.snapshot.forgetAllBut(snapshot, known);
    this.models.forgetAllBut(known);
    this.deps.logger.debug(
      `Polled ${entities.length} models in ${
        Date.now() - started
      } ms${this.configRepos.rateLimitsText()}`,
    );
    this.configRepos.warnOfRateLimits();
  }

  /**
   * What a deployment source's watch reported: applied to the fleet read at
   * once; the models it changed are resolved after {@link WATCH_DEBOUNCE_MS}.
   */
  sourceChanged(source: DeploymentSource, changes: LiveObservationChanges) {
    this.watched.queue(this.fleet.applySourceChanges(source, changes));
  }

  /** What a cluster's InferenceService watch reported; as {@link sourceChanged}. */
  servingChanged(changes: ServingChanges) {
    this.watched.queue(this.fleet.applyServingChanges(changes));
  }

  /**
   * Makes this replica ready to resolve what its watches report: the
   * scheduled poll is a global task, so the replica that holds the watch
   * task may never have run it, and then has neither a fleet read for the
   * watches to update nor the catalog's models. Both are read when
   * missing. A read this replica made before is kept: the watches' first
   * answers bring it up to date (Argo CD's stream starts with every
   * Application, a Kubernetes watch lists first).
   */
  async prepareWatches(): Promise<void> {
    await Promise.all([
      this.fleet.current() ? undefined : this.fleet.recent(),
      this.index.ensure(),
    ]);
  }

  /**
   * Resolves what is queued now, without waiting for the debounce; then
   * waits for every resolution begun. For shutdown and tests.
   */
  settleWatched(options: { drop?: boolean } = {}): Promise<void> {
    return this.watched.settle(options);
  }

  /**
   * Polls one model outside the schedule (a push, `POST /v1/refresh`), and
   * asks its operators to look at Git. Requests for one model are folded
   * together: one already running is joined, and within
   * `refreshMinInterval` of the last poll the requests wait for a single
   * poll at its end, so a burst of pushes or clicks costs one poll and none
   * is lost.
   */
  async pollEntityRef(entityRef: string): Promise<boolean> {
    return this.refreshes.request(entityRef);
  }

  private async pollEntityRefNow(
    entityRef: string,
    options: { freshFleet?: boolean } = {},
  ): Promise<boolean> {
    const entity = await this.entities.byRef(entityRef);
    if (!entity) return false;
    const fleet = await this.fleet.recent(options.freshFleet);
    // Another replica may have polled it since: the database says what is stored.
    const stored = await this.snapshot.readStored(entityRef);
    const polled = await this.models.poll(entity, fleet, stored, {
      refreshOperators: true,
    });
    if (polled.changed) {
      await this.snapshot.write([polled]);
    }
    await this.snapshot.recordFreshness();
    return true;
  }

  /**
   * Polls the models of a config repo now, e.g. when the Git host reports a
   * push. Returns the entity refs polled.
   */
  async pollRepository(repoUrl: string): Promise<string[]> {
    const entityRefs = await this.index.ofRepo(repoUrl);
    for (const entityRef of entityRefs) {
      await this.pollEntityRef(entityRef);
    }
    return entityRefs;
  }
}
