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

import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  cleanupTmpDirs,
  git,
  gitInit,
  makeRepo,
  MANIFEST,
  mlflowVersion,
  STACK_TRACE,
  writeFiles,
} from './__testUtils__/helpers';
import { spawnBin } from './__testUtils__/spawnBin';

/*
 * End to end: spawns the real `ml-gitops` bin (TypeScript sources through
 * the Backstage node transform) against repositories on disk and a small
 * MLflow REST server on a local port.
 */

jest.setTimeout(60_000);

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnBin(args, {
    env: { HOME: process.env.HOME, ...env },
    timeoutMs: 50_000,
  });
}

let server: Server;
let url: string;
const metrics: Record<string, number> = { auc: 0.95, latency_p95_ms: 31 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/api/2.0/mlflow/model-versions/get') {
      return u.searchParams.get('version') === '13'
        ? send(200, { model_version: mlflowVersion('13') })
        : send(404, {
            error_code: 'RESOURCE_DOES_NOT_EXIST',
            message: 'not found',
          });
    }
    if (u.pathname === '/api/2.0/mlflow/registered-models/get') {
      return send(200, {
        registered_model: {
          name: 'fraud-detector',
          latest_versions: [mlflowVersion('13')],
        },
      });
    }
    if (u.pathname === '/api/2.0/mlflow/runs/get') {
      return send(200, {
        run: {
          info: { run_id: 'run-13' },
          data: {
            metrics: Object.entries(metrics).map(([key, value]) => ({
              key,
              value,
              timestamp: 1,
              step: 0,
            })),
          },
        },
      });
    }
    return send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'no' });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
});
afterEach(cleanupTmpDirs);

describe('the ml-gitops bin', () => {
  it('passes a good repo against a live registry (exit 0)', async () => {
    const { code, stdout, stderr } = await run([
      'validate',
      makeRepo(),
      '--registry-url',
      url,
    ]);
    expect(stderr).toBe('');
    expect(stdout).toContain('Result: PASSED (exit 0)');
    expect(code).toBe(0);
  });

  it('fails a gate (exit 1) and annotates it for GitHub', async () => {
    metrics.auc = 0.5;
    try {
      const { code, stdout } = await run(
        ['validate', makeRepo(), '--format', 'github'],
        {
          ML_GITOPS_REGISTRY_URL: url,
        },
      );
      expect(code).toBe(1);
      expect(stdout).toContain(
        '::error file=deploy/model.yaml,line=8,col=5,title=ml-gitops validate%3A Performance gate::auc 0.5 is below the minimum 0.92',
      );
    } finally {
      metrics.auc = 0.95;
    }
  });

  it('fails an unknown version (exit 1)', async () => {
    const root = makeRepo({
      'deploy/model.yaml': MANIFEST.replace('"13"', '"14"'),
    });
    const { code, stdout } = await run([
      'validate',
      root,
      '--registry-url',
      url,
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('fraud-detector version 14 does not exist');
  });

  it('reports an unreachable registry as exit 2, never a pass', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise(resolve => closed.close(resolve));
    const { code, stdout } = await run([
      'validate',
      makeRepo(),
      '--registry-url',
      `http://127.0.0.1:${port}`,
    ]);
    expect(code).toBe(2);
    expect(stdout).toContain('is unreachable');
    expect(stdout).toContain('Result: ERROR (exit 2)');
  });

  it('does not pass silently without a registry (exit 2)', async () => {
    const { code, stdout } = await run(['validate', makeRepo()]);
    expect(code).toBe(2);
    expect(stdout).toContain('NOT RUN');
  });

  it('fails hostile manifests without a stack trace', async () => {
    const cases = [
      MANIFEST.replace('"13"', '13'),
      `a: &a [x, x]\nb: &b [*a, *a]\n${MANIFEST}`,
      new Uint8Array([0x1f, 0x8b, 0, 0]),
    ];
    for (const manifest of cases) {
      const root = makeRepo({ 'deploy/model.yaml': manifest });
      const { code, stdout, stderr } = await run([
        'validate',
        root,
        '--skip-registry',
        '--format',
        'json',
      ]);
      expect(code).toBe(1);
      expect(`${stdout}${stderr}`).not.toMatch(STACK_TRACE);
      const report = JSON.parse(stdout);
      expect(report.checks[0]).toMatchObject({
        id: 'manifest',
        status: 'failed',
        findings: expect.arrayContaining([
          expect.objectContaining({
            file: 'deploy/model.yaml',
            line: expect.any(Number),
            fix: expect.any(String),
          }),
        ]),
      });
    }
  });

  it('reports the change against the base branch of a real clone', async () => {
    const root = makeRepo({
      'deploy/model.yaml': MANIFEST.replace('"13"', '"12"'),
    });
    gitInit(root, 'dev');
    git(root, 'checkout', '-q', '-b', 'deploy-13');
    writeFiles(root, { 'deploy/model.yaml': MANIFEST });
    git(root, 'commit', '-q', '-am', 'deploy 13');
    const { code, stdout } = await run([
      'validate',
      root,
      '--registry-url',
      url,
      '--base',
      'dev',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('dev: fraud-detector 12 → 13; 1 file changed');
  });

  it('prints usage for bad arguments (exit 2) and help (exit 0)', async () => {
    const bad = await run(['validate', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Usage: ml-gitops validate');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });
});
