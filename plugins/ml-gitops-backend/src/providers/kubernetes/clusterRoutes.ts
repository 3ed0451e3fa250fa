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

// How a request reaches a cluster's API server: directly, or through the Kubernetes plugin's proxy.

import { NotAllowedError, ServiceUnavailableError } from '@backstage/errors';
import { Agent, fetch as undiciFetch } from 'undici';
import { KEEP_ALIVE_OPTIONS, keepAliveFetch } from '../../http/keepAliveFetch';
import { KubernetesCluster } from './kubernetesClusterConfig';

export type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;

/** How a request reaches a cluster's API server. */
export type KubernetesClusterRoute = {
  /** The URL an API path is appended to. */
  base: string;
  /** Where the cluster was asked, for messages. */
  where: string;
  headers: () => Promise<Record<string, string>>;
  fetch: FetchFn;
  /** What to check when the API server refuses the credentials. */
  credentialsHint: string;
  /** Answers of the Kubernetes plugin's proxy itself are errors of their own. */
  proxied: boolean;
};

/** The route to a cluster of the `config` locator, with its own token and TLS settings. */
export function directRoute(
  cluster: KubernetesCluster,
  fetchFn?: FetchFn,
): KubernetesClusterRoute {
  let fetcher: FetchFn;
  if (fetchFn) {
    fetcher = fetchFn;
  } else if (cluster.skipTLSVerify || cluster.caData) {
    const dispatcher = new Agent({
      ...KEEP_ALIVE_OPTIONS,
      connect: {
        rejectUnauthorized: !cluster.skipTLSVerify,
        ...(cluster.caData
          ? { ca: Buffer.from(cluster.caData, 'base64').toString('utf8') }
          : {}),
      },
    });
    fetcher = (url, init) =>
      undiciFetch(url, {
        ...(init as object),
        dispatcher,
      }) as unknown as Promise<Response>;
  } else {
    fetcher = keepAliveFetch();
  }
  const headers: Record<string, string> = cluster.token
    ? { Authorization: `Bearer ${cluster.token}` }
    : {};
  return {
    base: cluster.url,
    where: `at ${cluster.url}`,
    headers: async () => headers,
    fetch: fetcher,
    credentialsHint:
      'check the serviceAccountToken of this cluster in the kubernetes config and its RBAC',
    proxied: false,
  };
}

/**
 * The error the Kubernetes plugin's proxy itself answered (cluster unknown,
 * credentials it could not get, cluster unreachable), told apart from the
 * cluster's own answers: Backstage's error handler answers
 * `{ error: { name, message }, request, response: { statusCode } }`
 * (serializeError in @backstage/errors, MiddlewareFactory.error in
 * backend-defaults), an API server a metav1.Status or plain text.
 */
export async function proxyRefusal(
  cluster: string,
  path: string,
  response: Response,
): Promise<Error | undefined> {
  let body: unknown;
  try {
    body = JSON.parse(await response.clone().text());
  } catch {
    return undefined;
  }
  const { error, response: answered } = (body ?? {}) as {
    error?: { message?: unknown };
    response?: { statusCode?: unknown };
  };
  if (
    typeof error?.message !== 'string' ||
    typeof answered?.statusCode !== 'number'
  ) {
    return undefined;
  }
  const message = `Cluster "${cluster}": the Kubernetes plugin's proxy answered ${
    response.status
  } to ${path.split('?')[0]}: ${error.message}${
    response.status === 404
      ? '; the Kubernetes plugin lists no cluster of that name'
      : ''
  }`;
  return response.status === 403
    ? new NotAllowedError(message)
    : new ServiceUnavailableError(message);
}
