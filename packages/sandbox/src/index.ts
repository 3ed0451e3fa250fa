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
 * Local emulators of GitHub, Argo CD, Kubernetes/Flux, MLflow and the Kubeflow
 * Model Registry for the demo and the end-to-end tests. A test harness: plugins never import it.
 *
 * @packageDocumentation
 */

export {
  startSandbox,
  DEFAULT_PORTS,
  SANDBOX_CREDENTIALS,
  SYSTEMS,
} from './sandbox';
export type { Sandbox, SandboxOptions, SystemName } from './sandbox';
export type { Fault } from './lib/http';
export { SealedSecretsController } from './sealedSecrets/SealedSecretsController';
export type { UnsealResult } from './sealedSecrets/SealedSecretsController';
export { MODELS, SEED_ANCHOR, USERS } from './seed/data';
export { KUBEFLOW_MODELS } from './seed/kubeflowData';
export type {
  KubeflowSeedModel,
  KubeflowSeedVersion,
} from './seed/kubeflowData';
export { startScaleSandbox } from './scale/startScaleSandbox';
export type {
  ScaleSandbox,
  ScaleSandboxOptions,
} from './scale/startScaleSandbox';
export { scaleModelName } from './scale/scaleFleet';
export { selectApplicationListFields } from './argocd/listFields';
export { parseStreamFields, selectStreamFields } from './argocd/streamFields';
export type { ArgoCdFieldsVersion } from './argocd/listFields';
