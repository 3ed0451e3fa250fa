export {
  proposeRollback,
  resolveStorageLocation,
  RollbackRefusedError,
} from './proposeRollback';
export type {
  RollbackDeps,
  RollbackRefusal,
  RollbackRequest,
  RollbackResult,
  VersionChange,
} from './proposeRollback';
