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
 * What the Git hosts' push webhooks share: the commits a push brought, and
 * the delivery of a request to the configured URL, recorded for tests and
 * the admin state. The payloads and headers are each host's own
 * (githost/webhooks.ts for GitHub, gitlab/webhooks.ts for GitLab).
 */

import crypto from 'node:crypto';
import { GitRepos, PushEvent, RepoRecord } from './GitRepos';

export type WebhookDelivery = {
  id: string;
  /** the host's event name: GitHub's `push`, GitLab's `Push Hook` */
  event: string;
  url: string;
  payload: Record<string, any>;
  status?: number;
  error?: string;
  deliveredAt: string;
};

/** Where a host's webhooks go; no URL sends none. */
export type WebhookTarget = {
  url?: string;
  secret?: string;
  timeoutMs?: number;
};

/** A commit a push brought, with the files it changed against its first parent. */
export type PushedCommit = {
  sha: string;
  tree: string;
  message: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  added: string[];
  removed: string[];
  modified: string[];
};

/** The commits `shas` of a repository, with their changed files. */
export async function pushedCommits(
  repos: GitRepos,
  repo: RepoRecord,
  shas: string[],
): Promise<PushedCommit[]> {
  const commits: PushedCommit[] = [];
  for (const sha of shas) {
    const c = await repos.commit(repo, sha);
    if (!c) continue;
    const changes = await repos.changes(repo, sha);
    commits.push({
      sha,
      tree: c.tree,
      message: c.message.replace(/\n$/, ''),
      author: c.author,
      committer: c.committer,
      added: changes.filter(f => f.status.startsWith('A')).map(f => f.path),
      removed: changes.filter(f => f.status.startsWith('D')).map(f => f.path),
      modified: changes.filter(f => !/^[AD]/.test(f.status)).map(f => f.path),
    });
  }
  return commits;
}

/** One request a host sends for a push. */
export type HookRequest = {
  event: string;
  payload: Record<string, any>;
  /** the host's headers; a signature is made over the body sent */
  headers(body: string): Record<string, string>;
};

/**
 * Sends a host's push webhooks: for every push of its repositories, the
 * request `build` makes is posted to the target's URL. Keeps the last 200
 * deliveries with their answers; a receiver that is down or refuses is
 * logged and recorded, never retried.
 */
export class HookDeliveries {
  readonly deliveries: WebhookDelivery[] = [];
  private pending = new Set<Promise<void>>();

  constructor(
    repos: GitRepos,
    readonly config: WebhookTarget,
    private readonly build: (
      event: PushEvent,
      id: string,
    ) => Promise<HookRequest | undefined>,
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

  private async deliver(push: PushEvent) {
    const url = this.config.url;
    if (!url) return;
    const id = crypto.randomUUID();
    const request = await this.build(push, id);
    if (!request) return;
    const delivery: WebhookDelivery = {
      id,
      event: request.event,
      url,
      payload: request.payload,
      deliveredAt: new Date().toISOString(),
    };
    this.deliveries.push(delivery);
    if (this.deliveries.length > 200) this.deliveries.shift();
    const what = `webhook ${request.event} ${push.repo.fullName} ${push.ref} → ${url}`;
    const body = JSON.stringify(request.payload);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...request.headers(body),
        },
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 5000),
      });
      delivery.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) this.log(`${what}: HTTP ${res.status}`);
    } catch (e) {
      delivery.error = String((e as Error)?.message ?? e);
      this.log(`${what} failed: ${delivery.error}`);
    }
  }
}
