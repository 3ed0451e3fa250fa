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

import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { setupServer } from 'msw/node';
import yaml from 'yaml';
import { fakeGithubOwner } from '../__testUtils__/fakeGithubOwner';
import {
  fakeKubernetesApply,
  KUBE_TOKEN,
  KUBE_URL,
} from '../__testUtils__/fakeKubernetesApply';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import {
  fakeMlflow,
  makeContext,
  makeOptions,
  outputsOf,
} from '../__testUtils__/setup';
import { MlGitopsActionsConfig } from './config';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { resolveOperator } from './configRepoCreateInputs';
import { FluxRegistrationClient } from './fluxRegistration';

/*
 * ml-gitops:config-repo:create with operator flux: the Flux objects are
 * committed and server-side applied through the cluster's Kubernetes API
 * (msw answers as kube-apiserver; see __testUtils__/fakeKubernetesApply.ts).
 */

const server = setupServer();
registerMswTestHooks(server);
jest.setTimeout(60_000);

let remote: LocalConfigRepo;
beforeEach(() => {
  remote = new LocalConfigRepo();
});
afterEach(() => remote.cleanup());

const input = {
  repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
  model: 'fraud-detector',
  version: '1',
  owners: ['@acme/ml-team'],
};
const ENVIRONMENTS = ['dev', 'staging', 'production'];

const rootConfig = new ConfigReader({
  kubernetes: {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: [
          {
            name: 'prod-eu',
            url: `${KUBE_URL}/`,
            authProvider: 'serviceAccount',
            serviceAccountToken: KUBE_TOKEN,
          },
        ],
      },
    ],
  },
});

function setup(kube: ReturnType<typeof fakeKubernetesApply>) {
  const github = fakeGithubOwner({ owner: 'acme', type: 'Organization' });
  server.use(
    ...github.handlers,
    ...kube.handlers,
    ...fakeMlflow('fraud-detector', [{ version: '1', metrics: { auc: 0.95 } }]),
  );
  const options = makeOptions();
  const config: MlGitopsActionsConfig = {
    ...options.config,
    fluxClusters: ['prod-eu'],
  };
  delete config.argocd;
  const action = createConfigRepoCreateAction({
    ...options,
    config,
    rootConfig,
    remoteUrl: () => remote.bare,
  });
  return { action, config };
}

/** The documents of flux/<environment>.yaml as committed on the first branch. */
function committedFluxObjects(environment: string) {
  return yaml
    .parseAllDocuments(remote.show('dev', `flux/${environment}.yaml`))
    .map(d => d.toJS());
}

describe('ml-gitops:config-repo:create with Flux', () => {
  it('commits and server-side applies a GitRepository and two Kustomizations per environment', async () => {
    const kube = fakeKubernetesApply();
    const { action } = setup(kube);
    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);

    const patches = kube.requests.filter(r => r.method === 'PATCH');
    expect(patches.map(p => p.body)).toEqual(
      ENVIRONMENTS.flatMap(committedFluxObjects),
    );
    expect(
      patches.every(
        p =>
          p.contentType === 'application/apply-patch+yaml' &&
          p.path.endsWith('?fieldManager=ml-gitops'),
      ),
    ).toBe(true);
    expect(patches.slice(0, 3).map(p => p.path.split('?')[0])).toEqual([
      '/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/fraud-detector-dev',
      '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/fraud-detector-dev',
      '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/fraud-detector-dev-secrets',
    ]);
    const [source, model, secrets] = patches.slice(3, 6).map(p => p.body);
    expect(source.spec).toEqual({
      interval: '1m',
      url: 'https://github.com/acme/fraud-detector-config.git',
      ref: { branch: 'staging' },
    });
    // the backend reads the environment from the model's Kustomization
    expect(model.metadata.labels).toEqual({
      'ml-gitops/model': 'fraud-detector',
      'ml-gitops/environment': 'staging',
    });
    expect(model.spec).toMatchObject({
      path: './deploy/flux',
      sourceRef: { kind: 'GitRepository', name: 'fraud-detector-staging' },
      postBuild: {
        substitute: {
          ml_gitops_environment: 'staging',
          ml_gitops_namespace: 'ml-staging',
        },
      },
    });
    expect(secrets.metadata.labels).toEqual({
      'ml-gitops/model': 'fraud-detector',
    });
    expect(secrets.spec).toMatchObject({
      path: './secrets',
      targetNamespace: 'ml-staging',
      dependsOn: [{ name: 'fraud-detector-staging' }],
    });

    // the HelmRelease the model's Kustomization applies, from the branch
    const release = yaml.parse(
      remote.show('dev', 'deploy/flux/helmrelease.yaml'),
    );
    expect(release).toMatchObject({
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: {
        name: 'fraud-detector-${ml_gitops_environment}',
        namespace: 'flux-system',
        labels: {
          'ml-gitops/model': 'fraud-detector',
          'ml-gitops/environment': '${ml_gitops_environment}',
        },
      },
      spec: {
        targetNamespace: '${ml_gitops_namespace}',
        chart: {
          spec: {
            chart: './deploy/chart',
            reconcileStrategy: 'Revision',
            sourceRef: {
              kind: 'GitRepository',
              name: 'fraud-detector-${ml_gitops_environment}',
            },
            valuesFiles: ['./deploy/chart/values.yaml', './deploy/model.yaml'],
          },
        },
        values: { environment: '${ml_gitops_environment}' },
      },
    });
    // Flux deploys this repo: no Argo CD Applications in it
    expect(() => remote.show('dev', 'argocd/dev.yaml')).toThrow();
    expect(remote.show('dev', 'README.md')).toContain(
      'flux/<environment>.yaml',
    );

    expect(kube.objects.size).toBe(9);
    expect(
      kube.requests.every(r => r.authorization === `Bearer ${KUBE_TOKEN}`),
    ).toBe(true);
    expect(outputsOf(ctx).fluxObjects).toEqual(
      ENVIRONMENTS.flatMap(e => [
        {
          kind: 'GitRepository',
          name: `flux-system/fraud-detector-${e}`,
          cluster: 'prod-eu',
          registration: 'created',
        },
        {
          kind: 'Kustomization',
          name: `flux-system/fraud-detector-${e}`,
          cluster: 'prod-eu',
          registration: 'created',
        },
        {
          kind: 'Kustomization',
          name: `flux-system/fraud-detector-${e}-secrets`,
          cluster: 'prod-eu',
          registration: 'created',
        },
      ]),
    );
    expect(logs.join('\n')).toContain(
      'Applied Kustomization flux-system/fraud-detector-production-secrets on cluster "prod-eu"',
    );
    expect(logs.join('\n')).not.toContain(KUBE_TOKEN);

    // Applying the committed objects again changes nothing.
    const client = FluxRegistrationClient.fromConfig(rootConfig, 'prod-eu');
    for (const object of committedFluxObjects('production')) {
      expect(await client.apply(object)).toBe('unchanged');
    }
    const changed = committedFluxObjects('dev')[0];
    changed.spec.interval = '5m';
    expect(await client.apply(changed)).toBe('updated');
  });

  it('reads an apply that changes none of the labels and spec as unchanged while the controllers write the status', async () => {
    const kube = fakeKubernetesApply({ statusWrites: true });
    const { action } = setup(kube);
    const { ctx } = makeContext(input);
    await action.handler(ctx);

    const client = FluxRegistrationClient.fromConfig(rootConfig, 'prod-eu');
    for (const object of committedFluxObjects('staging')) {
      const path = `/apis/${object.apiVersion}/namespaces/flux-system/${
        object.kind === 'GitRepository' ? 'gitrepositories' : 'kustomizations'
      }/${object.metadata.name}`;
      const before = kube.objects.get(path)!.metadata.resourceVersion;
      expect(await client.apply(object)).toBe('unchanged');
      // the status write after the read moved the resourceVersion
      expect(kube.objects.get(path)!.metadata.resourceVersion).not.toBe(before);
    }
    const relabelled = committedFluxObjects('staging')[1];
    relabelled.metadata.labels = {
      ...relabelled.metadata.labels,
      'ml-gitops/environment': 'qa',
    };
    expect(await client.apply(relabelled)).toBe('updated');
  });

  it('references the Git credentials Secret and uses the given namespace; a dry run shows the objects and sends nothing', async () => {
    const kube = fakeKubernetesApply();
    const { action } = setup(kube);
    const withSecret = {
      ...input,
      fluxNamespace: 'gitops',
      fluxSecretRef: 'github-fraud-detector',
    };
    const dry = makeContext(withSecret, { isDryRun: true });
    await action.handler(dry.ctx);
    expect(kube.requests).toEqual([]);
    const shown = dry.logs
      .filter(l => l.includes('would apply on cluster "prod-eu"'))
      .map(l => yaml.parse(l.slice(l.indexOf('\n') + 1)));
    expect(shown).toHaveLength(9);
    expect(shown[0]).toMatchObject({
      kind: 'GitRepository',
      metadata: { name: 'fraud-detector-dev', namespace: 'gitops' },
      spec: { secretRef: { name: 'github-fraud-detector' } },
    });
    expect(outputsOf(dry.ctx).fluxObjects).toHaveLength(9);
    expect(
      (outputsOf(dry.ctx).fluxObjects as any[]).every(
        o => o.registration === 'dry-run',
      ),
    ).toBe(true);

    const { ctx } = makeContext(withSecret);
    await action.handler(ctx);
    expect([...kube.objects.keys()][0]).toBe(
      '/apis/source.toolkit.fluxcd.io/v1/namespaces/gitops/gitrepositories/fraud-detector-dev',
    );
    expect(committedFluxObjects('dev')[0].spec.secretRef).toEqual({
      name: 'github-fraud-detector',
    });
  });

  it('says which RBAC is missing when the cluster refuses the apply', async () => {
    const kube = fakeKubernetesApply({ forbidWrites: true });
    const { action } = setup(kube);
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      /answered 403 .*cannot patch resource "gitrepositories".*a Role granting get, create and patch on gitrepositories/,
    );
  });

  it('refuses a cluster without Flux v1 objects before applying anything', async () => {
    const kube = fakeKubernetesApply({
      groups: { 'source.toolkit.fluxcd.io': ['v1beta2'] },
    });
    const { action } = setup(kube);
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(
      'Cluster "prod-eu" serves source.toolkit.fluxcd.io in v1beta2, not v1: upgrade Flux to 2.3 or newer there',
    );
    expect(kube.requests.filter(r => r.method === 'PATCH')).toEqual([]);
  });
});

describe('FluxRegistrationClient', () => {
  it("reaches a cluster without a serviceAccountToken through the Kubernetes plugin's proxy", async () => {
    const auth = mockServices.auth();
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'kubernetes',
    });
    const base = 'https://backstage.example.com/api/kubernetes';
    const kube = fakeKubernetesApply({ url: `${base}/proxy`, token });
    server.use(...kube.handlers);
    const config = new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              // a CA of its own: the Kubernetes plugin holds the TLS settings
              {
                name: 'prod-eu',
                url: KUBE_URL,
                serviceAccountToken: KUBE_TOKEN,
                caData: 'LS0tLS1CRUdJTi==',
              },
            ],
          },
        ],
      },
    });
    const client = FluxRegistrationClient.fromConfig(config, 'prod-eu', {
      discovery: {
        getBaseUrl: async () => base,
        getExternalBaseUrl: async () => base,
      },
      auth,
    });
    const object = {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository' as const,
      metadata: { name: 'm-dev', namespace: 'flux-system', labels: {} },
      spec: { interval: '1m', url: 'https://github.com/acme/m.git' },
    };
    expect(await client.apply(object)).toBe('created');
    const patch = kube.requests.find(r => r.method === 'PATCH')!;
    expect(patch.cluster).toBe('prod-eu');
    expect(patch.authorization).toBe(`Bearer ${token}`);
    expect(patch.path).toBe(
      '/api/kubernetes/proxy/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/m-dev?fieldManager=ml-gitops',
    );

    // without the proxy's services, such a cluster cannot be reached
    expect(() => FluxRegistrationClient.fromConfig(config, 'prod-eu')).toThrow(
      `Cluster "prod-eu" has caData or skipTLSVerify, which only the Kubernetes plugin applies, and the Kubernetes plugin's proxy is not available to this action`,
    );
  });
});

describe('resolveOperator', () => {
  const base = makeOptions().config;
  it('defaults to flux when only a Flux cluster is configured, and checks the Flux inputs', () => {
    const fluxOnly = { ...base, argocd: undefined, fluxClusters: ['a', 'b'] };
    expect(resolveOperator({}, fluxOnly)).toEqual({
      operator: 'flux',
      cluster: 'a',
    });
    expect(resolveOperator({ fluxCluster: 'b' }, fluxOnly)).toEqual({
      operator: 'flux',
      cluster: 'b',
    });
    expect(() => resolveOperator({ fluxCluster: 'c' }, fluxOnly)).toThrow(
      'fluxCluster "c" is not configured; choose one of a, b (mlGitops.flux.clusters)',
    );
    expect(() =>
      resolveOperator({ operator: 'none', fluxSecretRef: 'x' }, fluxOnly),
    ).toThrow('fluxSecretRef is set but operator is none');
    expect(() =>
      resolveOperator({ operator: 'flux' }, { ...base, argocd: undefined }),
    ).toThrow('operator flux needs a cluster in mlGitops.flux.clusters');
  });
});
