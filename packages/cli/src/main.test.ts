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

import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import {
  cleanupTmpDirs,
  git,
  gitInit,
  makeRepo,
  MANIFEST,
  mlflowHandlers,
  mlflowVersion,
  REGISTRY,
  runCli,
  STACK_TRACE,
  writeFiles,
} from './__testUtils__/helpers';
import {
  githubToken,
  privateKeyPem,
  sealedValue,
} from './__testUtils__/secretFixtures';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  cleanupTmpDirs();
});
afterAll(() => server.close());

const GOOD_METRICS = { 'run-13': { auc: 0.95, latency_p95_ms: 31 } };

function registry(
  versions: Record<string, Record<string, unknown>> = {
    '13': mlflowVersion('13'),
  },
  metrics: Record<string, Record<string, number>> = GOOD_METRICS,
) {
  server.use(...mlflowHandlers({ versions, metrics }));
}

const validate = (root: string, ...args: string[]) =>
  runCli(['validate', root, '--registry-url', REGISTRY, ...args]);

describe('ml-gitops validate', () => {
  it('passes a good config repo (exit 0) with a human summary', async () => {
    registry();
    const root = makeRepo({
      'deploy/model.yaml': MANIFEST,
      'secrets/db.sealed.yaml': `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: { name: db }\nspec:\n  encryptedData: { password: ${sealedValue()} }\n`,
      CODEOWNERS: '* @acme/risk\n',
    });
    const { exitCode, stdout, stderr } = await validate(root);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(stdout).toContain(`ml-gitops validate ${root} (deploy/model.yaml)`);
    expect(stdout).toMatch(
      /PASS\s+Manifest schema\s+deploy\/model.yaml: fraud-detector version "13"/,
    );
    expect(stdout).toMatch(
      /PASS\s+Model version in the registry\s+fraud-detector version 13 is READY/,
    );
    expect(stdout).toMatch(
      /PASS\s+Performance gate\s+auc 0.95 is >= 0.92; latency_p95_ms 31 is <= 40/,
    );
    expect(stdout).toMatch(/PASS\s+No plaintext secrets/);
    expect(stdout).toMatch(/SKIP\s+Integration checks/);
    expect(stdout).toContain('Result: PASSED (exit 0)');
  });

  describe('registry', () => {
    it('fails a version that does not exist, at the model_version line, with the latest versions', async () => {
      registry({ '11': mlflowVersion('11'), '12': mlflowVersion('12') });
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        `error: deploy/model.yaml:3:1: fraud-detector version 13 does not exist in the registry at ${REGISTRY}`,
      );
      expect(stdout).toContain(
        'fix: Register version 13 of fraud-detector first, or set model_version to an existing version (existing versions, newest first: 12, 11)',
      );
      expect(stdout).toMatch(
        /SKIP\s+Performance gate\s+not run: the version does not exist/,
      );
    });

    it('lists the existing versions over all pages of model-versions/search', async () => {
      const versions: Record<string, Record<string, unknown>> = {};
      for (let v = 1; v <= 1203; v++) {
        if (v !== 1150) versions[String(v)] = mlflowVersion(String(v));
      }
      const pages: Array<string | null> = [];
      server.use(
        http.get(
          `${REGISTRY}/api/2.0/mlflow/model-versions/search`,
          ({ request }) => {
            pages.push(new URL(request.url).searchParams.get('page_token'));
            return undefined;
          },
        ),
        ...mlflowHandlers({ versions }),
      );
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST.replace('"13"', '"1150"'),
      });
      const { exitCode, stdout } = await validate(root);
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        '(existing versions, newest first: 1203, 1202, 1201, 1200, 1199, 1198, 1197, 1196, 1195, 1194, … 1202 in all)',
      );
      expect(pages).toHaveLength(2);
    });

    describe('storage_uri', () => {
      const S3 = 's3://acme-mlflow/1/run-13/artifacts/model';
      const withStorage = (uri: string) =>
        makeRepo({
          'deploy/model.yaml': MANIFEST.replace(
            'model_version: "13"\n',
            `model_version: "13"\nstorage_uri: ${uri}\n`,
          ),
        });

      it("passes when it is the registry's artifact location of the version", async () => {
        registry({ '13': mlflowVersion('13', { source: S3 }) });
        const { exitCode, stdout } = await validate(withStorage(S3));
        expect(exitCode).toBe(0);
        expect(stdout).toMatch(
          /PASS\s+Model version in the registry\s+fraud-detector version 13 is READY; storage_uri is its artifact location/,
        );
      });

      it('fails another location, naming both', async () => {
        registry({ '13': mlflowVersion('13', { source: S3 }) });
        const { exitCode, stdout } = await validate(
          withStorage('s3://acme-mlflow/1/run-12/artifacts/model'),
        );
        expect(exitCode).toBe(1);
        expect(stdout).toContain(
          `error: deploy/model.yaml:4:1: storage_uri s3://acme-mlflow/1/run-12/artifacts/model is not where the registry keeps fraud-detector version 13: ${S3}`,
        );
        expect(stdout).toContain(
          `fix: Set storage_uri: "${S3}"; the deploy, promote and rollback actions write it together with model_version`,
        );
      });

      it('fails a version whose artifacts KServe cannot read, saying what to configure', async () => {
        registry({
          '13': mlflowVersion('13', {
            source: 'mlflow-artifacts:/1/run-13/artifacts/model',
          }),
        });
        const { exitCode, stdout } = await validate(withStorage(S3));
        expect(exitCode).toBe(1);
        expect(stdout).toContain(
          "storage_uri cannot be checked: fraud-detector version 13: the artifact location mlflow-artifacts:/1/run-13/artifacts/model is served by the MLflow tracking server's artifact proxy, which KServe cannot read",
        );
        expect(stdout).toContain('--no-serve-artifacts');
      });

      it('is an error (exit 2), not a pass, when the download URI cannot be read', async () => {
        registry({ '13': mlflowVersion('13', { source: S3 }) });
        server.use(
          http.get(
            `${REGISTRY}/api/2.0/mlflow/model-versions/get-download-uri`,
            () => HttpResponse.json({}, { status: 503 }),
          ),
        );
        const { exitCode, stdout } = await validate(withStorage(S3));
        expect(exitCode).toBe(2);
        expect(stdout).toMatch(/ERROR\s+Model version in the registry/);
      });
    });

    it('fails a model that is not registered at all', async () => {
      registry({});
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST.replace(
          'fraud-detector\n',
          'fraud-detectr\n',
        ),
      });
      const { exitCode, stdout } = await validate(root);
      expect(exitCode).toBe(1);
      expect(stdout).toContain('No model named fraud-detectr is registered');
    });

    it.each([
      [
        { status: 'PENDING_REGISTRATION' },
        'is PENDING_REGISTRATION, not READY: MLflow is still registering it; wait until it is READY and re-run',
      ],
      [
        { status: 'FAILED_REGISTRATION', status_message: 'upload failed' },
        'is FAILED_REGISTRATION, not READY (upload failed): its registration failed; register the model again and use the new version',
      ],
      [{ current_stage: 'Archived' }, 'is in the Archived stage'],
      [
        { tags: [{ key: 'validation_status', value: 'rejected' }] },
        'is tagged validation_status=rejected',
      ],
    ])('fails a version that is %o', async (overrides, message) => {
      registry({ '13': mlflowVersion('13', overrides) });
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        `deploy/model.yaml:3:1: fraud-detector version 13 ${message}`,
      );
    });

    it('tells to wait and re-run while the version is PENDING_REGISTRATION', async () => {
      registry({
        '13': mlflowVersion('13', { status: 'PENDING_REGISTRATION' }),
      });
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        'fix: Wait until MLflow shows the version as READY, then re-run this check',
      );
    });

    it('is a clear error, never a pass, when the registry is unreachable (exit 2)', async () => {
      server.use(
        http.get(`${REGISTRY}/api/2.0/mlflow/*`, () => HttpResponse.error()),
      );
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(2);
      expect(stdout).toMatch(
        /ERROR\s+Model version in the registry\s+registry check could not run: MLflow at http:\/\/mlflow.test is unreachable/,
      );
      expect(stdout).toContain('fix: This is not a pass');
      expect(stdout).toContain('Result: ERROR (exit 2)');
    });

    it('reports a 401 as an error that says what to set', async () => {
      server.use(
        http.get(
          `${REGISTRY}/api/2.0/mlflow/*`,
          () => new HttpResponse('nope', { status: 401 }),
        ),
      );
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(2);
      expect(stdout).toContain(
        'answered 401: it needs credentials; set username/password in --username and --password-env (or ML_GITOPS_REGISTRY_USERNAME and ML_GITOPS_REGISTRY_PASSWORD), or a token',
      );
    });

    describe("MLflow's basic-auth app", () => {
      // `mlflow server --app-name basic-auth` answers anything but valid
      // Basic credentials with make_basic_auth_response
      // (mlflow/server/auth/__init__.py): 401, plain text, a Basic challenge.
      const challenge = () =>
        new HttpResponse(
          'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
          {
            status: 401,
            headers: {
              'Content-Type': 'text/html; charset=utf-8',
              'WWW-Authenticate': 'Basic realm="mlflow"',
            },
          },
        );
      const expected = `Basic ${Buffer.from('ci-bot:hunter2-pw').toString(
        'base64',
      )}`;
      beforeEach(() => {
        server.use(
          http.get(`${REGISTRY}/api/2.0/mlflow/*`, ({ request }) =>
            request.headers.get('authorization') === expected
              ? undefined
              : challenge(),
          ),
          ...mlflowHandlers({
            versions: { '13': mlflowVersion('13') },
            metrics: GOOD_METRICS,
          }),
        );
      });

      it('sends ML_GITOPS_REGISTRY_USERNAME/PASSWORD, or --username/--password-env, as Basic credentials', async () => {
        const root = makeRepo();
        const a = await runCli(['validate', root, '--registry-url', REGISTRY], {
          env: {
            ML_GITOPS_REGISTRY_USERNAME: 'ci-bot',
            ML_GITOPS_REGISTRY_PASSWORD: 'hunter2-pw',
          },
        });
        const b = await runCli(
          [
            'validate',
            root,
            '--registry-url',
            REGISTRY,
            '--username',
            'ci-bot',
            '--password-env',
            'MLFLOW_PASSWORD',
          ],
          { env: { MLFLOW_PASSWORD: 'hunter2-pw' } },
        );
        expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
        expect(a.output + b.output).not.toContain('hunter2-pw');
      });

      it('a bearer token gets an error that names --username and --password-env', async () => {
        const { exitCode, stdout } = await runCli(
          ['validate', makeRepo(), '--registry-url', REGISTRY],
          { env: { ML_GITOPS_REGISTRY_TOKEN: 'tok-123' } },
        );
        expect(exitCode).toBe(2);
        expect(stdout).toContain(
          'answered 401: its basic-auth app needs username/password in --username and --password-env (or ML_GITOPS_REGISTRY_USERNAME and ML_GITOPS_REGISTRY_PASSWORD), not a bearer token',
        );
        expect(stdout).not.toContain('tok-123');
      });
    });

    it.each([
      [
        {
          ML_GITOPS_REGISTRY_TOKEN: 't',
          ML_GITOPS_REGISTRY_USERNAME: 'u',
          ML_GITOPS_REGISTRY_PASSWORD: 'p',
        },
        [],
        'or a username and password (--username, --password-env), not both',
      ],
      [{ ML_GITOPS_REGISTRY_USERNAME: 'u' }, [], '--username needs a password'],
      [
        { MLFLOW_PASSWORD: 'p' },
        ['--password-env', 'MLFLOW_PASSWORD'],
        'a registry password is set (MLFLOW_PASSWORD) but no username',
      ],
      [
        {},
        ['--password-env', 'NOPE'],
        '--password-env NOPE: the variable NOPE is not set or empty',
      ],
    ])(
      'refuses inconsistent credentials %j %j (exit 2)',
      async (env, args, message) => {
        const { exitCode, stderr } = await runCli(
          ['validate', makeRepo(), '--registry-url', REGISTRY, ...args],
          { env },
        );
        expect(exitCode).toBe(2);
        expect(stderr).toContain(message);
      },
    );

    it('reports a 5xx as an error', async () => {
      server.use(
        http.get(`${REGISTRY}/api/2.0/mlflow/*`, () =>
          HttpResponse.json(
            { error_code: 'INTERNAL_ERROR', message: 'boom' },
            { status: 503 },
          ),
        ),
      );
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(2);
      expect(stdout).toContain('(503 INTERNAL_ERROR: boom)');
    });

    it('sends the token from --token-env, or ML_GITOPS_REGISTRY_TOKEN', async () => {
      const seen: Array<string | null> = [];
      server.use(
        ...mlflowHandlers({
          versions: { '13': mlflowVersion('13') },
          metrics: GOOD_METRICS,
          onRequest: r => seen.push(r.headers.get('authorization')),
        }),
      );
      const root = makeRepo();
      const a = await runCli(
        [
          'validate',
          root,
          '--registry-url',
          REGISTRY,
          '--token-env',
          'MLFLOW_TOKEN',
        ],
        {
          env: { MLFLOW_TOKEN: 't0k' },
        },
      );
      const b = await runCli(['validate', root, '--registry-url', REGISTRY], {
        env: { ML_GITOPS_REGISTRY_TOKEN: 'other' },
      });
      expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
      expect(seen).toEqual(['Bearer t0k', 'Bearer other']);
      expect(a.stdout).not.toContain('t0k');
    });

    it('refuses --token-env naming an unset variable (exit 2)', async () => {
      const { exitCode, stderr } = await runCli([
        'validate',
        makeRepo(),
        '--registry-url',
        REGISTRY,
        '--token-env',
        'NOPE',
      ]);
      expect(exitCode).toBe(2);
      expect(stderr).toContain(
        '--token-env NOPE: the variable NOPE is not set or empty',
      );
    });

    it('takes the URL from ML_GITOPS_REGISTRY_URL', async () => {
      registry();
      const { exitCode } = await runCli(['validate', makeRepo()], {
        env: { ML_GITOPS_REGISTRY_URL: REGISTRY },
      });
      expect(exitCode).toBe(0);
    });

    it('does not silently pass without a registry: not run, exit 2', async () => {
      const { exitCode, stdout } = await runCli(['validate', makeRepo()]);
      expect(exitCode).toBe(2);
      expect(stdout).toMatch(
        /NOT RUN\s+Model version in the registry\s+no registry configured: pass --registry-url URL/,
      );
      expect(stdout).toMatch(/NOT RUN\s+Performance gate/);
    });

    it('skips the registry only when asked with --skip-registry', async () => {
      const { exitCode, stdout } = await runCli([
        'validate',
        makeRepo(),
        '--skip-registry',
      ]);
      expect(exitCode).toBe(0);
      expect(stdout).toMatch(
        /SKIP\s+Model version in the registry\s+skipped on request \(--skip-registry\)/,
      );
    });

    it('refuses an invalid registry URL (exit 2)', async () => {
      const { exitCode, stderr } = await runCli([
        'validate',
        makeRepo(),
        '--registry-url',
        'mlflow',
      ]);
      expect(exitCode).toBe(2);
      expect(stderr).toContain('--registry-url: Invalid MLflow URL "mlflow"');
    });
  });

  describe('performance gate', () => {
    it('fails a metric below its minimum, at the gate line', async () => {
      registry(undefined, { 'run-13': { auc: 0.91, latency_p95_ms: 31 } });
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(1);
      expect(stdout).toMatch(
        /FAIL\s+Performance gate\s+1 of 2 gated metrics failed/,
      );
      expect(stdout).toContain(
        'error: deploy/model.yaml:8:5: auc 0.91 is below the minimum 0.92',
      );
    });

    it('fails a metric above its maximum', async () => {
      registry(undefined, { 'run-13': { auc: 0.95, latency_p95_ms: 41 } });
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        'deploy/model.yaml:9:5: latency_p95_ms 41 is above the maximum 40',
      );
    });

    it('fails a gated metric missing from the run, naming it', async () => {
      registry(undefined, { 'run-13': { auc: 0.95, f1: 0.9 } });
      const { exitCode, stdout } = await validate(makeRepo());
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        'latency_p95_ms is gated but the registry run has no such metric',
      );
      expect(stdout).toContain('metrics of the run: auc, f1');
    });

    it('fails when the version has no run or the run is gone', async () => {
      registry({ '13': mlflowVersion('13', { run_id: '' }) });
      expect((await validate(makeRepo())).stdout).toContain(
        'has no run_id in the registry',
      );
      server.resetHandlers();
      registry({ '13': mlflowVersion('13') }, {});
      const gone = await validate(makeRepo());
      expect(gone.exitCode).toBe(1);
      expect(gone.stdout).toContain(
        'the run run-13 of fraud-detector version 13 does not exist',
      );
    });

    it('skips the gate when the manifest declares none', async () => {
      registry();
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST.split('gates:')[0],
      });
      const { exitCode, stdout } = await validate(root);
      expect(exitCode).toBe(0);
      expect(stdout).toMatch(
        /SKIP\s+Performance gate\s+no gates.metrics in the manifest/,
      );
    });
  });

  describe('secrets', () => {
    it('refuses a plaintext Kubernetes Secret with file and line', async () => {
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST,
        'deploy/chart/templates/db.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n---\napiVersion: v1\nkind: Secret\nmetadata: { name: db }\nstringData:\n  url: x\n',
      });
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
      ]);
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        'error: deploy/chart/templates/db.yaml:8:1: found a plaintext Kubernetes Secret (kind: Secret with stringData)',
      );
      expect(stdout).toContain('fix: Seal it');
    });

    it('refuses a private key and a token, and never prints them', async () => {
      const pem = privateKeyPem();
      const token = githubToken();
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST,
        'keys/tls.key': pem,
        'scripts/smoke.sh': `#!/bin/sh\ncurl -H "Authorization: token ${token}" https://api.github.com\n`,
      });
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--format',
        'json',
      ]);
      expect(exitCode).toBe(1);
      const report = JSON.parse(stdout);
      const secrets = report.checks.find(
        (c: { id: string }) => c.id === 'secrets',
      );
      expect(secrets.findings).toEqual([
        expect.objectContaining({
          file: 'keys/tls.key',
          line: 1,
          message: expect.stringContaining('private key'),
        }),
        expect.objectContaining({
          file: 'scripts/smoke.sh',
          line: 2,
          message: expect.stringContaining('GitHub Token'),
        }),
      ]);
      expect(stdout).not.toContain(token);
      expect(stdout).not.toContain(pem.split('\n')[1]);
    });

    it('ignores secretlint-disable comments', async () => {
      const token = githubToken();
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST,
        'scripts/a.sh': `# secretlint-disable\nTOKEN=${token}\n# secretlint-enable\n`,
        'scripts/b.sh': `# secretlint-disable-next-line\ncurl -u x:${token} https://x\n`,
      });
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
      ]);
      expect(exitCode).toBe(1);
      expect(stdout).toContain('scripts/a.sh:2:');
      expect(stdout).toContain('scripts/b.sh:2:');
    });

    it('refuses a password in values and a key store file', async () => {
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST,
        'deploy/chart/values.yaml': 'image: x\ndb:\n  password: s3cr3t-pa55\n',
        'certs/client.p12': new Uint8Array([0x30, 0x82, 0, 0, 1, 2]),
      });
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
      ]);
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        'deploy/chart/values.yaml:3:13: found a likely plaintext credential in "password"',
      );
      expect(stdout).toContain(
        'certs/client.p12:1: certs/client.p12 is a binary key store',
      );
    });

    it('scans only what Git would commit in a clone', async () => {
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST,
        '.gitignore': 'local/\n',
        'local/notes.yaml': 'password: hunter22\n',
      });
      gitInit(root);
      const { exitCode } = await runCli(['validate', root, '--skip-registry']);
      expect(exitCode).toBe(0);
    });
  });

  describe('layout', () => {
    it('refuses a plain Secret or a non-YAML file under secrets/', async () => {
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST,
        'secrets/db.sealed.yaml':
          'apiVersion: v1\nkind: Secret\nmetadata: { name: db }\n',
        'secrets/api.env': 'A=b\n',
      });
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
      ]);
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        'secrets/api.env:1: secrets/api.env is not a YAML file',
      );
      expect(stdout).toContain(
        'secrets/db.sealed.yaml:1:1: secrets/db.sealed.yaml holds a Secret (v1)',
      );
    });

    it('accepts ExternalSecrets and several sealed objects in one file', async () => {
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST,
        'secrets/all.yaml': `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec: { encryptedData: { a: ${sealedValue()} } }\n---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nspec: {}\n`,
      });
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
      ]);
      expect(exitCode).toBe(0);
      expect(stdout).toMatch(
        /PASS\s+Config repo layout\s+1 file under secrets\/, all sealed or external/,
      );
    });
  });

  describe('integration checks', () => {
    const withChecks = (checks: string) =>
      makeRepo({ 'deploy/model.yaml': `${MANIFEST}checks:\n${checks}` });

    it('runs the commands from the repo root with the model in the environment', async () => {
      const root = withChecks(
        '  integration:\n    - test "$ML_GITOPS_MODEL_VERSION" = 13 && test -f deploy/model.yaml\n    - { name: echo, run: "echo hello from $ML_GITOPS_MODEL_NAME" }\n',
      );
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--format',
        'json',
      ]);
      expect(exitCode).toBe(0);
      const runs = JSON.parse(stdout).checks.find(
        (c: { id: string }) => c.id === 'integration',
      ).details.runs;
      expect(runs.map((r: { exitCode: number }) => r.exitCode)).toEqual([0, 0]);
      expect(runs[1].output).toBe('hello from fraud-detector\n');
    });

    it('fails a command that exits non-zero and keeps its output', async () => {
      const root = withChecks(
        '  integration:\n    - { name: smoke, run: "echo checking; echo broken >&2; exit 3" }\n',
      );
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
      ]);
      expect(exitCode).toBe(1);
      expect(stdout).toContain(
        'deploy/model.yaml:12:7: integration check "smoke" exited with 3',
      );
      expect(stdout).toContain('Output of integration check "smoke"');
      expect(stdout).toContain('  | checking\n  | broken');
    });

    it('kills a command that runs past its timeout', async () => {
      const root = withChecks(
        '  integration:\n    - { name: slow, run: "sleep 30", timeout_seconds: 1 }\n',
      );
      const started = Date.now();
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
      ]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(exitCode).toBe(1);
      expect(stdout).toContain('integration check "slow" timed out after 1s');
    });

    it('hides the registry token from the commands', async () => {
      registry();
      const root = withChecks(
        '  integration:\n    - test -z "$MLFLOW_TOKEN$ML_GITOPS_REGISTRY_TOKEN" && test -n "$ML_GITOPS_REGISTRY_URL"\n',
      );
      process.env.MLFLOW_TOKEN = 't0k';
      process.env.ML_GITOPS_REGISTRY_TOKEN = 't0k';
      try {
        const { exitCode, stdout } = await runCli(
          [
            'validate',
            root,
            '--registry-url',
            REGISTRY,
            '--token-env',
            'MLFLOW_TOKEN',
          ],
          { env: { MLFLOW_TOKEN: 't0k' } },
        );
        expect(stdout).toMatch(/PASS\s+Integration checks\s+1 passed/);
        expect(exitCode).toBe(0);
      } finally {
        delete process.env.MLFLOW_TOKEN;
        delete process.env.ML_GITOPS_REGISTRY_TOKEN;
      }
    });

    it('does not run them with --skip-integration', async () => {
      const root = withChecks('  integration:\n    - exit 1\n');
      const { exitCode } = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--skip-integration',
      ]);
      expect(exitCode).toBe(0);
    });
  });

  describe('--base', () => {
    function repoWithHistory() {
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST.replace('"13"', '"12"'),
      });
      gitInit(root, 'dev');
      git(root, 'checkout', '-q', '-b', 'deploy-13');
      writeFiles(root, { 'deploy/model.yaml': MANIFEST });
      git(root, 'commit', '-q', '-am', 'deploy 13');
      return root;
    }

    it('reports the version change and the environment', async () => {
      const root = repoWithHistory();
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--base',
        'dev',
        '--format',
        'json',
      ]);
      expect(exitCode).toBe(0);
      const changes = JSON.parse(stdout).checks.find(
        (c: { id: string }) => c.id === 'changes',
      );
      expect(changes.summary).toBe(
        'dev: fraud-detector 12 → 13; 1 file changed',
      );
      expect(changes.details).toMatchObject({
        environment: 'dev',
        previousVersion: '12',
        version: '13',
        versionChanged: true,
        changedFiles: ['deploy/model.yaml'],
      });
    });

    it('names the environment from a remote ref or GITHUB_BASE_REF', async () => {
      const root = repoWithHistory();
      git(root, 'update-ref', 'refs/remotes/origin/staging', 'dev');
      const a = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--base',
        'origin/staging',
      ]);
      expect(a.stdout).toContain('staging: fraud-detector 12 → 13');
      const b = await runCli(
        ['validate', root, '--skip-registry', '--base', 'dev'],
        {
          env: { GITHUB_BASE_REF: 'production' },
        },
      );
      expect(b.stdout).toContain('production: fraud-detector 12 → 13');
    });

    it('says when the version is unchanged or the manifest is new', async () => {
      const root = repoWithHistory();
      expect(
        (
          await runCli([
            'validate',
            root,
            '--skip-registry',
            '--base',
            'deploy-13',
          ])
        ).stdout,
      ).toContain('deploy-13: model_version unchanged (13); 0 files changed');
      const fresh = makeRepo({ 'README.md': 'x\n' });
      gitInit(fresh);
      writeFiles(fresh, { 'deploy/model.yaml': MANIFEST });
      expect(
        (await runCli(['validate', fresh, '--skip-registry', '--base', 'dev']))
          .stdout,
      ).toContain('dev: deploy/model.yaml is new (version 13)');
    });

    it('is a usage error (exit 2) for an unknown or unsafe ref or without Git', async () => {
      const root = repoWithHistory();
      const unknown = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--base',
        'origin/nope',
      ]);
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stdout).toContain(
        'the base origin/nope is not a commit in this clone',
      );
      expect(unknown.stdout).toContain('fix: Fetch it first');
      const unsafe = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--base=--output=/tmp/x',
      ]);
      expect(unsafe.exitCode).toBe(2);
      expect(unsafe.stdout).toContain('invalid --base');
      const noGit = await runCli([
        'validate',
        makeRepo(),
        '--skip-registry',
        '--base',
        'dev',
      ]);
      expect(noGit.exitCode).toBe(2);
      expect(noGit.stdout).toMatch(
        /is not a Git checkout|is not a commit in this clone/,
      );
    });
  });

  describe('output formats', () => {
    it('emits GitHub workflow annotations with escaped properties', async () => {
      const root = makeRepo({
        'deploy/model.yaml': MANIFEST.replace('"13"', '13'),
      });
      const { exitCode, stdout } = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--format',
        'github',
      ]);
      expect(exitCode).toBe(1);
      expect(stdout.split('\n')[0]).toBe(
        '::error file=deploy/model.yaml,line=3,col=16,title=ml-gitops validate%3A Manifest schema::model_version must be a string, but YAML reads 13 as the number 13%0Afix: Quote it: model_version: "13"',
      );
      expect(stdout).toContain('Result: FAILED (exit 1)');
    });

    it('annotates checks that could not run', async () => {
      const { stdout } = await runCli([
        'validate',
        makeRepo(),
        '--format',
        'github',
      ]);
      expect(stdout).toContain(
        '::error title=ml-gitops validate%3A Model version in the registry::no registry configured',
      );
    });

    it('emits a JSON report', async () => {
      registry();
      const { exitCode, stdout } = await validate(
        makeRepo(),
        '--format',
        'json',
      );
      expect(exitCode).toBe(0);
      const report = JSON.parse(stdout);
      expect(report).toMatchObject({
        version: 1,
        result: 'passed',
        exitCode: 0,
        manifest: 'deploy/model.yaml',
      });
      expect(
        report.checks.map(
          (c: { id: string; status: string }) => `${c.id}:${c.status}`,
        ),
      ).toEqual([
        'manifest:passed',
        'layout:passed',
        'registry:passed',
        'gate:passed',
        'secrets:passed',
        'integration:skipped',
      ]);
    });
  });

  describe('usage', () => {
    it.each([
      [['validate', '--nope'], "Unknown option '--nope'"],
      [['promote'], 'unknown command "promote"'],
      [[], 'missing command'],
      [['validate', 'a', 'b'], 'validate takes one directory'],
      [
        ['validate', '--format', 'xml'],
        '--format must be one of text, json, github',
      ],
      [
        ['validate', '--token-env', 'A-B'],
        '--token-env takes the name of an environment variable',
      ],
      [
        ['validate', '/nonexistent/repo', '--skip-registry'],
        '/nonexistent/repo is not a directory',
      ],
      [['validate', '--base', '', '--skip-registry'], '--base needs a ref'],
    ])('%j is a usage error (exit 2)', async (args, message) => {
      const { exitCode, stderr, stdout } = await runCli(args);
      expect(exitCode).toBe(2);
      expect(stderr).toContain(message);
      expect(stderr).toContain('Usage: ml-gitops validate');
      expect(stdout).toBe('');
    });

    it('prints help and the version', async () => {
      expect(await runCli(['--help'])).toMatchObject({
        exitCode: 0,
        stdout: expect.stringContaining('Exit codes:'),
      });
      expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    });

    it('validates the current directory by default and another manifest path', async () => {
      const root = makeRepo({ 'models/fraud.yaml': MANIFEST });
      const { exitCode, stdout } = await runCli(
        ['validate', '--skip-registry', '--manifest', 'models/fraud.yaml'],
        {
          cwd: root,
        },
      );
      expect(exitCode).toBe(0);
      expect(stdout).toContain('(models/fraud.yaml)');
    });

    it('never prints a stack trace', async () => {
      const root = makeRepo();
      symlinkSync('/etc/hostname', path.join(root, 'deploy/link.yaml'));
      const { output } = await runCli([
        'validate',
        root,
        '--skip-registry',
        '--manifest',
        'deploy/link.yaml',
      ]);
      expect(output).not.toMatch(STACK_TRACE);
    });
  });
});
