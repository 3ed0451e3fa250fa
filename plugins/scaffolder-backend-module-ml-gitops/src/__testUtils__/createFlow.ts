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
import { JsonObject } from '@backstage/types';
import crypto from 'node:crypto';
import { Sandbox, SANDBOX_CREDENTIALS } from 'sandbox';
import yaml from 'yaml';
import {
  ArgoCdApplicationsClient,
  registerApplication,
} from '../actions/argoCdApplications';
import { readMlGitopsActionsConfig } from '../actions/config';
import { createConfigRepoCreateAction } from '../actions/configRepoCreate';
import { publicKeyFromPem, sealSecret } from '../actions/sealing';
import { SandboxGitHost } from './sandboxGitHosts';
import { fakePermissions, makeContext, outputsOf } from './setup';

/*
 * ml-gitops:config-repo:create with Argo CD on a Git host of the sandbox,
 * the same story on every host: the action creates the repo on the host and
 * registers its Applications with the sandbox's Argo CD; a SealedSecret
 * that reaches secrets/ of dev is applied by the emulated Argo CD from the
 * Application's sources and unsealed by the cluster's Sealed Secrets
 * controller into a Secret.
 */

const VALUE = 'sandbox-db-S3cret-41b7';
const sha256 = (text: string) =>
  crypto.createHash('sha256').update(text).digest('hex');

export type CreateFlow = {
  sandbox: () => Sandbox;
  /** the host, with the repo the action is to create */
  host: () => SandboxGitHost;
  model: string;
  /** the CODEOWNERS owners the step names */
  owners: string[];
  /** the mlGitops.registries entry that holds version 1 of the model */
  registry: () => JsonObject & { name: string };
};

/** The sandbox's state as its admin API answers it. */
export async function sandboxState(sandbox: Sandbox): Promise<{
  deployments: any[];
  secrets: any[];
  unsealFailures: unknown[];
}> {
  const res = await fetch(`${sandbox.urls.admin}/_sandbox/state`);
  return res.json();
}

/**
 * Runs ml-gitops:config-repo:create for the model of `flow` with `config`
 * (its version 1, the owners of `flow`); the action's options and outputs.
 */
export async function createConfigRepo(flow: CreateFlow, config: ConfigReader) {
  const options = {
    permissions: fakePermissions().service,
    integrations: ScmIntegrations.fromConfig(config),
    config: readMlGitopsActionsConfig(config, 'development'),
    catalog: catalogServiceMock({ entities: [] }),
    rootConfig: config,
  };
  const { ctx } = makeContext({
    repoUrl: flow.host().repoUrl,
    model: flow.model,
    version: '1',
    owners: flow.owners,
  });
  await createConfigRepoCreateAction(options).handler(ctx);
  return { options, outputs: outputsOf(ctx) };
}

/** The Secret scorer-db of ml-dev with `password`, sealed for the sandbox's cluster. */
export function sealForDev(sandbox: Sandbox, password: string): string {
  return sealSecret({
    key: publicKeyFromPem(sandbox.sealedSecrets.certificatePem),
    name: 'scorer-db',
    namespace: 'ml-dev',
    scope: 'strict',
    data: { password },
  });
}

/** Runs the story on the host `flow` names; what it ended with. */
export async function configRepoCreateScenario(
  flow: CreateFlow,
): Promise<string[]> {
  const { model } = flow;

  /** The config as app-config.sandbox.yaml wires it, on the sandbox's ports. */
  function actionsConfig() {
    return new ConfigReader({
      integrations: flow.host().integrations(),
      mlGitops: {
        argocd: {
          instances: [
            {
              name: 'main',
              url: flow.sandbox().urls.argocd,
              token: SANDBOX_CREDENTIALS.argocd.token,
            },
          ],
        },
        registries: [flow.registry()],
      },
    });
  }

  async function argo(p: string) {
    const res = await fetch(`${flow.sandbox().urls.argocd}${p}`, {
      headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}` },
    });
    expect(res.status).toBe(200);
    return res.json();
  }

  const host = flow.host();
  const { options, outputs } = await createConfigRepo(flow, actionsConfig());
  expect(outputs).toMatchObject({
    remoteUrl: host.repoUrl,
    defaultBranch: 'dev',
    applications: ['dev', 'staging', 'production'].map(e => ({
      name: `${model}-${e}`,
      instance: 'main',
      registration: 'created',
    })),
  });

  // Argo CD answers the registered spec and has synced the branch.
  const dev = await argo(`/api/v1/applications/${model}-dev`);
  expect(dev.spec.sources.map((s: any) => s.path)).toEqual([
    'deploy/chart',
    'secrets',
  ]);
  const created = await host.branchHead('dev');
  expect(dev.status.sync).toMatchObject({
    status: 'Synced',
    revisions: [created, created],
  });
  expect(
    (await sandboxState(flow.sandbox())).secrets.filter(
      s => s.namespace === 'ml-dev',
    ),
  ).toEqual([]);

  // Registering again is a no-op: Argo CD holds this spec already.
  const client = ArgoCdApplicationsClient.create(options.config.argocd![0]);
  const committed = yaml.parse(
    (await host.readFile('dev', 'argocd/dev.yaml'))!,
  );
  expect(await registerApplication(client, committed, { replace: false })).toBe(
    'unchanged',
  );

  // A SealedSecret reaches dev (as the merge of a seal change would;
  // writeFile names how) next to a YAML file the Application's include
  // pattern leaves out.
  const sealed = sealForDev(flow.sandbox(), VALUE);
  await host.writeFile('dev', 'secrets/scorer-db.sealed.yaml', sealed);
  const head = await host.writeFile(
    'dev',
    'secrets/notes.yaml',
    yaml.stringify({ ...yaml.parse(sealed), metadata: { name: 'not-me' } }),
  );

  // Argo CD refreshes (as the push webhook or its poll would) and syncs.
  const synced = await argo(`/api/v1/applications/${model}-dev?refresh=normal`);
  expect(synced.status.sync).toMatchObject({
    status: 'Synced',
    revisions: [head, head],
  });
  expect(synced.status.operationState.syncResult.revisions).toEqual([
    head,
    head,
  ]);
  const { secrets, unsealFailures } = await sandboxState(flow.sandbox());
  expect(secrets.filter(s => s.namespace === 'ml-dev')).toEqual([
    {
      namespace: 'ml-dev',
      name: 'scorer-db',
      appliedBy: {
        application: `${model}-dev`,
        path: 'secrets/scorer-db.sealed.yaml',
        revision: head,
      },
      data: { password: { sha256: sha256(VALUE), bytes: VALUE.length } },
      createdAt: expect.any(String),
    },
  ]);
  // notes.yaml is not *.sealed.yaml: never applied, so never tried
  expect(unsealFailures).toEqual([]);
  // staging's branch has no secret, so nothing was unsealed there
  expect(secrets.filter(s => s.namespace === 'ml-staging')).toEqual([]);
  expect(JSON.stringify(secrets)).not.toContain(VALUE);

  // The Secrets unsealed in dev.
  return secrets.filter(s => s.namespace === 'ml-dev').map(s => s.name);
}
