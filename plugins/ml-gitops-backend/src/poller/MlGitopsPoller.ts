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

import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  ANNOTATION_MODEL,
  getMlGitopsAnnotations,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ConfigRepoHistory,
  DeploymentSource,
  GithubConfigRepoClient,
  HistoryBudget,
  LiveObservationChanges,
  ModelRegistry,
} from '@ml-gitops/plugin-ml-gitops-node';
import { AutoRollbackInput } from '../autoRollback/AutoRollback';
import { MlGitopsConfig } from '../config';
import { MlGitopsStore } from '../database/MlGitopsStore';
import { OwnerNotifier } from '../notifications/OwnerNotifier';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import { ServingChanges } from '../providers/kubernetes/ServingWatch';
import { mapWithConcurrency } from './concurrency';
import { ConfigRepoReader } from './ConfigRepoReader';
import { DriftEpisodes } from './driftEpisodes';
import { errorMessage, SourceFailures } from './failures';
import { FleetReader, sourceName } from './FleetReader';
import { ModelPoller } from './ModelPoller';
import { PollHealth } from './PollHealth';
import { RegistryReader } from './RegistryReader';
import { CatalogIndex } from './CatalogIndex';
import { PolledModel, StatusSnapshot } from './StatusSnapshot';
import { TimeToServe } from './timeToServe';

export { normalizeRepoUrl, withConfigRepoRevision } from './repoUrls';

/**
 * How long the watches' reports are collected before the models they
 * concern are resolved: a sync touches an Application several times in a
 * second, and one resolution (one write, one signal per model) follows.
 */
export const WATCH_DEBOUNCE_MS = 200;

/**
 * How old the catalog index may be before a model or repo it does not
 * know makes a replica read the catalog again.
 */
const INDEX_MAX_AGE_MS = 60_000;

/**
 * Polls the fleet: every model entity's config repo, the live state from
 * every deployment source (one list call per source), and the registry,
 * then stores status, history and drift episodes. A failing source makes
 * only its environments `unknown`; the last good values stay.
 *
 * This class schedules and folds polls together; the work is done by
 * {@link FleetReader} (the operators' state), {@link ModelPoller} (one
 * model, through `resolveEnvironmentStatus`) and {@link StatusSnapshot}
 * (what is stored, and batched writes).
 */
export class MlGitopsPoller {
  /** Model name and config repo → their model entities. */
  private readonly index = new CatalogIndex(
    () => this.listModelEntities(),
    INDEX_MAX_AGE_MS,
  );
  /** The models one is resolving now, and how to wait for them, by entity ref. */
  private readonly modelLocks = new Map<string, Promise<void>>();
  /** Models the watches reported since the last resolution of theirs. */
  private watched = new Set<string>();
  private watchTimer?: ReturnType<typeof setTimeout>;
  /** The resolution of watched models running now, and the ones queued after it. */
  private watchFlush: Promise<void> = Promise.resolve();
  /** Polls outside the schedule, per model: running, next, and when the last began. */
  private readonly refreshes = new Map<
    string,
    { last: number; running?: Promise<boolean>; next?: Promise<boolean> }
  >();
  /** What each outside system answered, for `GET /v1/health`. */
  private readonly health = new PollHealth();
  /** Requests left for reading older history, shared by a cycle's models. */
  private historyBudget?: HistoryBudget;
  private readonly fleet: FleetReader;
  private readonly snapshot: StatusSnapshot;
  private readonly configRepos: ConfigRepoReader;
  private readonly models: ModelPoller;

  constructor(
    private readonly deps: {
      logger: LoggerService;
      auth: AuthService;
      catalog: CatalogService;
      store: MlGitopsStore;
      git: GithubConfigRepoClient;
      history: ConfigRepoHistory;
      sources: DeploymentSource[];
      registries: Map<string, ModelRegistry>;
      /** Reads the live version from the serving objects' labels. */
      servingVersions?: ServingVersions;
      /** Reads Argo Rollouts AnalysisRuns and KServe canary traffic. */
      canaryAnalyses?: CanaryAnalyses;
      config: MlGitopsConfig;
      notifications?: NotificationService;
      signals?: SignalsService;
      /** Opens rollback pull requests by itself for opted-in models. */
      autoRollback?: { consider(input: AutoRollbackInput): Promise<void> };
      now?: () => Date;
    },
  ) {
    const { logger, store, config } = deps;
    const now = () => this.now();
    const failures = new SourceFailures(now);
    /** When each deployment source last answered (`argocd:main` → ISO time). */
    const sourceSeen = new Map<string, string>();
    const health = this.health;
    this.fleet = new FleetReader({
      logger,
      sources: deps.sources,
      servingVersions: deps.servingVersions,
      canaryAnalyses: deps.canaryAnalyses,
      failures,
      health,
      sourceSeen,
      refreshMinIntervalMs: config.refreshMinIntervalMs,
      now,
    });
    this.snapshot = new StatusSnapshot({
      logger,
      store,
      signals: deps.signals,
      sourceSeen,
    });
    this.configRepos = new ConfigRepoReader({
      logger,
      store,
      git: deps.git,
      history: deps.history,
      environments: config.environments,
      failures,
      health,
      now,
    });
    const notifier = new OwnerNotifier({
      logger,
      notifications: deps.notifications,
      config,
    });
    this.models = new ModelPoller({
      logger,
      store,
      config,
      configRepos: this.configRepos,
      registry: new RegistryReader({
        logger,
        registries: deps.registries,
        failures,
        health,
        now,
      }),
      notifier,
      timeToServe: new TimeToServe({
        store,
        notifier,
        rollbackTargetMs: config.rollbackTargetMs,
      }),
      driftEpisodes: new DriftEpisodes({ store, notifier }),
      sourceSeen,
      autoRollback: deps.autoRollback,
      now,
    });
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  private async listModelEntities(): Promise<Entity[]> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_MODEL}`]: CATALOG_FILTER_EXISTS,
        },
      },
      { credentials },
    );
    return items.filter(e => getMlGitopsAnnotations(e).missing.length === 0);
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
    const [{ entities, branchHeads }, fleet, snapshot] = await Promise.all([
      this.listModelEntities().then(list => ({
        entities: list,
        branchHeads: this.configRepos.prefetchBranchHeads(list),
      })),
      this.fleet.scheduled(),
      this.snapshot.sync(),
    ]);
    const perCycle = this.deps.config.historyRequestsPerCycle;
    if (perCycle > 0) {
      this.historyBudget ??= new HistoryBudget(perCycle);
      this.historyBudget.startCycle();
    }
    const writer = this.snapshot.batchWriter();
    await mapWithConcurrency(
      entities,
      this.deps.config.concurrency,
      async entity => {
        const entityRef = stringifyEntityRef(entity);
        // A model the watches are resolving now is polled after them, from
        // what they stored.
        const release = await this.lockModel(entityRef);
        try {
          const polled = await this.models.poll(
            entity,
            fleet,
            snapshot.get(entityRef) ?? new Map(),
            { branchHeads, historyBudget: this.historyBudget },
          );
          if (polled.changed) {
            await writer.add(polled);
          }
        } catch (error) {
          cycle.failedModels.push(entityRef);
          this.deps.logger.error(
            `Polling ${entityRef} failed: ${errorMessage(error)}`,
          );
        } finally {
          release();
        }
      },
    );
    cycle.models = entities.length;
    cycle.clusters = fleet.clusters ?? [];
    await writer.flush();
    await this.snapshot.recordFreshness();
    this.index.set(entities);

    // Models that left the catalog are forgotten; their history stays.
    const known = new Set(entities.map(e => stringifyEntityRef(e)));
    await this.snapshot.forgetAllBut(snapshot, known);
    this.deps.logger.debug(
      `Polled ${entities.length} models in ${
        Date.now() - started
      } ms${this.configRepos.rateLimitsText()}`,
    );
    this.configRepos.warnOfRateLimits();
  }

  /**
   * Waits until no one else resolves this model, and holds it: the watches
   * and a cycle of this replica never resolve one model at the same time,
   * so neither writes what the other already replaced. Returns the release.
   */
  private async lockModel(entityRef: string): Promise<() => void> {
    const before = this.modelLocks.get(entityRef) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>(resolve => {
      release = resolve;
    });
    const tail = before.then(() => held);
    this.modelLocks.set(entityRef, tail);
    await before;
    return () => {
      release();
      if (this.modelLocks.get(entityRef) === tail) {
        this.modelLocks.delete(entityRef);
      }
    };
  }

  /**
   * What a deployment source's watch reported: applied to the fleet read at
   * once; the models it changed are resolved after {@link WATCH_DEBOUNCE_MS}.
   */
  sourceChanged(source: DeploymentSource, changes: LiveObservationChanges) {
    this.queueWatched(this.fleet.applySourceChanges(source, changes));
  }

  /** What a cluster's InferenceService watch reported; as {@link sourceChanged}. */
  servingChanged(changes: ServingChanges) {
    this.queueWatched(this.fleet.applyServingChanges(changes));
  }

  private queueWatched(models: Set<string>) {
    for (const model of models) this.watched.add(model);
    if (this.watched.size === 0 || this.watchTimer) return;
    this.watchTimer = setTimeout(() => {
      this.watchTimer = undefined;
      this.resolveQueued();
    }, WATCH_DEBOUNCE_MS);
    this.watchTimer.unref?.();
  }

  private resolveQueued() {
    const batch = this.watched;
    this.watched = new Set();
    this.watchFlush = this.watchFlush
      .then(() => this.resolveWatched(batch))
      .catch(error =>
        this.deps.logger.error(
          `Resolving the models a watch reported failed: ${errorMessage(
            error,
          )}`,
        ),
      );
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
  async settleWatched(options: { drop?: boolean } = {}): Promise<void> {
    if (this.watchTimer) {
      clearTimeout(this.watchTimer);
      this.watchTimer = undefined;
      if (options.drop) {
        this.watched = new Set();
      } else {
        this.resolveQueued();
      }
    }
    await this.watchFlush;
  }

  /**
   * Resolves the models whose operator state a watch changed against the
   * fleet read as the watches keep it, through the per-model path: Git's
   * branch heads as last read, the registry through its cache, the stored
   * statuses from the database; then writes the changed ones in one
   * transaction and tells open pages.
   */
  private async resolveWatched(models: Set<string>): Promise<void> {
    const fleet = this.fleet.current();
    // Before the first read, the first cycle resolves every model anyway.
    if (!fleet) return;
    const entityRefs = await this.index.modelRefs(models);
    if (entityRefs.length === 0) return;
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const { items } = await this.deps.catalog.getEntitiesByRefs(
      { entityRefs },
      { credentials },
    );
    const entities = items.filter(
      (e): e is Entity => !!e && getMlGitopsAnnotations(e).missing.length === 0,
    );
    // What the watches reported is news now, not when the fleet was listed.
    const view = { ...fleet, observedAt: this.now().toISOString() };
    const releases: Array<() => void> = [];
    try {
      for (const entity of entities) {
        releases.push(await this.lockModel(stringifyEntityRef(entity)));
      }
      const changed: PolledModel[] = [];
      await mapWithConcurrency(
        entities,
        this.deps.config.concurrency,
        async entity => {
          const entityRef = stringifyEntityRef(entity);
          try {
            // Another replica may have polled it since.
            const stored = await this.snapshot.readStored(entityRef);
            const polled = await this.models.poll(entity, view, stored, {
              gitUnchanged: true,
            });
            if (polled.changed) changed.push(polled);
          } catch (error) {
            this.deps.logger.error(
              `Resolving ${entityRef} after a watch report failed: ${errorMessage(
                error,
              )}`,
            );
          }
        },
      );
      await this.snapshot.write(changed);
      this.deps.logger.debug(
        `A watch changed ${entityRefs.length} model(s); ${changed.length} stored`,
      );
    } finally {
      for (const release of releases) release();
    }
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
    const minInterval = this.deps.config.refreshMinIntervalMs;
    let state = this.refreshes.get(entityRef);
    if (!state) {
      state = { last: -Infinity };
      this.refreshes.set(entityRef, state);
    }
    if (state.next) return state.next;
    const entry = state;
    const due = entry.last + minInterval - Date.now();
    if (!entry.running && due <= 0) {
      return this.refreshNow(entityRef, entry);
    }
    entry.next = (async () => {
      await entry.running?.catch(() => undefined);
      const wait = entry.last + minInterval - Date.now();
      if (wait > 0) {
        await new Promise(resolve => setTimeout(resolve, wait).unref?.());
      }
      entry.next = undefined;
      // These requests came after the last read began: read the fleet anew.
      return this.refreshNow(entityRef, entry, { freshFleet: true });
    })();
    return entry.next;
  }

  private async refreshNow(
    entityRef: string,
    entry: { last: number; running?: Promise<boolean> },
    options: { freshFleet?: boolean } = {},
  ): Promise<boolean> {
    entry.last = Date.now();
    const running = this.pollEntityRefNow(entityRef, options);
    entry.running = running;
    try {
      return await running;
    } finally {
      if (entry.running === running) entry.running = undefined;
    }
  }

  private async pollEntityRefNow(
    entityRef: string,
    options: { freshFleet?: boolean } = {},
  ): Promise<boolean> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const entity = await this.deps.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity || getMlGitopsAnnotations(entity).missing.length > 0) {
      return false;
    }
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
    const entityRefs = await this.index.repoRefs(repoUrl);
    for (const entityRef of entityRefs) {
      await this.pollEntityRef(entityRef);
    }
    return entityRefs;
  }
}
