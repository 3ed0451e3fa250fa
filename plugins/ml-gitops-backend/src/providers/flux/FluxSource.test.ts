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
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { KubernetesClusterClient } from '../kubernetes/KubernetesClusters';
import { chartVersionCommit, fluxRevisionCommit } from './fluxApplied';
import { FluxSource } from './FluxSource';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const KUBE = 'https://prod-eu.example.com';
const SHA = '9f2c1e4b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f';
const OLD = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const DIGEST =
  '3b6cdcc7adcc9a84d3214ee1c029543789d90b5ae69debe9efa3f66e982875de';

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
      prune: true,
      sourceRef: { kind: 'GitRepository', name: `${name}-repo` },
    },
    status: {
      observedGeneration: 3,
      // Flux writes metav1.Conditions: message and lastTransitionTime always.
      conditions: conditions.map(c => ({
        message: '',
        lastTransitionTime: '2026-11-20T10:00:00Z',
        ...c,
      })),
      ...(lastAppliedRevision ? { lastAppliedRevision } : {}),
    },
  };
}

describe('FluxSource', () => {
  const server = setupServer();
  registerMswTestHooks(server);
  registerContractChecks(server);

  it('reads the commit from every revision form Flux reports', () => {
    expect(fluxRevisionCommit(`production@sha1:${SHA}`)).toBe(SHA);
    expect(fluxRevisionCommit(`sha1:${SHA}`)).toBe(SHA);
    expect(fluxRevisionCommit(`main/${SHA}`)).toBe(SHA);
    expect(fluxRevisionCommit(SHA.toUpperCase())).toBe(SHA);
    expect(fluxRevisionCommit('0.1.0')).toBe('');
    expect(fluxRevisionCommit(undefined)).toBe('');
  });

  it('reads no commit from an OCI or Bucket digest', () => {
    // OCIRepository: <tag>@sha256:<digest>, sha256:<digest>, and before
    // source-controller v1 <tag>/<digest hex>; Bucket: sha256:<digest>.
    expect(fluxRevisionCommit(`v1.2.0@sha256:${DIGEST}`)).toBe('');
    expect(fluxRevisionCommit(`sha256:${DIGEST}`)).toBe('');
    expect(fluxRevisionCommit(`latest/${DIGEST}`)).toBe('');
    expect(fluxRevisionCommit(DIGEST)).toBe('');
  });

  it('reads a commit from a chart version only under reconcileStrategy Revision', () => {
    expect(chartVersionCommit('0.1.0+9f2c1e4b7a3d', 'Revision')).toBe(
      '9f2c1e4b7a3d',
    );
    // with valuesFiles, source-controller appends the HelmChart generation
    expect(chartVersionCommit('0.1.0+9f2c1e4b7a3d.3', 'Revision')).toBe(
      '9f2c1e4b7a3d',
    );
    expect(chartVersionCommit('0.1.0', 'Revision')).toBe('');
    expect(chartVersionCommit('0.1.0+9f2c1e4b7a3d', 'ChartVersion')).toBe('');
    expect(chartVersionCommit('0.1.0+3', 'ChartVersion')).toBe('');
    expect(chartVersionCommit('1.0.0+1234567', undefined)).toBe('');
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
    expect(requests).toEqual(['?labelSelector=ml-gitops%2Fmodel&limit=500']);
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

  /** Serves Kustomizations (v1) and HelmReleases (v2) and records PATCHes. */
  function serveFlux(lists: {
    kustomizations?: object[];
    helmreleases?: object[];
    patchStatus?: number;
  }) {
    const patches: string[] = [];
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
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            items: lists.kustomizations ?? [],
          }),
      ),
      http.get(`${KUBE}/apis/helm.toolkit.fluxcd.io/v2/helmreleases`, () =>
        HttpResponse.json({
          kind: 'HelmReleaseList',
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          items: lists.helmreleases ?? [],
        }),
      ),
      http.patch(`${KUBE}/apis/*`, ({ request }) => {
        patches.push(new URL(request.url).pathname);
        if (lists.patchStatus === 403) {
          const path = new URL(request.url).pathname.split('/');
          return HttpResponse.json(
            {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message: `${path[6]}.${path[2]} "${path[7]}" is forbidden: User "system:serviceaccount:backstage:backstage" cannot patch resource "${path[6]}" in API group "${path[2]}" in the namespace "${path[5]}"`,
              reason: 'Forbidden',
              details: { name: path[7], group: path[2], kind: path[6] },
              code: 403,
            },
            { status: 403 },
          );
        }
        return HttpResponse.json({});
      }),
    );
    return patches;
  }

  function fluxSource(
    logger = mockServices.logger.mock(),
    now = () => Date.parse('2026-11-28T12:00:00Z'),
  ) {
    return new FluxSource(
      KubernetesClusterClient.create({
        name: 'prod-eu',
        url: KUBE,
        skipTLSVerify: false,
      }),
      logger,
      now,
    );
  }

  // kustomize-controller's finalizeStatus after a failed apply: Ready=False
  // with the failure, Reconciling=True reason ProgressingWithRetry
  // (docs/spec/v1/kustomizations.md, "Failed Kustomization").
  const healthCheckFailed = {
    type: 'Ready',
    status: 'False',
    reason: 'HealthCheckFailed',
    message:
      "health check failed after 4m30s: timeout waiting for: [InferenceService/ml-dev/recsys-ranker status: 'InProgress']",
    lastTransitionTime: '2026-11-28T11:20:00Z',
  };

  it('reports a failed apply that Flux retries as NotReady, not as a running operation', async () => {
    const failed = kustomization(
      'recsys-dev',
      'dev',
      [
        {
          type: 'Reconciling',
          status: 'True',
          reason: 'ProgressingWithRetry',
          message: `Detecting drift for revision dev@sha1:${SHA} with a timeout of 4m30s`,
          lastTransitionTime: '2026-11-28T11:15:30Z',
        },
        healthCheckFailed,
      ],
      `dev@sha1:${OLD}`,
    );
    serveFlux({ kustomizations: [failed] });
    const [observation] = await fluxSource().listObservations();
    expect(observation).toMatchObject({
      syncStatus: 'NotReady',
      healthStatus: 'Degraded',
      operationRunning: false,
      revision: OLD,
      statusMessage: healthCheckFailed.message,
    });
  });

  it("maps its readiness to the contract's sync state", async () => {
    serveFlux({
      kustomizations: [
        kustomization(
          'recsys-production',
          'production',
          [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ReconciliationSucceeded',
            },
          ],
          `production@sha1:${SHA}`,
        ),
        kustomization('recsys-staging', 'staging', [
          { type: 'Reconciling', status: 'True', reason: 'Progressing' },
          { type: 'Ready', status: 'Unknown', reason: 'Progressing' },
        ]),
        kustomization('recsys-dev', 'dev', [
          { type: 'Ready', status: 'False', reason: 'BuildFailed' },
        ]),
        kustomization('recsys-qa', 'qa', [
          { type: 'Stalled', status: 'True', reason: 'BuildFailed' },
        ]),
        kustomization('recsys-test', 'test', []),
      ],
    });
    const source = fluxSource();
    const observations = await source.listObservations();
    expect(observations.map(o => [o.environment, source.syncState(o)])).toEqual(
      [
        ['production', 'synced'],
        ['staging', 'reconciling'],
        ['dev', 'out-of-sync'],
        ['qa', 'out-of-sync'],
        ['test', 'unknown'],
      ],
    );
  });

  it('reports the retry of a recorded failure as NotReady, not as a fresh apply', async () => {
    const retrying = kustomization(
      'recsys-dev',
      'dev',
      [
        {
          type: 'Reconciling',
          status: 'True',
          reason: 'Progressing',
          message: `Detecting drift for revision dev@sha1:${SHA} with a timeout of 4m30s`,
        },
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'Progressing',
          message: 'Reconciliation in progress',
        },
      ],
      `dev@sha1:${OLD}`,
    );
    Object.assign(retrying.status, {
      lastAttemptedRevision: `dev@sha1:${SHA}`,
      history: [
        {
          digest: `sha256:${DIGEST}`,
          firstReconciled: '2026-11-28T11:10:00Z',
          lastReconciled: '2026-11-28T11:20:00Z',
          lastReconciledDuration: '4m30s',
          lastReconciledStatus: 'HealthCheckFailed',
          totalReconciliations: 3,
          metadata: { revision: `dev@sha1:${SHA}` },
        },
      ],
    });
    const fresh = kustomization(
      'recsys-staging',
      'staging',
      retrying.status.conditions,
      `staging@sha1:${OLD}`,
    );
    Object.assign(fresh.status, {
      lastAttemptedRevision: `staging@sha1:${SHA}`,
    });
    serveFlux({ kustomizations: [retrying, fresh] });
    const [retry, first] = await fluxSource().listObservations();
    expect(retry).toMatchObject({
      syncStatus: 'NotReady',
      operationRunning: false,
      statusMessage: `retrying after HealthCheckFailed at dev@sha1:${SHA}`,
    });
    expect(first).toMatchObject({
      syncStatus: 'Reconciling',
      operationRunning: true,
    });
  });

  it('counts the sync end from the history entry of the applied manifests, not from Ready', async () => {
    const ready = kustomization(
      'recsys-production',
      'production',
      [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ReconciliationSucceeded',
          message: `Applied revision: production@sha1:${SHA}`,
          // reset by every periodic reconcile (Unknown, then True again)
          lastTransitionTime: '2026-11-28T11:58:00Z',
        },
      ],
      `production@sha1:${SHA}`,
    );
    Object.assign(ready.status, {
      history: [
        {
          digest: `sha256:${DIGEST}`,
          firstReconciled: '2026-11-27T09:00:41Z',
          lastReconciled: '2026-11-28T11:58:00Z',
          lastReconciledDuration: '2.1s',
          lastReconciledStatus: 'ReconciliationSucceeded',
          totalReconciliations: 160,
          metadata: { revision: `production@sha1:${SHA}` },
        },
      ],
    });
    const noHistory = kustomization(
      'recsys-staging',
      'staging',
      ready.status.conditions,
      `staging@sha1:${SHA}`,
    );
    serveFlux({ kustomizations: [ready, noHistory] });
    const [production, staging] = await fluxSource().listObservations();
    expect(production.lastSyncFinishedAt).toBe('2026-11-27T09:00:41.000Z');
    expect(staging.revision).toBe(SHA);
    expect(staging).not.toHaveProperty('lastSyncFinishedAt');
  });

  it('reads an OCI source revision as no commit, and its origin revision as one', async () => {
    const fromOci = kustomization(
      'recsys-dev',
      'dev',
      [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded' }],
      `v1.2.0@sha256:${DIGEST}`,
    );
    const withOrigin = kustomization(
      'recsys-staging',
      'staging',
      fromOci.status.conditions,
      `v1.2.0@sha256:${DIGEST}`,
    );
    Object.assign(withOrigin.status, {
      lastAppliedOriginRevision: `staging@sha1:${SHA}`,
    });
    serveFlux({ kustomizations: [fromOci, withOrigin] });
    const [dev, staging] = await fluxSource().listObservations();
    expect(dev.revision).toBe('');
    expect(staging.revision).toBe(SHA);
  });

  function helmRelease(
    environment: string,
    reconcileStrategy: string | undefined,
    chartVersion: string,
  ) {
    return {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: {
        name: `recsys-${environment}`,
        namespace: 'flux-system',
        labels: {
          'ml-gitops/model': 'recsys-ranker',
          'ml-gitops/environment': environment,
        },
      },
      spec: {
        interval: '5m',
        chart: {
          spec: {
            chart: './deploy/chart',
            ...(reconcileStrategy ? { reconcileStrategy } : {}),
            sourceRef: { kind: 'GitRepository', name: 'recsys-config' },
          },
        },
      },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'UpgradeSucceeded',
            message: `Helm upgrade succeeded for release ml-${environment}/recsys-ranker.v3 with chart recsys-ranker@${chartVersion}`,
            lastTransitionTime: '2026-11-28T11:55:00Z',
          },
        ],
        history: [
          {
            chartName: 'recsys-ranker',
            chartVersion,
            appVersion: '5',
            configDigest: `sha256:${DIGEST}`,
            digest: `sha256:${DIGEST}`,
            firstDeployed: '2026-10-01T08:00:00Z',
            lastDeployed: '2026-11-27T09:00:40Z',
            name: 'recsys-ranker',
            namespace: `ml-${environment}`,
            status: 'deployed',
            version: 3,
          },
        ],
        lastAttemptedRevision: chartVersion,
        observedGeneration: 1,
      },
    };
  }

  it('reads a HelmRelease commit only under reconcileStrategy Revision, and its sync end from lastDeployed', async () => {
    serveFlux({
      helmreleases: [
        helmRelease('dev', undefined, '0.1.0'),
        helmRelease('staging', 'Revision', `0.1.0+${SHA.slice(0, 12)}.1`),
      ],
    });
    const [dev, staging] = await fluxSource().listObservations();
    expect(dev).toMatchObject({ revision: '', syncStatus: 'Ready' });
    expect(staging.revision).toBe(SHA.slice(0, 12));
    expect(staging.lastSyncFinishedAt).toBe('2026-11-27T09:00:40.000Z');
  });

  it('reads no commit from a Revision chart built from a Bucket, nor from a chartRef', async () => {
    const fromBucket = helmRelease(
      'dev',
      'Revision',
      `0.1.0+${DIGEST.slice(0, 12)}`,
    );
    fromBucket.spec.chart.spec.sourceRef = {
      kind: 'Bucket',
      name: 'recsys-config',
    };
    // helm-controller docs/spec/v2/helmreleases.md, "Chart reference".
    const { chart: _chart, ...chartRefSpec } = helmRelease(
      'staging',
      'Revision',
      `0.1.0+${SHA.slice(0, 12)}`,
    ).spec;
    const fromChartRef = {
      ...helmRelease('staging', 'Revision', `0.1.0+${SHA.slice(0, 12)}`),
      spec: {
        ...chartRefSpec,
        chartRef: { kind: 'OCIRepository', name: 'recsys-chart' },
      },
    };
    serveFlux({ helmreleases: [fromBucket, fromChartRef] });
    const [dev, staging] = await fluxSource().listObservations();
    expect(dev).toMatchObject({ revision: '', syncStatus: 'Ready' });
    expect(staging).toMatchObject({ revision: '', syncStatus: 'Ready' });
  });

  it('reads the deployed release of the highest version, whatever the order of the history', async () => {
    const release = helmRelease(
      'production',
      'Revision',
      `0.1.0+${SHA.slice(0, 12)}.1`,
    );
    const [current] = release.status.history;
    // A failed upgrade (v5) after the deployed v4, and a v3 whose snapshot
    // still reads deployed (a snapshot is the status when it was taken). The
    // list is deliberately not newest first: the release version decides.
    release.status.history = [
      {
        ...current,
        version: 3,
        status: 'deployed',
        chartVersion: '0.1.0+0123456789ab.1',
        lastDeployed: '2026-11-20T10:00:00Z',
      },
      {
        ...current,
        version: 5,
        status: 'failed',
        chartVersion: '0.1.0+ba9876543210.1',
        lastDeployed: '2026-11-28T11:00:00Z',
      },
      { ...current, version: 4 },
    ];
    serveFlux({ helmreleases: [release] });
    const [production] = await fluxSource().listObservations();
    expect(production.revision).toBe(SHA.slice(0, 12));
    expect(production.lastSyncFinishedAt).toBe('2026-11-27T09:00:40.000Z');
  });

  it('says once per cluster which RBAC a refused reconcile request needs, and pauses asking', async () => {
    const patches = serveFlux({
      kustomizations: [kustomization('recsys-dev', 'dev', [])],
      patchStatus: 403,
    });
    const logger = mockServices.logger.mock();
    let now = Date.parse('2026-11-28T12:00:00Z');
    const source = fluxSource(logger, () => now);
    const [observation] = await source.listObservations();
    await expect(source.requestRefresh(observation)).resolves.toBeUndefined();
    expect(patches).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toContain(
      'grant it the verb "patch" on kustomizations.kustomize.toolkit.fluxcd.io, helmreleases.helm.toolkit.fluxcd.io and gitrepositories.source.toolkit.fluxcd.io',
    );
    expect(logger.warn.mock.calls[0][0]).toContain('the request is optional');

    now += 30 * 60_000;
    await source.requestRefresh(observation);
    expect(patches).toHaveLength(1); // paused

    now += 31 * 60_000;
    await source.requestRefresh(observation);
    expect(patches).toHaveLength(2); // asked again after the pause
    expect(logger.warn).toHaveBeenCalledTimes(1); // but not said again
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
