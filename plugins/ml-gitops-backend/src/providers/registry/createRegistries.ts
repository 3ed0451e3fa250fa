import { ModelRegistry } from '@ml-gitops/plugin-ml-gitops-node';
import { RegistryConfig } from '../../config';
import { MlflowRegistry } from './MlflowRegistry';

/**
 * The registries by name: the configured ones (type `mlflow` is built in)
 * and those added by modules through the extension point.
 */
export function createRegistries(
  configured: RegistryConfig[],
  extra: ModelRegistry[],
  options: {
    timeoutMs?: number;
    /** mlGitops.registry.recheckAfter, for the MLflow registries. */
    recheckAfterMs?: number;
    now?: () => number;
    fetch?: typeof fetch;
  } = {},
): Map<string, ModelRegistry> {
  const registries = new Map<string, ModelRegistry>();
  for (const registry of extra) {
    registries.set(registry.name, registry);
  }
  configured.forEach((config, index) => {
    if (registries.has(config.name)) {
      return; // a module provides it
    }
    if (config.type !== 'mlflow') {
      throw new Error(
        `mlGitops.registries[${index}].type "${config.type}" is not supported: use "mlflow", or install a module that adds a registry named "${config.name}"`,
      );
    }
    registries.set(
      config.name,
      MlflowRegistry.fromConfig(config, {
        timeoutMs: options.timeoutMs,
        recheckAfterMs: options.recheckAfterMs,
        now: options.now,
        fetch: options.fetch,
      }),
    );
  });
  return registries;
}
