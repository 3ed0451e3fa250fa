export { rollbackCandidates } from './rollbackTarget';
export type { DeclaredVersionChange } from './rollbackTarget';
