import {
  mockServices,
  registerMswTestHooks,
} from '@backstage/backend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { KubernetesClusterClient } from '../kubernetes/KubernetesClusters';
import { FluxSource, fluxRevisionCommit } from './FluxSource';

const KUBE = 'https://prod-eu.example.com';
const SHA = '9f2c1e4b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';

function kustomization(
  name: string,
  environment: string,
  conditions: object[],
  lastAppliedRevision?: string,
) {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name,
      namespace: 'flux-system',
      labels: {
        'ml-gitops/model': 'recsys-ranker',
        'ml-gitops/environment': environment,
      },
    },
    spec: {
      interval: '5m',
      path: './deploy',
      sourceRef: { kind: 'GitRepository', name: `${name}-repo` },
    },
    status: {
      observedGeneration: 3,
      conditions,
      ...(lastAppliedRevision ? { lastAppliedRevision } : {}),
    },
  };
}

describe('FluxSource', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  it('reads the commit from every revision form Flux reports', () => {
    expect(fluxRevisionCommit(`production@sha1:${SHA}`)).toBe(SHA);
    expect(fluxRevisionCommit(`sha1:${SHA}`)).toBe(SHA);
    expect(fluxRevisionCommit(`main/${SHA}`)).toBe(SHA);
    expect(fluxRevisionCommit(SHA.toUpperCase())).toBe(SHA);
    expect(fluxRevisionCommit('0.1.0+9f2c1e4b7a3d')).toBe('9f2c1e4b7a3d');
    expect(fluxRevisionCommit('0.1.0')).toBe('');
    expect(fluxRevisionCommit(undefined)).toBe('');
  });

  it('lists labelled objects at the preferred API version and maps their conditions', async () => {
    const requests: string[] = [];
    server.use(
      http.get(`${KUBE}/apis/kustomize.toolkit.fluxcd.io`, () =>
        HttpResponse.json({
          kind: 'APIGroup',
          apiVersion: 'v1',
          name: 'kustomize.toolkit.fluxcd.io',
          versions: [
            { groupVersion: 'kustomize.toolkit.fluxcd.io/v1', version: 'v1' },
          ],
          preferredVersion: {
            groupVersion: 'kustomize.toolkit.fluxcd.io/v1',
            version: 'v1',
          },
        }),
      ),
      http.get(`${KUBE}/apis/helm.toolkit.fluxcd.io`, () =>
        HttpResponse.json(
          {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: 'the server could not find the requested resource',
            reason: 'NotFound',
            code: 404,
          },
          { status: 404 },
        ),
      ),
      http.get(
        `${KUBE}/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations`,
        ({ request }) => {
          requests.push(new URL(request.url).search);
          expect(request.headers.get('authorization')).toBe('Bearer sa-token');
          return HttpResponse.json({
            kind: 'KustomizationList',
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            metadata: { resourceVersion: '42' },
            items: [
              kustomization(
                'recsys-production',
                'production',
                [
                  {
                    type: 'Ready',
                    status: 'True',
                    reason: 'ReconciliationSucceeded',
                    lastTransitionTime: '2026-11-20T10:00:00Z',
                  },
                ],
                `production@sha1:${SHA}`,
              ),
              kustomization('recsys-staging', 'staging', [
                { type: 'Reconciling', status: 'True', reason: 'Progressing' },
                { type: 'Ready', status: 'Unknown', reason: 'Progressing' },
              ]),
              kustomization('recsys-dev', 'dev', [
                { type: 'Stalled', status: 'True', reason: 'BuildFailed' },
                { type: 'Ready', status: 'False', reason: 'BuildFailed' },
              ]),
            ],
          });
        },
      ),
    );
    const source = new FluxSource(
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        token: 'sa-token',
        skipTLSVerify: false,
      }),
      mockServices.logger.mock(),
    );
    const observations = await source.listObservations();
    expect(requests).toEqual(['?labelSelector=ml-gitops%2Fmodel']);
    expect(observations).toEqual([
      {
        model: 'recsys-ranker',
        environment: 'production',
        source: 'flux',
        instance: 'prod-eu',
        application: 'flux-system/recsys-production',
        syncStatus: 'Ready',
        healthStatus: 'Healthy',
        revision: SHA,
        operationRunning: false,
        lastSyncFinishedAt: '2026-11-20T10:00:00.000Z',
      },
      expect.objectContaining({
        environment: 'staging',
        syncStatus: 'Reconciling',
        healthStatus: 'Progressing',
        revision: '',
        operationRunning: true,
      }),
      expect.objectContaining({
        environment: 'dev',
        syncStatus: 'Stalled',
        healthStatus: 'Degraded',
      }),
    ]);
  });

  it('requests a reconcile of the object and its GitRepository', async () => {
    const patches: Array<{ path: string; body: unknown; type: string | null }> =
      [];
    server.use(
      http.get(`${KUBE}/apis/:group`, ({ params }) =>
        HttpResponse.json({
          kind: 'APIGroup',
          name: params.group,
          preferredVersion: {
            version: params.group === 'helm.toolkit.fluxcd.io' ? 'v2' : 'v1',
          },
        }),
      ),
      http.get(
        `${KUBE}/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations`,
        () =>
          HttpResponse.json({
            kind: 'KustomizationList',
            items: [kustomization('recsys-dev', 'dev', [])],
          }),
      ),
      http.get(`${KUBE}/apis/helm.toolkit.fluxcd.io/v2/helmreleases`, () =>
        HttpResponse.json({ kind: 'HelmReleaseList', items: [] }),
      ),
      http.patch(`${KUBE}/apis/*`, async ({ request }) => {
        patches.push({
          path: new URL(request.url).pathname,
          body: await request.json(),
          type: request.headers.get('content-type'),
        });
        return HttpResponse.json({});
      }),
    );
    const source = new FluxSource(
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        skipTLSVerify: false,
      }),
      mockServices.logger.mock(),
      () => Date.parse('2026-11-28T00:00:00Z'),
    );
    const [observation] = await source.listObservations();
    await source.requestRefresh(observation);
    const annotation = {
      metadata: {
        annotations: {
          'reconcile.fluxcd.io/requestedAt': '2026-11-28T00:00:00.000Z',
        },
      },
    };
    expect(patches).toEqual([
      {
        path: '/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/recsys-dev-repo',
        body: annotation,
        type: 'application/merge-patch+json',
      },
      {
        path: '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/recsys-dev',
        body: annotation,
        type: 'application/merge-patch+json',
      },
    ]);
  });

  it('reports an unreachable or unauthorized cluster clearly', async () => {
    server.use(
      http.get(`${KUBE}/apis/kustomize.toolkit.fluxcd.io`, () =>
        HttpResponse.json(
          {
            kind: 'Status',
            status: 'Failure',
            message: 'Unauthorized',
            reason: 'Unauthorized',
            code: 401,
          },
          { status: 401 },
        ),
      ),
    );
    const source = new FluxSource(
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        skipTLSVerify: false,
      }),
      mockServices.logger.mock(),
    );
    await expect(source.listObservations()).rejects.toThrow(
      'Cluster "prod-eu" answered 401 to /apis/kustomize.toolkit.fluxcd.io: Unauthorized; check the serviceAccountToken of this cluster in the kubernetes config and its RBAC',
    );
  });
});
