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

describe('canary analyses in the sandbox cluster', () => {
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

  const kube = async (p: string) => {
    const res = await fetch(`${sandbox.urls.kubernetes}${p}`, {
      headers: KUBE,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const admin = (p: string, body: unknown) =>
    fetch(`${sandbox.urls.admin}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const runs = async () =>
    (
      await kube(
        `/apis/argoproj.io/v1alpha1/analysisruns?labelSelector=${encodeURIComponent(
          'ml-gitops/model,ml-gitops/environment',
        )}`,
      )
    ).body;
  const isvc = async (model: string, env: string) =>
    (
      await kube(
        `/apis/serving.kserve.io/v1beta1/namespaces/ml-${env}/inferenceservices/${model}`,
      )
    ).body;

  it('serves AnalysisRuns through discovery and a labelled list', async () => {
    const group = await kube('/apis/argoproj.io');
    expect(group.body).toMatchObject({
      kind: 'APIGroup',
      preferredVersion: {
        groupVersion: 'argoproj.io/v1alpha1',
        version: 'v1alpha1',
      },
    });
    const list = await runs();
    expect(list.kind).toBe('AnalysisRunList');
    const byKey = Object.fromEntries(
      list.items.map((r: any) => [
        `${r.metadata.labels['ml-gitops/model']}/${r.metadata.labels['ml-gitops/environment']}`,
        r,
      ]),
    );
    expect(Object.keys(byKey).sort()).toEqual([
      'churn-predictor/dev',
      'fraud-detector/staging',
    ]);
    const passed = byKey['fraud-detector/staging'];
    expect(passed).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: {
        namespace: 'ml-staging',
        labels: {
          'rollout-type': 'Step',
          'ml-gitops/model-version': '13',
        },
        ownerReferences: [
          expect.objectContaining({ kind: 'Rollout', controller: true }),
        ],
      },
      status: { phase: 'Successful' },
    });
    expect(passed.metadata.annotations['rollout.argoproj.io/revision']).toMatch(
      /^\d+$/,
    );
    expect(passed.status.metricResults[0]).toMatchObject({
      name: 'error-rate',
      phase: 'Successful',
      count: 5,
      successful: 5,
    });
    const failed = byKey['churn-predictor/dev'];
    expect(failed.status).toMatchObject({
      phase: 'Failed',
      message:
        'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)',
    });
    expect(failed.metadata.labels['ml-gitops/model-version']).toBe('8');
    expect(failed.status.metricResults[0].measurements).toHaveLength(5);
  });

  it('keeps the seeded live versions and drift labels', async () => {
    const state = (await (
      await fetch(`${sandbox.urls.admin}/_sandbox/state`)
    ).json()) as any;
    const recsysStaging = state.deployments.find(
      (d: any) => d.model === 'recsys-ranker' && d.environment === 'staging',
    );
    expect(recsysStaging).toMatchObject({ liveVersion: '4', drifted: true });
    expect(
      (await isvc('recsys-ranker', 'staging')).spec.predictor,
    ).not.toHaveProperty('canaryTrafficPercent');
  });

  it('splits the traffic of the recsys-ranker dev InferenceService', async () => {
    const service = await isvc('recsys-ranker', 'dev');
    expect(service.spec.predictor.canaryTrafficPercent).toBe(20);
    const predictor = service.status.components.predictor;
    expect(predictor.traffic).toEqual([
      expect.objectContaining({
        latestRevision: true,
        percent: 20,
        tag: 'latest',
      }),
      expect.objectContaining({
        latestRevision: false,
        percent: 80,
        tag: 'prev',
      }),
    ]);
    expect(predictor.latestReadyRevision).toBe(
      predictor.traffic[0].revisionName,
    );
    expect(predictor.latestRolledoutRevision).toBe(
      predictor.traffic[1].revisionName,
    );
    expect(service.metadata.labels['ml-gitops/model-version']).toBeTruthy();
  });

  it('changes canaries through the admin control, and refuses bad input', async () => {
    expect(
      (
        await admin('/_sandbox/canary', {
          model: 'fraud-detector',
          environment: 'production',
          canary: { kind: 'argo-rollouts', phase: 'Inconclusive' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await admin('/_sandbox/canary', {
          model: 'churn-predictor',
          environment: 'dev',
          canary: null,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await admin('/_sandbox/canary', {
          model: 'recsys-ranker',
          environment: 'dev',
          canary: { kind: 'kserve', trafficPercent: 10, failed: true },
        })
      ).status,
    ).toBe(200);
    const list = await runs();
    expect(
      list.items
        .map(
          (r: any) =>
            `${r.metadata.labels['ml-gitops/model']}/${r.metadata.labels['ml-gitops/environment']}=${r.status.phase}`,
        )
        .sort(),
    ).toEqual([
      'fraud-detector/production=Inconclusive',
      'fraud-detector/staging=Successful',
    ]);
    const service = await isvc('recsys-ranker', 'dev');
    // Knative keeps conditions sorted by type (knative.dev/pkg
    // apis/condition_set.go), so IngressReady comes first
    expect(
      service.status.conditions.find(
        (c: any) => c.type === 'PredictorConfigurationReady',
      ),
    ).toMatchObject({
      type: 'PredictorConfigurationReady',
      status: 'False',
      reason: 'RevisionFailed',
    });
    expect(service.status.components.predictor.latestCreatedRevision).not.toBe(
      service.status.components.predictor.latestReadyRevision,
    );

    const bad = await admin('/_sandbox/canary', {
      model: 'fraud-detector',
      environment: 'dev',
      canary: { kind: 'argo-rollouts', phase: 'Great' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatch(/canary must be null/);
    const unknown = await admin('/_sandbox/canary', {
      model: 'nope',
      environment: 'dev',
      canary: null,
    });
    expect(unknown.status).toBe(404);

    // a reset brings the seed back
    await fetch(`${sandbox.urls.admin}/_sandbox/reset`, { method: 'POST' });
    expect((await runs()).items).toHaveLength(2);
  });
});
