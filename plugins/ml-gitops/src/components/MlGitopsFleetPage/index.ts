export { MlGitopsFleetPage, MlGitopsFleetContent } from './MlGitopsFleetPage';
