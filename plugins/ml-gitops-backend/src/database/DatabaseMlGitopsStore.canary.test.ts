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

import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import { DatabaseMlGitopsStore } from './DatabaseMlGitopsStore';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const ids = databases.eachSupportedId();

const ENTITY = 'component:default/churn-predictor';

function status(
  name: string,
  canary: EnvironmentStatus['canary'],
): EnvironmentStatus {
  return {
    name,
    declared: null,
    live: null,
    registry: null,
    drift: { state: 'missing' },
    ...(canary !== undefined ? { canary } : {}),
  };
}

describe('DatabaseMlGitopsStore and canary analyses', () => {
  it.each(ids)(
    'keeps the canary analysis with the status on %p (no migration needed)',
    async databaseId => {
      const knex = await databases.init(databaseId as TestDatabaseId);
      const store = await DatabaseMlGitopsStore.create({
        database: { getClient: async () => knex },
      });
      const statuses = [
        status('dev', {
          kind: 'argo-rollouts',
          name: 'churn-predictor-predictor-6c9d8f7b5-4-1',
          namespace: 'ml-dev',
          cluster: 'main',
          phase: 'failed',
          sourcePhase: 'Error',
          version: '8',
          message:
            'Metric "error-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)',
          startedAt: '2026-11-27T09:00:01.000Z',
          finishedAt: '2026-11-27T09:05:01.000Z',
          metrics: [
            {
              name: 'error-rate',
              phase: 'failed',
              message: 'connection refused',
            },
            { name: 'latency-p95', phase: 'successful', value: '41.5' },
          ],
          observedAt: '2026-11-28T10:00:00.000Z',
        }),
        status('staging', {
          kind: 'kserve',
          name: 'churn-predictor',
          namespace: 'ml-staging',
          cluster: 'main',
          phase: 'running',
          trafficPercent: 25,
          revision: 'churn-predictor-predictor-00006',
          observedAt: '2026-11-28T10:00:00.000Z',
        }),
        status('production', null),
        status('qa', undefined),
      ];
      await store.replaceStatuses(ENTITY, 'churn-predictor', statuses);
      const read = (await store.getStatuses(ENTITY)).map(s => s.status);
      expect(read).toEqual(statuses);
      expect(read[3]).not.toHaveProperty('canary');
    },
  );
});
