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

import { LoggerService } from '@backstage/backend-plugin-api';
import { EventsServiceSubscribeOptions } from '@backstage/plugin-events-node';

/** The fields of GitHub's `push` webhook payload this plugin reads. */
type PushPayload = {
  ref?: string;
  repository?: { html_url?: string; clone_url?: string };
};

/**
 * The environment a push updated: `refs/heads/<environment>` for one of the
 * configured environments, else undefined (tags, other branches, other refs).
 */
export function pushedEnvironment(
  ref: string | undefined,
  environments: string[],
): string | undefined {
  const branch = ref?.startsWith('refs/heads/')
    ? ref.slice('refs/heads/'.length)
    : undefined;
  return branch !== undefined && environments.includes(branch)
    ? branch
    : undefined;
}

/**
 * Subscribes to GitHub's push webhooks (events-backend-module-github
 * publishes them as `github.push`): a push to an environment branch of a
 * config repo, a merged PR being one, polls that repo's models at once
 * instead of at the next cycle. The signature of the webhook is checked by
 * the events backend (`events.modules.github.webhookSecret`), before the
 * event is published.
 */
export function configRepoPushSubscriber(options: {
  environments: string[];
  poller: { pollRepository(repoUrl: string): Promise<string[]> };
  logger: LoggerService;
}): EventsServiceSubscribeOptions {
  const { environments, poller, logger } = options;
  return {
    id: 'ml-gitops-config-repo-push',
    topics: ['github.push'],
    async onEvent({ eventPayload }) {
      const payload = (eventPayload ?? {}) as PushPayload;
      const url = payload.repository?.html_url ?? payload.repository?.clone_url;
      const environment = pushedEnvironment(payload.ref, environments);
      if (!url || !environment) {
        return;
      }
      const polled = await poller.pollRepository(url);
      if (polled.length > 0) {
        logger.info(
          `Push to ${environment} of ${url}: polled ${polled.join(', ')}`,
        );
      }
    },
  };
}
