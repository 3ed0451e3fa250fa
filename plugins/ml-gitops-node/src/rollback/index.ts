export { proposeRollback, RollbackRefusedError } from './proposeRollback';
export type {
  RollbackDeps,
  RollbackRefusal,
  RollbackRequest,
  RollbackResult,
  VersionChange,
} from './proposeRollback';
