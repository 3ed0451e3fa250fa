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

import { createRegistryClient } from '@ml-gitops/plugin-ml-gitops-common';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  KUBEFLOW_MODELS,
  Sandbox,
  SANDBOX_CREDENTIALS,
  startSandbox,
} from 'sandbox';
import { makeRepo, cleanupTmpDirs } from './__testUtils__/helpers';
import { spawnBin } from './__testUtils__/spawnBin';

/*
 * Integration: the real `ml-gitops` bin validates versions of the sandbox's
 * Kubeflow Model Registry emulator (seeded demand-forecaster: version 1
 * ARCHIVED below the gate, 2 and 3 LIVE), and the registry client the
 * actions use rejects and un-rejects a version there with the emulator's
 * PATCH of /model_versions/{id}.
 */

jest.setTimeout(180_000);

const MODEL = KUBEFLOW_MODELS.find(m => m.name === 'demand-forecaster')!;
let sandbox: Sandbox | undefined;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-cli-kubeflow-'));
  sandbox = await startSandbox({
    ports: { git: 0, kubeflow: 0, admin: 0 },
    dataDir: path.join(tmp, 'sandbox-data'),
    webhookUrl: 'http://127.0.0.1:9/unused',
    reconcileIntervalSeconds: 3600,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  cleanupTmpDirs();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

function validate(version: string) {
  const root = makeRepo({
    'deploy/model.yaml': `model_name: demand-forecaster
model_version: "${version}"
storage_uri: s3://models/demand-forecaster/${version}
registry: kubeflow-default
serving: { runtime: kserve, replicas: 2 }
gates:
  metrics:
    auc: { min: ${MODEL.gates.auc.min} }
    latency_p95_ms: { max: ${MODEL.gates.latency_p95_ms.max} }
`,
  });
  return spawnBin(
    [
      'validate',
      root,
      '--registry-type',
      'kubeflow',
      '--registry-url',
      sandbox!.urls.kubeflow,
      '--skip-integration',
    ],
    {
      env: {
        HOME: tmp,
        ML_GITOPS_REGISTRY_TOKEN: SANDBOX_CREDENTIALS.kubeflow.token,
      },
      timeoutMs: 120_000,
    },
  );
}

describe('ml-gitops validate against the sandbox Kubeflow Model Registry', () => {
  it('passes a LIVE version with its model artifact and gate', async () => {
    const { code, stdout, stderr } = await validate('3');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /PASS\s+Model version in the registry\s+demand-forecaster version 3 is LIVE; storage_uri is its artifact location/,
    );
    expect(stdout).toMatch(/PASS\s+Performance gate/);
  });

  it('fails the ARCHIVED version 1, and its gate', async () => {
    const { code, stdout } = await validate('1');
    expect(code).toBe(1);
    expect(stdout).toContain(
      'demand-forecaster version 1 is ARCHIVED, not LIVE, in the Kubeflow Model Registry',
    );
    expect(stdout).toContain('auc 0.81 is below the minimum 0.85');
  });

  it('fails a version the registry does not have, listing its versions', async () => {
    const { code, stdout } = await validate('9');
    expect(code).toBe(1);
    expect(stdout).toContain(
      'Register version 9 of demand-forecaster first, or set model_version to an existing version (existing versions, newest first: 3, 2, 1)',
    );
  });

  it('fails a version rejected through the registry client, and passes it once un-rejected', async () => {
    const client = createRegistryClient({
      type: 'kubeflow',
      baseUrl: sandbox!.urls.kubeflow,
      token: SANDBOX_CREDENTIALS.kubeflow.token,
    });
    await client.rejectVersion('demand-forecaster', '2', {
      reason: 'forecast drifts on holidays',
      by: 'user:default/grace',
      at: '2026-12-06T07:00:00Z',
    });
    const rejected = await validate('2');
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toContain(
      'demand-forecaster version 2 is rejected: "forecast drifts on holidays" (by user:default/grace, 2026-12-06T07:00:00Z)',
    );
    // The other custom properties survive the PATCH.
    const facts = await client.getVersion('demand-forecaster', '2');
    expect(facts?.tags.team).toBeDefined();
    expect(facts?.metrics?.auc).toBeGreaterThanOrEqual(0.85);

    await client.unrejectVersion('demand-forecaster', '2');
    expect(
      (await client.getVersion('demand-forecaster', '2'))?.rejection,
    ).toBeUndefined();
    expect((await validate('2')).code).toBe(0);
  });
});
