// The git CLI runner lives in the node library, shared with the backend's
// automatic rollback.
export { GitCli, GitCommandError } from '@ml-gitops/plugin-ml-gitops-node';
