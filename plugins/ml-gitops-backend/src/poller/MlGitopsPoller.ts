import { formatDuration } from '../lib/format';
import {
  NOTIFICATION_TOPICS,
  NotificationTopic,
  notifyEntityOwners,
} from '../notifications/ownerNotifications';
import { InputError } from '@backstage/errors';
import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  activeFreeze,
  ANNOTATION_MODEL,
  argoCdSyncState,
  CanaryAnalysis,
  Deployment,
  describeCanary,
  DriftSourceError,
  EnvironmentFreeze,
  EnvironmentStatus,
  evaluateDrift,
  evaluateGates,
  getMlGitopsAnnotations,
  LiveState,
  ML_GITOPS_SIGNAL_CHANNEL,
  statusSignalKey,
  RegistryState,
  ServingStatus,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
  ModelRegistry,
} from '@ml-gitops/plugin-ml-gitops-node';
import { MlGitopsConfig } from '../config';
import {
  historyProgressKey,
  MlGitopsStore,
  Silence,
  StatusWrite,
  StoredEnvironmentStatus,
} from '../database/MlGitopsStore';
import {
  ConfigRepoHistory,
  HistoryBudget,
  EnvironmentDeclaration,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  BranchHeadsPrefetch,
  ConfigRepoLocation,
  GithubConfigRepoClient,
} from '@ml-gitops/plugin-ml-gitops-node';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import { AutoRollbackInput } from '../autoRollback/AutoRollback';
import { mapWithConcurrency } from './concurrency';
import { PollHealth } from './PollHealth';

/** A failure of one source, remembered with the time it started. */
type Failure = { message: string; since: string };

/** The observations of one cycle, with the sources that failed. */
type FleetObservations = {
  byKey: Map<string, LiveObservation>;
  /** When this listing was taken. */
  observedAt: string;
  sources: Map<string, DeploymentSource>;
  failures: Array<{ source: string; failure: Failure }>;
  /** Canary analyses by model and environment; `failed` when a cluster could not be read. */
  canaries?: { byKey: Map<string, CanaryAnalysis>; failed: boolean };
  /**
   * Whether the serving objects' versions serve, by model and environment;
   * `failed` when a cluster could not be read.
   */
  serving?: { byKey: Map<string, ServingStatus>; failed: boolean };
  /** The clusters whose serving objects were read or tried. */
  clusters?: string[];
};

const key = (model: string, environment: string) =>
  `${model}\u0000${environment}`;

/** A stored status as the poller last wrote or read it. */
type SnapshotEntry = {
  model: string;
  status: EnvironmentStatus;
  observedFrom?: string;
  silence?: Silence;
};

/** The statuses of one polled model, and whether they differ from the stored ones. */
type PolledModel = StatusWrite & { changed: boolean };

/** Below this many GitHub GraphQL points left, the poller warns (once a window). */
const LOW_GRAPHQL_POINTS = 200;

/**
 * How far back the first-parent history of a branch is read for the commit
 * that wrote its freeze; the oldest commit read stands in beyond it.
 */
const FREEZE_HISTORY = 50;

/** How many changed models are written in one transaction. */
const WRITE_BATCH = 100;

/**
 * Whether two JSON values are equal as JSON (an `undefined` property is the
 * same as a missing one), without building strings.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null
  ) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) {
      if (!sameJson(a[i], b[i])) return false;
    }
    return true;
  }
  return sameExcept(a, b);
}

/** Whether two JSON objects are equal as JSON but for the property `skip`. */
function sameExcept(x: object, y: object, skip?: string): boolean {
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  let keys = 0;
  for (const k in a) {
    if (k === skip || a[k] === undefined) continue;
    keys++;
    if (!sameJson(a[k], b[k])) return false;
  }
  for (const k in b) {
    if (k !== skip && b[k] !== undefined) keys--;
  }
  return keys === 0;
}

/**
 * Whether a newly computed status is the stored one in substance: all but
 * the live observation time, which follows the source every cycle.
 */
function sameSubstance(
  entry: SnapshotEntry,
  status: EnvironmentStatus,
  observedFrom: string | undefined,
): boolean {
  if (entry.observedFrom !== observedFrom) return false;
  const before = entry.status;
  if (!sameExcept(status, before, 'live')) return false;
  if (!status.live || !before.live) return !status.live && !before.live;
  return sameExcept(status.live, before.live, 'observedAt');
}

function snapshotEntry(
  model: string,
  status: EnvironmentStatus,
  observedFrom?: string,
  silence?: Silence,
): SnapshotEntry {
  return { model, status, observedFrom, ...(silence ? { silence } : {}) };
}

function sourceName(source: DeploymentSource): string {
  return `${source.kind}:${source.instance}`;
}

/** 75 → "1 min 15 s". */
function formatSeconds(seconds: number): string {
  return formatDuration(seconds * 1000);
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
 * Whether the serving object's version serves, from this cycle's read: the
 * last known state while a cluster cannot be read; absent when no serving
 * object carries the model and environment. Argo CD's Degraded health is
 * never serving (KServe's own status may not have caught up, or another
 * object of the application fails).
 */
function servingOf(
  fleet: FleetObservations,
  k: string,
  lastKnown: ServingStatus | undefined,
  observation: LiveObservation,
): ServingStatus | undefined {
  if (!fleet.serving) return undefined;
  const serving =
    fleet.serving.byKey.get(k) ??
    (fleet.serving.failed ? lastKnown : undefined);
  if (
    serving?.state === 'serving' &&
    observation.source === 'argocd' &&
    observation.healthStatus === 'Degraded'
  ) {
    const { storageUri: _storageUri, ...rest } = serving;
    return {
      ...rest,
      state: 'failed',
      failure: {
        reason: 'Degraded',
        message: `Argo CD reports the health of ${observation.application} Degraded`,
      },
    };
  }
  return serving;
}

/**
 * Whether an environment's declared version serves: in sync (which, with a
 * serving object, means Ready, model loaded and its traffic), and not
 * Degraded in Argo CD (which also holds where no serving object is read).
 */
function servesDeclared(status: EnvironmentStatus): boolean {
  return (
    status.drift.state === 'in-sync' &&
    !!status.declared &&
    status.live?.version === status.declared.version &&
    (!status.live.serving || status.live.serving.state === 'serving') &&
    !(
      status.live.source === 'argocd' && status.live.healthStatus === 'Degraded'
    )
  );
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
  // The scp-like form Argo CD accepts: git@github.com:acme/repo.git
  const scp = /^[\w.-]+@([^:/]+):(?!\/\/)(.+)$/.exec(url.trim());
  try {
    const parsed = new URL(scp ? `ssh://${scp[1]}/${scp[2]}` : url);
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

/**
 * An object that reads several repositories (a multi-source Argo CD
 * Application) reports a revision per repository: the one of the entity's
 * config repo is the revision that declares the model.
 */
export function withConfigRepoRevision(
  observation: LiveObservation | undefined,
  configRepo: string,
): LiveObservation | undefined {
  if (!observation?.revisions?.length) {
    return observation;
  }
  const repo = normalizeRepoUrl(configRepo);
  const match = observation.revisions.find(
    r => repo !== undefined && normalizeRepoUrl(r.repoUrl) === repo,
  );
  return match ? { ...observation, revision: match.revision } : observation;
}

export class MlGitopsPoller {
  private readonly failures = new Map<string, Failure>();
  /** Config repo → the model entities it serves, from the last full poll. */
  private repoIndex = new Map<string, string[]>();
  /**
   * The stored statuses by entity ref and environment: read from the
   * database once, then kept up to date with this poller's writes and with
   * the rows other replicas wrote (read by `updated_at` each cycle). An
   * unchanged model costs no database statement.
   */
  private snapshot?: Map<string, Map<string, SnapshotEntry>>;
  private snapshotCursor?: string;
  /** The GraphQL rate-limit window already warned about. */
  private graphqlLimitWarned?: string;
  /** Polls outside the schedule, per model: running, next, and when the last began. */
  private readonly refreshes = new Map<
    string,
    { last: number; running?: Promise<boolean>; next?: Promise<boolean> }
  >();
  /** The last fleet read and when it began. */
  private fleetCache?: { at: number; fleet: Promise<FleetObservations> };
  private lowPointsWarned?: string;
  /** When each deployment source last answered (`argocd:main` → ISO time). */
  private readonly sourceSeen = new Map<string, string>();
  /** What each outside system answered, for `GET /v1/health`. */
  private readonly health = new PollHealth();
  /** Requests left for reading older history, shared by a cycle's models. */
  private historyBudget?: HistoryBudget;
  /**
   * The environments whose older history was still being read, per model,
   * as last stored (`historyProgressKey`).
   */
  private readonly historyProgress = new Map<string, string>();
  /** Config repo → host, of the models polled in the running cycle. */
  private cycleRepos?: Map<string, string>;

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

  /** The fleet read of a scheduled cycle, kept for polls right after it. */
  private scheduledFleet(): Promise<FleetObservations> {
    const fleet = this.observeFleet();
    const entry = { at: Date.now(), fleet };
    this.fleetCache = entry;
    fleet.catch(() => {
      if (this.fleetCache === entry) this.fleetCache = undefined;
    });
    return fleet;
  }

  private async observeFleet(): Promise<FleetObservations> {
    const observedAt = this.now().toISOString();
    const byKey = new Map<string, LiveObservation>();
    const sources = new Map<string, DeploymentSource>();
    const failures: FleetObservations['failures'] = [];
    const serving = this.deps.servingVersions
      ? this.deps.servingVersions.read()
      : Promise.resolve(undefined);
    // The canaries reuse the InferenceServices the serving versions list.
    const canaryRead = this.deps.canaryAnalyses?.read(
      serving.then(
        result => result?.inferenceServices,
        () => undefined,
      ),
    );
    await Promise.all(
      this.deps.sources.map(async source => {
        const name = sourceName(source);
        try {
          const observations = await source.listObservations();
          this.recover(name);
          this.sourceSeen.set(name, observedAt);
          this.health.succeeded(name, source.kind, observedAt);
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
          this.health.failed(name, source.kind, failure, observedAt);
          this.deps.logger.warn(`Polling ${name} failed: ${failure.message}`);
        }
      }),
    );
    // The serving objects' labels are the best source of the live version;
    // without them the manifest at the synced revision is read instead.
    const servingResult = await serving;
    for (const cluster of servingResult?.inferenceServices.keys() ?? []) {
      this.recover(`cluster:${cluster}`);
      this.health.succeeded(`cluster:${cluster}`, 'cluster', observedAt);
    }
    for (const f of servingResult?.failures ?? []) {
      const failure = this.fail(`cluster:${f.cluster}`, f.error);
      this.health.failed(
        `cluster:${f.cluster}`,
        'cluster',
        failure,
        observedAt,
      );
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
    const canaryResult = await canaryRead?.catch(error => ({
      byKey: new Map<string, CanaryAnalysis>(),
      failures: [{ cluster: '*', error: error as Error }],
    }));
    for (const f of canaryResult?.failures ?? []) {
      this.deps.logger.warn(
        `Reading canary analyses on cluster ${f.cluster} failed: ${f.error.message}`,
      );
    }
    const canaries = canaryResult
      ? { byKey: canaryResult.byKey, failed: canaryResult.failures.length > 0 }
      : undefined;
    const clusters = servingResult
      ? [
          ...servingResult.inferenceServices.keys(),
          ...servingResult.failures.map(f => f.cluster),
        ]
      : undefined;
    return {
      byKey,
      observedAt,
      sources,
      failures,
      canaries,
      clusters,
      ...(servingResult
        ? {
            serving: {
              byKey: servingResult.serving,
              failed: servingResult.failures.length > 0,
            },
          }
        : {}),
    };
  }

  /** Brings the snapshot of stored statuses up to date with the database. */
  private async syncSnapshot(): Promise<
    Map<string, Map<string, SnapshotEntry>>
  > {
    if (!this.snapshot) {
      for (const [source, at] of Object.entries(
        await this.deps.store.getSourceFreshness(),
      )) {
        if (!this.sourceSeen.has(source) || this.sourceSeen.get(source)! < at) {
          this.sourceSeen.set(source, at);
        }
      }
    }
    const snapshot = this.snapshot ?? new Map();
    const { items, cursor } = await this.deps.store.listStatusesSince(
      this.snapshot ? this.snapshotCursor : undefined,
    );
    for (const item of items) {
      this.remember(snapshot, item);
    }
    this.snapshot = snapshot;
    this.snapshotCursor = cursor;
    return snapshot;
  }

  private remember(
    snapshot: Map<string, Map<string, SnapshotEntry>>,
    item: StoredEnvironmentStatus,
  ) {
    let model = snapshot.get(item.entityRef);
    if (!model) {
      model = new Map();
      snapshot.set(item.entityRef, model);
    }
    model.set(
      item.status.name,
      snapshotEntry(item.model, item.status, item.observedFrom, item.silence),
    );
  }

  /** Writes changed models in one transaction, then tells open pages. */
  private async writeChanged(models: PolledModel[]): Promise<void> {
    if (models.length === 0) {
      return;
    }
    await this.deps.store.writeStatuses(
      models.map(({ entityRef, model, statuses }) => ({
        entityRef,
        model,
        statuses,
      })),
    );
    for (const m of models) {
      if (this.snapshot) {
        const envs = new Map<string, SnapshotEntry>();
        for (const { status, observedFrom, silence } of m.statuses) {
          envs.set(
            status.name,
            snapshotEntry(m.model, status, observedFrom, silence),
          );
        }
        this.snapshot.set(m.entityRef, envs);
      }
    }
    if (!this.deps.signals) {
      return;
    }
    for (const m of models) {
      await this.deps.signals
        .publish({
          recipients: { type: 'broadcast' },
          channel: ML_GITOPS_SIGNAL_CHANNEL,
          message: { key: statusSignalKey(m.entityRef) },
        })
        .catch(error =>
          this.deps.logger.warn(
            `Publishing a signal failed: ${errorMessage(error)}`,
          ),
        );
    }
  }

  private async recordFreshness(): Promise<void> {
    await this.deps.store
      .recordSourceFreshness(Object.fromEntries(this.sourceSeen))
      .catch(error =>
        this.deps.logger.warn(
          `Recording when the sources answered failed: ${errorMessage(error)}`,
        ),
      );
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
   * Starts reading the environment branches' heads of every config repo of
   * `entities` in batches; a repo whose URL is not usable is left to
   * `readDeclarations`, which reports it.
   */
  private prefetchBranchHeads(entities: Entity[]): BranchHeadsPrefetch {
    const locs: ConfigRepoLocation[] = [];
    for (const entity of entities) {
      try {
        locs.push(
          this.deps.git.locate(getMlGitopsAnnotations(entity).configRepo!),
        );
      } catch {
        // reported when the model is polled
      }
    }
    return this.deps.git.prefetchBranchHeads(
      locs,
      this.deps.config.environments,
    );
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
    this.cycleRepos = new Map();
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
        polledRepos: this.cycleRepos,
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
        branchHeads: this.prefetchBranchHeads(list),
      })),
      this.scheduledFleet(),
      this.syncSnapshot(),
    ]);
    const perCycle = this.deps.config.historyRequestsPerCycle;
    if (perCycle > 0) {
      this.historyBudget ??= new HistoryBudget(perCycle);
      this.historyBudget.startCycle();
    }
    let pending: PolledModel[] = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      await this.writeChanged(batch).catch(error =>
        this.deps.logger.error(
          `Storing the status of ${
            batch.length
          } model(s) failed: ${errorMessage(error)}`,
        ),
      );
    };
    await mapWithConcurrency(
      entities,
      this.deps.config.concurrency,
      async entity => {
        const entityRef = stringifyEntityRef(entity);
        try {
          const polled = await this.pollEntity(
            entity,
            fleet,
            snapshot.get(entityRef) ?? new Map(),
            { branchHeads, historyBudget: this.historyBudget },
          );
          if (polled.changed) {
            pending.push(polled);
            if (pending.length >= WRITE_BATCH) {
              await flush();
            }
          }
        } catch (error) {
          cycle.failedModels.push(entityRef);
          this.deps.logger.error(
            `Polling ${entityRef} failed: ${errorMessage(error)}`,
          );
        }
      },
    );
    cycle.models = entities.length;
    cycle.clusters = fleet.clusters ?? [];
    await flush();
    await this.recordFreshness();
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
    for (const ref of snapshot.keys()) {
      if (!known.has(ref)) {
        snapshot.delete(ref);
      }
    }
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
    const points = [...this.deps.git.graphqlRateLimits.values()]
      .map(
        l =>
          `; GitHub GraphQL on ${l.host}: ${l.remaining} points left until ${l.resetAt}`,
      )
      .join('');
    this.deps.logger.debug(
      `Polled ${entities.length} models in ${Date.now() - started} ms${points}`,
    );
    for (const l of this.deps.git.graphqlRateLimits.values()) {
      if (
        l.remaining < LOW_GRAPHQL_POINTS &&
        this.lowPointsWarned !== l.resetAt
      ) {
        this.lowPointsWarned = l.resetAt;
        this.deps.logger.warn(
          `GitHub GraphQL on ${l.host} has ${l.remaining} points left until ${l.resetAt}; branch heads are read in queries of 100 repos (1 point each) every cycle. Lengthen mlGitops.schedule or give the integration a token with a higher limit.`,
        );
      }
    }
    for (const l of this.deps.git.graphqlLimited.values()) {
      if (this.graphqlLimitWarned !== `${l.host} ${l.until}`) {
        this.graphqlLimitWarned = `${l.host} ${l.until}`;
        this.deps.logger.warn(
          `GitHub GraphQL on ${l.host} refused branch heads for its ${l.kind} rate limit (${l.message}); they are read through REST until ${l.until}. Lengthen mlGitops.schedule or give the integration a token with a higher limit.`,
        );
      }
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

  /**
   * The fleet's operator state for polls outside the schedule: the one
   * read within `refreshMinInterval` is reused, so a push to a repo of
   * many models, or a burst of refreshes, lists every Argo CD instance and
   * cluster once, not once per model. A trailing poll (`fresh`) serves
   * requests that came while an earlier read ran, so it never reuses one.
   */
  private recentFleet(fresh = false): Promise<FleetObservations> {
    const now = Date.now();
    const cached = this.fleetCache;
    if (
      !fresh &&
      cached &&
      now - cached.at < this.deps.config.refreshMinIntervalMs
    ) {
      return cached.fleet;
    }
    const fleet = this.observeFleet();
    const entry = { at: now, fleet };
    this.fleetCache = entry;
    fleet.catch(() => {
      if (this.fleetCache === entry) this.fleetCache = undefined;
    });
    return fleet;
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
    const fleet = await this.recentFleet(options.freshFleet);
    // Another replica may have polled it since: the database says what is stored.
    const stored = new Map<string, SnapshotEntry>();
    for (const s of await this.deps.store.getStatuses(entityRef)) {
      stored.set(
        s.status.name,
        snapshotEntry(s.model, s.status, s.observedFrom, s.silence),
      );
    }
    const polled = await this.pollEntity(entity, fleet, stored, {
      refreshOperators: true,
    });
    if (polled.changed) {
      await this.writeChanged([polled]);
    }
    await this.recordFreshness();
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
    prefetched?: BranchHeadsPrefetch,
    problems: string[] = [],
    historyBudget?: HistoryBudget,
  ): Promise<{
    loc?: ConfigRepoLocation;
    declarations: Map<string, EnvironmentDeclaration>;
    missingBranches: string[];
    moved: Set<string>;
    deployments: Deployment[];
    /** Deployments found in older history (not news). */
    backfilled: Deployment[];
    /** Environments whose older history is not read to its start yet. */
    readingOlderHistory: string[];
    failure?: Failure;
  }> {
    const declarations = new Map<string, EnvironmentDeclaration>();
    const deployments: Deployment[] = [];
    const backfilled: Deployment[] = [];
    const readingOlderHistory: string[] = [];
    const moved = new Set<string>();
    const missingBranches: string[] = [];
    const name = `git:${configRepo}`;
    let loc: ConfigRepoLocation | undefined;
    try {
      if (problems.length > 0) {
        // Annotations are written by whoever edits the catalog: nothing is
        // requested for one that could reach outside the config repo.
        throw new InputError(
          `The entity's annotations are not usable: ${problems.join('; ')}`,
        );
      }
      loc = this.deps.git.locate(configRepo);
      // Read for the whole fleet in a few GraphQL queries when the host
      // allows; else (and when polled alone) one conditional REST request.
      const heads =
        (await prefetched?.get(loc.url)) ??
        (await this.deps.git.getBranchHeads(loc)).heads;
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
          budget: historyBudget,
        });
        declarations.set(environment, result.declaration);
        if (result.headMoved) {
          moved.add(environment);
        }
        deployments.push(...result.deployments);
        backfilled.push(...result.backfilled);
        if (result.declaration.unread?.length !== 0) {
          readingOlderHistory.push(environment);
        }
        if (result.backfillFailure) {
          // The older history waits for the next cycle, where it stopped;
          // what the branch declares now is read and stays right.
          this.deps.logger.warn(
            `Reading the older history of ${environment} of ${entityRef} failed, to be continued next cycle: ${errorMessage(
              result.backfillFailure,
            )}`,
          );
        }
      }
      this.recover(name);
      this.cycleRepos?.set(loc.url, loc.host);
      this.health.gitRead(
        loc.host,
        loc.url,
        undefined,
        this.now().toISOString(),
      );
      return {
        loc,
        declarations,
        missingBranches,
        moved,
        deployments,
        backfilled,
        readingOlderHistory,
      };
    } catch (error) {
      const failure = this.fail(name, error);
      if (loc) {
        this.cycleRepos?.set(loc.url, loc.host);
        this.health.gitRead(
          loc.host,
          loc.url,
          failure,
          this.now().toISOString(),
        );
      }
      this.deps.logger.warn(
        `Reading the config repo of ${entityRef} failed: ${failure.message}`,
      );
      return {
        loc,
        declarations,
        missingBranches,
        moved,
        deployments,
        backfilled,
        readingOlderHistory,
        failure,
      };
    }
  }

  /**
   * Stores which environments of a model still have older history to read,
   * when that changed, for `GET /v1/history` to say so.
   */
  private async recordHistoryProgress(
    entityRef: string,
    environments: string[],
  ): Promise<void> {
    const cacheKey = historyProgressKey(entityRef);
    const value = JSON.stringify(environments);
    if (!this.historyProgress.has(entityRef)) {
      const stored = await this.deps.store.getCacheValue<string[]>(cacheKey);
      this.historyProgress.set(entityRef, JSON.stringify(stored ?? null));
    }
    if (this.historyProgress.get(entityRef) === value) return;
    await this.deps.store.setCacheValue(cacheKey, environments);
    this.historyProgress.set(entityRef, value);
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
      // An answer the registry read before it started failing (from its
      // cache) says nothing about whether it recovered.
      const failing = this.failures.get(failureName);
      if (!failing || !facts.observedAt || facts.observedAt > failing.since) {
        this.recover(failureName);
        this.health.succeeded(
          failureName,
          'registry',
          facts.observedAt ?? this.now().toISOString(),
        );
      }
      // A version the registry lacks has no metrics: any gate fails. A
      // version it has not finished registering (or failed to register)
      // cannot serve, so its gate never passes whatever its run's metrics.
      const registered = facts.status === undefined || facts.status === 'READY';
      const gate =
        facts.exists && !registered
          ? 'failed'
          : evaluateGates(
              declaration.manifest?.gates?.metrics,
              facts.exists ? facts.metrics : {},
            ).outcome;
      const gated = declaration.manifest?.gates?.metrics;
      return {
        version: declaration.version,
        exists: facts.exists,
        ...(facts.exists && facts.status !== undefined
          ? { status: facts.status }
          : {}),
        aliases: facts.aliases,
        ...(facts.stage ? { stage: facts.stage } : {}),
        metrics: facts.metrics,
        gate,
        ...(gated ? { thresholds: gated } : {}),
        ...(facts.url ? { runUrl: facts.url } : {}),
        ...(facts.exists && facts.rejected ? { rejected: facts.rejected } : {}),
        ...(facts.exists && facts.createdAt
          ? { registeredAt: facts.createdAt }
          : {}),
      };
    } catch (error) {
      const failure = this.fail(failureName, error);
      this.health.failed(
        failureName,
        'registry',
        failure,
        this.now().toISOString(),
      );
      this.deps.logger.warn(
        `Reading ${model} ${declaration.version} from registry ${registry.name} for ${entityRef} failed: ${failure.message}`,
      );
      // The gate cannot be judged: never `passed` from an old answer. The
      // last good facts stay when they are about the same version.
      const gated = declaration.manifest?.gates?.metrics;
      const same =
        previous?.version === declaration.version ? previous : undefined;
      return {
        version: declaration.version,
        exists: same?.exists ?? false,
        ...(same?.status !== undefined ? { status: same.status } : {}),
        aliases: same?.aliases ?? [],
        ...(same?.stage ? { stage: same.stage } : {}),
        metrics: same?.metrics ?? {},
        ...(same?.runUrl ? { runUrl: same.runUrl } : {}),
        ...(same?.rejected ? { rejected: same.rejected } : {}),
        gate: 'unknown',
        ...(gated ? { thresholds: gated } : {}),
        reason: `${failureName} failing since ${failure.since}: ${failure.message}`,
      };
    }
  }

  /**
   * The freeze that holds now at the head of an environment's branch, with
   * the commit that wrote it: going back from the head along the first
   * parents, the oldest commit whose manifest has this same freeze (reason
   * and until), at most {@link FREEZE_HISTORY} commits back. That history is
   * read only when the freeze differs from the stored one; otherwise the
   * stored commit, author and time stay. While Git cannot be read, the last
   * known freeze stays as long as it holds.
   */
  private async freezeState(
    entityRef: string,
    git: { loc?: ConfigRepoLocation; failure?: Failure },
    manifestPath: string,
    declaration: EnvironmentDeclaration | undefined,
    before: EnvironmentFreeze | undefined,
    now: Date,
  ): Promise<EnvironmentFreeze | undefined> {
    if (!declaration) {
      const holds =
        before &&
        (before.until === undefined ||
          Date.parse(before.until) > now.getTime());
      return git.failure && holds ? before : undefined;
    }
    const freeze =
      declaration.manifest && activeFreeze(declaration.manifest, now);
    if (!freeze) {
      return undefined;
    }
    const own: EnvironmentFreeze = {
      reason: freeze.reason,
      ...(freeze.until !== undefined ? { until: freeze.until } : {}),
    };
    if (
      before?.commit &&
      before.reason === freeze.reason &&
      before.until === freeze.until
    ) {
      return before;
    }
    if (!git.loc) {
      return own;
    }
    const loc = git.loc;
    try {
      let commit = await this.deps.git.getCommit(loc, declaration.head);
      for (let read = 0; read < FREEZE_HISTORY && commit.parents[0]; read++) {
        const parent = await this.deps.history.versionAt(
          loc,
          manifestPath,
          commit.parents[0],
        );
        const earlier = parent.manifest?.freeze;
        if (
          earlier?.reason !== freeze.reason ||
          earlier?.until !== freeze.until
        ) {
          break;
        }
        commit = await this.deps.git.getCommit(loc, commit.parents[0]);
      }
      return {
        ...own,
        setBy: commit.author,
        setAt: commit.committedAt,
        commit: commit.sha,
      };
    } catch (error) {
      this.deps.logger.warn(
        `Reading who froze ${
          declaration.environment
        } of ${entityRef} failed: ${errorMessage(error)}`,
      );
      return own;
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

  /**
   * Polls one model against the stored statuses `stored`; returns its new
   * statuses and whether they changed in substance (the observation time of
   * an unchanged live value is the source's, recorded once per cycle).
   */
  private async pollEntity(
    entity: Entity,
    fleet: FleetObservations,
    stored: Map<string, SnapshotEntry>,
    options: {
      refreshOperators?: boolean;
      branchHeads?: BranchHeadsPrefetch;
      /** Scheduled cycles only: older history is read within it. */
      historyBudget?: HistoryBudget;
    } = {},
  ): Promise<PolledModel> {
    const entityRef = stringifyEntityRef(entity);
    const annotations = getMlGitopsAnnotations(entity);
    const model = annotations.model!;
    const now = this.now();
    const nowIso = now.toISOString();

    const git = await this.readDeclarations(
      entityRef,
      annotations.configRepo!,
      annotations.manifestPath,
      options.branchHeads,
      annotations.problems,
      options.historyBudget,
    );
    if (git.backfilled.length > 0) {
      await this.deps.store.recordDeployments(entityRef, git.backfilled);
    }
    if (!git.failure) {
      await this.recordHistoryProgress(entityRef, git.readingOlderHistory);
    }
    if (git.deployments.length > 0) {
      await this.deps.store.recordDeployments(entityRef, git.deployments);
      // A rollback merged since the last cycle (not one found by the first
      // read of a branch's past) is news for the owners, with its reason.
      for (const rollback of git.deployments) {
        if (
          rollback.kind !== 'rollback' ||
          !git.moved.has(rollback.environment)
        ) {
          continue;
        }
        const title = entity.metadata.title ?? entity.metadata.name;
        await this.notifyOwners(entityRef, entity, rollback.environment, {
          topic: NOTIFICATION_TOPICS.rollback,
          title: `${title} rolled back in ${rollback.environment}: ${
            rollback.previousVersion ?? '?'
          } → ${rollback.version}`,
          description: `${rollback.author} rolled ${
            rollback.environment
          } back to version ${rollback.version}${
            rollback.pullRequest ? ` (#${rollback.pullRequest.number})` : ''
          }. Reason: ${rollback.reason ?? 'none given'}.`,
          severity: 'normal',
          scope: `ml-gitops:rollback-merged:${entityRef}:${rollback.environment}:${rollback.commit}`,
        });
      }
    }

    const statuses: PolledModel['statuses'] = [];
    let changed = stored.size !== this.deps.config.environments.length;
    for (const environment of this.deps.config.environments) {
      const beforeEntry = stored.get(environment);
      const before = beforeEntry?.status;
      const declaration = git.declarations.get(environment);
      const observation = withConfigRepoRevision(
        fleet.byKey.get(key(model, environment)),
        annotations.configRepo!,
      );
      const source = fleet.sources.get(key(model, environment));

      const errors: DriftSourceError[] = [];
      if (git.failure) {
        errors.push({ source: 'git', ...git.failure });
      }
      if (!observation) {
        // The source that last reported this environment is the one to
        // blame when it fails; without one, any failing source may hold it.
        const last = before?.live
          ? `${before.live.source}:${before.live.instance}`
          : undefined;
        const own = fleet.failures.filter(f => f.source === last);
        for (const f of own.length > 0 ? own : fleet.failures) {
          errors.push({ source: f.source, ...f.failure });
        }
      }

      const declared = declaredState(
        declaration,
        git.failure ? before?.declared ?? null : null,
      );

      let live: LiveState | null = before?.live ?? null;
      let observedFrom: string | undefined;
      if (live && beforeEntry?.observedFrom) {
        // Kept from before: observed when its source last answered.
        const seen = this.sourceSeen.get(beforeEntry.observedFrom);
        if (seen && seen > live.observedAt) {
          live = { ...live, observedAt: seen };
        }
      }
      if (observation) {
        observedFrom = source ? sourceName(source) : undefined;
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
          observedAt: fleet.observedAt,
          ...(observation.url ? { url: observation.url } : {}),
        };
        const serving = servingOf(
          fleet,
          key(model, environment),
          before?.live?.serving,
          observation,
        );
        if (serving) live.serving = serving;
      }

      const registry = await this.registryState(
        entityRef,
        annotations.registry,
        model,
        declaration,
        before?.registry ?? null,
      );
      const freeze = await this.freezeState(
        entityRef,
        git,
        annotations.manifestPath,
        declaration,
        before?.freeze,
        now,
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
                  ...(observation.statusMessage
                    ? { message: observation.statusMessage }
                    : {}),
                  operation: {
                    running: observation.operationRunning,
                    ...(observation.lastSyncFinishedAt
                      ? { finishedAt: observation.lastSyncFinishedAt }
                      : {}),
                  },
                  ...(live.serving ? { serving: live.serving } : {}),
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
        ...(freeze ? { freeze } : {}),
      };
      if (fleet.canaries) {
        // While a cluster cannot be read, the last known analysis stays.
        status.canary =
          fleet.canaries.byKey.get(key(model, environment)) ??
          (fleet.canaries.failed ? before?.canary ?? null : null);
      }
      const silence = await this.trackSilence(
        entityRef,
        entity,
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

      await this.recordChecks(entityRef, status, before, nowIso);
      // What served at the same commit was marked serving then.
      const servedBefore =
        !!before &&
        servesDeclared(before) &&
        before.declared?.commit === status.declared?.commit &&
        before.declared?.version === status.declared?.version;
      if (!servedBefore) {
        // Seen live at this commit but not serving (a failing predictor,
        // Degraded): it started serving after that.
        const seenNotServing =
          before?.declared?.commit === status.declared?.commit &&
          before?.live?.version === status.declared?.version
            ? before?.live?.observedAt
            : undefined;
        await this.recordServing(
          entityRef,
          entity,
          status,
          observation,
          nowIso,
          seenNotServing,
        );
      }
      // Drift episodes open when drifted and close otherwise: nothing to do
      // while the stored state already was on the same side.
      const settled = (state?: string) =>
        state === 'in-sync' || state === 'progressing' || state === 'missing';
      const episodeKnown =
        (status.drift.state === 'drifted' &&
          before?.drift.state === 'drifted') ||
        (settled(status.drift.state) && settled(before?.drift.state));
      if (!episodeKnown) {
        await this.trackDriftEpisode(entityRef, entity, status, nowIso);
      }
      await this.notifyCanaryVerdict(entityRef, entity, status, before);
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
            this.deps.logger.warn(
              `Asking ${sourceName(source)} to refresh ${
                observation.application
              } failed: ${errorMessage(error)}`,
            ),
          );
      }
    }

    return { entityRef, model, statuses, changed };
  }

  /**
   * Keeps with a deployment what this backend read on its first poll after
   * the merge, for the audit export: the registry's facts and gate verdict
   * for the deployed version and the freeze of the environment. Once per
   * declared commit (the store keeps the first); a registry that could not
   * be read is asked again next cycle.
   */
  private async recordChecks(
    entityRef: string,
    status: EnvironmentStatus,
    before: EnvironmentStatus | undefined,
    nowIso: string,
  ) {
    const { declared, registry, freeze } = status;
    if (
      !declared ||
      registry?.gate === 'unknown' ||
      (registry?.version !== undefined && registry.version !== declared.version)
    ) {
      return;
    }
    const known =
      before?.declared?.commit === declared.commit &&
      (before.registry === null ||
        (before.registry?.version === declared.version &&
          before.registry.gate !== 'unknown'));
    if (known) {
      return;
    }
    await this.deps.store
      .recordDeploymentChecks(entityRef, status.name, declared.commit, {
        checkedAt: nowIso,
        registry: registry
          ? {
              exists: registry.exists,
              gate: registry.gate,
              metrics: registry.metrics,
              ...(registry.thresholds
                ? { thresholds: registry.thresholds }
                : {}),
              ...(registry.rejected ? { rejected: registry.rejected } : {}),
              ...(registry.registeredAt
                ? { registeredAt: registry.registeredAt }
                : {}),
            }
          : null,
        ...(freeze
          ? {
              frozen: {
                reason: freeze.reason,
                ...(freeze.until ? { until: freeze.until } : {}),
              },
            }
          : {}),
      })
      .catch(error =>
        this.deps.logger.warn(
          `Keeping the checks of ${entityRef} ${status.name} ${
            declared.commit
          } failed: ${errorMessage(error)}`,
        ),
      );
  }

  /**
   * The moment the declared version serves, the deployment starts serving
   * (see `servesDeclared`): a rollback whose predictor fails is not served.
   */
  private async recordServing(
    entityRef: string,
    entity: Entity,
    status: EnvironmentStatus,
    observation: LiveObservation | undefined,
    nowIso: string,
    seenNotServing?: string,
  ) {
    if (!status.declared || !status.live || !observation) return;
    if (!servesDeclared(status)) return;
    // When it started serving: with a serving object, the Ready condition's
    // last transition; without, the end of the operator's sync; either when
    // after the merge (and after this backend last saw it not serving) and
    // not in the future, otherwise this observation.
    const at = status.live.serving
      ? status.live.serving.since
      : observation.lastSyncFinishedAt;
    const servingAt =
      at &&
      Date.parse(at) >= Date.parse(status.declared.committedAt) &&
      !(seenNotServing && Date.parse(at) <= Date.parse(seenNotServing)) &&
      Date.parse(at) <= Date.parse(nowIso)
        ? at
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
        topic: NOTIFICATION_TOPICS.rollback,
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

  /**
   * Tells the owners when an environment's canary analysis fails or ends
   * inconclusive: once per analysis and verdict (the stored status already
   * had it otherwise). The notification's scope names the analysis, so a
   * second replica that saw the same change updates it instead of adding one.
   */
  private async notifyCanaryVerdict(
    entityRef: string,
    entity: Entity,
    status: EnvironmentStatus,
    before: EnvironmentStatus | undefined,
  ) {
    const canary = status.canary;
    if (
      !canary ||
      (canary.phase !== 'failed' && canary.phase !== 'inconclusive')
    ) {
      return;
    }
    const known = before?.canary;
    if (
      known &&
      known.kind === canary.kind &&
      known.name === canary.name &&
      known.revision === canary.revision &&
      known.phase === canary.phase
    ) {
      return;
    }
    const title = entity.metadata.title ?? entity.metadata.name;
    await this.notifyOwners(entityRef, entity, status.name, {
      topic: NOTIFICATION_TOPICS.canary,
      title: `${title}: the canary analysis in ${status.name} ${
        canary.phase === 'failed' ? 'failed' : 'was inconclusive'
      }`,
      description: `${describeCanary(canary)}. Promotion from ${
        status.name
      } is refused until an analysis succeeds.`,
      severity: canary.phase === 'failed' ? 'high' : 'normal',
      scope: `ml-gitops:canary:${entityRef}:${status.name}:${canary.kind}:${
        canary.namespace
      }/${canary.name}:${canary.revision ?? ''}:${canary.phase}`,
    });
  }

  /** Notifies the entity's owners; one notification scope per environment. */
  private async notifyOwners(
    entityRef: string,
    entity: Entity,
    environment: string,
    payload: {
      topic: NotificationTopic;
      title: string;
      description?: string;
      severity: 'high' | 'normal';
      scope?: string;
    },
  ) {
    await notifyEntityOwners(
      this.deps,
      { entity, entityRef },
      {
        ...payload,
        scope: payload.scope ?? `ml-gitops:drift:${entityRef}:${environment}`,
      },
    );
  }

  /**
   * Follows an environment that stays `unknown` or `missing`: since when,
   * without a break (unknown and missing count together: both say nothing
   * is known of what serves). Once that lasts `mlGitops.alerts.unknownAfter`
   * the owners are notified, once; when it is observed again, and only if
   * they were told, they hear that too (the same notification scope, so it
   * replaces the alert), and a later silence alerts anew. Returns what to
   * keep beside the status.
   */
  private async trackSilence(
    entityRef: string,
    entity: Entity,
    status: EnvironmentStatus,
    before: Silence | undefined,
    now: Date,
  ): Promise<Silence | undefined> {
    const { state, since, reason } = status.drift;
    const title = entity.metadata.title ?? entity.metadata.name;
    const scope = `ml-gitops:silent:${entityRef}:${status.name}`;
    if (state !== 'unknown' && state !== 'missing') {
      if (before?.notifiedAt) {
        await this.notifyOwners(entityRef, entity, status.name, {
          topic: NOTIFICATION_TOPICS.stale,
          title: `${title}: ${status.name} is observed again`,
          description: `It was unknown or missing from ${
            before.since
          } to ${now.toISOString()}. Now ${state}.`,
          severity: 'normal',
          scope,
        });
      }
      return undefined;
    }
    // A source failure knows when it began; otherwise this poll is the first
    // to see it.
    const began =
      state === 'unknown' && since && Date.parse(since) <= now.getTime()
        ? new Date(since).toISOString()
        : now.toISOString();
    const silence: Silence = before ?? { since: began };
    const lasted = now.getTime() - Date.parse(silence.since);
    if (silence.notifiedAt || lasted < this.deps.config.unknownAfterMs) {
      return silence;
    }
    await this.notifyOwners(entityRef, entity, status.name, {
      topic: NOTIFICATION_TOPICS.stale,
      title: `${title}: ${status.name} has been ${state} for ${formatSeconds(
        lasted / 1000,
      )}`,
      description: `Nothing tells what serves in ${status.name} since ${
        silence.since
      }: ${
        reason ?? state
      }. ML GitOps says so once; it tells again when the environment is observed.`,
      severity:
        status.name === this.deps.config.environments.at(-1)
          ? 'high'
          : 'normal',
      scope,
    });
    return { ...silence, notifiedAt: now.toISOString() };
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
          topic: NOTIFICATION_TOPICS.drift,
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
          topic: NOTIFICATION_TOPICS.drift,
          title: `${title}: ${status.name} is back in line with Git`,
          description: `Drifted from ${closed.startedAt} to ${closed.endedAt}: ${closed.reason}. Now ${state}.`,
          severity: 'normal',
        });
      }
    }
  }
}
