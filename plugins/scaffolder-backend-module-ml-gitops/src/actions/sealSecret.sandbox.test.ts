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

import crypto from 'node:crypto';
import { SANDBOX_CREDENTIALS } from 'sandbox';
import yaml from 'yaml';
import { RUN_THE_CLI, useSandbox } from '../__testUtils__/sandboxWithModel';
import { sandboxGithub } from '../__testUtils__/sandboxGitHosts';
import {
  sealSecretScenario,
  unsealDigests,
  verifyInCluster,
} from '../__testUtils__/sealFlow';
import { publicKeyFromPem, sealSecret } from './sealing';

/*
 * Integration: the ml-gitops:secret:seal action against the sandbox's
 * GitHub (the story every host runs is __testUtils__/sealFlow.ts;
 * sealSecret.gitlab.sandbox.test.ts is its GitLab twin), and what kubeseal
 * seals with the certificate the API server proxies, per scope.
 */

jest.setTimeout(180_000);

const VALUE = 'sandbox-S3cret-value-7e1d';
const sha256 = (text: string) =>
  crypto.createHash('sha256').update(text).digest('hex');

const sandbox = useSandbox('seal-github', undefined, RUN_THE_CLI);

describe('ml-gitops:secret:seal against the sandbox', () => {
  it('seals with the served certificate, opens the change, lands it, and the controller unseals it', async () => {
    const ended = await sealSecretScenario({
      sandbox,
      host: () =>
        sandboxGithub(sandbox(), 'acme', 'fraud-detector-config', {
          check: 'workflow',
        }),
      model: 'fraud-detector',
    });
    expect(ended).toEqual({
      path: 'secrets/fraud-detector-db.sealed.yaml',
      target: 'production',
    });
  });

  it.each(['strict', 'namespace-wide', 'cluster-wide'] as const)(
    'seals with the certificate kubeseal fetches through the API server (%s scope)',
    async scope => {
      const res = await fetch(
        `${
          sandbox().urls.kubernetes
        }/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem`,
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
      expect(await verifyInCluster(sandbox(), sealed)).toBe(200);
      const digests = await unsealDigests(sandbox(), sealed);
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
      expect(await verifyInCluster(sandbox(), JSON.stringify(renamed))).toBe(
        scope === 'cluster-wide' ? 200 : 409,
      );
    },
  );
});
