/**
 * Node.js library of ML GitOps for Backstage: the extension points through
 * which backend modules add deployment sources and model registries, and the
 * config-repo Git client shared by the backend and the scaffolder actions.
 *
 * @packageDocumentation
 */
export * from './sources';
export * from './git';
export * from './cache';
export { readArgoCdInstancesConfig, readMlGitopsSharedConfig } from './config';
export { registryAccess } from './registries';
export type { RegistryAccess } from './registries';
export * from './rollback';
export type {
  MlGitopsArgoCdInstanceConfig,
  MlGitopsRegistryConfig,
  MlGitopsSharedConfig,
} from './config';
