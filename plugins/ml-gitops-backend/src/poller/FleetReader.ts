import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CanaryAnalysis,
  ServingStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { CanaryAnalyses } from '../providers/canary/CanaryAnalyses';
import { ServingVersions } from '../providers/kubernetes/ServingVersions';
import { Failure, SourceFailures } from './failures';
import { PollHealth } from './PollHealth';

/** The observations of one cycle, with the sources that failed. */
export type FleetObservations = {
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

/** The key of one model environment in a {@link FleetObservations}. */
export const fleetKey = (model: string, environment: string) =>
  `${model}\u0000${environment}`;

/** `argocd:main`, `flux:prod-eu`. */
export function sourceName(source: DeploymentSource): string {
  return `${source.kind}:${source.instance}`;
}

/**
 * Reads the live state of the whole fleet: one list call per deployment
 * source (Argo CD instance, Flux cluster), the serving objects and canary
 * analyses of every cluster; and keeps the last read for the polls that
 * come right after it.
 */
export class FleetReader {
  /** The last fleet read and when it began. */
  private cache?: { at: number; fleet: Promise<FleetObservations> };

  constructor(
    private readonly deps: {
      logger: LoggerService;
      sources: DeploymentSource[];
      servingVersions?: ServingVersions;
      canaryAnalyses?: CanaryAnalyses;
      failures: SourceFailures;
      health: PollHealth;
      /** When each deployment source last answered (`argocd:main` → ISO time). */
      sourceSeen: Map<string, string>;
      refreshMinIntervalMs: number;
      now: () => Date;
    },
  ) {}

  /** The fleet read of a scheduled cycle, kept for polls right after it. */
  scheduled(): Promise<FleetObservations> {
    return this.readAndKeep(Date.now());
  }

  /**
   * The fleet's operator state for polls outside the schedule: the one
   * read within `refreshMinInterval` is reused, so a push to a repo of
   * many models, or a burst of refreshes, lists every Argo CD instance and
   * cluster once, not once per model. A trailing poll (`fresh`) serves
   * requests that came while an earlier read ran, so it never reuses one.
   */
  recent(fresh = false): Promise<FleetObservations> {
    const now = Date.now();
    const cached = this.cache;
    if (!fresh && cached && now - cached.at < this.deps.refreshMinIntervalMs) {
      return cached.fleet;
    }
    return this.readAndKeep(now);
  }

  private readAndKeep(at: number): Promise<FleetObservations> {
    const fleet = this.read();
    const entry = { at, fleet };
    this.cache = entry;
    fleet.catch(() => {
      if (this.cache === entry) this.cache = undefined;
    });
    return fleet;
  }

  private async read(): Promise<FleetObservations> {
    const { logger, failures: failing, health } = this.deps;
    const observedAt = this.deps.now().toISOString();
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
          failing.recover(name);
          this.deps.sourceSeen.set(name, observedAt);
          health.succeeded(name, source.kind, observedAt);
          for (const observation of observations) {
            const k = fleetKey(observation.model, observation.environment);
            byKey.set(k, observation);
            sources.set(k, source);
          }
        } catch (error) {
          const failure = failing.fail(name, error);
          failures.push({ source: name, failure });
          health.failed(name, source.kind, failure, observedAt);
          logger.warn(`Polling ${name} failed: ${failure.message}`);
        }
      }),
    );
    // The serving objects' labels are the best source of the live version;
    // without them the manifest at the synced revision is read instead.
    const servingResult = await serving;
    for (const cluster of servingResult?.inferenceServices.keys() ?? []) {
      failing.recover(`cluster:${cluster}`);
      health.succeeded(`cluster:${cluster}`, 'cluster', observedAt);
    }
    for (const f of servingResult?.failures ?? []) {
      const failure = failing.fail(`cluster:${f.cluster}`, f.error);
      health.failed(`cluster:${f.cluster}`, 'cluster', failure, observedAt);
      logger.warn(
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
      logger.warn(
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
}
