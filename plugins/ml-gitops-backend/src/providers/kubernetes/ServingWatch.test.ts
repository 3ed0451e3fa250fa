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
import {
  apiGroup,
  inferenceService,
  KUBE,
  kubeList,
} from '../canary/__testUtils__/fixtures';
import { eventually, TestEventStream } from '../../__testUtils__/eventStreams';
import { KubernetesClusterClient } from './KubernetesClusters';
import { ServingChanges, watchServing } from './ServingWatch';
import { ServingVersions } from './ServingVersions';

const line = (type: string, object: unknown) =>
  `${JSON.stringify({ type, object })}\n`;

/** An InferenceService at a resource version, as the API server holds it. */
function at(object: ReturnType<typeof inferenceService>, rv: string) {
  return { ...object, metadata: { ...object.metadata, resourceVersion: rv } };
}

describe('watchServing', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  it('reports what the poll would read, and the model environments that changed', async () => {
    const watches: Array<{ query: URLSearchParams; stream: TestEventStream }> =
      [];
    const staging = inferenceService({ environment: 'staging', version: '5' });
    const production = inferenceService({
      environment: 'production',
      version: '4',
    });
    server.use(
      http.get(`${KUBE}/apis/serving.kserve.io`, () =>
        HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
      ),
      http.get(
        `${KUBE}/apis/serving.kserve.io/v1beta1/inferenceservices`,
        ({ request }) => {
          const query = new URL(request.url).searchParams;
          expect(query.get('labelSelector')).toBe(
            'ml-gitops/model,ml-gitops/model-version',
          );
          if (query.get('watch') !== '1') {
            return HttpResponse.json({
              ...kubeList('InferenceServiceList', 'serving.kserve.io/v1beta1', [
                at(staging, '700'),
                at(production, '701'),
              ]),
              metadata: { resourceVersion: '710' },
            });
          }
          const stream = new TestEventStream(
            request,
            'application/json;stream=watch',
          );
          watches.push({ query, stream });
          return stream.response;
        },
      ),
    );
    const client = KubernetesClusterClient.create({
      name: 'prod-eu',
      url: KUBE,
      token: 'sa-token',
      skipTLSVerify: false,
    });
    const changes: ServingChanges[] = [];
    const controller = new AbortController();
    watchServing({
      clients: [client],
      onChange: c => changes.push(c),
      signal: controller.signal,
      logger: mockServices.logger.mock(),
      options: { backoff: { initialMs: 5, maxMs: 20 } },
    });
    await eventually(() => watches.length === 1, 'the watch');
    expect(watches[0].query.get('resourceVersion')).toBe('710');

    const polled = await new ServingVersions([client]).read();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toEqual({
      cluster: 'prod-eu',
      inferenceServices: [at(staging, '700'), at(production, '701')],
      versions: polled.versions,
      serving: polled.serving,
      changed: [
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
});
