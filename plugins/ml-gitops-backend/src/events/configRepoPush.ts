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
type GithubPushPayload = {
  ref?: string;
  repository?: { html_url?: string; clone_url?: string };
};

/**
 * The fields of GitLab's push event this plugin reads
 * (docs.gitlab.com/user/project/integrations/webhook_events#push-events):
 * the project's page, its HTTP clone URL, and the older `repository` block.
 */
type GitlabPushPayload = {
  ref?: string;
  project?: { web_url?: string; git_http_url?: string };
  repository?: { homepage?: string; git_http_url?: string };
};

/** The topics the Git hosts' events modules publish pushes on. */
const PUSH_TOPICS = ['github.push', 'gitlab.push'];

/** The pushed ref and the repository URL of a push of either Git host. */
function readPush(
  topic: string,
  eventPayload: unknown,
): { ref?: string; url?: string } {
  if (topic === 'gitlab.push') {
    const { ref, project, repository } = (eventPayload ??
      {}) as GitlabPushPayload;
    const url =
      project?.web_url ??
      project?.git_http_url ??
      repository?.homepage ??
      repository?.git_http_url;
    return { ref, url };
  }
  const { ref, repository } = (eventPayload ?? {}) as GithubPushPayload;
  return { ref, url: repository?.html_url ?? repository?.clone_url };
}

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
 * Subscribes to the Git hosts' push webhooks: events-backend-module-github
 * publishes them as `github.push`, events-backend-module-gitlab as
 * `gitlab.push`. A push to an environment branch of a config repo, a merged
 * PR or MR being one, polls that repo's models at once instead of at the
 * next cycle. The events backend checks the webhook before it publishes the
 * event: GitHub's signature against `events.modules.github.webhookSecret`,
 * GitLab's `X-Gitlab-Token` against `events.modules.gitlab.webhookSecret`.
 */
export function configRepoPushSubscriber(options: {
  environments: string[];
  poller: { pollRepository(repoUrl: string): Promise<string[]> };
  logger: LoggerService;
}): EventsServiceSubscribeOptions {
  const { environments, poller, logger } = options;
  return {
    id: 'ml-gitops-config-repo-push',
    topics: PUSH_TOPICS,
    async onEvent({ topic, eventPayload }) {
      const { ref, url } = readPush(topic, eventPayload);
      const environment = pushedEnvironment(ref, environments);
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
