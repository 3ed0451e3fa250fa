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
 * Test utilities: the contracts real systems publish (MLflow's REST API,
 * GitHub's OpenAPI description, Argo CD's swagger, the Flux, KServe and Argo
 * Rollouts CRD schemas, the Kubeflow Model Registry's OpenAPI description), sliced to what ML GitOps reads, to check emulators
 * and msw fixtures against.
 *
 * @packageDocumentation
 */
export {
  MLFLOW_CONTRACT_ENDPOINTS,
  mlflowContractProblems,
  mlflowRequestProblems,
  mlflowResponseProblems,
} from './mlflowContract';
export { jsonSchemaProblems } from './jsonSchema';
export type { JsonSchema } from './jsonSchema';
export {
  answerContractProblems,
  registerContractChecks,
  watchContractAnswers,
  GITHUB_CONTRACT_OPERATIONS,
  KUBE_CONTRACT_KINDS,
  argoCdContractProblems,
  githubContractProblems,
  githubOperationOf,
  kubeContractProblems,
  kubeflowContractProblems,
  responseJson,
} from './publishedContracts';
export type { WatchedServer } from './publishedContracts';
