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
import { eventually, TestEventStream } from '../__testUtils__/eventStreams';
import { servingApi } from '../__testUtils__/servingApi';
import { inferenceService } from '../providers/canary/__testUtils__/fixtures';
import { KubernetesClusterClient } from '../providers/kubernetes/KubernetesClusters';
import { ServingChanges } from '../providers/kubernetes/ServingWatch';
import { FleetWatches } from './FleetWatches';

/*
 * The InferenceService watches follow the clusters of the moment: a cluster
 * the Kubernetes plugin starts listing is watched too. List and watch
 * answers as kubernetes.io "API concepts" describes them.
 */

const CLUSTERS = {
  'prod-eu': 'https://prod-eu.example.com',
  'prod-us': 'https://prod-us.example.com',
};

describe('FleetWatches', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  it('watches the InferenceServices of a cluster that appears, and stops with its signal', async () => {
    const watches: Array<{ cluster: string; stream: TestEventStream }> = [];
    for (const [cluster, url] of Object.entries(CLUSTERS)) {
      server.use(
        ...servingApi(url, {
          listed: () => [inferenceService({ environment: 'staging' })],
          resourceVersion: '10',
          watched: stream => watches.push({ cluster, stream }),
        }),
      );
    }
    const client = (name: keyof typeof CLUSTERS) =>
      KubernetesClusterClient.create({
        name,
        url: CLUSTERS[name],
        token: 'sa-token',
        skipTLSVerify: false,
      });
    const clusters = {
      clients: [client('prod-eu')],
      listOnce: async () => undefined,
    };
    const reported: ServingChanges[] = [];
    const watchesOfFleet = new FleetWatches({
      logger: mockServices.logger.mock(),
      sources: [],
      clusters,
      fleet: {
        sourceChanged: () => undefined,
        servingChanged: changes => reported.push(changes),
        settleWatched: async () => undefined,
        prepareWatches: async () => undefined,
      },
      watchOptions: { backoff: { initialMs: 5, maxMs: 20 } },
    });
    const task = new AbortController();
    const held = watchesOfFleet.hold(task.signal);
    await eventually(() => watches.length === 1, 'the first watch');
    expect(watchesOfFleet.watching).toBe(true);
    // The list is judged in turns (shared with the rest of the fleet's
    // work), so its report may come after the watch opened.
    await eventually(() => reported.length > 0, 'the first report');
    expect(reported.map(r => r.cluster)).toEqual(['prod-eu']);

    // The same clusters: nothing restarts.
    watchesOfFleet.clustersChanged();
    expect(watches[0].stream.closed).toBe(false);

    // The Kubernetes plugin lists a second cluster.
    clusters.clients.push(client('prod-us'));
    watchesOfFleet.clustersChanged();
    await eventually(() => watches.length === 3, 'the watches of both');
    expect(watches[0].stream.closed).toBe(true);
    expect(
      watches
        .slice(1)
        .map(w => w.cluster)
        .sort(),
    ).toEqual(['prod-eu', 'prod-us']);

    // The task's run ends (its timeout, a shutdown): every watch closes.
    task.abort();
    await expect(held).resolves.toBeUndefined();
    expect(watchesOfFleet.watching).toBe(false);
    await eventually(
      () => watches.every(w => w.stream.closed),
      'the watches to close',
    );
  });

  it('does not start once stopped', async () => {
    const sourceWatch = jest.fn();
    const watchesOfFleet = new FleetWatches({
      logger: mockServices.logger.mock(),
      sources: [
        {
          kind: 'argocd',
          instance: 'main',
          listObservations: async () => [],
          watch: sourceWatch,
        },
      ],
      clusters: { clients: [], listOnce: async () => undefined },
      fleet: {
        sourceChanged: () => undefined,
        servingChanged: () => undefined,
        settleWatched: async () => undefined,
        prepareWatches: async () => undefined,
      },
    });
    await watchesOfFleet.stop();
    await watchesOfFleet.hold(new AbortController().signal);
    expect(sourceWatch).not.toHaveBeenCalled();
  });
});
