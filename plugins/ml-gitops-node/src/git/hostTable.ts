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
// Which kind of Git host serves a config repo: the hosts configured under each registered `integrations` key.
import { ScmIntegrationRegistry } from '@backstage/integration';
import { InputError } from '@backstage/errors';
import type { GitHost } from './GitHost';
import type { ConfigRepoLocation } from './configRepoTypes';
import { parseConfigRepoUrl } from './configRepoUrl';

/** `a`, `a or b`, `a, b or c`. */
export function either(words: string[]): string {
  return words.length > 1
    ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`
    : words.join('');
}

/** One registered kind with the hosts configured for it. */
export type HostKind = {
  kind: string;
  title: string;
  hosts: string[];
  git: GitHost;
};

/** The registered kinds, and which serves each configured host. */
export class HostTable {
  private readonly byHost = new Map<string, HostKind>();

  constructor(
    private readonly integrations: ScmIntegrationRegistry,
    readonly kinds: HostKind[],
    /** Every registered kind, built or not, for the message of an unknown host. */
    private readonly registered: Array<{ kind: string; title: string }>,
  ) {
    for (const entry of kinds) {
      for (const host of entry.hosts) {
        // A host listed under two kinds is served by the first.
        if (!this.byHost.has(host)) this.byHost.set(host, entry);
      }
    }
  }

  forUrl(repoUrl: string): HostKind {
    const url = parseConfigRepoUrl(repoUrl);
    return this.forHost(
      url.host,
      `${url.protocol}//${url.host}${url.pathname}`,
    );
  }

  forLocation(loc: ConfigRepoLocation): HostKind {
    return this.forHost(loc.host, loc.url);
  }

  private forHost(host: string, repo: string): HostKind {
    const entry = this.byHost.get(host);
    if (entry) return entry;
    const served = either(this.registered.map(k => `integrations.${k.kind}`));
    const other = this.integrations.byHost(host);
    if (other) {
      throw new InputError(
        `The config repo ${repo} is on ${host}, a host of integrations.${other.type}; config repos are read on the hosts of ${served} only`,
      );
    }
    const configured = this.kinds
      .map(k => `${k.hosts.join(', ')} under integrations.${k.kind}`)
      .join('; ');
    throw new InputError(
      `No ${either(
        this.registered.map(k => k.title),
      )} integration is configured for ${host}, the host of the config repo ${repo}; add it under ${served} in app-config.yaml (configured now: ${
        configured || 'none'
      })`,
    );
  }
}
