export {
  EntityMlGitopsContent,
  type EntityMlGitopsContentProps,
} from './EntityMlGitopsContent';
