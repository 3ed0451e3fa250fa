import { MlflowClient } from '@ml-gitops/plugin-ml-gitops-common';
import {
  ModelRegistry,
  RegistryVersionFacts,
} from '@ml-gitops/plugin-ml-gitops-node';
import { RegistryConfig } from '../../config';

const TTL_MS = 60_000;

/**
 * An MLflow tracking server as a {@link ModelRegistry}: the version's status,
 * stage and aliases, and the metrics of the run that produced it. Answers are
 * kept for a minute, so a fleet of models polled every 30 seconds asks MLflow
 * about each declared version at most twice a minute.
 */
export class MlflowRegistry implements ModelRegistry {
  readonly name: string;
  private readonly cache = new Map<
    string,
    { at: number; facts: RegistryVersionFacts }
  >();

  static fromConfig(
    config: RegistryConfig,
    options: { fetch?: typeof fetch; now?: () => number } = {},
  ): MlflowRegistry {
    return new MlflowRegistry(
      config.name,
      MlflowClient.create({
        baseUrl: config.url,
        token: config.token,
        fetch: options.fetch,
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
    if (cached && this.now() - cached.at < TTL_MS) {
      return cached.facts;
    }
    const modelVersion = await this.client.getModelVersion(model, version);
    let facts: RegistryVersionFacts;
    if (!modelVersion) {
      facts = { exists: false, aliases: [], metrics: {} };
    } else {
      const run = modelVersion.runId
        ? await this.client.getRun(modelVersion.runId)
        : undefined;
      facts = {
        exists: true,
        status: modelVersion.status,
        ...(modelVersion.stage ? { stage: modelVersion.stage } : {}),
        aliases: modelVersion.aliases,
        metrics: run?.metrics ?? {},
        url: `${this.client.url}/#/models/${encodeURIComponent(
          model,
        )}/versions/${encodeURIComponent(version)}`,
      };
    }
    if (this.cache.size > 10_000) {
      this.cache.clear();
    }
    this.cache.set(key, { at: this.now(), facts });
    return facts;
  }
}
