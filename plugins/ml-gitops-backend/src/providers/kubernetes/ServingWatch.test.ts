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
import { setupServer } from 'msw/node';
import { inferenceService, KUBE } from '../canary/__testUtils__/fixtures';
import { eventually, TestEventStream } from '../../__testUtils__/eventStreams';
import { servingApi } from '../../__testUtils__/servingApi';
import { KubeObject, KubernetesClusterClient } from './KubernetesClusters';
import { ServingChanges, watchServing } from './ServingWatch';
import { ServingVersions } from './ServingVersions';
import { HeldServingObjects } from './heldServingObjects';
import { servingFieldsOf } from './inferenceServiceReading';
import { ServingStatus } from '@ml-gitops/plugin-ml-gitops-common';

const line = (type: string, object: unknown) =>
  `${JSON.stringify({ type, object })}\n`;

/** An InferenceService at a resource version, as the API server holds it. */
function at(object: ReturnType<typeof inferenceService>, rv: string) {
  return { ...object, metadata: { ...object.metadata, resourceVersion: rv } };
}

describe('watchServing', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const cluster = () =>
    KubernetesClusterClient.create({
      name: 'prod-eu',
      url: KUBE,
      token: 'sa-token',
      skipTLSVerify: false,
    });
  /** Watches one cluster's InferenceServices; reports go to `changes`. */
  const watch = (
    client: KubernetesClusterClient,
    held?: HeldServingObjects,
  ) => {
    const changes: ServingChanges[] = [];
    const controller = new AbortController();
    watchServing({
      clients: [client],
      onChange: c => changes.push(c),
      signal: controller.signal,
      logger: mockServices.logger.mock(),
      options: { backoff: { initialMs: 5, maxMs: 20 } },
      held,
    });
    return { changes, controller };
  };

  it('reports what the poll would read, and the model environments that changed', async () => {
    const watches: Array<{ query: URLSearchParams; stream: TestEventStream }> =
      [];
    const staging = inferenceService({ environment: 'staging', version: '5' });
    const production = inferenceService({
      environment: 'production',
      version: '4',
    });
    server.use(
      ...servingApi(KUBE, {
        listed: () => [at(staging, '700'), at(production, '701')],
        resourceVersion: '710',
        watched: (stream, query) => watches.push({ query, stream }),
      }),
    );
    const client = cluster();
    const { changes, controller } = watch(client);
    await eventually(() => watches.length === 1, 'the watch');
    expect(watches[0].query.get('resourceVersion')).toBe('710');

    const polled = await new ServingVersions([client]).read();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toEqual({
      cluster: 'prod-eu',
      // as the poll keeps them: the fields the plugin reads
      inferenceServices: [at(staging, '700'), at(production, '701')].map(
        servingFieldsOf,
      ),
      versions: polled.versions,
      serving: polled.serving,
      changed: [
        ServingVersions.key('recsys-ranker', 'staging'),
        ServingVersions.key('recsys-ranker', 'production'),
      ],
      touched: [
        ServingVersions.key('recsys-ranker', 'staging'),
        ServingVersions.key('recsys-ranker', 'production'),
      ],
      complete: true,
    });

    // Someone relabels the staging object by hand: a drift.
    watches[0].stream.write(
      line(
        'MODIFIED',
        at(inferenceService({ environment: 'staging', version: '3' }), '720'),
      ),
    );
    await eventually(() => changes.length === 2, 'the drift');
    expect(changes[1].complete).toBe(false);
    expect(changes[1].changed).toEqual([
      ServingVersions.key('recsys-ranker', 'staging'),
    ]);
    expect(
      changes[1].versions.get(ServingVersions.key('recsys-ranker', 'staging')),
    ).toBe('3');

    watches[0].stream.write(line('DELETED', at(production, '721')));
    await eventually(() => changes.length === 3, 'the deletion');
    expect(changes[2].changed).toEqual([
      ServingVersions.key('recsys-ranker', 'production'),
    ]);
    expect(
      changes[2].versions.has(
        ServingVersions.key('recsys-ranker', 'production'),
      ),
    ).toBe(false);
    controller.abort();
  });
  it('holds one object per version with the poll: each keeps what the other holds', async () => {
    const watches: TestEventStream[] = [];
    const staging = inferenceService({ environment: 'staging', version: '5' });
    const production = inferenceService({
      environment: 'production',
      version: '4',
    });
    let listed = [at(staging, '700'), at(production, '701')];
    server.use(
      ...servingApi(KUBE, {
        listed: () => listed,
        resourceVersion: '710',
        watched: stream => watches.push(stream),
      }),
    );
    const client = cluster();
    const held = new HeldServingObjects();
    const poll = new ServingVersions([client], held);
    const byName = (objects: KubeObject[], name: string) =>
      objects.find(o => o.metadata.namespace === name);

    // The poll reads first; the watch's list keeps the poll's objects.
    const first = await poll.read();
    const polled = first.inferenceServices.get('prod-eu')!;
    const { changes, controller } = watch(client, held);
    await eventually(() => changes.length === 1, 'the watch');
    expect(changes[0].inferenceServices).toHaveLength(2);
    for (const object of changes[0].inferenceServices) {
      expect(polled).toContain(object);
    }

    // The staging object is written: the watch is told first, and the
    // poll's next list keeps the watch's object of that version.
    const written = at(
      inferenceService({ environment: 'staging', version: '6' }),
      '720',
    );
    watches[0].write(line('MODIFIED', written));
    await eventually(() => changes.length === 2, 'the event');
    const watched = byName(changes[1].inferenceServices, 'ml-staging')!;
    expect(watched.metadata.resourceVersion).toBe('720');
    listed = [written, at(production, '701')];
    const second = await poll.read();
    const repolled = second.inferenceServices.get('prod-eu')!;
    expect(byName(repolled, 'ml-staging')).toBe(watched);
    expect(byName(repolled, 'ml-production')).toBe(
      byName(polled, 'ml-production'),
    );
    expect(
      second.versions.get(ServingVersions.key('recsys-ranker', 'staging')),
    ).toBe('6');

    controller.abort();
  });

  it('keeps what the poll would read through any sequence of events, reporting only what changed', async () => {
    // Several objects per model environment (the less serving one is
    // shown), relabelled from one environment to another, deleted, and
    // changed without a change of what serves.
    let stream: TestEventStream | undefined;
    server.use(
      ...servingApi(KUBE, {
        listed: () => [],
        watched: opened => {
          stream = opened;
        },
      }),
    );
    const client = cluster();
    const { changes, controller } = watch(client);
    await eventually(
      () => stream !== undefined && changes.length === 1,
      'the watch',
    );

    // A seeded sequence: the same every run.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      // the high bits: the low bits of this generator repeat quickly
      return Math.floor((seed / 2147483648) * n);
    };
    const names = ['a', 'b', 'c', 'd', 'e'];
    const environments = ['staging', 'production'];
    const held = new Map<string, ReturnType<typeof shared>>();
    let rv = 10;
    for (let step = 0; step < 60; step++) {
      const name = names[random(names.length)];
      const reportsBefore = changes.length;
      const summaryBefore = summaryOf(held);
      let type: string;
      if (held.has(name) && random(4) === 0) {
        type = 'DELETED';
        const gone = held.get(name)!;
        held.delete(name);
        stream!.write(line(type, at(gone, String(rv++))));
      } else {
        type = held.has(name) ? 'MODIFIED' : 'ADDED';
        const object = at(
          shared(
            inferenceService({
              name,
              environment: environments[random(2)],
              version: String(1 + random(3)),
              ...(random(3) === 0
                ? {
                    conditions: [
                      { type: 'Ready', status: 'False', reason: 'Failed' },
                    ],
                  }
                : {}),
            }),
          ),
          String(rv++),
        );
        held.set(name, object);
        stream!.write(line(type, object));
      }
      const summaryAfter = summaryOf(held);
      const expectedChanged = [
        ...new Set([...summaryBefore.keys(), ...summaryAfter.keys()]),
      ].filter(k => summaryBefore.get(k) !== summaryAfter.get(k));
      // A marker event after each step: its report proves the step's
      // report (if any) came before it.
      const marker = at(
        shared(
          inferenceService({
            name: 'marker',
            environment: `m${step}`,
            version: '1',
          }),
        ),
        String(rv++),
      );
      stream!.write(line('ADDED', marker));
      await eventually(
        () =>
          changes.length > reportsBefore &&
          changes[changes.length - 1].changed.includes(
            ServingVersions.key('recsys-ranker', `m${step}`),
          ),
        `the report of step ${step}`,
      );
      stream!.write(line('DELETED', marker));
      await eventually(
        () =>
          !changes[changes.length - 1].versions.has(
            ServingVersions.key('recsys-ranker', `m${step}`),
          ),
        `the marker's deletion at step ${step}`,
      );
      const reports = changes.slice(reportsBefore, -2);
      expect(reports.flatMap(r => r.changed).sort()).toEqual(
        expectedChanged.sort(),
      );
      const last = changes[changes.length - 1];
      const polled = {
        versions: new Map<string, string>(),
        serving: new Map<string, ServingStatus>(),
      };
      ServingVersions.summarize(
        inListOrder(held),
        'prod-eu',
        polled.versions,
        polled.serving,
      );
      expect(last.versions).toEqual(polled.versions);
      expect(last.serving).toEqual(polled.serving);
    }
    controller.abort();
  });
});

/**
 * One model's objects in one namespace: objects of one environment share a
 * key (the less serving is shown), and a new environment label moves an
 * object from one key to another.
 */
function shared(object: ReturnType<typeof inferenceService>) {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      namespace: 'ml',
      labels: { ...object.metadata.labels, 'ml-gitops/model': 'recsys-ranker' },
    },
  };
}

/** The objects held as a list returns them: by namespace and name. */
function inListOrder(held: Map<string, ReturnType<typeof shared>>) {
  return [...held.keys()].sort().map(name => held.get(name)!);
}

/** What serves per model environment, as text, for the objects held. */
function summaryOf(held: Map<string, ReturnType<typeof shared>>) {
  const versions = new Map<string, string>();
  const serving = new Map<string, ServingStatus>();
  ServingVersions.summarize(inListOrder(held), 'prod-eu', versions, serving);
  return new Map(
    [...serving].map(([k, status]) => [
      k,
      JSON.stringify([versions.get(k), status]),
    ]),
  );
}

describe('HeldServingObjects', () => {
  const object = (namespace: string, rv?: string): KubeObject => ({
    metadata: {
      name: 'recsys-ranker',
      namespace,
      ...(rv ? { resourceVersion: rv } : {}),
    },
  });

  it('finds what a holder keeps at the same version, until the holder is removed', () => {
    const held = new HeldServingObjects();
    const kept = object('ml-dev', '5');
    const remove = held.add('prod-eu', id =>
      id === 'ml-dev/recsys-ranker' ? kept : undefined,
    );
    expect(held.find('prod-eu', object('ml-dev', '5'))).toBe(kept);
    // another version, another object, another cluster, no version
    expect(held.find('prod-eu', object('ml-dev', '6'))).toBeUndefined();
    expect(held.find('prod-eu', object('ml-staging', '5'))).toBeUndefined();
    expect(held.find('prod-us', object('ml-dev', '5'))).toBeUndefined();
    expect(held.find('prod-eu', object('ml-dev'))).toBeUndefined();
    remove();
    expect(held.find('prod-eu', object('ml-dev', '5'))).toBeUndefined();
  });
});
