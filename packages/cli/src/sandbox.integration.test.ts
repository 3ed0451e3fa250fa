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

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox, startSandbox } from 'sandbox';
import { spawnBin } from './__testUtils__/spawnBin';

/*
 * Integration: starts the sandbox (Git host + MLflow emulators on free
 * ports), clones seeded config repos over smart HTTP with the plain git CLI
 * and runs the real `ml-gitops` bin against the clones and the sandbox's
 * MLflow registry.
 */

// sandbox seeding takes 5–30 s under load; each bin run a few seconds
jest.setTimeout(180_000);

let sandbox: Sandbox | undefined;
let tmp: string;

function runBin(args: string[]) {
  return spawnBin(args, { env: { HOME: tmp }, timeoutMs: 120_000 });
}

/**
 * Clones one branch of a sandbox config repo; returns the work tree. Async:
 * the sandbox's Git host serves from this same process, so a synchronous
 * child process would deadlock.
 */
async function clone(repo: string, branch: string): Promise<string> {
  const dir = path.join(
    tmp,
    `${repo}-${branch}-${Math.random().toString(36).slice(2, 8)}`,
  );
  await promisify(execFile)(
    'git',
    [
      'clone',
      '-q',
      '--branch',
      branch,
      `${sandbox!.urls.git}/acme/${repo}.git`,
      dir,
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: tmp,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
      },
      timeout: 60_000,
    },
  );
  return dir;
}

const validate = (dir: string, ...args: string[]) =>
  runBin(['validate', dir, '--registry-url', sandbox!.urls.mlflow, ...args]);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-cli-sandbox-'));
  sandbox = await startSandbox({
    ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
    dataDir: path.join(tmp, 'sandbox-data'),
    webhookUrl: 'http://127.0.0.1:9/unused',
    reconcileIntervalSeconds: 3600,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  if (tmp) {
    rmSync(tmp, { recursive: true, force: true });
  }
}, 60_000);

describe('ml-gitops validate against the sandbox', () => {
  it('passes fraud-detector dev (version 13) with exit 0', async () => {
    const dir = await clone('fraud-detector-config', 'dev');
    const { code, stdout, stderr } = await validate(dir);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /PASS\s+Model version in the registry\s+fraud-detector version 13 is READY/,
    );
    expect(stdout).toMatch(/PASS\s+Performance gate/);
    expect(stdout).toContain('Result: PASSED (exit 0)');
  });

  it('fails churn-predictor dev (version 8) on its auc gate with exit 1', async () => {
    const dir = await clone('churn-predictor-config', 'dev');
    const { code, stdout } = await validate(dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /FAIL\s+Performance gate[\s\S]*auc 0\.831 is below the minimum 0\.85/,
    );
  });

  it('fails a version the registry does not have with a not-found message', async () => {
    const dir = await clone('fraud-detector-config', 'dev');
    const manifest = path.join(dir, 'deploy/model.yaml');
    const text = readFileSync(manifest, 'utf8');
    expect(text).toMatch(/^model_version: "13"/m);
    writeFileSync(
      manifest,
      text.replace(/^model_version: "13"/m, 'model_version: "999"'),
    );
    const { code, stdout } = await validate(dir);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `fraud-detector version 999 does not exist in the registry at ${
        sandbox!.urls.mlflow
      }`,
    );
  });

  it('prints parseable JSON with --format json', async () => {
    const pass = await validate(
      await clone('fraud-detector-config', 'dev'),
      '--format',
      'json',
    );
    expect(pass.code).toBe(0);
    expect(JSON.parse(pass.stdout)).toMatchObject({
      version: 1,
      result: 'passed',
      exitCode: 0,
    });

    const fail = await validate(
      await clone('churn-predictor-config', 'dev'),
      '--format',
      'json',
    );
    expect(fail.code).toBe(1);
    const report = JSON.parse(fail.stdout);
    expect(report).toMatchObject({ version: 1, result: 'failed', exitCode: 1 });
    expect(JSON.stringify(report)).toContain(
      'auc 0.831 is below the minimum 0.85',
    );
  });
});
