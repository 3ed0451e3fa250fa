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
import crypto from 'node:crypto';
import { SANDBOX_CREDENTIALS } from 'sandbox';
import yaml from 'yaml';
import { FluxRegistrationClient } from '../actions/fluxRegistration';
import {
  CreateFlow,
  createConfigRepo,
  sandboxState,
  sealForDev,
} from './createFlow';

/*
 * ml-gitops:config-repo:create with Flux on a Git host of the sandbox, the
 * same story on every host: the action creates the repo on the host and
 * server-side applies its Flux objects through the sandbox's Kubernetes
 * API; the emulated Flux deploys the model from the host's branch, and a
 * SealedSecret that reaches secrets/ of dev is applied by the secrets'
 * Kustomization and unsealed by the cluster's Sealed Secrets controller.
 */

const VALUE = 'sandbox-flux-S3cret-9c21';
const sha256 = (text: string) =>
  crypto.createHash('sha256').update(text).digest('hex');

/** Runs the story on the host `flow` names; what it ended with. */
export async function configRepoCreateFluxScenario(
  flow: CreateFlow,
): Promise<string[][]> {
  const { model } = flow;

  /** The config as app-config.sandbox.yaml wires it, without Argo CD, on the sandbox's ports. */
  function rootConfig() {
    return new ConfigReader({
      integrations: flow.host().integrations(),
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              {
                name: 'sandbox',
                url: flow.sandbox().urls.kubernetes,
                authProvider: 'serviceAccount',
                serviceAccountToken: SANDBOX_CREDENTIALS.kubernetes.token,
              },
            ],
          },
        ],
      },
      mlGitops: {
        flux: { clusters: ['sandbox'] },
        registries: [flow.registry()],
      },
    });
  }

  async function kube(p: string, init: RequestInit = {}) {
    const res = await fetch(`${flow.sandbox().urls.kubernetes}${p}`, {
      ...init,
      headers: {
        authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    expect(res.status).toBe(200);
    return res.json();
  }

  const host = flow.host();
  const config = rootConfig();
  // operator flux is the default: a Flux cluster and no Argo CD instance
  const created = await createConfigRepo(flow, config);
  const outputs = created.outputs.fluxObjects as any[];
  expect(outputs).toHaveLength(9);
  expect(outputs.every(o => o.registration === 'created')).toBe(true);

  // The emulated Flux serves version 1 in every environment.
  const deployments = (await sandboxState(flow.sandbox())).deployments.filter(
    (d: any) => d.model === model,
  );
  expect(
    deployments.map((d: any) => [d.environment, d.operator, d.liveVersion]),
  ).toEqual([
    ['dev', 'flux', '1'],
    ['staging', 'flux', '1'],
    ['production', 'flux', '1'],
  ]);

  // The Kubernetes API answers the applied objects; the backend's
  // label selector finds the model's Kustomization first.
  const listed = await kube(
    `/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations?labelSelector=${encodeURIComponent(
      `ml-gitops/model=${model},ml-gitops/environment=dev`,
    )}`,
  );
  expect(listed.items.map((k: any) => k.metadata.name)).toEqual([
    `${model}-dev`,
  ]);
  const devHead = deployments[0].appliedRevision;
  expect(listed.items[0].status.lastAppliedRevision).toBe(
    `dev@sha1:${devHead}`,
  );
  expect(listed.items[0].spec.postBuild.substitute).toEqual({
    ml_gitops_environment: 'dev',
    ml_gitops_namespace: 'ml-dev',
  });
  const secretsKs = await kube(
    `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/${model}-dev-secrets`,
  );
  expect(secretsKs.spec).toMatchObject({
    path: './secrets',
    targetNamespace: 'ml-dev',
  });

  // Applying the committed objects again changes nothing.
  const client = FluxRegistrationClient.fromConfig(config, 'sandbox');
  const committed = yaml
    .parseAllDocuments((await host.readFile('dev', 'flux/dev.yaml'))!)
    .map(d => d.toJS());
  for (const object of committed) {
    expect(await client.apply(object)).toBe('unchanged');
  }

  // A SealedSecret reaches dev (as the merge of a seal change would).
  const sealed = sealForDev(flow.sandbox(), VALUE);
  const head = await host.writeFile(
    'dev',
    'secrets/scorer-db.sealed.yaml',
    sealed,
  );

  // Flux reconciles (as `flux reconcile kustomization` or its interval would).
  await kube(
    `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/${model}-dev`,
    {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({
        metadata: {
          annotations: {
            'reconcile.fluxcd.io/requestedAt': new Date().toISOString(),
          },
        },
      }),
    },
  );
  let secrets: any[] = [];
  for (let i = 0; i < 50; i++) {
    secrets = (await sandboxState(flow.sandbox())).secrets.filter(
      (s: any) => s.namespace === 'ml-dev',
    );
    if (secrets.length > 0) break;
    await new Promise(r => setTimeout(r, 100));
  }
  expect(secrets).toEqual([
    {
      namespace: 'ml-dev',
      name: 'scorer-db',
      appliedBy: {
        application: `${model}-dev-secrets`,
        path: 'secrets/scorer-db.sealed.yaml',
        revision: head,
      },
      data: { password: { sha256: sha256(VALUE), bytes: VALUE.length } },
      createdAt: expect.any(String),
    },
  ]);
  const after = await sandboxState(flow.sandbox());
  expect(after.unsealFailures).toEqual([]);
  expect(
    after.deployments.find(
      (d: any) => d.model === model && d.environment === 'dev',
    ).appliedRevision,
  ).toBe(head);
  expect(
    after.secrets.filter((s: any) => s.namespace === 'ml-staging'),
  ).toEqual([]);
  expect(JSON.stringify(after)).not.toContain(VALUE);

  // Where Flux deployed the model, and the version it served first.
  return deployments.map((d: any) => [
    d.environment,
    d.operator,
    d.liveVersion,
  ]);
}
