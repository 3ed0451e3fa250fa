import { Link } from '@backstage/core-components';
import type { PullRequestInfo } from '@ml-gitops/plugin-ml-gitops-common';

/** "#41" linking to the pull request. */
export function PullRequestLink(props: { pullRequest?: PullRequestInfo }) {
  const { pullRequest } = props;
  if (!pullRequest) {
    return null;
  }
  return (
    <Link
      to={pullRequest.url}
      aria-label={`Pull request #${pullRequest.number}`}
    >
      #{pullRequest.number}
    </Link>
  );
}
