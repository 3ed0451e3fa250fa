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
import { loginForEmail, ownerJson, repoJson, Urls } from './render';

export type WebhookDelivery = {
  id: string;
  event: 'push';
  url: string;
  payload: Record<string, any>;
  status?: number;
  error?: string;
  deliveredAt: string;
};

export class WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly repos: GitRepos,
    private readonly urls: () => Urls,
    public config: { url?: string; secret?: string; timeoutMs?: number },
    private readonly log: (message: string) => void,
  ) {
    repos.onPush(event => {
      const p = this.deliver(event).catch(e => this.log(`webhook: ${e}`));
      this.pending.add(p);
      p.finally(() => this.pending.delete(p));
    });
  }

  /** Waits for the deliveries under way (tests). */
  async idle() {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  async payload(event: PushEvent) {
    const { repo, ref, before, after } = event;
    const u = this.urls();
    const deleted = after === ZERO_SHA;
    const created = before === ZERO_SHA;
    const shas = deleted
      ? []
      : await this.repos.newCommits(repo, created ? null : before, after, 20);
    const commits = [];
    for (const sha of shas) {
      const c = await this.repos.commit(repo, sha);
      if (!c) continue;
      const changes = await this.repos.changes(repo, sha);
      commits.push({
        id: sha,
        tree_id: c.tree,
        distinct: true,
        message: c.message.replace(/\n$/, ''),
        timestamp: c.committer.date,
        url: `${u.web}/${repo.fullName}/commit/${sha}`,
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
        added: changes.filter(f => f.status.startsWith('A')).map(f => f.path),
        removed: changes.filter(f => f.status.startsWith('D')).map(f => f.path),
        modified: changes.filter(f => !/^[AD]/.test(f.status)).map(f => f.path),
      });
    }
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

  private async deliver(event: PushEvent) {
    const url = this.config.url;
    if (!url) return;
    const payload = await this.payload(event);
    const id = crypto.randomUUID();
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/sandbox',
      'x-github-event': 'push',
      'x-github-delivery': id,
      'x-github-hook-id': '424242',
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': String(event.repo.id),
    };
    if (this.config.secret) {
      const hmac = crypto
        .createHmac('sha256', this.config.secret)
        .update(body)
        .digest('hex');
      headers['x-hub-signature-256'] = `sha256=${hmac}`;
    }
    const delivery: WebhookDelivery = {
      id,
      event: 'push',
      url,
      payload,
      deliveredAt: new Date().toISOString(),
    };
    this.deliveries.push(delivery);
    if (this.deliveries.length > 200) this.deliveries.shift();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 5000),
      });
      delivery.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok)
        this.log(
          `webhook push ${event.repo.fullName} ${event.ref} → ${url}: HTTP ${res.status}`,
        );
    } catch (e) {
      delivery.error = String((e as Error)?.message ?? e);
      this.log(
        `webhook push ${event.repo.fullName} ${event.ref} → ${url} failed: ${delivery.error}`,
      );
    }
  }
}
