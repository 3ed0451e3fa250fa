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

import { normalizeRepoUrl } from './MlGitopsPoller';

/**
 * A push's repository URL (GitHub's `repository.html_url` or `clone_url`,
 * GitLab's `project.web_url` or `git_http_url`) finds the models whose `ml-gitops/config-repo` annotation names the same
 * repository: both sides are compared through `normalizeRepoUrl`.
 */
describe('normalizeRepoUrl', () => {
  const same = (annotation: string, pushed: string) =>
    normalizeRepoUrl(annotation) !== undefined &&
    normalizeRepoUrl(annotation) === normalizeRepoUrl(pushed);

  it('matches html_url and clone_url to the annotation', () => {
    const annotation = 'https://github.com/acme/fraud-config';
    expect(normalizeRepoUrl(annotation)).toBe('github.com/acme/fraud-config');
    expect(same(annotation, 'https://github.com/acme/fraud-config')).toBe(true);
    expect(same(annotation, 'https://github.com/acme/fraud-config.git')).toBe(
      true,
    );
    expect(
      same(`${annotation}.git`, 'https://github.com/acme/fraud-config'),
    ).toBe(true);
    expect(same(`${annotation}/`, 'https://github.com/acme/fraud-config')).toBe(
      true,
    );
  });

  it('ignores case, as GitHub does in owner and repository names', () => {
    expect(
      same(
        'https://github.com/acme/fraud-config',
        'https://github.com/ACME/Fraud-Config',
      ),
    ).toBe(true);
    expect(
      same(
        'https://GitHub.com/Acme/fraud-config.git',
        'https://github.com/acme/fraud-config',
      ),
    ).toBe(true);
  });

  it('matches a GitHub Enterprise host, and only that host', () => {
    const annotation = 'https://ghe.acme.corp/ml/fraud-config';
    expect(same(annotation, 'https://ghe.acme.corp/ml/fraud-config.git')).toBe(
      true,
    );
    expect(same(annotation, 'https://github.com/ml/fraud-config')).toBe(false);
    expect(
      same(
        'https://ghe.acme.corp:8443/ml/fraud-config',
        'https://ghe.acme.corp:8443/ml/fraud-config.git',
      ),
    ).toBe(true);
    expect(same(annotation, 'https://ghe.acme.corp:8443/ml/fraud-config')).toBe(
      false,
    );
  });

  it('matches the scp-like SSH form', () => {
    expect(
      same(
        'git@github.com:acme/fraud-config.git',
        'https://github.com/acme/fraud-config',
      ),
    ).toBe(true);
  });

  it('tells other repositories apart', () => {
    const annotation = 'https://github.com/acme/fraud-config';
    expect(same(annotation, 'https://github.com/acme/fraud-config-old')).toBe(
      false,
    );
    expect(same(annotation, 'https://github.com/other/fraud-config')).toBe(
      false,
    );
    expect(normalizeRepoUrl('https://github.com/acme')).toBeUndefined();
    expect(normalizeRepoUrl('not a url')).toBeUndefined();
  });

  it('keeps the whole path of a GitLab project in subgroups', () => {
    // GitLab's push event names the project by `project.web_url`,
    // `git_http_url` and `git_ssh_url`
    // (docs.gitlab.com/user/project/integrations/webhook_events#push-events).
    const annotation = 'https://gitlab.acme.corp/ml/forecasting/demand-config';
    expect(normalizeRepoUrl(annotation)).toBe(
      'gitlab.acme.corp/ml/forecasting/demand-config',
    );
    expect(
      same(
        annotation,
        'https://gitlab.acme.corp/ml/forecasting/demand-config.git',
      ),
    ).toBe(true);
    expect(
      same(annotation, 'git@gitlab.acme.corp:ml/forecasting/demand-config.git'),
    ).toBe(true);
    // Another project of the same subgroup, or the subgroup's parent.
    expect(
      same(annotation, 'https://gitlab.acme.corp/ml/forecasting/other-config'),
    ).toBe(false);
    expect(same(annotation, 'https://gitlab.acme.corp/ml/forecasting')).toBe(
      false,
    );
    expect(same(annotation, 'https://gitlab.acme.corp/ml/demand-config')).toBe(
      false,
    );
  });

  it("cuts a GitLab project's pages below /-/", () => {
    expect(
      same(
        'https://gitlab.com/ml/demand-config/-/tree/production',
        'https://gitlab.com/ml/demand-config',
      ),
    ).toBe(true);
    expect(
      same(
        'https://gitlab.com/ml/sub/demand-config/-/merge_requests/3',
        'http://gitlab.com/ml/sub/demand-config.git',
      ),
    ).toBe(true);
  });
});
