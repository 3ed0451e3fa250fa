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

import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from './sandbox';

jest.setTimeout(120_000);

const KUBE = {
  Authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
};
const ARGO = { Authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}` };

async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 100));
  }
}

describe('operators, registry and test controls', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      reconcileIntervalSeconds: 3600,
      // the operators' side only: KServe's rollouts are serving.test.ts's
      rolloutSeconds: 0,
      log: () => {},
    });
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  const gh = (p: string, init: RequestInit = {}) =>
    fetch(`${sandbox.urls.gitApi}${p}`, {
      ...init,
      headers: { 'content-type': 'application/json' },
    });

  /**
   * Commits a new model_version to a branch through the Git host's API, as
   * the sandbox's `admin`, whom branch protection does not stop (staging
   * and production are protected).
   */
  async function declare(repo: string, branch: string, version: string) {
    const p = `/repos/acme/${repo}/contents/deploy/model.yaml`;
    const file = await (await gh(`${p}?ref=${branch}`)).json();
    const text = Buffer.from(file.content, 'base64')
      .toString()
      .replace(/model_version: "\d+"/, `model_version: "${version}"`);
    const res = await fetch(`${sandbox.urls.gitApi}${p}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from('admin:x').toString('base64')}`,
      },
      body: JSON.stringify({
        message: `Deploy ${version}`,
        content: Buffer.from(text).toString('base64'),
        sha: file.sha,
        branch,
      }),
    });
    expect(res.status).toBe(200);
    return (await res.json()).commit.sha as string;
  }

  describe('Argo CD', () => {
    const argo = (p: string, init: RequestInit = {}) =>
      fetch(`${sandbox.urls.argocd}${p}`, {
        ...init,
        headers: {
          ...ARGO,
          'content-type': 'application/json',
          ...init.headers,
        },
      });

    it('logs in with username/password and rejects bad credentials and tokens', async () => {
      const bad = await fetch(`${sandbox.urls.argocd}/api/v1/session`, {
        method: 'POST',
        body: JSON.stringify({ username: 'admin', password: 'wrong' }),
      });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toEqual({
        error: 'Invalid username or password',
        code: 16,
        message: 'Invalid username or password',
      });

      const ok = await fetch(`${sandbox.urls.argocd}/api/v1/session`, {
        method: 'POST',
        body: JSON.stringify({
          username: 'admin',
          password: SANDBOX_CREDENTIALS.argocd.password,
        }),
      });
      const { token } = await ok.json();
      expect(token.split('.')).toHaveLength(3);
      const apps = await fetch(`${sandbox.urls.argocd}/api/v1/applications`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(apps.status).toBe(200);

      const none = await fetch(`${sandbox.urls.argocd}/api/v1/applications`);
      expect(none.status).toBe(401);
      expect((await none.json()).code).toBe(16);

      const badJson = await fetch(`${sandbox.urls.argocd}/api/v1/session`, {
        method: 'POST',
        body: '{',
      });
      expect(badJson.status).toBe(400);
      expect((await badJson.json()).code).toBe(3);
    });

    it('lists applications by label selector, project and fields', async () => {
      const res = await argo(
        '/api/v1/applications?selector=ml-gitops/model%3Dfraud-detector&projects=ml-models',
      );
      const list = await res.json();
      expect(list.items.map((a: any) => a.metadata.name).sort()).toEqual([
        'fraud-detector-dev',
        'fraud-detector-production',
        'fraud-detector-staging',
      ]);
      const prod = list.items.find(
        (a: any) => a.metadata.name === 'fraud-detector-production',
      );
      expect(prod.status.sync.status).toBe('Synced');
      expect(prod.status.health.status).toBe('Healthy');
      expect(prod.status.operationState).toMatchObject({
        phase: 'Succeeded',
        syncResult: { revision: prod.status.sync.revision },
      });
      expect(prod.status.history.length).toBeGreaterThan(2);
      expect(prod.status.summary.images.length).toBeGreaterThan(0);
      expect(prod.spec.source.targetRevision).toBe('production');

      const other = await (
        await argo('/api/v1/applications?projects=other')
      ).json();
      expect(other.items).toEqual([]);
      const recsys = await (
        await argo(
          '/api/v1/applications?selector=ml-gitops/model%3Drecsys-ranker',
        )
      ).json();
      expect(recsys.items).toEqual([]); // managed by Flux

      const badSelector = await argo(
        '/api/v1/applications?selector=a%20in%20(b',
      );
      expect(badSelector.status).toBe(400);
    });

    it('answers fields from Argo CD’s fixed list only, as v3.1 and v3.5 do', async () => {
      const ask = async (fields: string) =>
        (
          await argo(
            `/api/v1/applications?selector=ml-gitops/model%3Dfraud-detector&fields=${fields}`,
          )
        ).json();
      const full = (
        await (
          await argo(
            '/api/v1/applications?selector=ml-gitops/model%3Dfraud-detector',
          )
        ).json()
      ).items.find((a: any) => a.metadata.name === 'fraud-detector-production');
      const wanted = [
        'items.metadata.name',
        'items.metadata.labels',
        'items.spec',
        'items.status.health',
        'items.status.health.status',
        'items.status.sync.status',
        'items.status.sync.revision',
        'items.status.sync.comparedTo',
        'items.status.operationState.phase',
        'items.status.operationState.finishedAt',
        'items.status.operationState.operation.sync',
        'items.status.operationState.syncResult.revision',
      ].join(',');

      expect(sandbox.current().argocd.version).toBe('3.1');
      const v31 = await ask(wanted);
      expect(v31.metadata).toEqual({ resourceVersion: expect.any(String) });
      const prod31 = v31.items.find(
        (a: any) => a.metadata.name === 'fraud-detector-production',
      );
      // Paths that are not keys of appFields are simply absent: no
      // status.sync.revision before v3.5, no comparedTo, no syncResult path.
      expect(prod31).toEqual({
        metadata: {
          name: 'fraud-detector-production',
          labels: full.metadata.labels,
        },
        spec: full.spec,
        status: {
          health: full.status.health,
          sync: { status: 'Synced' },
          operationState: {
            phase: 'Succeeded',
            finishedAt: full.status.operationState.finishedAt,
            // the sync *result* sits at operation.sync
            operation: { sync: full.status.operationState.syncResult },
          },
        },
      });

      sandbox.current().argocd.version = '3.5';
      try {
        const prod35 = (await ask(wanted)).items.find(
          (a: any) => a.metadata.name === 'fraud-detector-production',
        );
        expect(prod35.status.sync).toEqual({
          status: 'Synced',
          revision: full.status.sync.revision,
        });
        expect(prod35.status.sync.comparedTo).toBeUndefined();
        // v3.5 also has spec.source: asking for it next to spec fails on a
        // real server whenever Go's map order puts spec first.
        const both = await argo(
          '/api/v1/applications?fields=items.spec,items.spec.source',
        );
        expect(both.status).toBe(500);
        expect(await both.json()).toMatchObject({
          code: 2,
          message: 'field spec.source is not a map',
        });
      } finally {
        sandbox.current().argocd.version = '3.1';
      }

      // A leading "-" selects every key but the listed ones.
      const excluded = (
        await ask(
          '-items.spec,items.status.resources,items.metadata.annotations',
        )
      ).items[0];
      expect(excluded.spec).toBeUndefined();
      expect(excluded.status.resources).toBeUndefined();
      expect(excluded.metadata.annotations).toBeUndefined();
      expect(excluded.status.summary).toEqual(full.status.summary);
      expect(excluded.metadata.deletionTimestamp).toBeNull();

      const none = await (
        await argo('/api/v1/applications?selector=nope&fields=items.spec')
      ).json();
      expect(none.items).toBeNull();
    });

    it('answers 403 for an application it cannot show, 404 only within a named project', async () => {
      const denied = {
        error: 'permission denied',
        code: 7,
        message: 'permission denied',
      };
      const unknown = await argo('/api/v1/applications/nope');
      expect(unknown.status).toBe(403);
      expect(await unknown.json()).toEqual(denied);
      // Another namespace than the control plane's, without appNamespace:
      const elsewhere = await argo(
        '/api/v1/applications/fraud-detector-dev?appNamespace=team-a',
      );
      expect(elsewhere.status).toBe(403);
      const inProject = await argo(
        '/api/v1/applications/nope?project=ml-models',
      );
      expect(inProject.status).toBe(404);
      expect((await inProject.json()).code).toBe(5);
      const otherProject = await argo(
        '/api/v1/applications/fraud-detector-dev?project=default',
      );
      expect(otherProject.status).toBe(403);
      const found = await argo(
        '/api/v1/applications/fraud-detector-dev?project=ml-models&appNamespace=argocd',
      );
      expect(found.status).toBe(200);
    });

    it('picks up a new revision on refresh, not before its interval', async () => {
      const sha = await declare('churn-predictor-config', 'staging', '8');
      const before = await (
        await argo('/api/v1/applications/churn-predictor-staging')
      ).json();
      expect(before.status.sync.revision).not.toBe(sha);
      await new Promise(r => setTimeout(r, 600));
      const still = await (
        await argo('/api/v1/applications/churn-predictor-staging')
      ).json();
      expect(still.status.sync.revision).not.toBe(sha);

      const after = await (
        await argo(
          '/api/v1/applications/churn-predictor-staging?refresh=normal',
        )
      ).json();
      expect(after.status.sync).toMatchObject({
        status: 'Synced',
        revision: sha,
      });
      expect(after.status.operationState.syncResult.revision).toBe(sha);
      expect(
        after.status.history[after.status.history.length - 1].revision,
      ).toBe(sha);

      const meta = await (
        await argo(
          `/api/v1/applications/churn-predictor-staging/revisions/${sha}/metadata`,
        )
      ).json();
      expect(meta).toMatchObject({
        author: 'ML GitOps Bot <ml-gitops-bot@example.com>',
        message: 'Deploy 8',
      });
    });

    it('picks up a new revision after its poll interval', async () => {
      sandbox.setReconcileInterval(1, 0);
      try {
        const sha = await declare('fraud-detector-config', 'dev', '11');
        const app = await waitFor(async () => {
          const a = await (
            await argo('/api/v1/applications/fraud-detector-dev')
          ).json();
          // auto-sync follows the comparison: OutOfSync at `sha` for a moment, then Synced
          return a.status.sync.revision === sha &&
            a.status.sync.status === 'Synced'
            ? a
            : undefined;
        });
        expect(app.status.operationState.operation.initiatedBy).toEqual({
          automated: true,
        });
      } finally {
        sandbox.setReconcileInterval(3600, 0);
      }
    });

    it('stays OutOfSync with auto-sync off until a sync', async () => {
      sandbox.setAutoSync('fraud-detector', 'staging', false);
      const sha = await declare('fraud-detector-config', 'staging', '12');
      const app = await (
        await argo('/api/v1/applications/fraud-detector-staging?refresh=hard')
      ).json();
      expect(app.status.sync).toMatchObject({
        status: 'OutOfSync',
        revision: sha,
      });
      expect(app.status.operationState.syncResult.revision).not.toBe(sha);
      expect(app.spec.syncPolicy.automated).toBeUndefined();

      const synced = await (
        await argo('/api/v1/applications/fraud-detector-staging/sync', {
          method: 'POST',
          body: '{}',
        })
      ).json();
      expect(synced.status.sync).toMatchObject({
        status: 'Synced',
        revision: sha,
      });
      expect(synced.status.operationState.operation.initiatedBy).toEqual({
        username: 'admin',
      });

      const tree = await (
        await argo('/api/v1/applications/fraud-detector-staging/resource-tree')
      ).json();
      const kinds = tree.nodes.map((n: any) => n.kind);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'InferenceService',
          'Deployment',
          'ReplicaSet',
          'Pod',
          'Service',
        ]),
      );
      const pod = tree.nodes.find((n: any) => n.kind === 'Pod');
      expect(pod.parentRefs[0].kind).toBe('ReplicaSet');
    });
  });

  describe('Kubernetes and Flux', () => {
    const kube = (p: string, init: RequestInit = {}) =>
      fetch(`${sandbox.urls.kubernetes}${p}`, {
        ...init,
        headers: { ...KUBE, ...init.headers },
      });

    it('lists workloads by label like the API server', async () => {
      const res = await kube(
        '/api/v1/pods?labelSelector=backstage.io%2Fkubernetes-id%3Dfraud-detector',
      );
      const list = await res.json();
      expect(list.kind).toBe('PodList');
      expect(list.apiVersion).toBe('v1');
      expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(list.items).toHaveLength(6); // 2 replicas x 3 environments
      expect(list.items[0].kind).toBeUndefined();
      expect(list.items[0].status.phase).toBe('Running');

      const deployments = await (
        await kube(
          '/apis/apps/v1/deployments?labelSelector=backstage.io/kubernetes-id=recsys-ranker',
        )
      ).json();
      expect(deployments.kind).toBe('DeploymentList');
      expect(deployments.items).toHaveLength(3);

      const empty = await (
        await kube(
          '/apis/batch/v1/cronjobs?labelSelector=backstage.io/kubernetes-id=recsys-ranker',
        )
      ).json();
      expect(empty).toMatchObject({ kind: 'CronJobList', items: [] });

      const discovery = await (await kube('/apis')).json();
      expect(discovery.kind).toBe('APIGroupList');
      expect(discovery.groups.map((g: any) => g.name)).toContain(
        'helm.toolkit.fluxcd.io',
      );

      const group = await kube('/apis/kustomize.toolkit.fluxcd.io');
      expect(group.status).toBe(200);
      expect(await group.json()).toMatchObject({
        kind: 'APIGroup',
        name: 'kustomize.toolkit.fluxcd.io',
        preferredVersion: {
          groupVersion: 'kustomize.toolkit.fluxcd.io/v1',
          version: 'v1',
        },
      });
      expect((await kube('/apis/nothing.example.com')).status).toBe(404);
    });

    it('lists in chunks with limit and continue, and expires old tokens with 410', async () => {
      const path =
        '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops%2Fmodel';
      const whole = await (await kube(path)).json();
      expect(whole.metadata.continue).toBeUndefined();
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      const remaining: Array<number | undefined> = [];
      do {
        const page = await (
          await kube(
            `${path}&limit=2${
              token ? `&continue=${encodeURIComponent(token)}` : ''
            }`,
          )
        ).json();
        pages++;
        expect(page.items.length).toBeLessThanOrEqual(2);
        names.push(...page.items.map((i: any) => i.metadata.name));
        token = page.metadata.continue;
        remaining.push(page.metadata.remainingItemCount);
      } while (token);
      // Every page but the last says how many are left.
      expect(remaining).toEqual(
        Array.from({ length: pages }, (_, i) =>
          i === pages - 1 ? undefined : whole.items.length - 2 * (i + 1),
        ),
      );
      expect(pages).toBe(Math.ceil(whole.items.length / 2));
      expect(names).toEqual(whole.items.map((i: any) => i.metadata.name));

      const first = await (await kube(`${path}&limit=1`)).json();
      const api = sandbox.current().kube;
      const ttl = api.continueTtlMs;
      api.continueTtlMs = -1;
      try {
        const expired = await kube(
          `${path}&limit=1&continue=${encodeURIComponent(
            first.metadata.continue,
          )}`,
        );
        expect(expired.status).toBe(410);
        expect(await expired.json()).toMatchObject({
          kind: 'Status',
          reason: 'Expired',
          code: 410,
        });
      } finally {
        api.continueTtlMs = ttl;
      }
      expect((await kube(`${path}&limit=1&continue=not-a-token`)).status).toBe(
        400,
      );
    });

    it('serves every chunk of a list from the snapshot of its first chunk', async () => {
      const path =
        '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops%2Fmodel';
      const label = (items: any[]) =>
        items.find(
          i =>
            i.metadata.name === 'fraud-detector' &&
            i.metadata.namespace === 'ml-production',
        )?.metadata.labels['ml-gitops/model-version'];
      const before = label((await (await kube(path)).json()).items);
      const first = await (await kube(`${path}&limit=1`)).json();
      const drift = (version: string) =>
        fetch(`${sandbox.urls.admin}/_sandbox/drift`, {
          method: 'POST',
          body: JSON.stringify({
            model: 'fraud-detector',
            environment: 'production',
            version,
          }),
        });
      expect((await drift('99')).status).toBe(200);
      try {
        const items = [...first.items];
        let token: string | undefined = first.metadata.continue;
        while (token) {
          const page = await (
            await kube(`${path}&limit=1&continue=${encodeURIComponent(token)}`)
          ).json();
          // "the results … are consistent with the first request"
          // (kubernetes.io "API concepts", Retrieving large results sets in chunks)
          expect(page.metadata.resourceVersion).toBe(
            first.metadata.resourceVersion,
          );
          items.push(...page.items);
          token = page.metadata.continue;
        }
        expect(label(items)).toBe(before);
        expect(label((await (await kube(path)).json()).items)).toBe('99');
      } finally {
        await drift(before);
      }
    });

    it('shows the seeded drift on the InferenceService label', async () => {
      const isvcs = await (
        await kube(
          '/apis/serving.kserve.io/v1beta1/inferenceservices?labelSelector=ml-gitops/model%3Drecsys-ranker',
        )
      ).json();
      expect(isvcs.kind).toBe('InferenceServiceList');
      const byNs = Object.fromEntries(
        isvcs.items.map((i: any) => [
          i.metadata.namespace,
          i.metadata.labels['ml-gitops/model-version'],
        ]),
      );
      expect(byNs).toEqual({
        'ml-dev': '5',
        'ml-staging': '4',
        'ml-production': '4',
      });
      expect(isvcs.items[0].kind).toBe('InferenceService');
    });

    it('answers errors with Status objects', async () => {
      const unauth = await fetch(`${sandbox.urls.kubernetes}/api/v1/pods`);
      expect(unauth.status).toBe(401);
      expect(await unauth.json()).toMatchObject({
        kind: 'Status',
        reason: 'Unauthorized',
        code: 401,
      });

      const missing = await kube(
        '/apis/apps/v1/namespaces/ml-dev/deployments/nope',
      );
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        message: 'deployments.apps "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'apps', kind: 'deployments' },
        code: 404,
      });

      const unknownType = await kube('/apis/example.com/v1/widgets');
      expect(unknownType.status).toBe(404);
      const badSelector = await kube('/api/v1/pods?labelSelector=a%20in%20(b');
      expect(badSelector.status).toBe(400);
      expect((await badSelector.json()).reason).toBe('BadRequest');

      const badPatch = await kube(
        '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/recsys-ranker-dev',
        {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json' },
          body: '{',
        },
      );
      expect(badPatch.status).toBe(400);
    });

    it('reports the new lastAppliedRevision after a reconcile request annotation', async () => {
      const sha = await declare('recsys-ranker-config', 'dev', '4');
      const ks =
        '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/recsys-ranker-dev';
      const before = await (await kube(ks)).json();
      expect(before.status.lastAppliedRevision).not.toBe(`dev@sha1:${sha}`);
      expect(before.status.conditions[0]).toMatchObject({
        type: 'Ready',
        status: 'True',
      });

      const requestedAt = new Date().toISOString();
      const patched = await kube(ks, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({
          metadata: {
            annotations: { 'reconcile.fluxcd.io/requestedAt': requestedAt },
          },
        }),
      });
      expect(patched.status).toBe(200);
      expect(
        (await patched.json()).metadata.annotations[
          'reconcile.fluxcd.io/requestedAt'
        ],
      ).toBe(requestedAt);

      const after = await waitFor(async () => {
        const k = await (await kube(ks)).json();
        return k.status.lastHandledReconcileAt === requestedAt ? k : undefined;
      });
      expect(after.status).toMatchObject({
        lastAppliedRevision: `dev@sha1:${sha}`,
        lastAttemptedRevision: `dev@sha1:${sha}`,
        observedGeneration: 1,
      });
      const hr = await (
        await kube(
          '/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/recsys-ranker-dev',
        )
      ).json();
      // reconcileStrategy Revision with valuesFiles: <12 hex>.<generation>
      expect(hr.status.lastAttemptedRevision).toBe(
        `0.1.0+${sha.slice(0, 12)}.1`,
      );
      expect(hr.status.history[0]).toMatchObject({
        status: 'deployed',
        chartVersion: `0.1.0+${sha.slice(0, 12)}.1`,
      });
      // Helm copies the first deploy of the release into every version
      expect(hr.status.history[0].firstDeployed).toBe(
        hr.status.history[hr.status.history.length - 1].firstDeployed,
      );
      expect(after.status.history[0]).toMatchObject({
        lastReconciledStatus: 'ReconciliationSucceeded',
        metadata: { revision: `dev@sha1:${sha}` },
      });
      const isvc = await (
        await kube(
          '/apis/serving.kserve.io/v1beta1/namespaces/ml-dev/inferenceservices/recsys-ranker',
        )
      ).json();
      expect(isvc.metadata.labels['ml-gitops/model-version']).toBe('4');
    });

    /** Sets reconcile.fluxcd.io/requestedAt and waits until Flux handled it. */
    async function reconcileNow(path: string) {
      const requestedAt = new Date().toISOString();
      const res = await kube(path, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({
          metadata: {
            annotations: { 'reconcile.fluxcd.io/requestedAt': requestedAt },
          },
        }),
      });
      expect(res.status).toBe(200);
      return waitFor(async () => {
        const k = await (await kube(path)).json();
        return k.status.lastHandledReconcileAt === requestedAt ? k : undefined;
      });
    }

    it('turns Ready over at every reconcile, as kustomize-controller does', async () => {
      const ks =
        '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/recsys-ranker-production';
      const first = await reconcileNow(ks);
      await new Promise(r => setTimeout(r, 1100));
      const second = await reconcileNow(ks);
      const ready = (k: any) =>
        k.status.conditions.find((c: any) => c.type === 'Ready');
      expect(ready(second)).toMatchObject({
        status: 'True',
        reason: 'ReconciliationSucceeded',
      });
      expect(Date.parse(ready(second).lastTransitionTime)).toBeGreaterThan(
        Date.parse(ready(first).lastTransitionTime),
      );
      // the applied manifests did not change: their history entry stays
      expect(second.status.history[0].firstReconciled).toBe(
        first.status.history[0].firstReconciled,
      );
    });

    it('keeps a failed apply Ready=False and Reconciling=True (ProgressingWithRetry) between retries', async () => {
      const ks =
        '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/recsys-ranker-staging';
      const hrPath =
        '/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/recsys-ranker-staging';
      const before = await (await kube(ks)).json();
      const message =
        "health check failed after 4m30s: timeout waiting for: [InferenceService/ml-staging/recsys-ranker status: 'InProgress']";
      const control = await fetch(
        `${sandbox.urls.admin}/_sandbox/flux-failure`,
        {
          method: 'POST',
          body: JSON.stringify({
            model: 'recsys-ranker',
            environment: 'staging',
            failure: { reason: 'HealthCheckFailed', message },
          }),
        },
      );
      expect(control.status).toBe(200);
      try {
        const sha = await declare('recsys-ranker-config', 'staging', '5');
        await reconcileNow(ks);
        const failed = await reconcileNow(ks); // a retry
        expect(failed.status.conditions).toEqual([
          expect.objectContaining({
            type: 'Reconciling',
            status: 'True',
            reason: 'ProgressingWithRetry',
          }),
          expect.objectContaining({
            type: 'Ready',
            status: 'False',
            reason: 'HealthCheckFailed',
            message,
          }),
        ]);
        expect(failed.status).toMatchObject({
          lastAppliedRevision: before.status.lastAppliedRevision,
          lastAttemptedRevision: `staging@sha1:${sha}`,
        });
        expect(failed.status.history[0]).toMatchObject({
          lastReconciledStatus: 'HealthCheckFailed',
          totalReconciliations: 2,
          metadata: { revision: `staging@sha1:${sha}` },
        });
        const hr = await (await kube(hrPath)).json();
        expect(
          hr.status.conditions.find((c: any) => c.type === 'Ready'),
        ).toMatchObject({ status: 'False', reason: 'UpgradeFailed' });
        expect(hr.status).toMatchObject({ failures: 2, upgradeFailures: 2 });
        expect(hr.status.history.map((h: any) => h.status).slice(0, 2)).toEqual(
          ['failed', 'deployed'],
        );
      } finally {
        await fetch(`${sandbox.urls.admin}/_sandbox/flux-failure`, {
          method: 'POST',
          body: JSON.stringify({
            model: 'recsys-ranker',
            environment: 'staging',
            failure: null,
          }),
        });
      }
      const healed = await reconcileNow(ks);
      expect(healed.status.conditions).toEqual([
        expect.objectContaining({ type: 'Ready', status: 'True' }),
      ]);
      expect(healed.status.history[0]).toMatchObject({
        lastReconciledStatus: 'ReconciliationSucceeded',
        metadata: { revision: healed.status.lastAppliedRevision },
      });

      const bad = await fetch(`${sandbox.urls.admin}/_sandbox/flux-failure`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'recsys-ranker',
          environment: 'staging',
          failure: { reason: 'HealthCheckFailed' },
        }),
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toContain('failure must be null or');
    });

    it('reports InferenceServices with KServe status fields only', async () => {
      const isvcs = await (
        await kube('/apis/serving.kserve.io/v1beta1/inferenceservices')
      ).json();
      // pkg/apis/serving/v1beta1/inference_service_status.go has no
      // canaryStatuses; a canary split exists only in Serverless mode
      expect(
        isvcs.items.filter((i: any) => 'canaryStatuses' in i.status),
      ).toEqual([]);
      const canaries = isvcs.items.filter(
        (i: any) => i.spec.predictor.canaryTrafficPercent !== undefined,
      );
      expect(canaries.length).toBeGreaterThan(0);
      expect(
        canaries.map(
          (i: any) =>
            i.metadata.annotations['serving.kserve.io/deploymentMode'],
        ),
      ).toEqual(canaries.map(() => 'Serverless'));
    });

    it('injects drift through the admin port and a label patch', async () => {
      const res = await fetch(`${sandbox.urls.admin}/_sandbox/drift`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'fraud-detector',
          environment: 'production',
          version: '12',
        }),
      });
      expect(res.status).toBe(200);
      const isvc = await (
        await kube(
          '/apis/serving.kserve.io/v1beta1/namespaces/ml-production/inferenceservices/fraud-detector',
        )
      ).json();
      expect(isvc.metadata.labels['ml-gitops/model-version']).toBe('12');
      const app = await (
        await fetch(
          `${sandbox.urls.argocd}/api/v1/applications/fraud-detector-production`,
          { headers: ARGO },
        )
      ).json();
      expect(app.status.sync.status).toBe('OutOfSync');

      await kube(
        '/apis/serving.kserve.io/v1beta1/namespaces/ml-production/inferenceservices/fraud-detector',
        {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json' },
          body: JSON.stringify({
            metadata: { labels: { 'ml-gitops/model-version': '11' } },
          }),
        },
      );
      const healed = await (
        await fetch(
          `${sandbox.urls.argocd}/api/v1/applications/fraud-detector-production`,
          { headers: ARGO },
        )
      ).json();
      expect(healed.status.sync.status).toBe('Synced');
    });
  });

  describe('MLflow', () => {
    const ml = (p: string) =>
      fetch(`${sandbox.urls.mlflow}/api/2.0/mlflow${p}`);

    it('answers known and unknown versions as MLflow does', async () => {
      const v = await (
        await ml('/model-versions/get?name=churn-predictor&version=8')
      ).json();
      expect(v.model_version).toMatchObject({
        name: 'churn-predictor',
        version: '8',
        status: 'READY',
      });
      const run = await (
        await ml(`/runs/get?run_id=${v.model_version.run_id}`)
      ).json();
      const metrics = Object.fromEntries(
        run.run.data.metrics.map((m: any) => [m.key, m.value]),
      );
      expect(metrics).toEqual({ auc: 0.831, latency_p95_ms: 44 });

      const unknown = await ml(
        '/model-versions/get?name=churn-predictor&version=99',
      );
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: 'Model Version (name=churn-predictor, version=99) not found',
      });
      const unknownModel = await ml('/registered-models/get?name=nope');
      expect(unknownModel.status).toBe(404);
      expect((await unknownModel.json()).error_code).toBe(
        'RESOURCE_DOES_NOT_EXIST',
      );
      const missingParam = await ml('/registered-models/get');
      expect(missingParam.status).toBe(400);
      expect((await missingParam.json()).error_code).toBe(
        'INVALID_PARAMETER_VALUE',
      );
      const badVersion = await ml(
        '/model-versions/get?name=churn-predictor&version=latest',
      );
      expect(badVersion.status).toBe(400);
      const unknownRun = await ml('/runs/get?run_id=nope');
      expect(unknownRun.status).toBe(404);
    });

    it('searches versions and resolves aliases', async () => {
      const s = await (
        await ml(
          `/model-versions/search?filter=${encodeURIComponent(
            "name='fraud-detector'",
          )}`,
        )
      ).json();
      expect(s.model_versions.map((v: any) => v.version)).toEqual([
        '13',
        '12',
        '11',
        '10',
        '9',
      ]);
      const champion = await (
        await ml('/registered-models/alias?name=fraud-detector&alias=champion')
      ).json();
      expect(champion.model_version).toMatchObject({
        version: '11',
        aliases: ['champion'],
      });
      const noAlias = await ml(
        '/registered-models/alias?name=fraud-detector&alias=nope',
      );
      expect(noAlias.status).toBe(404);
      const badFilter = await ml(
        `/model-versions/search?filter=${encodeURIComponent('name = fraud')}`,
      );
      expect(badFilter.status).toBe(400);
      const model = await (
        await ml('/registered-models/get?name=recsys-ranker')
      ).json();
      expect(model.registered_model.aliases).toEqual([
        { alias: 'champion', version: '4' },
        { alias: 'challenger', version: '5' },
      ]);
    });
  });

  describe('failure controls', () => {
    const admin = (system: string, body: unknown) =>
      fetch(`${sandbox.urls.admin}/_sandbox/faults/${system}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
    const mlUrl = () =>
      `${sandbox.urls.mlflow}/api/2.0/mlflow/registered-models/get?name=fraud-detector`;

    afterEach(async () => {
      for (const s of ['git', 'argocd', 'kubernetes', 'mlflow'])
        await admin(s, { mode: 'none' });
    });

    it('makes a system refuse connections and come back', async () => {
      expect((await admin('mlflow', { mode: 'down' })).status).toBe(200);
      await expect(fetch(mlUrl())).rejects.toThrow();
      await admin('mlflow', { mode: 'none' });
      expect((await fetch(mlUrl())).status).toBe(200);
    });

    it('answers 503 and 401 in each system’s shape', async () => {
      await admin('git', { mode: 'unavailable' });
      expect(
        (await fetch(`${sandbox.urls.gitApi}/repos/acme/fraud-detector-config`))
          .status,
      ).toBe(503);
      await admin('git', { mode: 'unauthorized' });
      const gh401 = await fetch(
        `${sandbox.urls.gitApi}/repos/acme/fraud-detector-config`,
      );
      expect(gh401.status).toBe(401);
      expect((await gh401.json()).message).toBe('Bad credentials');

      await admin('argocd', { mode: 'unauthorized' });
      const argo401 = await fetch(
        `${sandbox.urls.argocd}/api/v1/applications`,
        { headers: ARGO },
      );
      expect(argo401.status).toBe(401);
      expect((await argo401.json()).code).toBe(16);

      await admin('kubernetes', { mode: 'unavailable' });
      const k503 = await fetch(`${sandbox.urls.kubernetes}/api/v1/pods`, {
        headers: KUBE,
      });
      expect(k503.status).toBe(503);
      expect((await k503.json()).reason).toBe('ServiceUnavailable');
    });

    it('delays answers', async () => {
      await admin('mlflow', { mode: 'slow', delayMs: 400 });
      const t = Date.now();
      expect((await fetch(mlUrl())).status).toBe(200);
      expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    });

    it('rejects bad control input', async () => {
      expect((await admin('nope', { mode: 'down' })).status).toBe(404);
      expect((await admin('git', { mode: 'explode' })).status).toBe(400);
      const badJson = await fetch(
        `${sandbox.urls.admin}/_sandbox/reconcile-interval`,
        { method: 'POST', body: '{' },
      );
      expect(badJson.status).toBe(400);
    });

    it('resets to the seed', async () => {
      const res = await fetch(`${sandbox.urls.admin}/_sandbox/reset`, {
        method: 'POST',
      });
      expect(res.status).toBe(200);
      const file = await (
        await fetch(
          `${sandbox.urls.gitApi}/repos/acme/fraud-detector-config/contents/deploy/model.yaml?ref=dev`,
        )
      ).json();
      expect(Buffer.from(file.content, 'base64').toString()).toContain(
        'model_version: "13"',
      );
      const state: any = await (
        await fetch(`${sandbox.urls.admin}/_sandbox/state`)
      ).json();
      const drifted = state.deployments.filter((d: any) => d.drifted);
      expect(drifted).toEqual([
        expect.objectContaining({
          model: 'recsys-ranker',
          environment: 'staging',
          liveVersion: '4',
          declaredVersion: '5',
        }),
      ]);
    });
  });
});
