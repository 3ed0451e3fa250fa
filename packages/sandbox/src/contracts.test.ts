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
 * The Argo CD and Kubernetes emulators' answers, measured against what Argo
 * CD and the CRDs publish: Argo CD's swagger (assets/swagger.json) and the
 * OpenAPI v3 schemas of Flux's Kustomization, HelmRelease and GitRepository,
 * KServe's InferenceService and Argo Rollouts' AnalysisRun (the slices in
 * @ml-gitops/plugin-ml-gitops-common/testUtils, contracts/).
 */

import {
  argoCdContractProblems,
  KUBE_CONTRACT_KINDS,
  kubeContractProblems,
} from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { useSandbox } from './__testUtils__/useSandbox';
import { SANDBOX_CREDENTIALS } from './sandbox';

jest.setTimeout(60_000);

const sandbox = useSandbox({ reconcileIntervalSeconds: 3600 });

const admin = async (path: string, body: unknown) => {
  const res = await fetch(`${sandbox().urls.admin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
};

describe("the Argo CD emulator follows Argo CD's swagger", () => {
  const argocd = async (path: string, method = 'GET') => {
    const res = await fetch(`${sandbox().urls.argocd}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}`,
      },
    });
    expect(res.status).toBe(200);
    return res.json();
  };

  it('answers applications, one and all, and the version', async () => {
    await admin('/_sandbox/auto-sync', {
      model: 'churn-predictor',
      environment: 'dev',
      enabled: false,
    });
    const list = await argocd('/api/v1/applications');
    expect(list.items.length).toBeGreaterThan(0);
    const problems = argoCdContractProblems('v1alpha1ApplicationList', list);
    const first = list.items[0].metadata.name;
    await argocd(`/api/v1/applications/${first}/sync`, 'POST');
    // As the product asks: only the fields it reads (argo-cd's `fields`).
    const fields = [
      'items.metadata.name',
      'items.metadata.labels',
      'items.spec.source',
      'items.status.sync',
      'items.status.health',
      'items.status.operationState',
      'items.status.history',
    ].join(',');
    problems.push(
      ...argoCdContractProblems(
        'v1alpha1ApplicationList',
        await argocd(`/api/v1/applications?fields=${fields}`),
      ),
    );
    problems.push(
      ...argoCdContractProblems(
        'v1alpha1Application',
        await argocd(`/api/v1/applications/${first}`),
      ),
      ...argoCdContractProblems(
        'versionVersionMessage',
        await argocd('/api/version'),
      ),
    );
    expect(problems).toEqual([]);
  });
});

describe('the Kubernetes emulator follows the CRDs', () => {
  const plurals: Record<string, string> = {
    Kustomization: 'kustomizations',
    HelmRelease: 'helmreleases',
    GitRepository: 'gitrepositories',
    InferenceService: 'inferenceservices',
    AnalysisRun: 'analysisruns',
  };

  const listProblems = async () => {
    const problems: string[] = [];
    for (const [kind, apiVersion] of Object.entries(KUBE_CONTRACT_KINDS)) {
      const res = await fetch(
        `${sandbox().urls.kubernetes}/apis/${apiVersion}/${plurals[kind]}`,
        {
          headers: {
            Authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
          },
        },
      );
      expect(res.status).toBe(200);
      const list = await res.json();
      expect({ kind, count: list.items.length > 0 }).toEqual({
        kind,
        count: true,
      });
      for (const item of list.items) {
        problems.push(
          ...kubeContractProblems(item).map(
            p =>
              `${kind} ${item.metadata.namespace}/${item.metadata.name}: ${p}`,
          ),
        );
      }
    }
    return problems;
  };

  it('answers the objects as seeded', async () => {
    expect(await listProblems()).toEqual([]);
  });

  it('answers the objects in failure and canary states', async () => {
    await admin('/_sandbox/flux-failure', {
      model: 'recsys-ranker',
      environment: 'dev',
      failure: { reason: 'HealthCheckFailed', message: 'health check failed' },
    });
    await admin('/_sandbox/canary', {
      model: 'fraud-detector',
      environment: 'production',
      canary: { kind: 'argo-rollouts', phase: 'Failed' },
    });
    await admin('/_sandbox/canary', {
      model: 'churn-predictor',
      environment: 'staging',
      canary: { kind: 'kserve', trafficPercent: 10, failed: true },
    });
    expect(await listProblems()).toEqual([]);
  });
});
