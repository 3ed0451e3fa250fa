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

import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { PullRequestLink } from './PullRequestLink';

describe('PullRequestLink', () => {
  it('writes a GitHub pull request as #N', async () => {
    await renderInTestApp(
      <PullRequestLink
        pullRequest={{
          number: 41,
          url: 'https://github.com/acme/fraud-detector-config/pull/41',
          reviewers: [],
        }}
      />,
    );
    expect(
      screen.getByRole('link', { name: /^Pull request #41/ }),
    ).toHaveTextContent('#41');
  });

  it('writes a GitLab merge request as !N, as GitLab does', async () => {
    await renderInTestApp(
      <PullRequestLink
        pullRequest={{
          number: 2,
          url: 'https://gitlab.example.com/ml-platform/demand-forecaster-config/-/merge_requests/2',
          reviewers: ['katherine'],
        }}
      />,
    );
    expect(
      screen.getByRole('link', { name: /^Merge request !2/ }),
    ).toHaveTextContent('!2');
  });
});
