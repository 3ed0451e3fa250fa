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
 * GitHub `push` webhooks, shaped as documented in
 * docs.github.com/webhooks/webhook-events-and-payloads#push and signed as in
 * docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries.
 */

import crypto from 'node:crypto';
import { GitRepos, PushEvent, ZERO_SHA } from './GitRepos';
import {
  HookDeliveries,
  HookRequest,
  pushedCommits,
  WebhookTarget,
} from './hookDeliveries';
import { loginForEmail, ownerJson, repoJson, Urls } from './render';

export type { WebhookDelivery } from './hookDeliveries';

export class WebhookSender {
  private readonly hooks: HookDeliveries;

  constructor(
    private readonly repos: GitRepos,
    private readonly urls: () => Urls,
    config: WebhookTarget,
    log: (message: string) => void,
  ) {
    this.hooks = new HookDeliveries(
      repos,
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

  async payload(event: PushEvent) {
    const { repo, ref, before, after } = event;
    const u = this.urls();
    const deleted = after === ZERO_SHA;
    const created = before === ZERO_SHA;
    const shas = deleted
      ? []
      : await this.repos.newCommits(repo, created ? null : before, after, 20);
    const commits = (await pushedCommits(this.repos, repo, shas)).map(c => ({
      id: c.sha,
      tree_id: c.tree,
      distinct: true,
      message: c.message,
      timestamp: c.committer.date,
      url: `${u.web}/${repo.fullName}/commit/${c.sha}`,
      author: {
        name: c.author.name,
        email: c.author.email,
        username: loginForEmail(c.author.email) ?? undefined,
      },
      committer: {
        name: c.committer.name,
        email: c.committer.email,
        username: loginForEmail(c.committer.email) ?? undefined,
      },
      added: c.added,
      removed: c.removed,
      modified: c.modified,
    }));
    const forced =
      !created &&
      !deleted &&
      !(await this.repos.isAncestor(repo, before, after).catch(() => false));
    const repository = repoJson(u, repo);
    return {
      ref,
      before,
      after,
      repository: {
        ...repository,
        owner: { ...ownerJson(u, repo.owner), name: repo.owner, email: null },
        stargazers: 0,
        master_branch: repo.default_branch,
        organization: repo.owner,
        pushed_at: Math.floor(Date.parse(repo.pushed_at) / 1000),
        created_at: Math.floor(Date.parse(repo.created_at) / 1000),
      },
      pusher: event.pusher,
      organization: {
        login: repo.owner,
        id: repository.owner.id,
        url: `${u.api}/orgs/${repo.owner}`,
      },
      sender: ownerJson(
        u,
        loginForEmail(event.pusher.email) ?? event.pusher.name,
      ),
      created,
      deleted,
      forced,
      base_ref: null,
      compare:
        created || deleted
          ? `${u.web}/${repo.fullName}/commit/${after}`
          : `${u.web}/${repo.fullName}/compare/${before.slice(
              0,
              12,
            )}...${after.slice(0, 12)}`,
      commits,
      head_commit: commits.length ? commits[commits.length - 1] : null,
    };
  }

  private async request(event: PushEvent, id: string): Promise<HookRequest> {
    const secret = this.hooks.config.secret;
    return {
      event: 'push',
      payload: await this.payload(event),
      headers: body => ({
        'user-agent': 'GitHub-Hookshot/sandbox',
        'x-github-event': 'push',
        'x-github-delivery': id,
        'x-github-hook-id': '424242',
        'x-github-hook-installation-target-type': 'repository',
        'x-github-hook-installation-target-id': String(event.repo.id),
        ...(secret && {
          'x-hub-signature-256': `sha256=${crypto
            .createHmac('sha256', secret)
            .update(body)
            .digest('hex')}`,
        }),
      }),
    };
  }
}
