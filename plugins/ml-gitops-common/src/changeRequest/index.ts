export {
  CHANGE_BRANCH_PREFIX,
  CHANGE_LABELS,
  changeBranchName,
  changeKindOfMessage,
  changeRecordBlock,
  changeTrailer,
  isRevertMessage,
  markdownText,
  parseChangeBranch,
  parseChangeRecord,
} from './changeRequest';
export type { ChangeBranch, ChangeKind, ChangeRecord } from './changeRequest';
export { deploymentKindOf } from './deploymentKind';
export type { VersionChangeFacts } from './deploymentKind';
