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
import { Sandbox, SANDBOX_CREDENTIALS } from 'sandbox';
import yaml from 'yaml';
import { readMlGitopsActionsConfig } from '../actions/config';
import { createSealSecretAction } from '../actions/sealSecret';
import { SandboxGitHost } from './sandboxGitHosts';
import { recentRequests } from './sandboxWithModel';
import {
  fakePermissions,
  fraudDetectorEntity,
  makeContext,
  outputsOf,
} from './setup';

/*
 * ml-gitops:secret:seal on a Git host of the sandbox, the same story on
 * every host: the certificate comes from the sandbox's Sealed Secrets
 * controller, the change goes to the host, git finds that it adds the
 * SealedSecret only and merges cleanly, it lands under the host's rules,
 * and the controller unseals what was committed.
 */

const VALUE = 'sandbox-S3cret-value-7e1d';
const sha256 = (text: string) =>
  crypto.createHash('sha256').update(text).digest('hex');

/** POSTs a SealedSecret to the controller's verify endpoint through the service proxy. */
export async function verifyInCluster(
  sandbox: Sandbox,
  sealedYaml: string,
): Promise<number> {
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

/** What the controller unseals from a SealedSecret: digests, never values. */
export async function unsealDigests(sandbox: Sandbox, sealedYaml: string) {
  const res = await fetch(`${sandbox.urls.admin}/_sandbox/unseal`, {
    method: 'POST',
    body: sealedYaml,
  });
  return res.json();
}

/** Runs the story on the host `flow` names; what it ended with. */
export async function sealSecretScenario(flow: {
  sandbox: () => Sandbox;
  host: () => SandboxGitHost;
  model: string;
}): Promise<{ path: string; target: string }> {
  const sandbox = flow.sandbox();
  const host = flow.host();
  const config = new ConfigReader({
    integrations: host.integrations(),
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
          'ml-gitops/model': flow.model,
          'ml-gitops/config-repo': host.repoUrl,
        }),
      ],
    }),
  });
  const { ctx, logs, checkpoints } = makeContext({
    entityRef: 'component:default/fraud-detector',
    environment: 'production',
    name: `${flow.model}-db`,
    namespace: 'ml-production',
    key: 'password',
    value: VALUE,
  });
  try {
    await action.handler(ctx);
  } catch (error) {
    // The action's error does not say what the URL answered (by design); the
    // sandbox's request log does. (A "not a PEM certificate" seen twice in CI
    // was the sandbox's certificate: a random serial starting 0x00 encoded
    // with a leading zero, which OpenSSL refuses; fixed in the sandbox.)
    throw new Error(
      `${
        (error as Error)?.message ?? error
      }\nThe sandbox served last:\n${recentRequests(sandbox).join('\n')}`,
    );
  }

  const outputs = outputsOf(ctx) as {
    pullRequestUrl: string;
    pullRequestNumber: number;
    branch: string;
    path: string;
  };
  expect(outputs.path).toBe(`secrets/${flow.model}-db.sealed.yaml`);
  expect(outputs.pullRequestUrl).toBe(
    host.changeUrl(outputs.pullRequestNumber),
  );
  const change = await host.change(outputs.pullRequestNumber);
  expect(change).toMatchObject({
    open: true,
    target: 'production',
    url: outputs.pullRequestUrl,
    labels: ['ml-gitops/secret'],
  });
  expect(await host.branchHead(outputs.branch)).toBe(change.head);
  const sealedYaml = (await host.readFile(change.head, outputs.path))!;
  expect(yaml.parse(sealedYaml).kind).toBe('SealedSecret');

  // Git's word: the change holds production's head, merges cleanly and
  // adds the SealedSecret only.
  const base = await host.branchHead('production');
  expect(host.git('merge-base', '--is-ancestor', base, change.head)).toBe('');
  expect(host.git('merge-tree', '--write-tree', base, change.head)).toMatch(
    /^[0-9a-f]{40}$/,
  );
  expect(host.git('diff', '--name-status', base, change.head)).toBe(
    `A\t${outputs.path}`,
  );
  const merge = await host.pass(
    outputs.pullRequestNumber,
    'ml-gitops/validate',
  );
  expect(await host.readFile(merge, outputs.path)).toBe(sealedYaml);

  expect(await verifyInCluster(sandbox, sealedYaml)).toBe(200);
  expect(await unsealDigests(sandbox, sealedYaml)).toEqual({
    ok: true,
    name: `${flow.model}-db`,
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

  return { path: outputs.path, target: change.target };
}
