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
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { eventually, TestEventStream } from '../../__testUtils__/eventStreams';
import { KubeObject, KubernetesClusterClient } from './KubernetesClusters';
import { KubeWatchEvent, watchKubernetesResource } from './KubernetesWatch';

const KUBE = 'https://prod-eu.example.com';
const PATH = `${KUBE}/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations`;

function kustomization(name: string, resourceVersion: string) {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name,
      namespace: 'flux-system',
      resourceVersion,
      labels: {
        'ml-gitops/model': 'recsys-ranker',
        'ml-gitops/environment': name.split('-').pop()!,
      },
    },
    spec: { interval: '5m', path: './deploy', prune: true },
  };
}

/**
 * A watch event line as the API server writes it (kubernetes.io "API
 * concepts", Efficient detection of changes: one JSON `WatchEvent` per line,
 * `{"type": …, "object": …}`).
 */
const line = (type: string, object: unknown) =>
  `${JSON.stringify({ type, object })}\n`;

/** The `Status` of an expired resource version, as the watch cache sends it. */
const expired = (asked: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `too old resource version: ${asked} (2000)`,
  reason: 'Expired',
  code: 410,
});

describe('watchKubernetesResource', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const authorizations = new Set<string | null>();
  let lists: URLSearchParams[];
  let watches: Array<{ query: URLSearchParams; stream: TestEventStream }>;
  let listed: { resourceVersion: string; items: unknown[] };
  let refuseWatch:
    | ((query: URLSearchParams) => Response | undefined)
    | undefined;
  beforeEach(() => {
    lists = [];
    watches = [];
    refuseWatch = undefined;
    listed = { resourceVersion: '1000', items: [] };
    server.use(
      http.get(PATH, ({ request }) => {
        const query = new URL(request.url).searchParams;
        authorizations.add(request.headers.get('authorization'));
        if (query.get('watch') !== '1') {
          lists.push(query);
          return HttpResponse.json({
            kind: 'KustomizationList',
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            metadata: { resourceVersion: listed.resourceVersion },
            items: listed.items,
          });
        }
        const refusal = refuseWatch?.(query);
        if (refusal) return refusal;
        const stream = new TestEventStream(
          request,
          'application/json;stream=watch',
        );
        watches.push({ query, stream });
        return stream.response;
      }),
    );
  });

  const start = (options: { idleMs?: number } = {}) => {
    const client = KubernetesClusterClient.create({
      name: 'prod-eu',
      url: KUBE,
      token: 'sa-token',
      skipTLSVerify: false,
    });
    const logger = mockServices.logger.mock();
    const controller = new AbortController();
    const seen: Array<{ list: KubeObject[] } | { events: KubeWatchEvent[] }> =
      [];
    watchKubernetesResource({
      client,
      group: 'kustomize.toolkit.fluxcd.io',
      plural: 'kustomizations',
      labelSelector: 'ml-gitops/model',
      version: async () => 'v1',
      onList: objects => seen.push({ list: objects }),
      onEvents: events => seen.push({ events }),
      signal: controller.signal,
      logger,
      options: {
        backoff: { initialMs: 5, maxMs: 20 },
        timeoutSeconds: 120,
        ...(options.idleMs ? { idleMs: options.idleMs } : {}),
      },
    });
    return { controller, logger, seen };
  };
  const last = () => watches[watches.length - 1];

  it('lists, then watches from the list’s resource version with bookmarks', async () => {
    listed = {
      resourceVersion: '1000',
      items: [kustomization('recsys-dev', '990')],
    };
    const { controller, seen } = start();
    await eventually(() => watches.length === 1, 'the watch request');
    expect(lists[0].get('labelSelector')).toBe('ml-gitops/model');
    expect(Object.fromEntries(last().query)).toEqual({
      labelSelector: 'ml-gitops/model',
      watch: '1',
      resourceVersion: '1000',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '120',
    });
    expect(seen).toEqual([{ list: [kustomization('recsys-dev', '990')] }]);
    expect([...authorizations]).toEqual(['Bearer sa-token']);

    last().stream.write(
      line('MODIFIED', kustomization('recsys-dev', '1001')) +
        line('ADDED', kustomization('recsys-staging', '1002')),
    );
    await eventually(() => seen.length === 2, 'the events');
    expect(seen[1]).toEqual({
      events: [
        { type: 'MODIFIED', object: kustomization('recsys-dev', '1001') },
        { type: 'ADDED', object: kustomization('recsys-staging', '1002') },
      ],
    });
    // A bookmark carries only the version reached: nothing to report, but
    // the next watch starts there.
    last().stream.write(
      line('BOOKMARK', {
        kind: 'Kustomization',
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        metadata: { resourceVersion: '1500' },
      }),
    );
    // The server ends the watch after timeoutSeconds: it is resumed at once.
    last().stream.end();
    await eventually(() => watches.length === 2, 'the next watch');
    expect(last().query.get('resourceVersion')).toBe('1500');
    expect(lists).toHaveLength(1);
    expect(seen).toHaveLength(2);
    controller.abort();
  });

  it('hands over objects without their managed fields and last applied manifest, listed or watched', async () => {
    // What the watch hands over: what the object says, annotations too.
    const kept = (name: string, resourceVersion: string) => {
      const object = kustomization(name, resourceVersion);
      return {
        ...object,
        metadata: {
          ...object.metadata,
          annotations: {
            'reconcile.fluxcd.io/requestedAt': '2026-11-27T10:00:00Z',
          },
        },
      };
    };
    // As a real API server sends it after Argo CD applied it client-side.
    const written = (name: string, resourceVersion: string) => {
      const object = kept(name, resourceVersion);
      return {
        ...object,
        metadata: {
          ...object.metadata,
          annotations: {
            ...object.metadata.annotations,
            'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(
              { ...object, metadata: { name, namespace: 'flux-system' } },
            )}\n`,
          },
          managedFields: [
            {
              manager: 'argocd-controller',
              operation: 'Update',
              apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
              time: '2026-11-27T09:00:00Z',
              fieldsType: 'FieldsV1',
              fieldsV1: { 'f:spec': { 'f:interval': {}, 'f:path': {} } },
            },
          ],
        },
      };
    };
    listed = {
      resourceVersion: '1000',
      items: [written('recsys-dev', '990')],
    };
    const { controller, seen } = start();
    await eventually(() => watches.length === 1, 'the watch request');
    expect(seen).toEqual([{ list: [kept('recsys-dev', '990')] }]);
    last().stream.write(line('MODIFIED', written('recsys-dev', '1001')));
    await eventually(() => seen.length === 2, 'the event');
    expect(seen[1]).toEqual({
      events: [{ type: 'MODIFIED', object: kept('recsys-dev', '1001') }],
    });
    controller.abort();
  });

  it('reconnects after a dropped connection from the last resource version, without listing again', async () => {
    const { controller, seen, logger } = start();
    await eventually(() => watches.length === 1, 'the watch request');
    last().stream.write(line('ADDED', kustomization('recsys-dev', '1003')));
    await eventually(() => seen.length === 2, 'the event');
    last().stream.drop();
    await eventually(() => watches.length === 2, 'the reconnect');
    expect(last().query.get('resourceVersion')).toBe('1003');
    expect(lists).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        'The watch of kustomizations.kustomize.toolkit.fluxcd.io on cluster "prod-eu" broke off',
      ),
    );
    controller.abort();
  });

  it('lists again after an ERROR event with code 410 and watches from the new list', async () => {
    const { controller, seen } = start();
    await eventually(() => watches.length === 1, 'the watch request');
    listed = {
      resourceVersion: '2000',
      items: [kustomization('recsys-production', '1999')],
    };
    last().stream.write(line('ERROR', expired('1000')));
    await eventually(() => watches.length === 2, 'the watch after the list');
    expect(lists).toHaveLength(2);
    expect(last().query.get('resourceVersion')).toBe('2000');
    expect(seen).toEqual([
      { list: [] },
      { list: [kustomization('recsys-production', '1999')] },
    ]);
    expect(watches[0].stream.closed).toBe(true);
    controller.abort();
  });

  it('lists again when the watch request itself answers 410 Gone', async () => {
    refuseWatch = query => {
      if (query.get('resourceVersion') !== '1000') return undefined;
      listed = { resourceVersion: '2100', items: [] };
      return HttpResponse.json(expired('1000'), { status: 410 });
    };
    const { controller } = start();
    await eventually(() => watches.length === 1, 'a watch that starts');
    expect(lists).toHaveLength(2);
    expect(last().query.get('resourceVersion')).toBe('2100');
    controller.abort();
  });

  it('backs off while the watch is refused, and says why', async () => {
    let refusals = 0;
    refuseWatch = () => {
      refusals += 1;
      return HttpResponse.json(
        {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message:
            'kustomizations.kustomize.toolkit.fluxcd.io is forbidden: User "system:serviceaccount:backstage:reader" cannot watch resource "kustomizations" in API group "kustomize.toolkit.fluxcd.io" at the cluster scope',
          reason: 'Forbidden',
          code: 403,
        },
        { status: 403 },
      );
    };
    const { controller, logger } = start();
    await eventually(() => refusals >= 3, 'three attempts');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('cannot watch resource "kustomizations"'),
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('check the serviceAccountToken of this cluster'),
    );
    controller.abort();
  });

  it('takes a silent watch for dead and resumes it', async () => {
    const { controller } = start({ idleMs: 50 });
    await eventually(() => watches.length === 1, 'the watch request');
    await eventually(() => watches.length === 2, 'the reconnect', 2_000);
    expect(watches[0].stream.closed).toBe(true);
    expect(last().query.get('resourceVersion')).toBe('1000');
    controller.abort();
  });

  it('stops when aborted: the watch is closed, nothing more is reported or requested', async () => {
    const { controller, seen } = start();
    await eventually(() => watches.length === 1, 'the watch request');
    controller.abort();
    await eventually(() => last().stream.closed, 'the watch to close');
    last().stream.write(line('ADDED', kustomization('recsys-dev', '1004')));
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(seen).toEqual([{ list: [] }]);
    expect(watches).toHaveLength(1);
    expect(lists).toHaveLength(1);
  });

  it('a new watch (a restarted backend) starts with a full list', async () => {
    const first = start();
    await eventually(() => watches.length === 1, 'the watch request');
    first.controller.abort();
    listed = {
      resourceVersion: '3000',
      items: [kustomization('recsys-dev', '2999')],
    };
    const second = start();
    await eventually(() => watches.length === 2, 'the new watch');
    expect(lists).toHaveLength(2);
    expect(second.seen).toEqual([
      { list: [kustomization('recsys-dev', '2999')] },
    ]);
    expect(last().query.get('resourceVersion')).toBe('3000');
    second.controller.abort();
  });
});
