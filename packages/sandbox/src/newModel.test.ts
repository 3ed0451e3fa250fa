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

/*
 * A model that is not in the seed: its config repo created through the Git
 * host's API, its versions registered in MLflow, its Argo CD Applications
 * created through Argo CD's API and then served from their branches.
 */

import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from './sandbox';

jest.setTimeout(120_000);

const ARGO = {
  Authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}`,
  'content-type': 'application/json',
};
const JSON_HEADERS = { 'content-type': 'application/json' };
const MODEL = 'new-model';
const REPO = `${MODEL}-config`;

const manifest = (version: string) =>
  `model_name: ${MODEL}\nmodel_version: "${version}"\nserving: { runtime: kserve, replicas: 3 }\n`;

function application(env: string, overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `${MODEL}-${env}`,
      namespace: 'argocd',
      labels: { 'ml-gitops/model': MODEL, 'ml-gitops/environment': env },
    },
    spec: {
      project: 'default',
      source: {
        repoURL: '',
        targetRevision: env,
        path: 'deploy/chart',
      },
      destination: {
        server: 'https://kubernetes.default.svc',
        namespace: `ml-${env}`,
      },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
      ...overrides,
    },
  };
}

describe('a model that is not in the seed', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      reconcileIntervalSeconds: 3600,
      log: () => {},
    });
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  const gh = (p: string, init: RequestInit = {}) =>
    fetch(`${sandbox.urls.gitApi}${p}`, { ...init, headers: JSON_HEADERS });
  const mlflow = (p: string, body: unknown) =>
    fetch(`${sandbox.urls.mlflow}/api/2.0/mlflow${p}`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(body),
    });

  async function commit(branch: string, version: string, sha?: string) {
    const res = await gh(`/repos/acme/${REPO}/contents/deploy/model.yaml`, {
      method: 'PUT',
      body: JSON.stringify({
        message: `Deploy ${version}`,
        content: Buffer.from(manifest(version)).toString('base64'),
        branch,
        ...(sha ? { sha } : {}),
      }),
    });
    expect(res.status).toBeLessThan(300);
    return (await res.json()) as {
      commit: { sha: string };
      content: { sha: string };
    };
  }

  it('registers a model, a run with metrics and a version in MLflow', async () => {
    const created = await mlflow('/registered-models/create', {
      name: MODEL,
      description: 'from a test',
    });
    expect(created.status).toBe(200);
    const registered = (await created.json()).registered_model;
    expect(registered).toMatchObject({
      name: MODEL,
      description: 'from a test',
    });
    // No versions yet: protobuf's JSON leaves the empty list out.
    expect(registered).not.toHaveProperty('latest_versions');
    const again = await mlflow('/registered-models/create', { name: MODEL });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({
      error_code: 'RESOURCE_ALREADY_EXISTS',
      message: `Registered Model (name=${MODEL}) already exists.`,
    });

    const { run } = await (
      await mlflow('/runs/create', { experiment_id: '0', run_name: 'train' })
    ).json();
    expect(run.info).toMatchObject({ status: 'RUNNING', run_name: 'train' });
    for (const [key, value] of [
      ['auc', 0.94],
      ['latency_p95_ms', 31],
    ] as const) {
      const logged = await mlflow('/runs/log-metric', {
        run_id: run.info.run_id,
        key,
        value,
        timestamp: 1_700_000_000_000,
      });
      expect(logged.status).toBe(200);
    }
    const badMetric = await mlflow('/runs/log-metric', {
      run_id: run.info.run_id,
      key: 'auc',
      value: 0.9,
    });
    expect(badMetric.status).toBe(400);
    expect((await badMetric.json()).message).toContain("'timestamp'");
    const finished = await mlflow('/runs/update', {
      run_id: run.info.run_id,
      status: 'FINISHED',
      end_time: 1_700_000_100_000,
    });
    expect((await finished.json()).run_info.status).toBe('FINISHED');

    const versions = [];
    for (let i = 0; i < 2; i++) {
      const res = await mlflow('/model-versions/create', {
        name: MODEL,
        source: `runs:/${run.info.run_id}/model`,
        run_id: run.info.run_id,
      });
      expect(res.status).toBe(200);
      versions.push((await res.json()).model_version);
    }
    expect(versions.map(v => [v.version, v.status])).toEqual([
      ['1', 'READY'],
      ['2', 'READY'],
    ]);
    const unknown = await mlflow('/model-versions/create', {
      name: 'nope',
      source: 'runs:/x/model',
    });
    expect(unknown.status).toBe(404);

    // what the plugins read back
    const read = await fetch(
      `${sandbox.urls.mlflow}/api/2.0/mlflow/runs/get?run_id=${run.info.run_id}`,
    );
    const metrics = (await read.json()).run.data.metrics;
    expect(
      Object.fromEntries(metrics.map((m: any) => [m.key, m.value])),
    ).toEqual({ auc: 0.94, latency_p95_ms: 31 });
    const version = await fetch(
      `${sandbox.urls.mlflow}/api/2.0/mlflow/model-versions/get?name=${MODEL}&version=2`,
    );
    expect((await version.json()).model_version.run_id).toBe(run.info.run_id);
  });

  it('creates the config repo: an organization owns it, dev becomes the default branch', async () => {
    const owner = await (await gh('/users/acme')).json();
    expect(owner).toMatchObject({ login: 'acme', type: 'Organization' });
    expect((await gh('/users/nobody-here')).status).toBe(404);

    const created = await gh('/orgs/acme/repos', {
      method: 'POST',
      body: JSON.stringify({ name: REPO, private: true }),
    });
    expect(created.status).toBe(201);
    const first = await commit('main', '1');
    for (const env of ['dev', 'staging', 'production']) {
      const ref = await gh(`/repos/acme/${REPO}/git/refs`, {
        method: 'POST',
        body: JSON.stringify({
          ref: `refs/heads/${env}`,
          sha: first.commit.sha,
        }),
      });
      expect(ref.status).toBe(201);
    }
    const missing = await gh(`/repos/acme/${REPO}`, {
      method: 'PATCH',
      body: JSON.stringify({ default_branch: 'qa' }),
    });
    expect(missing.status).toBe(422);
    const patched = await gh(`/repos/acme/${REPO}`, {
      method: 'PATCH',
      body: JSON.stringify({ default_branch: 'dev' }),
    });
    expect(patched.status).toBe(200);
    expect((await patched.json()).default_branch).toBe('dev');
  });

  it('serves an Application created through Argo CD from its branch', async () => {
    const repoURL = `${sandbox.urls.git}/acme/${REPO}.git`;
    const post = (body: unknown, query = '') =>
      fetch(`${sandbox.urls.argocd}/api/v1/applications${query}`, {
        method: 'POST',
        headers: ARGO,
        body: JSON.stringify(body),
      });
    const source = (env: string) => ({
      repoURL,
      targetRevision: env,
      path: 'deploy/chart',
    });

    const wrongRepo = await post(
      application('dev', {
        source: { ...source('dev'), repoURL: `${repoURL}-nope` },
      }),
    );
    expect(wrongRepo.status).toBe(400);
    expect((await wrongRepo.json()).message).toContain('repository not found');
    const wrongProject = await post(
      application('dev', { project: 'elsewhere', source: source('dev') }),
    );
    expect(wrongProject.status).toBe(403);
    const unauthenticated = await fetch(
      `${sandbox.urls.argocd}/api/v1/applications`,
      { method: 'POST', body: '{}' },
    );
    expect(unauthenticated.status).toBe(401);

    const res = await post(application('dev', { source: source('dev') }));
    expect(res.status).toBe(200);
    const app = await res.json();
    expect(app.metadata).toMatchObject({
      name: `${MODEL}-dev`,
      labels: { 'ml-gitops/model': MODEL, 'ml-gitops/environment': 'dev' },
    });
    expect(app.spec.project).toBe('default');
    expect(app.status.sync.status).toBe('Synced');
    expect(app.status.operationState.phase).toBe('Succeeded');

    // the same again is fine; a different source needs upsert
    expect(
      (await post(application('dev', { source: source('dev') }))).status,
    ).toBe(200);
    const moved = await post(application('dev', { source: source('staging') }));
    expect(moved.status).toBe(400);

    const listed = await (
      await fetch(
        `${sandbox.urls.argocd}/api/v1/applications?selector=ml-gitops/model=${MODEL}&projects=default`,
        { headers: ARGO },
      )
    ).json();
    expect(listed.items.map((a: any) => a.metadata.name)).toEqual([
      `${MODEL}-dev`,
    ]);

    // the serving objects carry the version of the branch head
    const kube = await fetch(
      `${sandbox.urls.kubernetes}/apis/serving.kserve.io/v1beta1/namespaces/ml-dev/inferenceservices/${MODEL}`,
      {
        headers: {
          Authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
        },
      },
    );
    const isvc = await kube.json();
    expect(isvc.metadata.labels['ml-gitops/model-version']).toBe('1');

    // a new commit on dev is applied on refresh
    const file = await (
      await gh(`/repos/acme/${REPO}/contents/deploy/model.yaml?ref=dev`)
    ).json();
    const next = await commit('dev', '2', file.sha);
    const refreshed = await (
      await fetch(
        `${sandbox.urls.argocd}/api/v1/applications/${MODEL}-dev?refresh=normal`,
        { headers: ARGO },
      )
    ).json();
    expect(refreshed.status.sync.revision).toBe(next.commit.sha);
    expect(refreshed.status.history.map((h: any) => h.revision)).toEqual([
      expect.any(String),
      next.commit.sha,
    ]);
    const state = (await sandbox.state()) as any;
    expect(
      state.deployments.find(
        (d: any) => d.model === MODEL && d.environment === 'dev',
      ),
    ).toMatchObject({ appliedVersion: '2', liveVersion: '2' });
  });
});
