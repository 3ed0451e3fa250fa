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

import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from 'sandbox';
import yaml from 'yaml';
import {
  fakePermissions,
  fraudDetectorEntity,
  makeContext,
  outputsOf,
} from '../__testUtils__/setup';
import { readMlGitopsActionsConfig } from './config';
import { createSealSecretAction } from './sealSecret';
import { publicKeyFromPem, sealSecret } from './sealing';

/*
 * Integration: the ml-gitops:secret:seal action against the sandbox — the
 * certificate comes from the sandbox's Sealed Secrets controller, the pull
 * request goes to the sandbox's Git host, and the controller unseals what
 * was committed.
 */

jest.setTimeout(180_000);

const VALUE = 'sandbox-S3cret-value-7e1d';
const sha256 = (text: string) =>
  crypto.createHash('sha256').update(text).digest('hex');

let sandbox: Sandbox;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-seal-sandbox-'));
  sandbox = await startSandbox({
    ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
    dataDir: path.join(tmp, 'data'),
    reconcileIntervalSeconds: 3600,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

/** POSTs a SealedSecret to the controller's verify endpoint through the service proxy. */
async function verifyInCluster(sealedYaml: string): Promise<number> {
  const res = await fetch(
    `${sandbox.urls.kubernetes}/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/verify`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
      },
      body: sealedYaml,
    },
  );
  return res.status;
}

async function unsealDigests(sealedYaml: string) {
  const res = await fetch(`${sandbox.urls.admin}/_sandbox/unseal`, {
    method: 'POST',
    body: sealedYaml,
  });
  return res.json();
}

describe('ml-gitops:secret:seal against the sandbox', () => {
  it('seals with the served certificate, opens the pull request, and the controller unseals it', async () => {
    const gitHost = new URL(sandbox.urls.git).host;
    const config = new ConfigReader({
      integrations: {
        github: [
          {
            host: gitHost,
            apiBaseUrl: sandbox.urls.gitApi,
            token: 'sandbox-github-token',
          },
        ],
      },
      // as app-config.sandbox.yaml wires it, on the sandbox's ports
      mlGitops: {
        sealedSecrets: { certificateUrl: `${sandbox.urls.admin}/v1/cert.pem` },
      },
    });
    const action = createSealSecretAction({
      permissions: fakePermissions().service,
      integrations: ScmIntegrations.fromConfig(config),
      // the demo's backend runs with NODE_ENV=development, which takes the
      // sandbox's http URL
      config: readMlGitopsActionsConfig(config, 'development'),
      catalog: catalogServiceMock({
        entities: [
          fraudDetectorEntity({
            'ml-gitops/config-repo': `${sandbox.urls.git}/acme/fraud-detector-config`,
          }),
        ],
      }),
    });
    const { ctx, logs, checkpoints } = makeContext({
      entityRef: 'component:default/fraud-detector',
      environment: 'production',
      name: 'fraud-detector-db',
      namespace: 'ml-production',
      key: 'password',
      value: VALUE,
    });
    await action.handler(ctx);

    const outputs = outputsOf(ctx);
    expect(outputs.pullRequestUrl).toMatch(
      /\/acme\/fraud-detector-config\/pull\/\d+$/,
    );
    const file = await fetch(
      `${sandbox.urls.gitApi}/repos/acme/fraud-detector-config/contents/${
        outputs.path
      }?ref=${encodeURIComponent(String(outputs.branch))}`,
      { headers: { authorization: 'token sandbox-github-token' } },
    );
    expect(file.status).toBe(200);
    const sealedYaml = Buffer.from(
      (await file.json()).content,
      'base64',
    ).toString('utf8');
    expect(yaml.parse(sealedYaml).kind).toBe('SealedSecret');
    const pull = await fetch(
      `${sandbox.urls.gitApi}/repos/acme/fraud-detector-config/pulls/${outputs.pullRequestNumber}`,
      { headers: { authorization: 'token sandbox-github-token' } },
    ).then(r => r.json());
    expect(pull).toMatchObject({
      base: { ref: 'production' },
      head: { ref: outputs.branch },
      labels: [{ name: 'ml-gitops/secret' }],
    });

    expect(await verifyInCluster(sealedYaml)).toBe(200);
    expect(await unsealDigests(sealedYaml)).toEqual({
      ok: true,
      name: 'fraud-detector-db',
      namespace: 'ml-production',
      scope: 'strict',
      data: { password: { sha256: sha256(VALUE), bytes: VALUE.length } },
    });
    // The value is in none of the records of the task.
    for (const record of [
      sealedYaml,
      logs.join('\n'),
      JSON.stringify(outputs),
      JSON.stringify([...checkpoints]),
    ]) {
      expect(record).not.toContain(VALUE);
    }
  });

  it.each(['strict', 'namespace-wide', 'cluster-wide'] as const)(
    'seals with the certificate kubeseal fetches through the API server (%s scope)',
    async scope => {
      const res = await fetch(
        `${sandbox.urls.kubernetes}/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem`,
        {
          headers: {
            authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
          },
        },
      );
      const key = publicKeyFromPem(await res.text());
      const sealed = sealSecret({
        key,
        name: 'db',
        namespace: 'ml-dev',
        scope,
        data: { user: 'ml', password: VALUE },
      });
      expect(await verifyInCluster(sealed)).toBe(200);
      const digests = await unsealDigests(sealed);
      expect(digests).toMatchObject({
        ok: true,
        scope,
        data: {
          user: { sha256: sha256('ml') },
          password: { sha256: sha256(VALUE) },
        },
      });
      expect(JSON.stringify(digests)).not.toContain(VALUE);
      // Renamed, a strict or namespace-wide value no longer opens.
      const renamed = yaml.parse(sealed);
      renamed.metadata.name = 'other';
      renamed.metadata.namespace =
        scope === 'namespace-wide' ? 'ml-staging' : 'ml-dev';
      expect(await verifyInCluster(JSON.stringify(renamed))).toBe(
        scope === 'cluster-wide' ? 200 : 409,
      );
    },
  );
});
