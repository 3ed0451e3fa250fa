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

import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mlGitopsServiceProbe } from '../../__testUtils__/serviceProbe';
import { KubernetesClusters } from './KubernetesClusters';

/*
 * A watch through a Backstage backend's proxy to a real HTTP server that
 * answers as the API server does: the headers at once, then one WatchEvent
 * per line while the connection stays open
 * (kubernetes.io/docs/reference/using-api/api-concepts, "Efficient
 * detection of changes"). A production backend's root router compresses
 * every answer the client accepts compressed, before any plugin's routes
 * (backend-defaults' rootHttpRouterServiceFactory); the test backend's
 * leaves its middleware out, so the proxy route here puts the same
 * middleware (MiddlewareFactory.compression) in front of itself. The proxy stands in for the Kubernetes plugin's (which
 * loads @kubernetes/client-node through a dynamic import Jest cannot run):
 * the same route (/api/kubernetes/proxy, the cluster in the
 * Backstage-Kubernetes-Cluster header), piping the answer as it comes. No
 * fake of fetch: what arrives is what a cluster behind Backstage delivers.
 */

jest.setTimeout(30_000);

const EVENT = {
  type: 'MODIFIED',
  object: {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: 'fraud-detector',
      namespace: 'ml-dev',
      resourceVersion: '1020',
      labels: {
        'ml-gitops/model': 'fraud-detector',
        'ml-gitops/environment': 'dev',
        'ml-gitops/model-version': '13',
      },
    },
  },
};

/**
 * An API server whose watch sends one event after `quietMs` (at once by
 * default), then holds the stream open.
 */
async function apiServer(quietMs = 0) {
  const seen: Array<{ url: string; authorization?: string }> = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url!, authorization: req.headers.authorization });
    if (!new URL(req.url!, 'http://x').searchParams.has('watch')) {
      // A list of 200 objects: well over the compression middleware's
      // threshold (1 KiB), so a client that accepts gzip gets it gzipped.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'InferenceServiceList',
          apiVersion: 'serving.kserve.io/v1beta1',
          metadata: { resourceVersion: '1020' },
          items: Array.from({ length: 200 }, (_, i) => ({
            ...EVENT.object,
            metadata: { ...EVENT.object.metadata, name: `model-${i}` },
          })),
        }),
      );
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    open.add(res);
    setTimeout(() => res.write(`${JSON.stringify(EVENT)}\n`), quietMs);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const res of open) res.end();
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/** How the proxy's answers went out (a gzipped one says gzip). */
const proxiedAnswers: Array<{ path: string; contentEncoding: unknown }> = [];

/** The Kubernetes plugin's cluster list and proxy, for one cluster at `url`. */
function kubernetesProxy(url: string) {
  return createBackendPlugin({
    pluginId: 'kubernetes',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          config: coreServices.rootConfig,
          logger: coreServices.logger,
        },
        async init({ httpRouter, config, logger }) {
          const router = express.Router();
          router.use(
            MiddlewareFactory.create({ config, logger }).compression(),
          );
          router.get('/clusters', (_req, res) => {
            res.json({
              items: [{ name: 'local', authProvider: 'serviceAccount' }],
            });
          });
          router.use('/proxy', (req, res) => {
            res.on('finish', () =>
              proxiedAnswers.push({
                path: req.url,
                contentEncoding: res.getHeader('content-encoding'),
              }),
            );
            if (req.header('backstage-kubernetes-cluster') !== 'local') {
              res.status(404).json({ error: { message: 'no such cluster' } });
              return;
            }
            const upstream = http.request(
              `${url}${req.url}`,
              {
                method: req.method,
                headers: { authorization: 'Bearer local-sa-token' },
              },
              answer => {
                res.writeHead(answer.statusCode!, {
                  'content-type': answer.headers['content-type'] ?? '',
                });
                answer.pipe(res);
              },
            );
            res.on('close', () => upstream.destroy());
            upstream.end();
          });
          httpRouter.use(router);
        },
      });
    },
  });
}

/** Reads the body until its first line, or gives up after `ms`. */
async function firstLine(body: ReadableStream<Uint8Array>, ms: number) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => reader.cancel(), ms);
  try {
    while (!text.includes('\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
  return text.split('\n')[0];
}

const PATH =
  '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops%2Fmodel&watch=1&resourceVersion=1019';

/**
 * A backend with the proxy to `cluster`, and the client ML GitOps reads
 * that cluster with (request timeout 1 s).
 */
async function proxied(cluster: { url: string }) {
  const probe = mlGitopsServiceProbe();
  const backend = await startTestBackend({
    features: [probe.feature, kubernetesProxy(cluster.url)],
  });
  const services = probe.services();
  const clusters = KubernetesClusters.create({
    ...services,
    logger: mockServices.logger.mock(),
    timeoutMs: 1_000,
  });
  await clusters.refresh();
  const [client] = clusters.clients;
  expect(client.cluster.name).toBe('local');
  return { ...services, client, stop: () => backend.stop() };
}

describe('KubernetesClusters: a watch through the Kubernetes plugin’s proxy', () => {
  it('delivers each event while the stream is open, though the backend compresses its answers', async () => {
    const cluster = await apiServer();
    const { client, auth, discovery, stop } = await proxied(cluster);
    const controller = new AbortController();
    try {
      const response = await client.openWatch(PATH, controller.signal, 60_000);
      expect(response.status).toBe(200);
      // The event arrives while the server still holds the stream open.
      expect(JSON.parse(await firstLine(response.body!, 5_000))).toEqual(EVENT);
      // It went through the proxy, with the cluster's own token.
      expect(cluster.seen).toEqual([
        { url: PATH, authorization: 'Bearer local-sa-token' },
      ]);

      // What the watch avoids: asked as fetch asks by default (gzip), the
      // backend compresses the stream and the event stays in the
      // compressor, headers and all, while the stream is open.
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: await auth.getOwnServiceCredentials(),
        targetPluginId: 'kubernetes',
      });
      const gzipped = fetch(
        `${await discovery.getBaseUrl('kubernetes')}/proxy${PATH}`,
        {
          signal: controller.signal,
          headers: {
            authorization: `Bearer ${token}`,
            'backstage-kubernetes-cluster': 'local',
          },
        },
      ).then(r => firstLine(r.body!, 60_000));
      gzipped.catch(() => undefined);
      const waited = new Promise(resolve => setTimeout(resolve, 2_000, 'held'));
      expect(await Promise.race([gzipped, waited])).toBe('held');
    } finally {
      controller.abort();
      await stop();
      await cluster.close();
    }
  });

  it('lists uncompressed through the proxy: no gzip made and unmade in the backend', async () => {
    const cluster = await apiServer();
    const { client, auth, discovery, stop } = await proxied(cluster);
    try {
      proxiedAnswers.length = 0;
      const items = await client.list(
        'serving.kserve.io',
        'v1beta1',
        'inferenceservices',
        'ml-gitops/model',
      );
      expect(items).toHaveLength(200);
      expect(proxiedAnswers).toEqual([
        {
          path: expect.stringMatching(/^\/apis\/serving\.kserve\.io\//),
          contentEncoding: undefined,
        },
      ]);
      // The control: fetch's default asks for gzip, and gets it.
      proxiedAnswers.length = 0;
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: await auth.getOwnServiceCredentials(),
        targetPluginId: 'kubernetes',
      });
      const answer = await fetch(
        `${await discovery.getBaseUrl(
          'kubernetes',
        )}/proxy/apis/serving.kserve.io/v1beta1/inferenceservices`,
        {
          headers: {
            authorization: `Bearer ${token}`,
            'backstage-kubernetes-cluster': 'local',
          },
        },
      );
      expect((await answer.json()).items).toHaveLength(200);
      expect(proxiedAnswers.map(a => a.contentEncoding)).toEqual(['gzip']);
    } finally {
      await stop();
      await cluster.close();
    }
  });

  it('waits for the headers of a quiet watch beyond the request timeout, as the proxy sends them with the first event', async () => {
    // nothing for 2.5 s; the request timeout is 1 s
    const cluster = await apiServer(2_500);
    const { client, stop } = await proxied(cluster);
    const controller = new AbortController();
    try {
      const response = await client.openWatch(PATH, controller.signal, 60_000);
      expect(JSON.parse(await firstLine(response.body!, 5_000))).toEqual(EVENT);
    } finally {
      controller.abort();
      await stop();
      await cluster.close();
    }
  });
});
