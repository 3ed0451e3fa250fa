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
import { SANDBOX_CREDENTIALS } from 'sandbox';
import yaml from 'yaml';
import {
  fakePermissions,
  makeContext,
  outputsOf,
} from '../__testUtils__/setup';
import { useSandboxWithModel } from '../__testUtils__/sandboxWithModel';
import {
  ArgoCdApplicationsClient,
  registerApplication,
} from './argoCdApplications';
import { readMlGitopsActionsConfig } from './config';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { publicKeyFromPem, sealSecret } from './sealing';

/*
 * Integration: ml-gitops:config-repo:create against the sandbox. The action
 * creates the repo on the sandbox's Git host and registers its Applications
 * with the sandbox's Argo CD; a SealedSecret merged into secrets/ of dev is
 * applied by the emulated Argo CD from the Application's sources and
 * unsealed by the cluster's Sealed Secrets controller into a Secret.
 */

jest.setTimeout(300_000);

const MODEL = 'credit-scorer';
const REPO = `${MODEL}-config`;
const VALUE = 'sandbox-db-S3cret-41b7';
const sha256 = (text: string) =>
  crypto.createHash('sha256').update(text).digest('hex');

const sandboxOf = useSandboxWithModel(MODEL);

/** The config as app-config.sandbox.yaml wires it, on the sandbox's ports. */
function actionsConfig() {
  const gitHost = new URL(sandboxOf().urls.git).host;
  return new ConfigReader({
    integrations: {
      github: [
        {
          host: gitHost,
          apiBaseUrl: sandboxOf().urls.gitApi,
          token: 'sandbox-github-token',
        },
      ],
    },
    mlGitops: {
      argocd: {
        instances: [
          {
            name: 'main',
            url: sandboxOf().urls.argocd,
            token: SANDBOX_CREDENTIALS.argocd.token,
          },
        ],
      },
      registries: [
        {
          name: 'mlflow-default',
          type: 'mlflow',
          url: sandboxOf().urls.mlflow,
        },
      ],
    },
  });
}

async function argo(p: string) {
  const res = await fetch(`${sandboxOf().urls.argocd}${p}`, {
    headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}` },
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function clusterSecrets(): Promise<any[]> {
  const res = await fetch(`${sandboxOf().urls.admin}/_sandbox/state`);
  return (await res.json()).secrets;
}

async function unsealFailures(): Promise<any[]> {
  const res = await fetch(`${sandboxOf().urls.admin}/_sandbox/state`);
  return (await res.json()).unsealFailures;
}

/** Writes a file on dev as an admin (past branch protection); the new head. */
async function adminWrite(file: string, text: string): Promise<string> {
  const res = await fetch(
    `${sandboxOf().urls.gitApi}/repos/acme/${REPO}/contents/${file}`,
    {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from('admin:x').toString('base64')}`,
      },
      body: JSON.stringify({
        message: `Write ${file}`,
        content: Buffer.from(text).toString('base64'),
        branch: 'dev',
      }),
    },
  );
  expect(res.status).toBe(201);
  return (await res.json()).commit.sha;
}

describe('ml-gitops:config-repo:create against the sandbox', () => {
  it('registers the Applications, and a sealed secret merged into secrets/ is applied and unsealed in the cluster', async () => {
    const config = actionsConfig();
    const options = {
      permissions: fakePermissions().service,
      integrations: ScmIntegrations.fromConfig(config),
      config: readMlGitopsActionsConfig(config, 'development'),
      catalog: catalogServiceMock({ entities: [] }),
    };
    const action = createConfigRepoCreateAction(options);
    const { ctx } = makeContext({
      repoUrl: `${sandboxOf().urls.git}/acme/${REPO}`,
      model: MODEL,
      version: '1',
      owners: ['@acme/risk-ml'],
    });
    await action.handler(ctx);
    expect(outputsOf(ctx).applications).toEqual(
      ['dev', 'staging', 'production'].map(e => ({
        name: `${MODEL}-${e}`,
        instance: 'main',
        registration: 'created',
      })),
    );

    // Argo CD answers the registered spec and has synced the branch.
    const dev = await argo(`/api/v1/applications/${MODEL}-dev`);
    expect(dev.spec.sources.map((s: any) => s.path)).toEqual([
      'deploy/chart',
      'secrets',
    ]);
    expect(dev.status.sync.status).toBe('Synced');
    expect(
      (await clusterSecrets()).filter(s => s.namespace === 'ml-dev'),
    ).toEqual([]);

    // Registering again is a no-op: Argo CD holds this spec already.
    const client = ArgoCdApplicationsClient.create(options.config.argocd![0]);
    const committed = yaml.parse(
      Buffer.from(
        (
          await (
            await fetch(
              `${
                sandboxOf().urls.gitApi
              }/repos/acme/${REPO}/contents/argocd/dev.yaml?ref=dev`,
              { headers: { authorization: 'token sandbox-github-token' } },
            )
          ).json()
        ).content,
        'base64',
      ).toString('utf8'),
    );
    expect(
      await registerApplication(client, committed, { replace: false }),
    ).toBe('unchanged');

    // A SealedSecret reaches dev (as the merge of a seal pull request
    // would; written by an admin past the branch protection here) next to a
    // YAML file the Application's include pattern leaves out.
    const key = publicKeyFromPem(sandboxOf().sealedSecrets.certificatePem);
    const sealed = sealSecret({
      key,
      name: 'scorer-db',
      namespace: 'ml-dev',
      scope: 'strict',
      data: { password: VALUE },
    });
    await adminWrite('secrets/scorer-db.sealed.yaml', sealed);
    const head = await adminWrite(
      'secrets/notes.yaml',
      yaml.stringify({ ...yaml.parse(sealed), metadata: { name: 'not-me' } }),
    );

    // Argo CD refreshes (as the push webhook or its poll would) and syncs.
    const synced = await argo(
      `/api/v1/applications/${MODEL}-dev?refresh=normal`,
    );
    expect(synced.status.sync).toMatchObject({
      status: 'Synced',
      revisions: [head, head],
    });
    expect(synced.status.operationState.syncResult.revisions).toEqual([
      head,
      head,
    ]);
    const secrets = await clusterSecrets();
    expect(secrets.filter(s => s.namespace === 'ml-dev')).toEqual([
      {
        namespace: 'ml-dev',
        name: 'scorer-db',
        appliedBy: {
          application: `${MODEL}-dev`,
          path: 'secrets/scorer-db.sealed.yaml',
          revision: head,
        },
        data: { password: { sha256: sha256(VALUE), bytes: VALUE.length } },
        createdAt: expect.any(String),
      },
    ]);
    // notes.yaml is not *.sealed.yaml: never applied, so never tried
    expect(await unsealFailures()).toEqual([]);
    // staging's branch has no secret, so nothing was unsealed there
    expect(secrets.filter(s => s.namespace === 'ml-staging')).toEqual([]);
    expect(JSON.stringify(secrets)).not.toContain(VALUE);
  });
});
