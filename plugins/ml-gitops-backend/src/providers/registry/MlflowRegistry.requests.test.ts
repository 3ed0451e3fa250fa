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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MlflowClient } from '@ml-gitops/plugin-ml-gitops-common';
import {
  mlflowContractProblems,
  mlflowRequestProblems,
} from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { MlflowRegistry } from './MlflowRegistry';

/*
 * MLflow requests counted over poll cycles, against a small registry kept in
 * memory that answers as MLflow's REST API 2.0 does (model_registry.proto:
 * GetModelVersion, SetModelVersionTag; service.proto: GetRun, RunStatus);
 * every answer and every write's body is checked against the slice of that
 * contract in -common's testUtils (mlflowRestContract.json).
 */

const MLFLOW = 'https://mlflow.example.com';
const API = `${MLFLOW}/api/2.0/mlflow`;
const CYCLE_MS = 30_000;
const RECHECK_MS = 5 * 60_000;

type FakeVersion = {
  status: string;
  runId: string;
  aliases: string[];
  tags: Record<string, string>;
};

function fakeMlflow(models: number) {
  const versions = new Map<string, FakeVersion>();
  const runs = new Map<string, { status: string; auc: number }>();
  for (let i = 0; i < models; i++) {
    versions.set(`model-${i}\u00003`, {
      status: 'READY',
      runId: `run${i}`,
      aliases: i === 0 ? ['champion'] : [],
      tags: {},
    });
    runs.set(`run${i}`, { status: 'FINISHED', auc: 0.9 + i / 1e4 });
  }
  const requests: string[] = [];
  const problems: string[] = [];
  const answer = (endpoint: string, body: object, status = 200) => {
    problems.push(...mlflowContractProblems(endpoint, body, status));
    return HttpResponse.json(body, { status });
  };
  const handlers = [
    http.get(`${API}/model-versions/get`, ({ request }) => {
      const url = new URL(request.url);
      const name = url.searchParams.get('name')!;
      const version = url.searchParams.get('version')!;
      requests.push(`model-versions/get ${name} ${version}`);
      const v = versions.get(`${name}\u0000${version}`);
      if (!v) {
        return answer(
          'GET model-versions/get',
          {
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message: `Model Version (name=${name}, version=${version}) not found`,
          },
          404,
        );
      }
      const tags = Object.entries(v.tags).map(([key, value]) => ({
        key,
        value,
      }));
      return answer('GET model-versions/get', {
        model_version: {
          name,
          version,
          creation_timestamp: 1764979200000,
          last_updated_timestamp: 1764979200000,
          current_stage: 'None',
          source: `mlflow-artifacts:/1/${v.runId}/artifacts/model`,
          run_id: v.runId,
          status: v.status,
          ...(tags.length ? { tags } : {}),
          ...(v.aliases.length ? { aliases: v.aliases } : {}),
        },
      });
    }),
    http.get(`${API}/runs/get`, ({ request }) => {
      const runId = new URL(request.url).searchParams.get('run_id')!;
      requests.push(`runs/get ${runId}`);
      const run = runs.get(runId)!;
      return answer('GET runs/get', {
        run: {
          info: {
            run_id: runId,
            run_uuid: runId,
            experiment_id: '1',
            status: run.status,
            start_time: 1764979100000,
            lifecycle_stage: 'active',
            artifact_uri: `mlflow-artifacts:/1/${runId}/artifacts`,
          },
          data: {
            metrics: [
              { key: 'auc', value: run.auc, timestamp: 1764979150000, step: 0 },
            ],
          },
        },
      });
    }),
    http.post(`${API}/model-versions/set-tag`, async ({ request }) => {
      const body = (await request.json()) as Record<string, string>;
      problems.push(
        ...mlflowRequestProblems('POST model-versions/set-tag', body),
      );
      requests.push(`model-versions/set-tag ${body.name} ${body.version}`);
      versions.get(`${body.name}\u0000${body.version}`)!.tags[body.key] =
        body.value;
      return answer('POST model-versions/set-tag', {});
    }),
  ];
  return { versions, runs, requests, problems, handlers };
}

describe('MlflowRegistry requests per poll cycle', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  /** A registry on a clock the test moves, with evenly spread phases. */
  function setup(models: number) {
    const fake = fakeMlflow(models);
    server.use(...fake.handlers);
    let now = Date.parse('2026-12-06T12:00:00Z');
    let n = 0;
    const registry = MlflowRegistry.fromConfig(
      { name: 'mlflow-default', type: 'mlflow', url: MLFLOW },
      {
        now: () => now,
        recheckAfterMs: RECHECK_MS,
        random: () => (n++ % models) / models,
      },
    );
    /** One poll cycle: every model's declared version, then 30 s pass. */
    const cycle = async () => {
      fake.requests.length = 0;
      const facts = await Promise.all(
        Array.from({ length: models }, (_, i) =>
          registry.getVersion(`model-${i}`, '3'),
        ),
      );
      now += CYCLE_MS;
      return { facts, requests: [...fake.requests] };
    };
    return {
      fake,
      registry,
      cycle,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('reads a finished run once and each version once per recheck period, the same number every cycle', async () => {
    const models = 100;
    const { fake, cycle } = setup(models);
    const cold = await cycle();
    expect(cold.requests).toHaveLength(2 * models);
    expect(cold.facts[7]).toMatchObject({
      exists: true,
      status: 'READY',
      metrics: { auc: 0.9 + 7 / 1e4 },
    });

    // Ten cycles = one recheck period: every version read once more, no run.
    const perCycle: number[] = [];
    const read: string[] = [];
    for (let i = 0; i < RECHECK_MS / CYCLE_MS; i++) {
      const { requests } = await cycle();
      perCycle.push(requests.length);
      read.push(...requests);
    }
    expect(read.filter(r => r.startsWith('runs/get'))).toEqual([]);
    expect(new Set(read).size).toBe(models);
    expect(read).toHaveLength(models);
    // Spread: models × cycle ÷ recheckAfter = 10 a cycle.
    expect(Math.max(...perCycle)).toBeLessThanOrEqual(11);

    // Another period with nothing changed: the same count, not more.
    const again: number[] = [];
    for (let i = 0; i < RECHECK_MS / CYCLE_MS; i++) {
      again.push((await cycle()).requests.length);
    }
    expect(again.reduce((a, b) => a + b, 0)).toBe(models);
    expect(Math.max(...again)).toBeLessThanOrEqual(11);
    expect(fake.problems).toEqual([]);
  });

  it('keeps each version at its phase after everything was read at once (an outage, a clock jump)', async () => {
    const models = 60;
    const { fake, cycle, advance } = setup(models);
    await cycle();
    advance(2 * RECHECK_MS);
    const all = await cycle();
    expect(all.requests).toHaveLength(models);
    const perCycle: number[] = [];
    for (let i = 0; i < RECHECK_MS / CYCLE_MS; i++) {
      perCycle.push((await cycle()).requests.length);
    }
    expect(perCycle.reduce((a, b) => a + b, 0)).toBe(models);
    expect(Math.max(...perCycle)).toBeLessThanOrEqual(
      Math.ceil((models * CYCLE_MS) / RECHECK_MS) + 1,
    );
    expect(fake.problems).toEqual([]);
  });

  it('shows a rejection set through the actions within the recheck period', async () => {
    const models = 20;
    const { fake, cycle } = setup(models);
    await cycle();
    // What the rollback action does (MlflowClient.rejectModelVersion).
    await MlflowClient.create({
      baseUrl: MLFLOW,
      fetch: (...args) => globalThis.fetch(...args),
    }).rejectModelVersion('model-13', '3', {
      reason: 'latency regression',
      by: 'user:default/alice',
      at: '2026-12-06T12:00:10Z',
    });
    let cycles = 0;
    let rejected;
    while (!rejected && cycles < RECHECK_MS / CYCLE_MS) {
      rejected = (await cycle()).facts[13].rejected;
      cycles += 1;
    }
    expect(rejected).toEqual({
      reason: 'latency regression',
      by: 'user:default/alice',
      at: '2026-12-06T12:00:10Z',
    });
    // An alias moved is seen the same way, and the run is not read again.
    fake.versions.get('model-0\u00003')!.aliases = [];
    fake.versions.get('model-5\u00003')!.aliases = ['champion'];
    const seen: string[] = [];
    let aliases: string[][] = [];
    for (let i = 0; i < RECHECK_MS / CYCLE_MS; i++) {
      const { facts, requests } = await cycle();
      seen.push(...requests);
      aliases = [facts[0].aliases, facts[5].aliases];
    }
    expect(aliases).toEqual([[], ['champion']]);
    expect(seen.filter(r => r.startsWith('runs/get'))).toEqual([]);
    expect(fake.problems).toEqual([]);
  });

  it('reads the metrics of a run still running again with its version, and a finished one never', async () => {
    const { fake, cycle, advance } = setup(1);
    fake.runs.get('run0')!.status = 'RUNNING';
    expect((await cycle()).facts[0].metrics).toEqual({ auc: 0.9 });
    fake.runs.get('run0')!.auc = 0.95;
    advance(RECHECK_MS);
    const recheck = await cycle();
    expect(recheck.requests).toEqual([
      'model-versions/get model-0 3',
      'runs/get run0',
    ]);
    expect(recheck.facts[0].metrics).toEqual({ auc: 0.95 });

    fake.runs.get('run0')!.status = 'FINISHED';
    advance(RECHECK_MS);
    await cycle();
    advance(RECHECK_MS);
    expect((await cycle()).requests).toEqual(['model-versions/get model-0 3']);
  });

  it('shares one read between the environments that declare one version', async () => {
    const { fake, registry } = setup(1);
    await Promise.all([
      registry.getVersion('model-0', '3'),
      registry.getVersion('model-0', '3'),
      registry.getVersion('model-0', '3'),
    ]);
    expect(fake.requests).toEqual([
      'model-versions/get model-0 3',
      'runs/get run0',
    ]);
  });
});
