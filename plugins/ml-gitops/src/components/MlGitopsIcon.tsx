import CallSplitIcon from '@material-ui/icons/CallSplit';

/** The icon of ML GitOps: a Git branch split, as the pipeline promotes. */
export const MlGitopsIcon = CallSplitIcon;
