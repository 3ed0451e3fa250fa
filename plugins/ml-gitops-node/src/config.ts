import { Config } from '@backstage/config';
import {
  assertValidEnvironments,
  DEFAULT_ENVIRONMENTS,
} from '@ml-gitops/plugin-ml-gitops-common';

/**
 * A model registry from `mlGitops.registries`.
 *
 * @public
 */
export type MlGitopsRegistryConfig = {
  name: string;
  type: string;
  /** Base URL without a trailing slash. */
  url: string;
  token?: string;
};

/**
 * The keys of the `mlGitops` configuration that the backend plugin and the
 * scaffolder actions both read, with defaults applied.
 *
 * @public
 */
export type MlGitopsSharedConfig = {
  /** Promotion order; each is a branch of every config repo. */
  environments: string[];
  registries: MlGitopsRegistryConfig[];
};

function absoluteHttpUrl(value: string, key: string, example: string) {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.username || url.password)) {
    throw new Error(
      `${key} must not carry credentials in the URL; put the token in the token key`,
    );
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(
      `${key} must be an absolute http(s) URL such as ${example}, got "${value}"`,
    );
  }
  return value.replace(/\/+$/, '');
}

/**
 * Reads `mlGitops.environments` and `mlGitops.registries`: the one reader
 * of these keys for the ml-gitops backend and the scaffolder actions, so
 * both agree on defaults and checks. Throws an error naming the key to fix.
 *
 * @public
 */
export function readMlGitopsSharedConfig(
  rootConfig: Config,
): MlGitopsSharedConfig {
  const config = rootConfig.getOptionalConfig('mlGitops');
  const environments = assertValidEnvironments(
    config?.getOptional('environments') ?? [...DEFAULT_ENVIRONMENTS],
  );
  const seen = new Set<string>();
  const registries = (config?.getOptionalConfigArray('registries') ?? []).map(
    (registry, index) => {
      const key = `mlGitops.registries[${index}]`;
      const name = registry.getString('name');
      if (seen.has(name)) {
        throw new Error(`mlGitops.registries lists the name "${name}" twice`);
      }
      seen.add(name);
      return {
        name,
        type: registry.getString('type'),
        url: absoluteHttpUrl(
          registry.getString('url'),
          `${key}.url`,
          'https://mlflow.example.com',
        ),
        token: registry.getOptionalString('token') || undefined,
      };
    },
  );
  return { environments, registries };
}
