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
export {
  registryAccess,
  mlGitopsRegistryClientsExtensionPoint,
} from './registries';
export type {
  RegistryAccess,
  MlGitopsRegistryClientsExtensionPoint,
} from './registries';
export * from './rollback';
export type {
  MlGitopsArgoCdInstanceConfig,
  MlGitopsRegistryConfig,
  MlGitopsSharedConfig,
} from './config';
