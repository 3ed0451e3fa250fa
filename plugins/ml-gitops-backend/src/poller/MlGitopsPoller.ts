import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  ANNOTATION_MODEL,
  argoCdSyncState,
  Deployment,
  DriftSourceError,
  EnvironmentStatus,
  evaluateDrift,
  evaluateGates,
  getMlGitopsAnnotations,
  LiveState,
  ML_GITOPS_SIGNAL_CHANNEL,
  RegistryState,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
  ModelRegistry,
} from '@ml-gitops/plugin-ml-gitops-node';
import { MlGitopsConfig } from '../config';
import { MlGitopsStore } from '../database/MlGitopsStore';
import {
  ConfigRepoHistory,
  EnvironmentDeclaration,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  ConfigRepoLocation,
  GithubConfigRepoClient,
} from '@ml-gitops/plugin-ml-gitops-node';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import { mapWithConcurrency } from './concurrency';

/** A failure of one source, remembered with the time it started. */
type Failure = { message: string; since: string };

/** The observations of one cycle, with the sources that failed. */
type FleetObservations = {
  byKey: Map<string, LiveObservation>;
  sources: Map<string, DeploymentSource>;
  failures: Array<{ source: string; failure: Failure }>;
};

const key = (model: string, environment: string) =>
  `${model}\u0000${environment}`;

function sourceName(source: DeploymentSource): string {
  return `${source.kind}:${source.instance}`;
}

/** 75 → "1 min 15 s". */
function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600)
    return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h} h${m ? ` ${m} min` : ''}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Flux objects report readiness, not Argo CD's sync status. */
function syncStateOf(observation: LiveObservation): SourceSyncState {
  if (observation.source === 'argocd') {
    return argoCdSyncState(observation.syncStatus);
  }
  switch (observation.syncStatus) {
    case 'Ready':
      return 'synced';
    case 'Reconciling':
      return 'reconciling';
    case 'NotReady':
    case 'Stalled':
      return 'out-of-sync';
    default:
      return 'unknown';
  }
}

/**
 * What the API shows as declared: the version at the branch head with the
 * commit that set it; the last good value while Git cannot be read.
 */
function declaredState(
  declaration: EnvironmentDeclaration | undefined,
  lastGood: EnvironmentStatus['declared'],
): EnvironmentStatus['declared'] {
  if (!declaration) {
    return lastGood;
  }
  if (!declaration.version) {
    return null;
  }
  const { declaring } = declaration;
  return {
    version: declaration.version,
    commit: declaring.commit,
    author: declaring.author,
    committedAt: declaring.committedAt,
    ...(declaring.pullRequest ? { pullRequest: declaring.pullRequest } : {}),
  };
}

/**
 * What the drift rules compare with: the operator applies the branch head,
 * and the grace period runs from the latest change of the branch.
 */
function driftDeclared(
  declared: EnvironmentStatus['declared'],
  declaration: EnvironmentDeclaration | undefined,
) {
  if (!declared) {
    return null;
  }
  if (!declaration) {
    return {
      version: declared.version,
      commit: declared.commit,
      committedAt: declared.committedAt,
    };
  }
  const headIsLater =
    Date.parse(declaration.headCommittedAt) > Date.parse(declared.committedAt);
  return {
    version: declared.version,
    commit: declaration.head,
    committedAt: headIsLater
      ? declaration.headCommittedAt
      : declared.committedAt,
  };
}

/**
 * One poll of the fleet: reads every model entity's config repo, the live
 * state from every deployment source (one list call per source), and the
 * registry, then stores status, history and drift episodes. A failing source
 * makes only its environments `unknown`; the last good values stay.
 */
/** A config repo URL in a form that compares equal for the same repo. */
export function normalizeRepoUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const [owner, repo] = parsed.pathname.replace(/^\/+/, '').split('/');
    if (!owner || !repo) return undefined;
    return `${parsed.host}/${owner}/${repo.replace(
      /\.git$/,
      '',
    )}`.toLowerCase();
  } catch {
    return undefined;
  }
}

export class MlGitopsPoller {
  private readonly failures = new Map<string, Failure>();
  /** Config repo → the model entities it serves, from the last full poll. */
  private repoIndex = new Map<string, string[]>();

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
      config: MlGitopsConfig;
      notifications?: NotificationService;
      signals?: SignalsService;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /** Records a failure; keeps the time of the first one until it recovers. */
  private fail(name: string, error: unknown): Failure {
    const message = errorMessage(error);
    const existing = this.failures.get(name);
    const failure = {
      message,
      since: existing?.since ?? this.now().toISOString(),
    };
    this.failures.set(name, failure);
    return failure;
  }

  private recover(name: string) {
    this.failures.delete(name);
  }

  private async observeFleet(): Promise<FleetObservations> {
    const byKey = new Map<string, LiveObservation>();
    const sources = new Map<string, DeploymentSource>();
    const failures: FleetObservations['failures'] = [];
    const serving = this.deps.servingVersions
      ? this.deps.servingVersions.read()
      : Promise.resolve(undefined);
    await Promise.all(
      this.deps.sources.map(async source => {
        const name = sourceName(source);
        try {
          const observations = await source.listObservations();
          this.recover(name);
          for (const observation of observations) {
            byKey.set(
              key(observation.model, observation.environment),
              observation,
            );
            sources.set(
              key(observation.model, observation.environment),
              source,
            );
          }
        } catch (error) {
          const failure = this.fail(name, error);
          failures.push({ source: name, failure });
          this.deps.logger.warn(`Polling ${name} failed: ${failure.message}`);
        }
      }),
    );
    // The serving objects' labels are the best source of the live version;
    // without them the manifest at the synced revision is read instead.
    const servingResult = await serving;
    for (const f of servingResult?.failures ?? []) {
      this.deps.logger.warn(
        `Reading serving objects on cluster ${f.cluster} failed: ${f.error.message}`,
      );
    }
    for (const [k, observation] of byKey) {
      const version = servingResult?.versions.get(k);
      if (observation.liveVersion === undefined && version !== undefined) {
        byKey.set(k, { ...observation, liveVersion: version });
      }
    }
    return { byKey, sources, failures };
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

  /** Polls every model entity of the catalog. */
  async pollAll(): Promise<void> {
    const started = Date.now();
    const [entities, fleet] = await Promise.all([
      this.listModelEntities(),
      this.observeFleet(),
    ]);
    await mapWithConcurrency(entities, this.deps.config.concurrency, entity =>
      this.pollEntity(entity, fleet).catch(error =>
        this.deps.logger.error(
          `Polling ${stringifyEntityRef(entity)} failed: ${errorMessage(
            error,
          )}`,
        ),
      ),
    );
    const index = new Map<string, string[]>();
    for (const entity of entities) {
      const repo = normalizeRepoUrl(getMlGitopsAnnotations(entity).configRepo!);
      if (repo) {
        index.set(repo, [
          ...(index.get(repo) ?? []),
          stringifyEntityRef(entity),
        ]);
      }
    }
    this.repoIndex = index;

    // Models that left the catalog are forgotten; their history stays.
    const known = new Set(entities.map(e => stringifyEntityRef(e)));
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.listModels({ limit: 500, after });
      for (const ref of page.entityRefs) {
        if (!known.has(ref)) {
          await this.deps.store.removeModel(ref);
        }
      }
      if (!page.more) break;
      after = page.entityRefs[page.entityRefs.length - 1];
    }
    this.deps.logger.debug(
      `Polled ${entities.length} models in ${Date.now() - started} ms`,
    );
  }

  /** Polls one model now, and asks its operators to look at Git. */
  async pollEntityRef(entityRef: string): Promise<boolean> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const entity = await this.deps.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity || getMlGitopsAnnotations(entity).missing.length > 0) {
      return false;
    }
    const fleet = await this.observeFleet();
    await this.pollEntity(entity, fleet, { refreshOperators: true });
    return true;
  }

  /**
   * Polls the models of a config repo now, e.g. when the Git host reports a
   * push. Returns the entity refs polled.
   */
  async pollRepository(repoUrl: string): Promise<string[]> {
    const repo = normalizeRepoUrl(repoUrl);
    const entityRefs = (repo && this.repoIndex.get(repo)) || [];
    for (const entityRef of entityRefs) {
      await this.pollEntityRef(entityRef);
    }
    return entityRefs;
  }

  private async readDeclarations(
    entityRef: string,
    configRepo: string,
    manifestPath: string,
  ): Promise<{
    loc?: ConfigRepoLocation;
    declarations: Map<string, EnvironmentDeclaration>;
    missingBranches: string[];
    moved: Set<string>;
    deployments: Deployment[];
    failure?: Failure;
  }> {
    const declarations = new Map<string, EnvironmentDeclaration>();
    const deployments: Deployment[] = [];
    const moved = new Set<string>();
    const missingBranches: string[] = [];
    const name = `git:${configRepo}`;
    let loc: ConfigRepoLocation | undefined;
    try {
      loc = this.deps.git.locate(configRepo);
      const { heads } = await this.deps.git.getBranchHeads(loc);
      for (const environment of this.deps.config.environments) {
        const head = heads[environment];
        if (!head) {
          missingBranches.push(environment);
          continue;
        }
        const result = await this.deps.history.read({
          loc,
          manifestPath,
          environment,
          head,
        });
        declarations.set(environment, result.declaration);
        if (result.headMoved) {
          moved.add(environment);
        }
        deployments.push(...result.deployments);
      }
      this.recover(name);
      return { loc, declarations, missingBranches, moved, deployments };
    } catch (error) {
      const failure = this.fail(name, error);
      this.deps.logger.warn(
        `Reading the config repo of ${entityRef} failed: ${failure.message}`,
      );
      return {
        loc,
        declarations,
        missingBranches,
        moved,
        deployments,
        failure,
      };
    }
  }

  private async registryState(
    entityRef: string,
    registryName: string | undefined,
    model: string,
    declaration: EnvironmentDeclaration | undefined,
    previous: RegistryState | null,
  ): Promise<RegistryState | null> {
    if (!declaration?.version) {
      return previous;
    }
    const name = registryName ?? declaration.manifest?.registry;
    const registry = name
      ? this.deps.registries.get(name)
      : this.deps.registries.values().next().value;
    if (!registry) {
      return null;
    }
    const failureName = `registry:${registry.name}`;
    try {
      const facts = await registry.getVersion(model, declaration.version);
      this.recover(failureName);
      // A version the registry lacks has no metrics: any gate fails.
      const gate = evaluateGates(
        declaration.manifest?.gates?.metrics,
        facts.exists ? facts.metrics : {},
      ).outcome;
      const gated = declaration.manifest?.gates?.metrics;
      return {
        exists: facts.exists,
        aliases: facts.aliases,
        ...(facts.stage ? { stage: facts.stage } : {}),
        metrics: facts.metrics,
        gate,
        ...(gated ? { thresholds: gated } : {}),
        ...(facts.url ? { runUrl: facts.url } : {}),
      };
    } catch (error) {
      const failure = this.fail(failureName, error);
      this.deps.logger.warn(
        `Reading ${model} ${declaration.version} from registry ${registry.name} for ${entityRef} failed: ${failure.message}`,
      );
      return previous;
    }
  }

  private async liveVersion(
    loc: ConfigRepoLocation | undefined,
    manifestPath: string,
    observation: LiveObservation,
  ): Promise<string | null> {
    if (observation.liveVersion !== undefined) {
      return observation.liveVersion;
    }
    if (!loc || !observation.revision) {
      return null;
    }
    try {
      const { version } = await this.deps.history.versionAt(
        loc,
        manifestPath,
        observation.revision,
      );
      return version;
    } catch {
      return null;
    }
  }

  private async pollEntity(
    entity: Entity,
    fleet: FleetObservations,
    options: { refreshOperators?: boolean } = {},
  ): Promise<void> {
    const entityRef = stringifyEntityRef(entity);
    const annotations = getMlGitopsAnnotations(entity);
    const model = annotations.model!;
    const now = this.now();
    const nowIso = now.toISOString();

    const previous = new Map(
      (await this.deps.store.getStatuses(entityRef)).map(s => [
        s.status.name,
        s.status,
      ]),
    );
    const git = await this.readDeclarations(
      entityRef,
      annotations.configRepo!,
      annotations.manifestPath,
    );
    if (git.deployments.length > 0) {
      await this.deps.store.recordDeployments(entityRef, git.deployments);
    }

    const statuses: EnvironmentStatus[] = [];
    for (const environment of this.deps.config.environments) {
      const before = previous.get(environment);
      const declaration = git.declarations.get(environment);
      const observation = fleet.byKey.get(key(model, environment));
      const source = fleet.sources.get(key(model, environment));

      const errors: DriftSourceError[] = [];
      if (git.failure) {
        errors.push({ source: 'git', ...git.failure });
      }
      if (!observation) {
        for (const f of fleet.failures) {
          errors.push({ source: f.source, ...f.failure });
        }
      }

      const declared = declaredState(
        declaration,
        git.failure ? before?.declared ?? null : null,
      );

      let live: LiveState | null = before?.live ?? null;
      if (observation) {
        live = {
          version: await this.liveVersion(
            git.loc,
            annotations.manifestPath,
            observation,
          ),
          revision: observation.revision,
          source: observation.source,
          instance: observation.instance,
          application: observation.application,
          syncStatus: observation.syncStatus,
          healthStatus: observation.healthStatus,
          observedAt: nowIso,
          ...(observation.url ? { url: observation.url } : {}),
        };
      }

      const registry = await this.registryState(
        entityRef,
        annotations.registry,
        model,
        declaration,
        before?.registry ?? null,
      );

      let drift: EnvironmentStatus['drift'];
      if (!git.failure && git.missingBranches.includes(environment)) {
        drift = {
          state: 'unknown',
          reason: `The config repo has no branch "${environment}"; create it or change mlGitops.environments`,
        };
      } else if (declaration && !declaration.version && !git.failure) {
        drift = {
          state: 'unknown',
          reason:
            declaration.manifestProblem ?? 'The manifest has no model_version',
        };
      } else {
        drift = evaluateDrift({
          now,
          gracePeriodSeconds: this.deps.config.driftGracePeriodMs / 1000,
          applicationMissing: !observation && errors.length === 0,
          sourceErrors: errors,
          declared: driftDeclared(declared, declaration),
          live:
            observation && live
              ? {
                  version: live.version,
                  source: observation.source,
                  sync: syncStateOf(observation),
                  revision: observation.revision,
                  operation: {
                    running: observation.operationRunning,
                    ...(observation.lastSyncFinishedAt
                      ? { finishedAt: observation.lastSyncFinishedAt }
                      : {}),
                  },
                }
              : null,
        });
      }

      const status: EnvironmentStatus = {
        name: environment,
        declared,
        live,
        registry,
        drift,
      };
      statuses.push(status);

      await this.recordServing(entityRef, entity, status, observation, nowIso);
      await this.trackDriftEpisode(entityRef, entity, status, nowIso);

      if (
        observation &&
        source?.requestRefresh &&
        (git.moved.has(environment) || options.refreshOperators)
      ) {
        await source
          .requestRefresh(observation)
          .catch(error =>
            this.deps.logger.warn(
              `Asking ${sourceName(source)} to refresh ${
                observation.application
              } failed: ${errorMessage(error)}`,
            ),
          );
      }
    }

    await this.deps.store.replaceStatuses(entityRef, model, statuses);

    const changed = statuses.some(
      s => JSON.stringify(s) !== JSON.stringify(previous.get(s.name) ?? null),
    );
    if (changed && this.deps.signals) {
      await this.deps.signals
        .publish({
          recipients: { type: 'broadcast' },
          channel: ML_GITOPS_SIGNAL_CHANNEL,
          message: { entityRef },
        })
        .catch(error =>
          this.deps.logger.warn(
            `Publishing a signal failed: ${errorMessage(error)}`,
          ),
        );
    }
  }

  /** The first time live matches declared, the deployment starts serving. */
  private async recordServing(
    entityRef: string,
    entity: Entity,
    status: EnvironmentStatus,
    observation: LiveObservation | undefined,
    nowIso: string,
  ) {
    if (
      !status.declared ||
      !status.live ||
      !observation ||
      status.live.version !== status.declared.version ||
      status.drift.state !== 'in-sync'
    ) {
      return;
    }
    // The end of the operator's sync is when the version started serving,
    // when it is after the merge; otherwise this observation is.
    const finished = observation.lastSyncFinishedAt;
    const servingAt =
      finished &&
      Date.parse(finished) >= Date.parse(status.declared.committedAt) &&
      Date.parse(finished) <= Date.parse(nowIso)
        ? finished
        : nowIso;
    const served = await this.deps.store.markServing(
      entityRef,
      status.name,
      status.declared.version,
      servingAt,
    );
    // A rollback that took longer than the target is worth a word.
    const target = this.deps.config.rollbackTargetMs / 1000;
    if (
      served?.kind === 'rollback' &&
      served.timeToServeSeconds !== undefined &&
      served.timeToServeSeconds > target
    ) {
      const title = entity.metadata.title ?? entity.metadata.name;
      await this.notifyOwners(entityRef, entity, status.name, {
        title: `${title}: the rollback in ${status.name} missed its target`,
        description: `Version ${served.version} (${served.commit.slice(
          0,
          7,
        )}) served ${formatSeconds(
          served.timeToServeSeconds,
        )} after the merge; the target is ${formatSeconds(target)}.`,
        severity: 'high',
        scope: `ml-gitops:rollback:${entityRef}:${status.name}:${served.commit}`,
      });
    }
  }

  /** Notifies the entity's owners; one notification scope per environment. */
  private async notifyOwners(
    entityRef: string,
    entity: Entity,
    environment: string,
    payload: {
      title: string;
      description?: string;
      severity: 'high' | 'normal';
      scope?: string;
    },
  ) {
    if (!this.deps.notifications) {
      return;
    }
    const scope =
      payload.scope ?? `ml-gitops:drift:${entityRef}:${environment}`;
    await this.deps.notifications
      .send({
        recipients: { type: 'entity', entityRef },
        payload: {
          ...payload,
          link: `/catalog/${
            entity.metadata.namespace ?? 'default'
          }/${entity.kind.toLocaleLowerCase('en-US')}/${
            entity.metadata.name
          }/ml-gitops`,
          topic: scope,
          scope,
        },
      })
      .catch(error =>
        this.deps.logger.warn(
          `Sending a notification for ${entityRef} failed: ${errorMessage(
            error,
          )}`,
        ),
      );
  }

  /**
   * Opens a drift episode when an environment drifts and closes it when it
   * stops drifting; the owners hear of each once.
   */
  private async trackDriftEpisode(
    entityRef: string,
    entity: Entity,
    status: EnvironmentStatus,
    nowIso: string,
  ) {
    const { state, since, reason } = status.drift;
    const title = entity.metadata.title ?? entity.metadata.name;
    if (state === 'drifted') {
      const { created } = await this.deps.store.openDriftEpisode({
        entityRef,
        environment: status.name,
        startedAt: since ?? nowIso,
        reason: reason ?? 'drifted',
      });
      if (created) {
        await this.notifyOwners(entityRef, entity, status.name, {
          title: `${title}: ${status.name} has drifted from Git`,
          description: reason,
          severity:
            status.name === this.deps.config.environments.at(-1)
              ? 'high'
              : 'normal',
        });
      }
    } else if (state !== 'unknown') {
      // Unknown says nothing about drift: an open episode stays open.
      const closed = await this.deps.store.closeDriftEpisode(
        entityRef,
        status.name,
        nowIso,
      );
      if (closed) {
        await this.notifyOwners(entityRef, entity, status.name, {
          title: `${title}: ${status.name} is back in line with Git`,
          description: `Drifted from ${closed.startedAt} to ${closed.endedAt}: ${closed.reason}. Now ${state}.`,
          severity: 'normal',
        });
      }
    }
  }
}
