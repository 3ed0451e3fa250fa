import { ServiceUnavailableError } from '@backstage/errors';
import {
  MlflowClient,
  versionRejection,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ByteBoundedCache,
  ModelRegistry,
  RegistryVersionFacts,
} from '@ml-gitops/plugin-ml-gitops-node';
import { DEFAULT_REQUEST_TIMEOUT_MS, RegistryConfig } from '../../config';
import { keepAliveFetch } from '../../http/keepAliveFetch';

/** How long the facts of a version that is not READY (yet) are kept. */
const TTL_MS = 60_000;
/**
 * A READY version's status, stage and aliases change rarely (an alias moves,
 * the version is archived): kept for five minutes. A newly declared version
 * is a new key and is read at once. At 10,000 model-environments this is
 * the difference between thousands of MLflow requests every other cycle and
 * a few hundred per cycle (see docs/performance.md).
 */
const READY_TTL_MS = 5 * 60_000;
/**
 * Each entry lives 50–100 % of its TTL, at random, so the versions read
 * together in one cycle (all of them, after a restart) are read again
 * spread over several later cycles instead of all in one.
 */
const JITTER = 0.5;
/**
 * The metrics of the run that produced a registered version are final once
 * the version is registered: they are kept for an hour, by run id, so a
 * refresh of the version's status, stage and aliases costs one request.
 */
const RUN_TTL_MS = 60 * 60_000;
/**
 * The memory each of the two caches (version facts, run metrics) may take:
 * bounded in bytes, since a run can log any number of metrics.
 */
const MAX_CACHED_BYTES = 16 * 1024 * 1024;

/**
 * An MLflow tracking server as a {@link ModelRegistry}: the version's status,
 * stage and aliases, and the metrics of the run that produced it. Answers are
 * kept for five minutes for a READY version and one minute otherwise (the
 * run's metrics, which do not change, for an hour). Failures are not
 * kept: an unreachable registry is asked again next time, and its errors
 * name the registry as configured.
 */
export class MlflowRegistry implements ModelRegistry {
  readonly name: string;
  private readonly cache = new ByteBoundedCache<{
    expiresAt: number;
    facts: RegistryVersionFacts;
  }>(MAX_CACHED_BYTES);
  private readonly runs = new ByteBoundedCache<{
    at: number;
    metrics: Record<string, number>;
  }>(MAX_CACHED_BYTES);

  static fromConfig(
    config: RegistryConfig,
    options: {
      fetch?: typeof fetch;
      now?: () => number;
      /** Timeout of one request; default 15 s (mlGitops.requestTimeout). */
      timeoutMs?: number;
    } = {},
  ): MlflowRegistry {
    return new MlflowRegistry(
      config.name,
      MlflowClient.create({
        baseUrl: config.url,
        token: config.token,
        username: config.username,
        password: config.password,
        credentialsHint: `mlGitops.registries[${config.name}]`,
        fetch: options.fetch ?? keepAliveFetch(),
        timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      }),
      options.now ?? Date.now,
    );
  }

  private constructor(
    name: string,
    private readonly client: MlflowClient,
    private readonly now: () => number,
  ) {
    this.name = name;
  }

  async getVersion(
    model: string,
    version: string,
  ): Promise<RegistryVersionFacts> {
    const key = `${model}\u0000${version}`;
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.expiresAt) {
      return cached.facts;
    }
    let facts: RegistryVersionFacts;
    try {
      facts = {
        ...(await this.read(model, version)),
        observedAt: new Date(this.now()).toISOString(),
      };
    } catch (error) {
      throw new ServiceUnavailableError(
        `Registry "${this.name}": ${(error as Error)?.message ?? error}`,
        error,
      );
    }
    const ttl = facts.status === 'READY' ? READY_TTL_MS : TTL_MS;
    this.cache.set(key, {
      expiresAt: this.now() + ttl * (1 - JITTER * Math.random()),
      facts,
    });
    return facts;
  }

  private async runMetrics(
    runId: string,
  ): Promise<{ metrics: Record<string, number> } | undefined> {
    const cached = this.runs.get(runId);
    if (cached && this.now() - cached.at < RUN_TTL_MS) {
      return cached;
    }
    const run = await this.client.getRun(runId);
    if (!run) {
      return undefined;
    }
    const entry = { at: this.now(), metrics: run.metrics };
    this.runs.set(runId, entry);
    return entry;
  }

  private async read(
    model: string,
    version: string,
  ): Promise<RegistryVersionFacts> {
    const modelVersion = await this.client.getModelVersion(model, version);
    let facts: RegistryVersionFacts;
    if (!modelVersion) {
      facts = { exists: false, aliases: [], metrics: {} };
    } else {
      const run = modelVersion.runId
        ? await this.runMetrics(modelVersion.runId)
        : undefined;
      const rejected = versionRejection(modelVersion);
      facts = {
        exists: true,
        status: modelVersion.status,
        ...(modelVersion.stage ? { stage: modelVersion.stage } : {}),
        aliases: modelVersion.aliases,
        metrics: run?.metrics ?? {},
        ...(rejected ? { rejected } : {}),
        ...(modelVersion.createdAt
          ? { createdAt: modelVersion.createdAt }
          : {}),
        url: `${this.client.url}/#/models/${encodeURIComponent(
          model,
        )}/versions/${encodeURIComponent(version)}`,
      };
    }
    return facts;
  }
}
