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
import { setupServer } from 'msw/node';
import { createRegistryClient } from '../createRegistryClient';
import { mlflowRegistryVersion } from './MlflowRegistryClient';

/*
 * The MLflow adapter of ModelRegistryClient. Payloads as MLflow's REST API
 * 2.0 sends them (mlflow/protos/model_registry.proto and service.proto:
 * GetModelVersion, GetRun; RESOURCE_DOES_NOT_EXIST for a missing run).
 */

const BASE = 'https://mlflow.example.com';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('MlflowRegistryClient', () => {
  it('keeps the words of modelVersionBlockers, with what force may override', () => {
    const v = mlflowRegistryVersion({
      name: 'fraud-detector',
      version: '12',
      status: 'PENDING_REGISTRATION',
      stage: 'Archived',
      aliases: ['champion'],
      tags: { validation_status: 'rejected' },
    });
    expect(v.blockers.map(b => [b.kind, b.forceable])).toEqual([
      ['pending', false],
      ['archived', true],
      ['rejected', false],
    ]);
    expect(v).toMatchObject({
      ready: false,
      aliases: ['champion'],
      supportsAliases: true,
      rejection: {},
    });
  });

  it("reads the gate's metrics from the version's run, or says why there are none", async () => {
    server.use(
      http.get(`${BASE}/api/2.0/mlflow/runs/get`, ({ request }) =>
        new URL(request.url).searchParams.get('run_id') === 'r1'
          ? HttpResponse.json({
              run: {
                info: { run_id: 'r1', run_uuid: 'r1' },
                data: {
                  metrics: [{ key: 'auc', value: 0.95, timestamp: 1, step: 0 }],
                },
              },
            })
          : HttpResponse.json(
              {
                error_code: 'RESOURCE_DOES_NOT_EXIST',
                message: 'Run with id=r2 not found',
              },
              { status: 404 },
            ),
      ),
    );
    const client = createRegistryClient({ type: 'mlflow', baseUrl: BASE });
    const of = (runId?: string) =>
      mlflowRegistryVersion({
        name: 'fraud-detector',
        version: '12',
        status: 'READY',
        aliases: [],
        tags: {},
        ...(runId ? { runId } : {}),
      });
    await expect(client.getMetrics(of('r1'))).resolves.toEqual({
      ok: true,
      metrics: { auc: 0.95 },
      source: { kind: 'run', runId: 'r1' },
    });
    await expect(client.getMetrics(of('r2'))).resolves.toMatchObject({
      ok: false,
      summary: 'run r2 not found',
    });
    await expect(client.getMetrics(of())).resolves.toMatchObject({
      ok: false,
      summary: 'the version has no run, so its metrics are unknown',
    });
  });
});
