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

/** Upstream requests by system, from the sandbox's request counts. */

import { ENVIRONMENTS, thousands } from './options';

export type Counts = Record<string, number>;

export function diff(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [k, n] of Object.entries(after)) {
    const d = n - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

/** `kubernetes-dev GET /apis/serving.kserve.io/v1beta1 200` is discovery. */
function isDiscovery(pathTemplate: string): boolean {
  const parts = pathTemplate.split('/').filter(Boolean);
  if (parts[0] === 'api') return parts.length <= 2;
  if (parts[0] === 'apis') return parts.length <= 3;
  return false;
}

export type Upstream = {
  /** Requests that read (lists, gets, queries); watches and streams apart. */
  total: number;
  /**
   * Kubernetes watches and Argo CD's application stream that ended (at their
   * timeout, or reconnected): long requests the backend keeps open, not reads.
   */
  watches: number;
  gitGraphql: number;
  gitRest: number;
  mlflow: number;
  argocdListsPerInstance: Record<string, number>;
  argocdOther: number;
  /** Per cluster: list calls of each resource path, and discovery requests. */
  kubernetes: Record<
    string,
    { lists: Record<string, number>; discovery: number; other: number }
  >;
};

export function upstream(counts: Counts): Upstream {
  const u: Upstream = {
    total: 0,
    watches: 0,
    gitGraphql: 0,
    gitRest: 0,
    mlflow: 0,
    argocdListsPerInstance: {},
    argocdOther: 0,
    kubernetes: {},
  };
  for (const env of ENVIRONMENTS) {
    u.argocdListsPerInstance[env] = 0;
    u.kubernetes[env] = { lists: {}, discovery: 0, other: 0 };
  }
  for (const [key, n] of Object.entries(counts)) {
    const [server, method, template] = key.split(' ');
    if (
      template.endsWith('?watch=1') ||
      template === '/api/v1/stream/applications'
    ) {
      u.watches += n;
      continue;
    }
    u.total += n;
    if (server === 'git') {
      if (template === '/api/graphql') u.gitGraphql += n;
      else u.gitRest += n;
    } else if (server === 'mlflow') {
      u.mlflow += n;
    } else if (server.startsWith('argocd-')) {
      const env = server.slice('argocd-'.length);
      if (method === 'GET' && template === '/api/v1/applications')
        u.argocdListsPerInstance[env] =
          (u.argocdListsPerInstance[env] ?? 0) + n;
      else u.argocdOther += n;
    } else if (server.startsWith('kubernetes-')) {
      const cluster = (u.kubernetes[server.slice('kubernetes-'.length)] ??= {
        lists: {},
        discovery: 0,
        other: 0,
      });
      if (method === 'GET' && isDiscovery(template)) cluster.discovery += n;
      else if (method === 'GET')
        cluster.lists[template] = (cluster.lists[template] ?? 0) + n;
      else cluster.other += n;
    }
  }
  return u;
}

export function describeUpstream(u: Upstream): string {
  const argo = Object.entries(u.argocdListsPerInstance)
    .map(([env, n]) => `${env} ${n}`)
    .join(', ');
  const kube = Object.entries(u.kubernetes)
    .map(
      ([env, c]) =>
        `${env} ${Object.values(c.lists).reduce((a, b) => a + b, 0)} list + ${
          c.discovery
        } discovery`,
    )
    .join(', ');
  return [
    `total ${thousands(u.total)}`,
    `Git ${thousands(u.gitGraphql)} GraphQL + ${thousands(u.gitRest)} REST`,
    `Argo CD lists per instance: ${argo}${
      u.argocdOther ? ` (+${u.argocdOther} other)` : ''
    }`,
    `Kubernetes per cluster: ${kube}`,
    `MLflow ${thousands(u.mlflow)}`,
    ...(u.watches ? [`watches and streams ended ${u.watches}`] : []),
  ].join('; ');
}
