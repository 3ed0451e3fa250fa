/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

import { Link } from '@backstage/core-components';
import type { PullRequestInfo } from '@ml-gitops/plugin-ml-gitops-common';

/**
 * A GitLab merge request's web URL (`…/-/merge_requests/<iid>`): GitLab
 * writes its reference `!<iid>`, where GitHub writes `#<number>`.
 */
function isMergeRequest(url: string): boolean {
  return /\/-\/merge_requests\/\d+\/?$/.test(url);
}

/** "#41" linking to the pull request, or "!41" to a GitLab merge request. */
export function PullRequestLink(props: { pullRequest?: PullRequestInfo }) {
  const { pullRequest } = props;
  if (!pullRequest) {
    return null;
  }
  const reference = isMergeRequest(pullRequest.url)
    ? { label: 'Merge request', text: `!${pullRequest.number}` }
    : { label: 'Pull request', text: `#${pullRequest.number}` };
  return (
    <Link
      to={pullRequest.url}
      aria-label={`${reference.label} ${reference.text}`}
    >
      {reference.text}
    </Link>
  );
}
