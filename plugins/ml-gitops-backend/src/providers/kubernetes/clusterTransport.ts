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

// Requests to one cluster's API server: the timeout, the JSON body, and errors that name the cluster.

import { ServiceUnavailableError } from '@backstage/errors';
import {
  answerExcerpt,
  networkMessage,
} from '@ml-gitops/plugin-ml-gitops-common';
import { headerDeadline } from '../../http/watchStreams';
import {
  BodyReadError,
  ListJsonParser,
  readListBody,
} from '../../lib/listJson';
import { fleetTurns } from '../../lib/turns';
import { KubernetesClusterRoute, proxyRefusal } from './clusterRoutes';

/** An answer of the API server, with the route that carried the request. */
export type ClusterAnswer = {
  response: Response;
  route: KubernetesClusterRoute;
};

/**
 * Sends requests to one cluster: every request gives up after the request
 * timeout; an answer that is not the JSON the API server sends fails with a
 * message naming the cluster.
 */
export class ClusterTransport {
  constructor(
    readonly clusterName: string,
    private readonly route: () => Promise<KubernetesClusterRoute>,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Sends one request through the route of the moment; a refusal by the
   * Kubernetes plugin's proxy throws, any answer of the API server returns.
   */
  async send(
    path: string,
    init: RequestInit = {},
    /**
     * A watch: the timeout covers the headers, the body lasts until
     * `signal` aborts. Through the Kubernetes plugin's proxy the headers
     * come with the first bytes of the body (its proxy writes them then),
     * so a quiet watch's headers may take until its first event or
     * bookmark: up to `idleMs`.
     */
    stream?: { signal: AbortSignal; idleMs: number },
  ): Promise<ClusterAnswer> {
    const route = await this.route();
    let response: Response;
    const deadline = stream
      ? headerDeadline(
          stream.signal,
          route.proxied
            ? Math.max(this.timeoutMs, stream.idleMs)
            : this.timeoutMs,
        )
      : undefined;
    try {
      response = await route.fetch(`${route.base}${path}`, {
        ...init,
        signal: deadline?.signal ?? AbortSignal.timeout(this.timeoutMs),
        headers: {
          Accept: 'application/json',
          // Through the Kubernetes plugin's proxy, uncompressed: Backstage's
          // root router gzips every answer the client accepts gzip for (fetch
          // does by default), so a list was compressed by the backend's
          // proxy route and decompressed here, most often in one process
          // (0.45 s of a cold cycle's CPU at 10,000 model-environments).
          ...(route.proxied ? { 'Accept-Encoding': 'identity' } : {}),
          ...(await route.headers()),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ServiceUnavailableError(
          `Cluster "${this.clusterName}" ${route.where} did not answer ${
            path.split('?')[0]
          } within ${this.timeoutMs / 1000} s (mlGitops.requestTimeout)`,
        );
      }
      throw new ServiceUnavailableError(
        `Cluster "${this.clusterName}" ${
          route.where
        } is unreachable: ${networkMessage(error)}`,
      );
    } finally {
      deadline?.arrived();
    }
    if (route.proxied && !response.ok) {
      const refusal = await proxyRefusal(this.clusterName, path, response);
      if (refusal) {
        await response.text().catch(() => undefined);
        throw refusal;
      }
    }
    return { response, route };
  }

  /**
   * The JSON object of a successful answer, or an error naming the cluster.
   * A list's items (`options.list`) are cut out of its body as it arrives
   * and parsed one by one in the fleet's turns ({@link ListJsonParser}): a
   * chunk of 500 objects as a real API server lists them, with their
   * managed fields and applied manifests, is megabytes of JSON, whose
   * `JSON.parse` held the event loop for tens of milliseconds.
   */
  async body(
    path: string,
    response: Response,
    options: {
      list?: boolean;
      /** The value of a list's item from its text (`JSON.parse` by default). */
      item?: (text: string) => unknown;
    } = {},
  ): Promise<Record<string, unknown>> {
    const where = `Cluster "${this.clusterName}" answered ${
      path.split('?')[0]
    }`;
    const broken = (error: unknown) =>
      new ServiceUnavailableError(
        `${where} with a broken body: ${(error as Error)?.message ?? error}`,
      );
    const notJson = (text: string) =>
      new ServiceUnavailableError(
        `${where} with something that is not JSON ("${answerExcerpt(
          text,
        )}"); check the url of this cluster in the kubernetes config`,
      );
    let body: unknown;
    if (options.list && response.body) {
      // Decoded and cut into items as it arrives: no buffer and string of
      // the whole chunk to allocate and collect, and no decoded piece kept
      // once the items start.
      const parser = new ListJsonParser(fleetTurns, { item: options.item });
      try {
        body = await readListBody(response.body, parser);
      } catch (error) {
        if (error instanceof BodyReadError) throw broken(error.reason);
        throw notJson(parser.head());
      }
    } else {
      const text = await response.text().catch(error => {
        throw broken(error);
      });
      try {
        // One parse that cannot be cut: it starts a slice of its own rather
        // than end one another reader used.
        if (fleetTurns.due()) await fleetTurns.turn();
        body = JSON.parse(text);
      } catch {
        throw notJson(text);
      }
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ServiceUnavailableError(
        `${where} with JSON that is not a Kubernetes object; check the url of this cluster in the kubernetes config`,
      );
    }
    return body as Record<string, unknown>;
  }

  /** The error for an answer that is not a success, quoting the Status message. */
  async failure(
    path: string,
    { response, route }: ClusterAnswer,
  ): Promise<Error> {
    let detail = '';
    try {
      const status = (await response.json()) as { message?: string };
      detail = status.message ? `: ${status.message}` : '';
    } catch {
      // not a Status object
    }
    return new ServiceUnavailableError(
      `Cluster "${this.clusterName}" answered ${response.status} to ${
        path.split('?')[0]
      }${detail}${
        response.status === 401 || response.status === 403
          ? `; ${route.credentialsHint}`
          : ''
      }`,
    );
  }
}
