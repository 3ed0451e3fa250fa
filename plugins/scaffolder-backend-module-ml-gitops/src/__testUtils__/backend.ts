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

import { mockServices } from '@backstage/backend-test-utils';
import { DiscoveryService } from '@backstage/backend-plugin-api';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { http, HttpResponse } from 'msw';

export const BACKEND_URL = 'http://backend.test/api/ml-gitops';

export const discovery: DiscoveryService = {
  getBaseUrl: async () => BACKEND_URL,
  getExternalBaseUrl: async () => BACKEND_URL,
};

export const auth = mockServices.auth();

export function environmentStatus(
  name: string,
  version: string,
  overrides: {
    drift?: EnvironmentStatus['drift']['state'];
    health?: string;
    canary?: EnvironmentStatus['canary'];
  } = {},
): EnvironmentStatus {
  return {
    name,
    declared: {
      version,
      commit: 'abc1234',
      author: 'alice',
      committedAt: '2026-11-27T10:00:00.000Z',
    },
    live: {
      version,
      revision: 'abc1234',
      source: 'argocd',
      instance: 'main',
      application: `fraud-detector-${name}`,
      syncStatus: 'Synced',
      healthStatus: overrides.health ?? 'Healthy',
      observedAt: '2026-11-28T03:00:00.000Z',
    },
    registry: null,
    drift: { state: overrides.drift ?? 'in-sync' },
    ...(overrides.canary !== undefined ? { canary: overrides.canary } : {}),
  };
}

/** The ml-gitops backend's deployments endpoint answering with these statuses. */
export function fakeBackend(environments: EnvironmentStatus[] | number) {
  const requests: Request[] = [];
  const handler = http.get(`${BACKEND_URL}/v1/deployments`, ({ request }) => {
    requests.push(request);
    if (typeof environments === 'number') {
      return HttpResponse.json(
        { error: { name: 'ServiceUnavailableError', message: 'down' } },
        { status: environments },
      );
    }
    return HttpResponse.json({
      entityRef: new URL(request.url).searchParams.get('entityRef'),
      model: 'fraud-detector',
      environments,
    });
  });
  return { handler, requests };
}
