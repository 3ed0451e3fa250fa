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

import { mockServices } from '@backstage/backend-test-utils';
import { configRepoPushSubscriber, pushedEnvironment } from './configRepoPush';

const ENVIRONMENTS = ['dev', 'staging', 'production'];

/**
 * A push as GitHub sends it (the fields read here): `ref` is the full ref
 * that was pushed, e.g. `refs/heads/main` or `refs/tags/v3.14.1`, and
 * `repository` the repo with `html_url` and `clone_url`
 * (docs.github.com/en/webhooks/webhook-events-and-payloads#push).
 */
function push(
  ref: string,
  repository = 'https://github.com/acme/fraud-config',
) {
  return {
    ref,
    before: '0'.repeat(40),
    after: 'a'.repeat(40),
    repository: {
      full_name: 'acme/fraud-config',
      html_url: repository,
      clone_url: `${repository}.git`,
    },
  };
}

/**
 * A push as GitLab sends it (the fields read here, from
 * docs.gitlab.com/user/project/integrations/webhook_events#push-events):
 * `object_kind` and `event_name` "push", the full `ref`, and the project by
 * `project.web_url`, `project.git_http_url` and `repository.homepage`.
 */
function gitlabPush(
  ref: string,
  project = 'https://gitlab.acme.corp/ml-platform/demand-forecaster-config',
) {
  return {
    object_kind: 'push',
    event_name: 'push',
    ref,
    before: '0'.repeat(40),
    after: 'b'.repeat(40),
    checkout_sha: 'b'.repeat(40),
    project_id: 3001,
    project: {
      id: 3001,
      web_url: project,
      git_http_url: `${project}.git`,
      path_with_namespace: new URL(project).pathname.slice(1),
    },
    repository: { homepage: project, git_http_url: `${project}.git` },
  };
}

describe('pushedEnvironment', () => {
  it('strips refs/heads/ from a branch ref', () => {
    expect(pushedEnvironment('refs/heads/staging', ENVIRONMENTS)).toBe(
      'staging',
    );
    expect(pushedEnvironment('refs/heads/production', ENVIRONMENTS)).toBe(
      'production',
    );
  });

  it('ignores tags and other refs named like an environment', () => {
    expect(
      pushedEnvironment('refs/tags/staging', ENVIRONMENTS),
    ).toBeUndefined();
    expect(
      pushedEnvironment('refs/pull/12/staging', ENVIRONMENTS),
    ).toBeUndefined();
    // Not a full ref, which GitHub never sends.
    expect(pushedEnvironment('staging', ENVIRONMENTS)).toBeUndefined();
    expect(pushedEnvironment(undefined, ENVIRONMENTS)).toBeUndefined();
  });

  it('keeps only the configured environments', () => {
    expect(pushedEnvironment('refs/heads/main', ENVIRONMENTS)).toBeUndefined();
    expect(
      pushedEnvironment('refs/heads/promote-staging-12', ENVIRONMENTS),
    ).toBeUndefined();
    expect(pushedEnvironment('refs/heads/qa', ['dev', 'qa'])).toBe('qa');
    expect(pushedEnvironment('refs/heads/staging', ['dev', 'qa'])).toBe(
      undefined,
    );
  });

  it('keeps slashes in a branch name', () => {
    expect(pushedEnvironment('refs/heads/env/prod', ['env/prod'])).toBe(
      'env/prod',
    );
  });
});

describe('configRepoPushSubscriber', () => {
  function setup() {
    const poller = {
      pollRepository: jest.fn(async (_url: string) => [
        'component:default/fraud-detector',
      ]),
    };
    const logger = mockServices.logger.mock();
    const subscriber = configRepoPushSubscriber({
      environments: ENVIRONMENTS,
      poller,
      logger,
    });
    const deliver = (eventPayload: unknown, topic = 'github.push') =>
      subscriber.onEvent({ topic, eventPayload });
    return { poller, logger, subscriber, deliver };
  }

  it('listens to the push events of the GitHub and GitLab events modules', () => {
    expect(setup().subscriber.topics).toEqual(['github.push', 'gitlab.push']);
  });

  it('polls the pushed repository when an environment branch moves', async () => {
    const { poller, logger, deliver } = setup();
    await deliver(push('refs/heads/staging'));
    expect(poller.pollRepository.mock.calls).toEqual([
      ['https://github.com/acme/fraud-config'],
    ]);
    expect(logger.info).toHaveBeenCalledWith(
      'Push to staging of https://github.com/acme/fraud-config: polled component:default/fraud-detector',
    );
  });

  it('falls back to the clone URL', async () => {
    const { poller, deliver } = setup();
    await deliver({
      ref: 'refs/heads/dev',
      repository: { clone_url: 'https://ghe.acme.corp/ml/fraud-config.git' },
    });
    expect(poller.pollRepository.mock.calls).toEqual([
      ['https://ghe.acme.corp/ml/fraud-config.git'],
    ]);
  });

  it('polls nothing for tags, other branches or a payload without a repository', async () => {
    const { poller, deliver } = setup();
    await deliver(push('refs/tags/production'));
    await deliver(push('refs/heads/main'));
    await deliver(push('refs/heads/rollback-production-11'));
    await deliver({ ref: 'refs/heads/dev' });
    await deliver(undefined);
    expect(poller.pollRepository).not.toHaveBeenCalled();
  });

  describe('GitLab', () => {
    const PROJECT =
      'https://gitlab.acme.corp/ml-platform/demand-forecaster-config';

    it('polls the pushed project when an environment branch moves', async () => {
      const { poller, logger, deliver } = setup();
      await deliver(gitlabPush('refs/heads/production'), 'gitlab.push');
      expect(poller.pollRepository.mock.calls).toEqual([[PROJECT]]);
      expect(logger.info).toHaveBeenCalledWith(
        `Push to production of ${PROJECT}: polled component:default/fraud-detector`,
      );
    });

    it('polls a project in subgroups by its whole path', async () => {
      const { poller, deliver } = setup();
      const project = 'https://gitlab.acme.corp/ml/forecasting/demand-config';
      await deliver(gitlabPush('refs/heads/dev', project), 'gitlab.push');
      expect(poller.pollRepository.mock.calls).toEqual([[project]]);
    });

    it('falls back to the clone URL and to repository.homepage', async () => {
      const { poller, deliver } = setup();
      await deliver(
        {
          object_kind: 'push',
          ref: 'refs/heads/dev',
          project: { git_http_url: `${PROJECT}.git` },
        },
        'gitlab.push',
      );
      await deliver(
        {
          object_kind: 'push',
          ref: 'refs/heads/staging',
          repository: { homepage: PROJECT },
        },
        'gitlab.push',
      );
      expect(poller.pollRepository.mock.calls).toEqual([
        [`${PROJECT}.git`],
        [PROJECT],
      ]);
    });

    it('polls nothing for tags, other branches or a payload without a project', async () => {
      const { poller, deliver } = setup();
      await deliver(gitlabPush('refs/tags/production'), 'gitlab.push');
      await deliver(gitlabPush('refs/heads/main'), 'gitlab.push');
      await deliver(gitlabPush('refs/heads/deploy-dev-7'), 'gitlab.push');
      await deliver(
        { object_kind: 'push', ref: 'refs/heads/dev' },
        'gitlab.push',
      );
      await deliver(undefined, 'gitlab.push');
      expect(poller.pollRepository).not.toHaveBeenCalled();
    });

    it("does not read a GitLab payload as GitHub's", async () => {
      const { poller, deliver } = setup();
      // A GitLab push has no repository.html_url: on github.push it names
      // no repository.
      await deliver(gitlabPush('refs/heads/dev'), 'github.push');
      expect(poller.pollRepository).not.toHaveBeenCalled();
    });
  });
});
