import { Config } from '@backstage/config';
import {
  assertValidEnvironments,
  DEFAULT_ENVIRONMENTS,
} from '@ml-gitops/plugin-ml-gitops-common';

/** A model registry the actions may ask about versions and metrics. */
export type ActionsRegistryConfig = {
  name: string;
  type: string;
  url: string;
  token?: string;
};

/** The part of the `mlGitops` configuration the scaffolder actions use. */
export type MlGitopsActionsConfig = {
  /** Promotion order; each is a branch of the config repo. */
  environments: string[];
  registries: ActionsRegistryConfig[];
};

/**
 * Reads `mlGitops.environments` and `mlGitops.registries` with the same keys
 * and defaults as the ml-gitops backend. Throws an error naming the key to
 * fix when something is wrong.
 */
export function readMlGitopsActionsConfig(
  rootConfig: Config,
): MlGitopsActionsConfig {
  const config = rootConfig.getOptionalConfig('mlGitops');
  const environments = assertValidEnvironments(
    config?.getOptional('environments') ?? [...DEFAULT_ENVIRONMENTS],
  );
  const seen = new Set<string>();
  const registries = (config?.getOptionalConfigArray('registries') ?? []).map(
    (registry, index) => {
      const name = registry.getString('name');
      if (seen.has(name)) {
        throw new Error(`mlGitops.registries lists the name "${name}" twice`);
      }
      seen.add(name);
      const url = registry.getString('url');
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
          throw new Error('not http(s)');
        }
      } catch {
        throw new Error(
          `mlGitops.registries[${index}].url must be an absolute http(s) URL such as https://mlflow.example.com, got "${url}"`,
        );
      }
      return {
        name,
        type: registry.getString('type'),
        url: url.replace(/\/+$/, ''),
        token: registry.getOptionalString('token') || undefined,
      };
    },
  );
  return { environments, registries };
}
