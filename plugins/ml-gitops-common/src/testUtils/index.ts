/**
 * Test utilities: MLflow's REST contract (the slice ML GitOps reads), to
 * check emulators and msw fixtures against.
 *
 * @packageDocumentation
 */
export {
  MLFLOW_CONTRACT_ENDPOINTS,
  mlflowContractProblems,
  mlflowResponseProblems,
} from './mlflowContract';
