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

import { http, HttpResponse } from 'msw';
import { apiGroup, kubeList } from '../providers/canary/__testUtils__/fixtures';
import { TestEventStream } from './eventStreams';
import { SERVING_SELECTOR } from '../providers/kubernetes/ServingVersions';

/**
 * msw handlers for one cluster's InferenceServices as its API server
 * serves them: the group's discovery (v1beta1), the list of `listed()` at
 * `resourceVersion`, and each watch request as a {@link TestEventStream}
 * handed to `watched` (one JSON `WatchEvent` per line, kubernetes.io "API
 * concepts", Efficient detection of changes).
 */
export function servingApi(
  url: string,
  options: {
    listed: () => unknown[];
    resourceVersion?: string;
    watched?: (stream: TestEventStream, query: URLSearchParams) => void;
  },
) {
  return [
    http.get(`${url}/apis/serving.kserve.io`, () =>
      HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
    ),
    http.get(
      `${url}/apis/serving.kserve.io/v1beta1/inferenceservices`,
      ({ request }) => {
        const query = new URL(request.url).searchParams;
        // What the plugin reads: the labelled objects only.
        if (query.get('labelSelector') !== SERVING_SELECTOR) {
          return HttpResponse.json(
            {
              message: `unexpected labelSelector ${query.get('labelSelector')}`,
            },
            { status: 400 },
          );
        }
        if (query.get('watch') !== '1') {
          return HttpResponse.json({
            ...kubeList(
              'InferenceService',
              'serving.kserve.io/v1beta1',
              options.listed(),
            ),
            metadata: { resourceVersion: options.resourceVersion ?? '1' },
          });
        }
        const stream = new TestEventStream(
          request,
          'application/json;stream=watch',
        );
        options.watched?.(stream, query);
        return stream.response;
      },
    ),
  ];
}
