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
 * demand-forecaster lives in the sandbox's cluster like the GitHub models:
 * Argo CD applies its environment branches from the GitLab project, KServe
 * serves the version each declares from the chart's storage URI, and a
 * merge request merged on GitLab reaches the cluster.
 */

import { kubeContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { useSandbox } from './__testUtils__/useSandbox';
import { SANDBOX_CREDENTIALS } from './sandbox';

jest.setTimeout(120_000);

const PROJECT = 'ml-platform/demand-forecaster-config';
const MODEL = 'demand-forecaster';
const sandbox = useSandbox({
  reconcileIntervalSeconds: 3600,
  rolloutSeconds: 1,
});

const ARGO = { Authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}` };
const KUBE = {
  Authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
};

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) {
    throw new Error(
      `${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`,
    );
  }
  return body;
}

const gitlab = (p: string, init: RequestInit = {}) =>
  json(
    `${sandbox().urls.gitlab}/api/v4/projects/${encodeURIComponent(
      PROJECT,
    )}${p}`,
    {
      ...init,
      headers: {
        'private-token': SANDBOX_CREDENTIALS.gitlab.token,
        'content-type': 'application/json',
      },
    },
  );

const app = (env: string, refresh = false) =>
  json(
    `${sandbox().urls.argocd}/api/v1/applications/${MODEL}-${env}${
      refresh ? '?refresh=normal' : ''
    }`,
    { headers: ARGO },
  );

const isvc = (env: string) =>
  json(
    `${
      sandbox().urls.kubernetes
    }/apis/serving.kserve.io/v1beta1/namespaces/ml-${env}/inferenceservices/${MODEL}`,
    { headers: KUBE },
  );

const branchHead = async (env: string) =>
  (await gitlab(`/repository/branches/${env}`)).commit.id as string;

async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 100));
  }
}

describe('demand-forecaster on the GitLab host', () => {
  afterEach(() => sandbox().reset());

  it.each([
    ['dev', '3'],
    ['staging', '3'],
    ['production', '2'],
  ])(
    'is an Argo CD Application of the GitLab branch %s, serving version %s from its storage URI',
    async (env, version) => {
      const a = await app(env);
      expect(a.metadata.labels).toMatchObject({
        'ml-gitops/model': MODEL,
        'ml-gitops/environment': env,
      });
      expect(a.spec.source).toMatchObject({
        repoURL: `${sandbox().urls.gitlab}/${PROJECT}.git`,
        targetRevision: env,
      });
      expect(a.status.sync).toMatchObject({
        status: 'Synced',
        revision: await branchHead(env),
      });
      const service = await isvc(env);
      expect(kubeContractProblems(service)).toEqual([]);
      expect(service.metadata.labels).toMatchObject({
        'ml-gitops/model': MODEL,
        'ml-gitops/environment': env,
        'ml-gitops/model-version': version,
        'backstage.io/kubernetes-id': MODEL,
      });
      expect(service.spec.predictor.model).toEqual({
        modelFormat: { name: 'sklearn' },
        storageUri: `s3://models/${MODEL}/${version}`,
      });
      expect(
        service.status.conditions.find((c: any) => c.type === 'Ready').status,
      ).toBe('True');
    },
  );

  it('serves what a merge request merged on GitLab declares, once Argo CD syncs it', async () => {
    const manifest = await (
      await fetch(
        `${sandbox().urls.gitlab}/api/v4/projects/${encodeURIComponent(
          PROJECT,
        )}/repository/files/${encodeURIComponent(
          'deploy/model.yaml',
        )}/raw?ref=dev`,
        { headers: { 'private-token': SANDBOX_CREDENTIALS.gitlab.token } },
      )
    ).text();
    expect(manifest).toContain('model_version: "3"');
    const branch = 'ml-gitops/deploy/dev/2';
    await gitlab('/repository/commits', {
      method: 'POST',
      body: JSON.stringify({
        branch,
        start_branch: 'dev',
        commit_message: `Deploy ${MODEL} 2 to dev`,
        actions: [
          {
            action: 'update',
            file_path: 'deploy/model.yaml',
            content: manifest.replace(
              'model_version: "3"',
              'model_version: "2"',
            ),
          },
        ],
      }),
    });
    const mr = await gitlab('/merge_requests', {
      method: 'POST',
      body: JSON.stringify({
        source_branch: branch,
        target_branch: 'dev',
        title: `Deploy ${MODEL} 2 to dev`,
      }),
    });
    // "Pipelines must succeed": the check the project's CI would report
    await gitlab(`/statuses/${mr.sha}`, {
      method: 'POST',
      body: JSON.stringify({ state: 'success', name: 'ml-gitops/validate' }),
    });
    const merged = await json(`${sandbox().urls.admin}/_sandbox/gitlab/merge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        project: PROJECT,
        iid: mr.iid,
        user: 'katherine',
      }),
    });
    expect(merged.state).toBe('merged');
    expect(await branchHead('dev')).toBe(merged.merge_commit_sha);

    // before Argo CD looks again, dev still serves 3
    expect((await isvc('dev')).metadata.labels['ml-gitops/model-version']).toBe(
      '3',
    );
    const synced = await app('dev', true);
    expect(synced.status.sync).toMatchObject({
      status: 'Synced',
      revision: merged.merge_commit_sha,
    });
    const served = await waitFor(async () => {
      const s = await isvc('dev');
      const ready = s.status.conditions.find((c: any) => c.type === 'Ready');
      return ready.status === 'True' &&
        s.metadata.labels['ml-gitops/model-version'] === '2'
        ? s
        : undefined;
    });
    expect(served.spec.predictor.model.storageUri).toBe(
      `s3://models/${MODEL}/2`,
    );
    expect(served.status.modelStatus.states).toEqual({
      activeModelState: 'Loaded',
      targetModelState: 'Loaded',
    });
    // the other environments stay as they were
    expect(
      (await isvc('staging')).metadata.labels['ml-gitops/model-version'],
    ).toBe('3');
  });
});
