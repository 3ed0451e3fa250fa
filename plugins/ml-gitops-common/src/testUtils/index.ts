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
