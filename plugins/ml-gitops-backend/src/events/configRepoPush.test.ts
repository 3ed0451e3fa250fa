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
    const deliver = (eventPayload: unknown) =>
      subscriber.onEvent({ topic: 'github.push', eventPayload });
    return { poller, logger, subscriber, deliver };
  }

  it('listens to the push events of the GitHub events module', () => {
    expect(setup().subscriber.topics).toEqual(['github.push']);
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
});
