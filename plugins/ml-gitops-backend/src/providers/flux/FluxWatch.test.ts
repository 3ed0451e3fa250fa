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
import { LiveObservationChanges } from '@ml-gitops/plugin-ml-gitops-node';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { eventually, TestEventStream } from '../../__testUtils__/eventStreams';
import { KubernetesClusterClient } from '../kubernetes/KubernetesClusters';
import { FluxSource } from './FluxSource';

const KUBE = 'https://prod-eu.example.com';
const SHA = '9f2c1e4b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const NEW = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const GROUPS = {
  kustomizations: 'kustomize.toolkit.fluxcd.io',
  helmreleases: 'helm.toolkit.fluxcd.io',
} as const;
type Plural = keyof typeof GROUPS;

/** A Kustomization as kustomize-controller v1 reports it (docs/spec/v1/kustomizations.md). */
function kustomization(
  name: string,
  environment: string,
  resourceVersion: string,
  ready: { status: 'True' | 'False' | 'Unknown'; revision: string },
) {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name,
      namespace: 'flux-system',
      resourceVersion,
      labels: {
        'ml-gitops/model': 'recsys-ranker',
        'ml-gitops/environment': environment,
      },
    },
    spec: {
      interval: '5m',
      path: './deploy',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: `${name}-repo` },
    },
    status: {
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: ready.status,
          reason:
            ready.status === 'True'
              ? 'ReconciliationSucceeded'
              : 'ReconciliationFailed',
          message:
            ready.status === 'True'
              ? `Applied revision: ${environment}@sha1:${ready.revision}`
              : 'kustomize build failed: accumulating resources',
          lastTransitionTime: '2026-11-20T10:00:00Z',
        },
      ],
      lastAppliedRevision: `${environment}@sha1:${ready.revision}`,
    },
  };
}

/** A HelmRelease v2 carrying the same labels (helm-controller docs/spec/v2/helmreleases.md). */
function helmRelease(
  name: string,
  environment: string,
  resourceVersion: string,
) {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: {
      name,
      namespace: 'ml-serving',
      resourceVersion,
      labels: {
        'ml-gitops/model': 'recsys-ranker',
        'ml-gitops/environment': environment,
      },
    },
    spec: {
      interval: '10m',
      chart: {
        spec: {
          chart: './deploy/chart',
          sourceRef: { kind: 'GitRepository', name: `${name}-repo` },
        },
      },
    },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'UpgradeSucceeded',
          message: 'Helm upgrade succeeded',
          lastTransitionTime: '2026-11-20T10:00:00Z',
        },
      ],
    },
  };
}

const line = (type: string, object: unknown) =>
  `${JSON.stringify({ type, object })}\n`;

describe('FluxSource.watch', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  /** What the API server lists, and the watches open on it. */
  const state: {
    lists: Record<Plural, unknown[]>;
    watches: Array<{ plural: Plural; stream: TestEventStream; rv: string }>;
  } = { lists: { kustomizations: [], helmreleases: [] }, watches: [] };
  beforeEach(() => {
    state.watches = [];
    state.lists = { kustomizations: [], helmreleases: [] };
    for (const [plural, group] of Object.entries(GROUPS) as Array<
      [Plural, string]
    >) {
      const version = plural === 'kustomizations' ? 'v1' : 'v2';
      server.use(
        http.get(`${KUBE}/apis/${group}`, () =>
          HttpResponse.json({
            kind: 'APIGroup',
            apiVersion: 'v1',
            name: group,
            versions: [{ groupVersion: `${group}/${version}`, version }],
            preferredVersion: { groupVersion: `${group}/${version}`, version },
          }),
        ),
        http.get(
          `${KUBE}/apis/${group}/${version}/${plural}`,
          ({ request }) => {
            const query = new URL(request.url).searchParams;
            if (query.get('watch') !== '1') {
              return HttpResponse.json({
                kind:
                  plural === 'kustomizations'
                    ? 'KustomizationList'
                    : 'HelmReleaseList',
                apiVersion: `${group}/${version}`,
                metadata: { resourceVersion: '500' },
                items: state.lists[plural],
              });
            }
            const stream = new TestEventStream(
              request,
              'application/json;stream=watch',
            );
            state.watches.push({
              plural,
              stream,
              rv: query.get('resourceVersion')!,
            });
            return stream.response;
          },
        ),
      );
    }
  });

  const watching = () => {
    const source = new FluxSource(
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        token: 'sa-token',
        skipTLSVerify: false,
      }),
      mockServices.logger.mock(),
      Date.now,
      { backoff: { initialMs: 5, maxMs: 20 } },
    );
    const changes: LiveObservationChanges[] = [];
    const controller = new AbortController();
    source.watch(c => changes.push(c), controller.signal);
    return { source, changes, controller };
  };
  const watchOf = (plural: Plural) =>
    [...state.watches].reverse().find(w => w.plural === plural)!;

  it('reports the whole set once both kinds are listed, as the poll lists it', async () => {
    state.lists.kustomizations = [
      kustomization('recsys-production', 'production', '480', {
        status: 'True',
        revision: SHA,
      }),
    ];
    // The HelmRelease the Kustomization applies carries the same labels: the
    // Kustomization speaks for the environment, as in the poll.
    state.lists.helmreleases = [
      helmRelease('recsys-production', 'production', '481'),
      helmRelease('recsys-dev', 'dev', '482'),
    ];
    const { source, changes, controller } = watching();
    await eventually(() => state.watches.length === 2, 'both watches');
    expect(changes).toHaveLength(1);
    expect(changes[0].complete).toBe(true);
    expect(changes[0].removed).toEqual([]);
    expect(changes[0].observations).toEqual(await source.listObservations());
    expect(changes[0].observations.map(o => o.application)).toEqual([
      'flux-system/recsys-production',
      'ml-serving/recsys-dev',
    ]);
    controller.abort();
  });

  it('reports a changed object, and an environment no object carries any more as removed', async () => {
    state.lists.kustomizations = [
      kustomization('recsys-production', 'production', '480', {
        status: 'True',
        revision: SHA,
      }),
    ];
    state.lists.helmreleases = [helmRelease('recsys-dev', 'dev', '482')];
    const { changes, controller } = watching();
    await eventually(() => state.watches.length === 2, 'both watches');
    expect(state.watches.map(w => w.rv)).toEqual(['500', '500']);

    // Flux applied a new commit.
    watchOf('kustomizations').stream.write(
      line(
        'MODIFIED',
        kustomization('recsys-production', 'production', '510', {
          status: 'True',
          revision: NEW,
        }),
      ),
    );
    await eventually(() => changes.length === 2, 'the change');
    expect(changes[1]).toEqual({
      observations: [
        expect.objectContaining({
          model: 'recsys-ranker',
          environment: 'production',
          application: 'flux-system/recsys-production',
          syncStatus: 'Ready',
          revision: NEW,
        }),
      ],
      removed: [],
      complete: false,
    });

    // A status write that changes nothing the observation says is not reported.
    watchOf('kustomizations').stream.write(
      line(
        'MODIFIED',
        kustomization('recsys-production', 'production', '511', {
          status: 'True',
          revision: NEW,
        }),
      ),
    );
    watchOf('helmreleases').stream.write(
      line('DELETED', helmRelease('recsys-dev', 'dev', '512')),
    );
    await eventually(() => changes.length === 3, 'the deletion');
    expect(changes[2]).toEqual({
      observations: [],
      removed: [
        {
          model: 'recsys-ranker',
          environment: 'dev',
          application: 'ml-serving/recsys-dev',
        },
      ],
      complete: false,
    });
    controller.abort();
  });

  it('a Kustomization deleted next to a HelmRelease of the same environment hands it over', async () => {
    state.lists.kustomizations = [
      kustomization('recsys-production', 'production', '480', {
        status: 'False',
        revision: SHA,
      }),
    ];
    state.lists.helmreleases = [
      helmRelease('recsys-production', 'production', '481'),
    ];
    const { changes, controller } = watching();
    await eventually(() => state.watches.length === 2, 'both watches');
    watchOf('kustomizations').stream.write(
      line(
        'DELETED',
        kustomization('recsys-production', 'production', '520', {
          status: 'False',
          revision: SHA,
        }),
      ),
    );
    await eventually(() => changes.length === 2, 'the hand-over');
    expect(changes[1].removed).toEqual([]);
    expect(changes[1].observations).toEqual([
      expect.objectContaining({
        environment: 'production',
        application: 'ml-serving/recsys-production',
        syncStatus: 'Ready',
      }),
    ]);
    controller.abort();
  });
});
