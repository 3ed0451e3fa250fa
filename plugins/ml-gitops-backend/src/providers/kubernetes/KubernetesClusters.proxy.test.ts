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

import { AuthService } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { mkdtemp, rm, writeFile } from 'fs/promises';
import { http, HttpResponse, JsonBodyType } from 'msw';
import { setupServer } from 'msw/node';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  mlGitopsServiceProbe,
  MlGitopsServices,
} from '../../__testUtils__/serviceProbe';
import { FluxSource } from '../flux/FluxSource';
import { KubernetesClusters } from './KubernetesClusters';
import { ServingVersions } from './ServingVersions';

/*
 * The real Kubernetes backend plugin (@backstage/plugin-kubernetes-backend)
 * runs in a test backend with its config and catalog cluster locators and
 * answers ML GitOps' `GET /api/kubernetes/clusters` with a plugin service
 * token. Its proxy route cannot run under jest: KubernetesProxy loads
 * @kubernetes/client-node (ESM only) with a dynamic import(), which jest
 * runs only with --experimental-vm-modules, and that flag breaks msw. So msw
 * plays that route, as Backstage's
 * plugins/kubernetes-backend/src/service/KubernetesProxy.ts behaves: it
 * takes the Backstage token, finds the cluster named by the
 * `Backstage-Kubernetes-Cluster` header (404 NotFoundError "Cluster 'x' not
 * found" otherwise), gets the credential from the cluster's auth strategy
 * (OidcStrategy: the `Backstage-Kubernetes-Authorization-oidc-<provider>`
 * header, else "Auth token not found under oidc.<provider> in request
 * body") and passes the cluster's answer through; its own errors are
 * Backstage's serialized errors. Without the Kubernetes plugin, msw plays
 * the clusters' API servers themselves.
 */

const EU = 'https://prod-eu.k8s.example.com';
const OIDC = 'https://prod-oidc.k8s.example.com';
const AWS = 'https://prod-aws.k8s.example.com';
const GKE = 'https://gke-user.k8s.example.com';
const CATALOG = 'https://catalog-ap.k8s.example.com';

/** A metav1.Status, as the API server answers errors. */
function status(code: number, reason: string, message: string) {
  return HttpResponse.json(
    {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    },
    { status: code },
  );
}

/** The APIGroup document a Kubernetes API server serves for a group. */
function apiGroup(group: string, version: string) {
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: [{ groupVersion: `${group}/${version}`, version }],
    preferredVersion: { groupVersion: `${group}/${version}`, version },
  };
}

function inferenceService(name: string, environment: string, version: string) {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: 'models',
      labels: {
        'ml-gitops/model': name,
        'ml-gitops/environment': environment,
        'ml-gitops/model-version': version,
      },
    },
    spec: { predictor: { model: { modelFormat: { name: 'mlflow' } } } },
  };
}

/**
 * An API server serving KServe with one InferenceService, for requests
 * whose Authorization `accepts`.
 */
function apiServer(
  base: string,
  accepts: (authorization: string | null) => boolean,
  service: JsonBodyType,
  seen: Array<{ base: string; authorization: string | null }>,
) {
  const guard = (request: Request) => {
    const authorization = request.headers.get('authorization');
    seen.push({ base, authorization });
    return accepts(authorization)
      ? undefined
      : status(401, 'Unauthorized', 'Unauthorized');
  };
  return [
    http.get(
      `${base}/apis/serving.kserve.io`,
      ({ request }) =>
        guard(request) ??
        HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1')),
    ),
    http.get(
      `${base}/apis/serving.kserve.io/v1beta1/inferenceservices`,
      ({ request }) =>
        guard(request) ??
        HttpResponse.json({
          kind: 'InferenceServiceList',
          apiVersion: 'serving.kserve.io/v1beta1',
          metadata: { resourceVersion: '1' },
          items: [service],
        }),
    ),
  ];
}

/** An error as Backstage's error handler serializes it. */
function backstageError(
  statusCode: number,
  name: string,
  message: string,
  request: Request,
) {
  return HttpResponse.json(
    {
      error: { name, message },
      request: { method: request.method, url: new URL(request.url).pathname },
      response: { statusCode },
    },
    { status: statusCode },
  );
}

type ProxiedRequest = {
  cluster: string;
  method: string;
  path: string;
  oidc: Record<string, string>;
  contentType: string | null;
  body: string;
};

/**
 * The Kubernetes plugin's proxy route at `base`, for clusters that answer
 * with `answer` (a cluster's own answer, or undefined when the proxy cannot
 * reach it). `oidcProviders` names the token provider of each oidc cluster.
 */
function kubernetesProxy(options: {
  base: string;
  serviceToken: string;
  clusters: string[];
  oidcProviders: Record<string, string>;
  answer: (r: ProxiedRequest) => Response | undefined;
  seen: ProxiedRequest[];
}) {
  return http.all(`${options.base}/proxy/*`, async ({ request }) => {
    if (
      request.headers.get('authorization') !== `Bearer ${options.serviceToken}`
    ) {
      return backstageError(
        401,
        'AuthenticationError',
        'Illegal token',
        request,
      );
    }
    const cluster = request.headers.get('backstage-kubernetes-cluster') ?? '';
    if (!options.clusters.includes(cluster)) {
      return backstageError(
        404,
        'NotFoundError',
        `Cluster '${cluster}' not found`,
        request,
      );
    }
    const oidc: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      const m = /^backstage-kubernetes-authorization-oidc-(.+)$/.exec(key);
      if (m) oidc[m[1]] = value;
    });
    const provider = options.oidcProviders[cluster];
    if (provider && !oidc[provider]) {
      return backstageError(
        500,
        'Error',
        `Auth token not found under oidc.${provider} in request body`,
        request,
      );
    }
    const url = new URL(request.url);
    const proxied: ProxiedRequest = {
      cluster,
      method: request.method,
      path: `${url.pathname.slice(
        new URL(options.base).pathname.length + '/proxy'.length,
      )}${url.search}`,
      oidc,
      contentType: request.headers.get('content-type'),
      body: await request.text(),
    };
    options.seen.push(proxied);
    return (
      options.answer(proxied) ??
      backstageError(
        500,
        'ForwardedError',
        `Cluster '${cluster}' request error; caused by Error: connect ECONNREFUSED`,
        request,
      )
    );
  });
}

/** A cluster serving KServe with one InferenceService. */
function kserve(
  r: ProxiedRequest,
  service: JsonBodyType,
): Response | undefined {
  const path = r.path.split('?')[0];
  if (path === '/apis/serving.kserve.io') {
    return HttpResponse.json(apiGroup('serving.kserve.io', 'v1beta1'));
  }
  if (path === '/apis/serving.kserve.io/v1beta1/inferenceservices') {
    return HttpResponse.json({
      kind: 'InferenceServiceList',
      apiVersion: 'serving.kserve.io/v1beta1',
      metadata: { resourceVersion: '1' },
      items: [service],
    });
  }
  return status(
    404,
    'NotFound',
    'the server could not find the requested resource',
  );
}

/** The token ML GitOps' own service credentials give for the Kubernetes plugin. */
async function serviceToken(auth: AuthService) {
  const { token } = await auth.getPluginRequestToken({
    onBehalfOf: await auth.getOwnServiceCredentials(),
    targetPluginId: 'kubernetes',
  });
  return token;
}

/** A kubernetes-cluster Resource, as the catalog cluster locator reads it. */
function clusterResource(
  name: string,
  annotations: Record<string, string>,
  type = 'kubernetes-cluster',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, namespace: 'default', annotations },
    spec: { type, owner: 'group:platform' },
  };
}

const CA = Buffer.from(
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
).toString('base64');

const kubernetesConfig = {
  serviceLocatorMethod: { type: 'multiTenant' },
  clusterLocatorMethods: [
    {
      type: 'config',
      clusters: [
        {
          name: 'prod-eu',
          url: EU,
          authProvider: 'serviceAccount',
          serviceAccountToken: 'eu-sa-token',
        },
        {
          name: 'prod-oidc',
          url: OIDC,
          authProvider: 'oidc',
          oidcTokenProvider: 'okta',
        },
        { name: 'prod-aws', url: AWS, authProvider: 'aws' },
        { name: 'gke-user', url: GKE, authProvider: 'google' },
      ],
    },
    // The catalog locator refuses API servers that resolve to private
    // addresses unless allowed; example.com is not looked up here.
    { type: 'catalog', dangerouslyAllowClusterUrls: ['*.k8s.example.com'] },
  ],
};

const entities = [
  clusterResource('catalog-ap', {
    'kubernetes.io/api-server': CATALOG,
    'kubernetes.io/api-server-certificate-authority': CA,
    'kubernetes.io/auth-provider': 'oidc',
    'kubernetes.io/oidc-token-provider': 'okta',
  }),
  // Not a cluster, and a cluster without its CA: the locator skips both.
  clusterResource(
    'orders-db',
    {
      'kubernetes.io/api-server': 'https://db.k8s.example.com',
      'kubernetes.io/api-server-certificate-authority': CA,
      'kubernetes.io/auth-provider': 'aws',
    },
    'database',
  ),
  clusterResource('no-ca', {
    'kubernetes.io/api-server': 'https://no-ca.k8s.example.com',
    'kubernetes.io/auth-provider': 'aws',
  }),
];

/** Starts a backend with the ml-gitops services and, if asked, the Kubernetes plugin. */
async function backend(options: {
  withKubernetesPlugin: boolean;
  mlGitops?: object;
}): Promise<MlGitopsServices & { stop: () => Promise<void> }> {
  const probe = mlGitopsServiceProbe();
  const started = await startTestBackend({
    features: [
      probe.feature,
      ...(options.withKubernetesPlugin ? [kubernetesPlugin] : []),
      mockServices.rootConfig.factory({
        data: { kubernetes: kubernetesConfig, mlGitops: options.mlGitops },
      }),
      catalogServiceMock.factory({ entities }),
    ],
  });
  return { ...probe.services(), stop: () => started.stop() };
}

jest.setTimeout(30_000);

describe('KubernetesClusters', () => {
  // Requests to the test backend itself pass; any other unhandled request
  // is an error.
  const server = setupServer();
  beforeAll(() =>
    server.listen({
      onUnhandledRequest(request, print) {
        if (new URL(request.url).hostname !== 'localhost') print.error();
      },
    }),
  );
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  registerContractChecks(server);

  let tokenDir: string;
  beforeAll(async () => {
    tokenDir = await mkdtemp(join(tmpdir(), 'ml-gitops-oidc-'));
  });
  afterAll(() => rm(tokenDir, { recursive: true, force: true }));

  const CLUSTERS = [
    'prod-eu',
    'prod-oidc',
    'prod-aws',
    'gke-user',
    'catalog-ap',
  ];
  const OIDC_PROVIDERS = { 'prod-oidc': 'okta', 'catalog-ap': 'okta' };

  it('reads every cluster the Kubernetes plugin lists (config and catalog) through its proxy', async () => {
    const { discovery, auth, config, stop } = await backend({
      withKubernetesPlugin: true,
      mlGitops: {
        kubernetes: { oidcTokens: { okta: { token: 'okta-id-token' } } },
      },
    });
    try {
      const seen: ProxiedRequest[] = [];
      server.use(
        kubernetesProxy({
          base: await discovery.getBaseUrl('kubernetes'),
          serviceToken: await serviceToken(auth),
          clusters: CLUSTERS,
          oidcProviders: OIDC_PROVIDERS,
          answer: r =>
            kserve(
              r,
              inferenceService(
                `${r.cluster}-model`,
                'production',
                String(r.cluster.length),
              ),
            ),
          seen,
        }),
      );
      const logger = mockServices.logger.mock();
      const clusters = KubernetesClusters.create({
        config,
        discovery,
        auth,
        logger,
      });
      await clusters.refresh();
      // The real plugin's list: its config clusters, then the catalog's
      // kubernetes-cluster Resource (not the database, not the one without
      // a CA); the google cluster needs a signed-in user.
      expect(clusters.clients.map(c => c.cluster.name)).toEqual([
        'prod-eu',
        'prod-oidc',
        'prod-aws',
        'catalog-ap',
      ]);
      expect(logger.warn).toHaveBeenCalledWith(
        'Cluster "gke-user" uses the google auth provider, whose token comes from a signed-in user; ML GitOps polls without one and skips it: give the cluster a server-side auth provider (googleServiceAccount, serviceAccount) to have its models read',
      );

      const result = await new ServingVersions(clusters.clients).read();
      expect(result.failures).toEqual([]);
      expect(Object.fromEntries(result.versions)).toEqual({
        [ServingVersions.key('prod-eu-model', 'production')]: '7',
        [ServingVersions.key('prod-oidc-model', 'production')]: '9',
        [ServingVersions.key('prod-aws-model', 'production')]: '8',
        [ServingVersions.key('catalog-ap-model', 'production')]: '10',
      });
      // The OIDC token goes to the oidc clusters only.
      expect(
        seen
          .filter(r => r.path.startsWith('/apis/serving.kserve.io/v1beta1'))
          .map(r => [r.cluster, r.oidc, r.path]),
      ).toEqual(
        expect.arrayContaining([
          [
            'prod-eu',
            {},
            '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops%2Fmodel%2Cml-gitops%2Fmodel-version&limit=500',
          ],
          [
            'prod-oidc',
            { okta: 'okta-id-token' },
            '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops%2Fmodel%2Cml-gitops%2Fmodel-version&limit=500',
          ],
          [
            'prod-aws',
            {},
            '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops%2Fmodel%2Cml-gitops%2Fmodel-version&limit=500',
          ],
          [
            'catalog-ap',
            { okta: 'okta-id-token' },
            '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops%2Fmodel%2Cml-gitops%2Fmodel-version&limit=500',
          ],
        ]),
      );
    } finally {
      await stop();
    }
  });

  it('patches through the proxy and tells the proxy’s refusals from the cluster’s answers', async () => {
    const { discovery, auth, config, stop } = await backend({
      withKubernetesPlugin: true,
    });
    try {
      const seen: ProxiedRequest[] = [];
      server.use(
        kubernetesProxy({
          base: await discovery.getBaseUrl('kubernetes'),
          serviceToken: await serviceToken(auth),
          clusters: CLUSTERS,
          oidcProviders: OIDC_PROVIDERS,
          answer: r => {
            if (r.cluster === 'prod-aws') return undefined;
            if (r.method === 'PATCH') {
              return HttpResponse.json({
                apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
                kind: 'Kustomization',
                metadata: {
                  name: 'fraud-detector-dev',
                  namespace: 'flux-system',
                },
              });
            }
            if (r.path === '/apis/helm.toolkit.fluxcd.io') {
              return status(
                403,
                'Forbidden',
                'forbidden: User "system:serviceaccount:backstage:ml-gitops" cannot get path "/apis/helm.toolkit.fluxcd.io"',
              );
            }
            return status(
              404,
              'NotFound',
              'the server could not find the requested resource',
            );
          },
          seen,
        }),
      );
      const clusters = KubernetesClusters.create({
        config,
        discovery,
        auth,
        logger: mockServices.logger.mock(),
      });
      await clusters.refresh();
      const eu = clusters.client('prod-eu');
      // The cluster's own 404: the group is not served.
      await expect(
        eu.preferredVersion('kustomize.toolkit.fluxcd.io'),
      ).resolves.toBeUndefined();
      // The cluster's own 403 names the credentials to check.
      await expect(
        eu.preferredVersion('helm.toolkit.fluxcd.io'),
      ).rejects.toThrow(
        'Cluster "prod-eu" answered 403 to /apis/helm.toolkit.fluxcd.io: forbidden: User "system:serviceaccount:backstage:ml-gitops" cannot get path "/apis/helm.toolkit.fluxcd.io"; check the serviceAccount credentials of this cluster in the Kubernetes plugin\'s config and the RBAC of the identity they give',
      );
      await eu.annotate(
        'kustomize.toolkit.fluxcd.io',
        'v1',
        'kustomizations',
        'flux-system',
        'fraud-detector-dev',
        { 'reconcile.fluxcd.io/requestedAt': '2026-01-02T03:04:05.000Z' },
      );
      expect(seen.filter(r => r.method === 'PATCH')).toEqual([
        {
          cluster: 'prod-eu',
          method: 'PATCH',
          path: '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/fraud-detector-dev',
          oidc: {},
          contentType: 'application/merge-patch+json',
          body: JSON.stringify({
            metadata: {
              annotations: {
                'reconcile.fluxcd.io/requestedAt': '2026-01-02T03:04:05.000Z',
              },
            },
          }),
        },
      ]);

      // The proxy could not reach the cluster: its own 500, not the cluster's.
      await expect(
        clusters.client('prod-aws').preferredVersion('serving.kserve.io'),
      ).rejects.toThrow(
        "Cluster \"prod-aws\": the Kubernetes plugin's proxy answered 500 to /apis/serving.kserve.io: Cluster 'prod-aws' request error; caused by Error: connect ECONNREFUSED",
      );
      // Without a token for okta, the oidc clusters are left out and say why.
      expect(clusters.clients.map(c => c.cluster.name)).toEqual([
        'prod-eu',
        'prod-aws',
      ]);
      await expect(
        clusters.client('prod-oidc').preferredVersion('serving.kserve.io'),
      ).rejects.toThrow(
        'Cluster "prod-oidc" uses the oidc auth provider (oidcTokenProvider okta), whose token comes from a signed-in user; ML GitOps polls without one: set mlGitops.kubernetes.oidcTokens.okta to a token the cluster accepts',
      );
      // A name the plugin does not list (mlGitops.flux.clusters).
      await expect(
        new FluxSource(
          clusters.client('prod-us'),
          mockServices.logger.mock(),
        ).listObservations(),
      ).rejects.toThrow(
        'The Kubernetes plugin lists no cluster named "prod-us" (it lists prod-eu, prod-oidc, prod-aws, gke-user, catalog-ap); check mlGitops.flux.clusters and kubernetes.clusterLocatorMethods',
      );
    } finally {
      await stop();
    }
  });

  it('tells a cluster the proxy does not know from a resource the cluster does not serve', async () => {
    const { discovery, auth, config, stop } = await backend({
      withKubernetesPlugin: true,
    });
    try {
      // The plugin listed prod-eu, but by the time of the request its
      // locator no longer has it (a catalog cluster removed, say).
      server.use(
        kubernetesProxy({
          base: await discovery.getBaseUrl('kubernetes'),
          serviceToken: await serviceToken(auth),
          clusters: [],
          oidcProviders: {},
          answer: () => undefined,
          seen: [],
        }),
      );
      const clusters = KubernetesClusters.create({
        config,
        discovery,
        auth,
        logger: mockServices.logger.mock(),
      });
      await clusters.refresh();
      await expect(
        clusters
          .client('prod-eu')
          .list('serving.kserve.io', 'v1beta1', 'inferenceservices', 'x'),
      ).rejects.toThrow(
        "Cluster \"prod-eu\": the Kubernetes plugin's proxy answered 404 to /apis/serving.kserve.io/v1beta1/inferenceservices: Cluster 'prod-eu' not found; the Kubernetes plugin lists no cluster of that name",
      );
    } finally {
      await stop();
    }
  });

  it('reads an OIDC token from a file at every request, so a renewed token is used', async () => {
    const file = join(tokenDir, 'okta-token');
    await writeFile(file, 'first-token\n');
    const { discovery, auth, config, stop } = await backend({
      withKubernetesPlugin: true,
      mlGitops: { kubernetes: { oidcTokens: { okta: { tokenFile: file } } } },
    });
    try {
      const seen: ProxiedRequest[] = [];
      server.use(
        kubernetesProxy({
          base: await discovery.getBaseUrl('kubernetes'),
          serviceToken: await serviceToken(auth),
          clusters: CLUSTERS,
          oidcProviders: OIDC_PROVIDERS,
          answer: r => kserve(r, inferenceService('m', 'dev', '1')),
          seen,
        }),
      );
      const clusters = KubernetesClusters.create({
        config,
        discovery,
        auth,
        logger: mockServices.logger.mock(),
      });
      const oidc = clusters.client('prod-oidc');
      await expect(oidc.preferredVersion('serving.kserve.io')).resolves.toBe(
        'v1beta1',
      );
      await writeFile(file, 'second-token\n');
      // Discovery is cached: the next request is the list.
      await expect(
        oidc.listServed('serving.kserve.io', 'inferenceservices', 'x'),
      ).resolves.toHaveLength(1);
      expect(seen.map(r => r.oidc)).toEqual([
        { okta: 'first-token' },
        { okta: 'second-token' },
      ]);
      await rm(file);
      await expect(
        oidc.listServed('serving.kserve.io', 'inferenceservices', 'x'),
      ).rejects.toThrow(
        `mlGitops.kubernetes.oidcTokens.okta.tokenFile cannot be read: ENOENT`,
      );
    } finally {
      await stop();
    }
  });

  it('without the Kubernetes backend plugin, reads the config clusters with a service-account token directly', async () => {
    const seen: Array<{ base: string; authorization: string | null }> = [];
    server.use(
      ...apiServer(
        EU,
        a => a === 'Bearer eu-sa-token',
        inferenceService('eu-model', 'production', '3'),
        seen,
      ),
    );
    const { discovery, auth, config, stop } = await backend({
      withKubernetesPlugin: false,
    });
    try {
      const logger = mockServices.logger.mock();
      const clusters = KubernetesClusters.create({
        config,
        discovery,
        auth,
        logger,
      });
      await clusters.refresh();
      expect(clusters.clients.map(c => c.cluster.name)).toEqual(['prod-eu']);
      expect(logger.warn).toHaveBeenCalledWith(
        'Cluster "prod-aws" has no serviceAccountToken (authProvider aws); without the Kubernetes backend plugin ML GitOps reaches only config clusters with a serviceAccountToken: install the plugin to have this cluster read with its auth provider',
      );
      const result = await new ServingVersions(clusters.clients).read();
      expect(result.failures).toEqual([]);
      expect([...result.versions.values()]).toEqual(['3']);
      expect(seen).toEqual([
        { base: EU, authorization: 'Bearer eu-sa-token' },
        { base: EU, authorization: 'Bearer eu-sa-token' },
      ]);
    } finally {
      await stop();
    }
  });

  it('refuses an oidcTokens entry without exactly one of token and tokenFile', async () => {
    const { discovery, auth, stop } = await backend({
      withKubernetesPlugin: false,
    });
    try {
      expect(() =>
        KubernetesClusters.create({
          config: mockServices.rootConfig({
            data: {
              mlGitops: {
                kubernetes: {
                  oidcTokens: { okta: { token: 'a', tokenFile: '/t' } },
                },
              },
            },
          }),
          discovery,
          auth,
          logger: mockServices.logger.mock(),
        }),
      ).toThrow(
        'mlGitops.kubernetes.oidcTokens.okta needs exactly one of token and tokenFile',
      );
    } finally {
      await stop();
    }
  });
});
