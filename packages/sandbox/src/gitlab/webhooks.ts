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

/*
 * GitLab's push webhooks: a push to a project's branch posts a "Push Hook"
 * shaped as docs.gitlab.com/user/project/integrations/webhook_events
 * ("Push events") documents it, with the delivery headers of
 * docs.gitlab.com/user/project/integrations/webhooks ("Delivery headers"):
 * the project hook's secret token goes as `X-Gitlab-Token`, unsigned.
 * The hook is set up for push events only, so tags send nothing
 * (GitLab sends those as "Tag Push Hook" to hooks that ask for them).
 */

import crypto from 'node:crypto';
import { PushEvent, ZERO_SHA } from '../githost/GitRepos';
import {
  HookDeliveries,
  HookRequest,
  pushedCommits,
  WebhookTarget,
} from '../githost/hookDeliveries';
import { GitLabHost } from './GitLabHost';
import { fullPath, GlProject, protectionOf } from './model';

/** The GitLab release the emulator answers as (GraphQL `Repository.commit(ref:)` is 17.10). */
export const GITLAB_VERSION = '17.10.0';

/** GitLab's `visibility_level` numbers (Gitlab::VisibilityLevel). */
const VISIBILITY_LEVEL = { private: 0, internal: 10, public: 20 };

/** "Commits: limited to 20"; `total_commits_count` counts them all. */
const COMMITS_LIMIT = 20;

export class GitLabWebhookSender {
  private readonly hooks: HookDeliveries;

  constructor(
    private readonly host: GitLabHost,
    config: WebhookTarget,
    log: (message: string) => void,
  ) {
    this.hooks = new HookDeliveries(
      host.repos,
      config,
      (event, id) => this.request(event, id),
      log,
    );
  }

  get deliveries() {
    return this.hooks.deliveries;
  }

  /** Waits for the deliveries under way (tests). */
  idle() {
    return this.hooks.idle();
  }

  private async request(
    event: PushEvent,
    id: string,
  ): Promise<HookRequest | undefined> {
    const project = this.host.projectOfRepo(event.repo);
    if (!project || !event.ref.startsWith('refs/heads/')) return undefined;
    const secret = this.hooks.config.secret;
    const instance = this.host.baseUrl();
    return {
      event: 'Push Hook',
      payload: await this.payload(project, event),
      headers: () => ({
        'user-agent': `GitLab/${GITLAB_VERSION}`,
        'x-gitlab-event': 'Push Hook',
        // the event's UUID is shared by the hooks one event triggers; the
        // webhook's and the idempotency key are this delivery's
        'x-gitlab-event-uuid': crypto.randomUUID(),
        'x-gitlab-webhook-uuid': id,
        'idempotency-key': id,
        'x-gitlab-instance': instance,
        ...(secret && { 'x-gitlab-token': secret }),
      }),
    };
  }

  async payload(project: GlProject, event: PushEvent) {
    const { repo, ref, before, after } = event;
    const repos = this.host.repos;
    const web = this.host.webUrl(project);
    const path = fullPath(project);
    const branch = ref.slice('refs/heads/'.length);
    const deleted = after === ZERO_SHA;
    // A new branch lists the commits the default branch does not have.
    let base: string | null = before;
    if (before === ZERO_SHA) {
      base =
        branch === repo.default_branch
          ? null
          : await repos.refSha(repo, `refs/heads/${repo.default_branch}`);
    }
    const shas = deleted
      ? []
      : await repos.newCommits(repo, base, after, 10_000);
    const commits = await pushedCommits(
      repos,
      repo,
      shas.slice(-COMMITS_LIMIT),
    );
    const user = this.host.users.find(
      u => u.email.toLowerCase() === event.pusher.email.toLowerCase(),
    );
    const urls = {
      git_ssh_url: `git@localhost:${path}.git`,
      git_http_url: `${web}.git`,
    };
    return {
      object_kind: 'push',
      event_name: 'push',
      before,
      after,
      ref,
      ref_protected: protectionOf(project, branch) !== undefined,
      checkout_sha: deleted ? null : after,
      message: null,
      user_id: user?.id ?? null,
      user_name: user?.name ?? event.pusher.name,
      user_username: user?.username ?? null,
      user_email: user?.email ?? event.pusher.email,
      user_avatar: null,
      project_id: project.id,
      project: {
        id: project.id,
        name: project.name,
        description: project.description,
        web_url: web,
        avatar_url: null,
        ...urls,
        namespace: project.namespace.name,
        visibility_level: VISIBILITY_LEVEL[project.visibility],
        path_with_namespace: path,
        default_branch: repo.default_branch,
        ci_config_path: null,
        homepage: web,
        url: urls.git_ssh_url,
        ssh_url: urls.git_ssh_url,
        http_url: urls.git_http_url,
      },
      commits: commits.map(c => ({
        id: c.sha,
        message: c.message,
        title: c.message.split('\n')[0],
        timestamp: c.committer.date,
        url: `${web}/-/commit/${c.sha}`,
        author: { name: c.author.name, email: c.author.email },
        added: c.added,
        modified: c.modified,
        removed: c.removed,
      })),
      total_commits_count: shas.length,
      push_options: {},
      repository: {
        name: project.name,
        url: urls.git_ssh_url,
        description: project.description,
        homepage: web,
        ...urls,
        visibility_level: VISIBILITY_LEVEL[project.visibility],
      },
    };
  }
}
