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
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  argoCdSyncState,
  getMlGitopsAnnotations,
  RegistryState,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  BranchHeadsPrefetch,
  DeploymentSource,
  HistoryBudget,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { AutoRollbackInput } from '../autoRollback/AutoRollback';
import { MlGitopsConfig } from '../config';
import { LatestDeployment, MlGitopsStore } from '../database/MlGitopsStore';
import { ReadsInTurn } from '../lib/readsInTurn';
import { OwnerNotifier } from '../notifications/OwnerNotifier';
import { ConfigRepoRead, ConfigRepoReader } from './ConfigRepoReader';
import { LatestDeployments, recordDeploymentChecks } from './deploymentChecks';
import { DriftEpisodes } from './driftEpisodes';
import { errorMessage } from './failures';
import { FleetObservations, fleetKey, sourceName } from './fleetObservations';
import { RegistryReader } from './RegistryReader';
import { withConfigRepoRevision } from './repoUrls';
import { resolveEnvironmentStatus } from './resolveEnvironmentStatus';
import {
  PolledModel,
  sameJson,
  sameSubstance,
  SnapshotEntry,
} from './StatusSnapshot';
import { TimeToServe } from './timeToServe';

/**
 * The contract's sync state of an observation, as its source maps its own
 * states; a source that maps none speaks Argo CD's (Synced, OutOfSync).
 */
export function syncStateOf(
  source: DeploymentSource | undefined,
  observation: LiveObservation,
): SourceSyncState {
  return source?.syncState
    ? source.syncState(observation)
    : argoCdSyncState(observation.syncStatus);
}

/** How a model is polled (see {@link ModelPoller.poll}). */
export type ModelPollOptions = {
  refreshOperators?: boolean;
  branchHeads?: BranchHeadsPrefetch;
  /** Scheduled cycles only: older history is read within it. */
  historyBudget?: HistoryBudget;
  /** Scheduled cycles only: first reads of branches are read within it. */
  firstReads?: HistoryBudget;
  /**
   * Only the operators' state changed (a watch): the branch heads last
   * read stand, so Git is read only for a revision not read before.
   */
  gitUnchanged?: boolean;
};

/** What {@link ModelPoller.prepare} read of a model. */
export type PreparedModel = {
  entity: Entity;
  entityRef: string;
  annotations: ReturnType<typeof getMlGitopsAnnotations>;
  model: string;
  git: ConfigRepoRead;
  registryStates: Map<string, RegistryState | null>;
  /** Polls of the model resolved when it was read. */
  generation: number;
};

/**
 * Polls one model: reads its config repo, resolves each environment's
 * status against the fleet read and the stored statuses, and records what
 * follows from it (deployments, checks, time to serve, drift episodes,
 * notifications, automatic rollbacks, refresh requests to the operators).
 */
export class ModelPoller {
  constructor(
    private readonly deps: {
      logger: LoggerService;
      store: MlGitopsStore;
      config: MlGitopsConfig;
      configRepos: ConfigRepoReader;
      registry: RegistryReader;
      notifier: OwnerNotifier;
      timeToServe: TimeToServe;
      driftEpisodes: DriftEpisodes;
      /** When each deployment source last answered (`argocd:main` → ISO time). */
      sourceSeen: ReadonlyMap<string, string>;
      autoRollback?: { consider(input: AutoRollbackInput): Promise<void> };
      now: () => Date;
    },
  ) {
    this.latestReads = new ReadsInTurn(entityRefs =>
      deps.store.latestDeploymentsOf(entityRefs, deps.config.environments),
    );
  }

  /**
   * The newest deployments of the models resolved side by side, read in
   * one statement (see ReadsInTurn).
   */
  private readonly latestReads: ReadsInTurn<Map<string, LatestDeployment>>;

  /**
   * Polls one model against the stored statuses `stored`; returns its new
   * statuses and whether they changed in substance (the observation time of
   * an unchanged live value is the source's, recorded once per cycle).
   */
  async poll(
    entity: Entity,
    fleet: FleetObservations,
    stored: Map<string, SnapshotEntry>,
    options: ModelPollOptions = {},
  ): Promise<PolledModel> {
    return this.resolve(
      await this.prepare(entity, stored, options),
      fleet,
      stored,
      options,
    );
  }

  /**
   * How many polls of a model have resolved: a model prepared before
   * another poll resolved it is prepared again (see {@link preparedBefore}).
   */
  private readonly resolved = new Map<string, number>();

  /** Whether `prepared` was read before a later poll of its model resolved. */
  preparedBefore(prepared: PreparedModel): boolean {
    return (this.resolved.get(prepared.entityRef) ?? 0) !== prepared.generation;
  }

  /** Forgets the poll counts of models no longer in the catalog. */
  forgetAllBut(known: Set<string>) {
    for (const ref of this.resolved.keys()) {
      if (!known.has(ref)) this.resolved.delete(ref);
    }
  }

  /**
   * The reads of a model that need no operator state: its config repo
   * (declarations, new deployments, recorded here) and the registry's
   * facts of the declared versions. A scheduled cycle runs them while the
   * fleet's lists are still read.
   */
  async prepare(
    entity: Entity,
    stored: Map<string, SnapshotEntry>,
    options: ModelPollOptions = {},
  ): Promise<PreparedModel> {
    const { store, config, configRepos, notifier } = this.deps;
    const entityRef = stringifyEntityRef(entity);
    const generation = this.resolved.get(entityRef) ?? 0;
    const target = { entityRef, entity };
    const annotations = getMlGitopsAnnotations(entity);
    const model = annotations.model!;

    const git = await configRepos.readDeclarations(
      entityRef,
      annotations.configRepo!,
      annotations.manifestPath,
      options.gitUnchanged
        ? configRepos.knownBranchHeads(annotations.configRepo!)
        : options.branchHeads,
      annotations.problems,
      options.historyBudget,
      options.firstReads,
    );
    if (git.backfilled.length > 0) {
      await store.recordDeployments(entityRef, git.backfilled);
    }
    if (!git.failure) {
      await configRepos.recordHistoryProgress(
        entityRef,
        git.readingOlderHistory,
      );
    }
    if (git.deployments.length > 0) {
      await store.recordDeployments(entityRef, git.deployments);
      // A rollback merged since the last cycle (not one found by the first
      // read of a branch's past) is news for the owners, with its reason.
      for (const rollback of git.deployments) {
        if (
          rollback.kind === 'rollback' &&
          git.moved.has(rollback.environment)
        ) {
          await notifier.rollbackMerged(target, rollback);
        }
      }
    }

    // The registry's facts of the environments' versions are asked for
    // side by side: each is a request or two to the registry, independent
    // of the other reads, and a model's polling waits for the slowest only.
    const registryStates = new Map(
      await Promise.all(
        config.environments.map(
          async environment =>
            [
              environment,
              await this.deps.registry.registryState(
                entityRef,
                annotations.registry,
                model,
                git.declarations.get(environment),
                stored.get(environment)?.status?.registry ?? null,
              ),
            ] as const,
        ),
      ),
    );
    return {
      entity,
      entityRef,
      annotations,
      model,
      git,
      registryStates,
      generation,
    };
  }

  /**
   * Resolves each environment of a prepared model against the fleet's
   * operator state and records what follows from it.
   */
  async resolve(
    prepared: PreparedModel,
    fleet: FleetObservations,
    stored: Map<string, SnapshotEntry>,
    options: ModelPollOptions = {},
  ): Promise<PolledModel> {
    const { config, configRepos, notifier, logger } = this.deps;
    const { entity, entityRef, annotations, model, git, registryStates } =
      prepared;
    const target = { entityRef, entity };
    const now = this.deps.now();
    const nowIso = now.toISOString();
    this.resolved.set(entityRef, (this.resolved.get(entityRef) ?? 0) + 1);
    const statuses: PolledModel['statuses'] = [];
    let changed = stored.size !== config.environments.length;
    const openEpisodes = this.deps.driftEpisodes.openOf(entityRef);
    // The environments whose deployments this poll recorded (see
    // recordDeploymentChecks).
    const recorded = new Set(
      [...git.backfilled, ...git.deployments].map(d => d.environment),
    );
    // The environments' newest deployments, read once when an environment
    // first needs them (to keep checks or mark one serving) and after this
    // poll recorded its deployments; a steady cycle needs none.
    let latestRead: Promise<Map<string, LatestDeployment>> | undefined;
    const latest: LatestDeployments = () =>
      (latestRead ??= this.latestReads
        .get(entityRef)
        .then(read => read ?? new Map()));
    for (const environment of config.environments) {
      const beforeEntry = stored.get(environment);
      const before = beforeEntry?.status;
      const declaration = git.declarations.get(environment);
      const k = fleetKey(model, environment);
      const observation = withConfigRepoRevision(
        fleet.byKey.get(k),
        annotations.configRepo!,
      );
      const source = fleet.sources.get(k);

      // The reads come first; resolving them is pure.
      const liveVersion = observation
        ? await configRepos.liveVersion(
            git.loc,
            annotations.manifestPath,
            observation,
          )
        : null;
      const registry = registryStates.get(environment) ?? null;
      const freeze = await configRepos.freezeState({
        entityRef,
        read: git,
        manifestPath: annotations.manifestPath,
        declaration,
        before: before?.freeze,
        now,
      });
      const { status, observedFrom } = resolveEnvironmentStatus({
        environment,
        now,
        gracePeriodSeconds: config.driftGracePeriodMs / 1000,
        before: beforeEntry,
        git,
        declaration,
        observation: observation && {
          observation,
          sync: syncStateOf(source, observation),
          sourceName: source ? sourceName(source) : undefined,
          version: liveVersion,
        },
        fleet,
        fleetKey: k,
        sourceSeen: this.deps.sourceSeen,
        registry,
        freeze,
      });

      const silence = await notifier.trackSilence(
        target,
        status,
        beforeEntry?.silence,
        now,
      );
      statuses.push({
        status,
        ...(observedFrom ? { observedFrom } : {}),
        ...(silence ? { silence } : {}),
      });
      const same =
        beforeEntry?.model === model &&
        sameSubstance(beforeEntry, status, observedFrom) &&
        sameJson(beforeEntry.silence, silence);
      changed ||= !same;

      await recordDeploymentChecks(
        this.deps,
        entityRef,
        status,
        before,
        nowIso,
        { latestDeployments: latest, recordedNow: recorded.has(environment) },
      );
      await this.deps.timeToServe.track(
        target,
        status,
        before,
        observation,
        nowIso,
        latest,
      );
      await this.deps.driftEpisodes.track(
        target,
        status,
        before,
        nowIso,
        openEpisodes,
      );
      await notifier.canaryVerdict(target, status, before);
      if (git.loc && !git.failure) {
        await this.deps.autoRollback?.consider({
          entityRef,
          entity,
          model,
          loc: git.loc,
          manifestPath: annotations.manifestPath,
          registryName: annotations.registry,
          status,
        });
      }

      if (
        observation &&
        source?.requestRefresh &&
        (git.moved.has(environment) || options.refreshOperators)
      ) {
        await source
          .requestRefresh(observation)
          .catch(error =>
            logger.warn(
              `Asking ${sourceName(source)} to refresh ${
                observation.application
              } failed: ${errorMessage(error)}`,
            ),
          );
      }
    }

    return { entityRef, model, statuses, changed };
  }
}
