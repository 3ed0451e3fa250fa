export { proposeRollback } from './proposeRollback';
export { resolveStorageLocation } from './rollbackTarget';
export { RollbackRefusedError } from './rollbackTypes';
export type {
  RollbackDeps,
  RollbackRefusal,
  RollbackRequest,
  RollbackResult,
  VersionChange,
} from './rollbackTypes';
