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
import { cleanupTmpDirs, makeRepo, MANIFEST } from './__testUtils__/helpers';
import {
  double,
  kubeflowAnswer,
  KubeflowVersionFixture,
  text,
} from './__testUtils__/kubeflow';
import { spawnBin } from './__testUtils__/spawnBin';

/*
 * Integration: the real `ml-gitops` bin, in a child process, validates
 * config repos against a Kubeflow Model Registry REST service on a free
 * port (answers of __testUtils__/kubeflow.ts, checked against the published
 * OpenAPI description in kubeflow.corpus.test.ts) that takes only its
 * bearer token, as the registry's auth proxy does.
 */

jest.setTimeout(120_000);

const TOKEN = 'kf-integration-token';
const S3 = 's3://models/fraud-detector/13';
const GOOD = {
  auc: double(0.95),
  latency_p95_ms: double(31),
};
const versions: Record<string, KubeflowVersionFixture> = {
  '13': { uri: S3, modelFormatName: 'sklearn', customProperties: GOOD },
  '14': { state: 'ARCHIVED', uri: S3, customProperties: GOOD },
  '15': { customProperties: GOOD },
  '16': { uri: S3, customProperties: { ...GOOD, auc: double(0.9) } },
  '17': {
    uri: S3,
    customProperties: {
      ...GOOD,
      validation_status: text('rejected'),
      'ml-gitops.rejected_reason': text('p95 latency doubled'),
    },
  },
};

let server: Server;
let url: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const requestUrl = new URL(request.url ?? '/', 'http://localhost');
    seen.push(`${request.method} ${requestUrl.pathname}`);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      send(401, { code: 'Unauthorized', message: 'missing or invalid token' });
      return;
    }
    if (request.method !== 'GET') {
      send(405, { code: 'Method Not Allowed', message: request.method });
      return;
    }
    const { status, body } = kubeflowAnswer(
      versions,
      requestUrl.pathname,
      requestUrl.searchParams,
    );
    send(status, body);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  cleanupTmpDirs();
  await new Promise(resolve => server.close(resolve));
});

function validate(version: string, env: NodeJS.ProcessEnv = {}) {
  const root = makeRepo({
    'deploy/model.yaml': MANIFEST.replace(
      'model_version: "13"\n',
      `model_version: "${version}"\nstorage_uri: ${S3}\n`,
    ),
  });
  return spawnBin(
    ['validate', root, '--registry-url', url, '--skip-integration'],
    {
      env: {
        ML_GITOPS_REGISTRY_TYPE: 'kubeflow',
        ML_GITOPS_REGISTRY_TOKEN: TOKEN,
        ...env,
      },
      timeoutMs: 100_000,
    },
  );
}

describe('ml-gitops validate against a Kubeflow Model Registry', () => {
  it('passes a LIVE version whose model artifact is the storage_uri and whose custom properties meet the gate', async () => {
    const { code, stdout, stderr } = await validate('13');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /PASS\s+Model version in the registry\s+fraud-detector version 13 is LIVE; storage_uri is its artifact location/,
    );
    expect(stdout).toMatch(
      /PASS\s+Performance gate\s+auc 0.95 is >= 0.92; latency_p95_ms 31 is <= 40/,
    );
    expect(seen).toEqual(
      expect.arrayContaining([
        'GET /api/model_registry/v1alpha3/registered_model',
        'GET /api/model_registry/v1alpha3/model_version',
        'GET /api/model_registry/v1alpha3/model_versions/113/artifacts',
      ]),
    );
  });

  it('fails an ARCHIVED version', async () => {
    const { code, stdout } = await validate('14');
    expect(code).toBe(1);
    expect(stdout).toContain(
      'fraud-detector version 14 is ARCHIVED, not LIVE, in the Kubeflow Model Registry',
    );
  });

  it('fails a version without a model artifact uri, saying what to register', async () => {
    const { code, stdout } = await validate('15');
    expect(code).toBe(1);
    expect(stdout).toContain(
      'fraud-detector version 15 has no model artifact with a uri, so there are no model files to serve',
    );
    expect(stdout).toContain(
      `storage_uri cannot be checked: fraud-detector version 15 has no model artifact with a uri in the Kubeflow Model Registry at ${url}`,
    );
  });

  it('fails the gate from the custom properties', async () => {
    const { code, stdout } = await validate('16');
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /FAIL\s+Performance gate\s+1 of 2 gated metrics failed/,
    );
    expect(stdout).toContain('auc 0.9 is below the minimum 0.92');
  });

  it('fails a version carrying the rejection markers', async () => {
    const { code, stdout } = await validate('17');
    expect(code).toBe(1);
    expect(stdout).toContain(
      'fraud-detector version 17 is rejected: "p95 latency doubled"',
    );
  });

  it('reports a refused token as an error that is not a pass, without printing it', async () => {
    const { code, stdout, stderr } = await validate('13', {
      ML_GITOPS_REGISTRY_TOKEN: 'wrong-token',
    });
    expect(code).toBe(2);
    expect(stdout).toContain(
      `Kubeflow Model Registry at ${url} answered 401 on GET registered_model: the token in --token-env (or ML_GITOPS_REGISTRY_TOKEN) is not accepted`,
    );
    expect(`${stdout}${stderr}`).not.toContain('wrong-token');
  });
});
