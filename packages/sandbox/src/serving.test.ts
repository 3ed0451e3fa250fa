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
 * KServe's states in the sandbox cluster: a new model version rolls out
 * over the configured time, a predictor fails and recovers through the
 * admin controls, a rollout armed to fail fails, a Serverless canary splits
 * traffic once its revision is ready. Every InferenceService is also
 * measured against KServe's CRD schema in each state.
 */

import { kubeContractProblems } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { useSandbox } from './__testUtils__/useSandbox';
import { servingObjects } from './live/objects';
import { SANDBOX_CREDENTIALS } from './sandbox';

jest.setTimeout(120_000);

const ROLLOUT_SECONDS = 2;
const sandbox = useSandbox({
  reconcileIntervalSeconds: 3600,
  rolloutSeconds: ROLLOUT_SECONDS,
});

const KUBE = {
  Authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
};
const ARGO = { Authorization: `Bearer ${SANDBOX_CREDENTIALS.argocd.token}` };

async function kube(path: string): Promise<any> {
  const res = await fetch(`${sandbox().urls.kubernetes}${path}`, {
    headers: KUBE,
  });
  expect(res.status).toBe(200);
  return res.json();
}

const isvc = (model: string, env: string) =>
  kube(
    `/apis/serving.kserve.io/v1beta1/namespaces/ml-${env}/inferenceservices/${model}`,
  );

const pods = async (model: string, env: string) =>
  (
    await kube(
      `/api/v1/namespaces/ml-${env}/pods?labelSelector=${encodeURIComponent(
        `ml-gitops/model=${model}`,
      )}`,
    )
  ).items;

const deployment = (model: string, env: string) =>
  kube(`/apis/apps/v1/namespaces/ml-${env}/deployments/${model}-predictor`);

const condition = (object: any, type: string) =>
  object.status.conditions.find((c: any) => c.type === type);

function admin(path: string, body: unknown) {
  return fetch(`${sandbox().urls.admin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 100));
  }
}

/** Commits model_version to a branch as the sandbox's `admin` (past protection). */
async function declare(repo: string, branch: string, version: string) {
  const api = sandbox().urls.gitApi;
  const path = `/repos/acme/${repo}/contents/deploy/model.yaml`;
  const file = await (await fetch(`${api}${path}?ref=${branch}`)).json();
  const text = Buffer.from(file.content, 'base64')
    .toString()
    .replace(/model_version: "\d+"/, `model_version: "${version}"`);
  const res = await fetch(`${api}${path}`, {
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
}

/** Argo CD applies the branch head now (auto-sync). */
async function refresh(app: string) {
  const res = await fetch(
    `${sandbox().urls.argocd}/api/v1/applications/${app}?refresh=normal`,
    { headers: ARGO },
  );
  expect(res.status).toBe(200);
}

/** The seconds of an ISO time: KServe's conditions carry no fractions. */
const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

const SERVING_KINDS = [
  'InferenceService',
  'Deployment',
  'ReplicaSet',
  'Pod',
  'Service',
];

/**
 * A list of one kind (the cluster's) or two (an Application's resources)
 * renders only the objects of those kinds: they must be the objects of the
 * whole rendering, in its order, for every deployment as it is now.
 */
function expectKindsRenderedAsInFull() {
  const { world } = sandbox().current();
  for (const d of world.deployments) {
    const full = servingObjects(world, d);
    expect(full.filter(o => !SERVING_KINDS.includes(o.kind))).toEqual([]);
    for (const kinds of [
      ...SERVING_KINDS.map(k => [k]),
      ['InferenceService', 'Service'],
    ]) {
      expect(servingObjects(world, d, new Set(kinds))).toEqual(
        full.filter(o => kinds.includes(o.kind)),
      );
    }
  }
}

async function contractProblems(model: string, env: string) {
  return kubeContractProblems(await isvc(model, env));
}

describe('KServe rollouts in the sandbox cluster', () => {
  afterEach(async () => {
    await admin('/_sandbox/reset', {});
  });

  it('reports a new version as rolling out, then Ready and Loaded after the rollout time', async () => {
    const before = await isvc('fraud-detector', 'dev');
    expect(before.metadata.labels['ml-gitops/model-version']).toBe('13');
    expect(condition(before, 'Ready').status).toBe('True');
    expect(before.status.modelStatus).toMatchObject({
      transitionStatus: 'UpToDate',
      states: { activeModelState: 'Loaded', targetModelState: 'Loaded' },
    });

    await declare('fraud-detector-config', 'dev', '12');
    const startedAt = Date.now();
    await refresh('fraud-detector-dev');
    const appliedBy = Date.now();

    const rolling = await isvc('fraud-detector', 'dev');
    // the operator applied the new spec at once; KServe still rolls it out
    expect(rolling.metadata.labels['ml-gitops/model-version']).toBe('12');
    expect(rolling.spec.predictor.model.storageUri).toBe(
      'models:/fraud-detector/12',
    );
    const predictorReady = condition(rolling, 'PredictorReady');
    expect(predictorReady).toMatchObject({
      status: 'Unknown',
      reason: 'ReplicaSetUpdated',
    });
    expect(predictorReady.message).toMatch(
      /^ReplicaSet "fraud-detector-predictor-\w+" is progressing\.$/,
    );
    expect(condition(rolling, 'Ready')).toEqual({
      ...predictorReady,
      type: 'Ready',
    });
    const rolloutStart = Date.parse(predictorReady.lastTransitionTime);
    expect(rolloutStart).toBeGreaterThanOrEqual(floorSecond(startedAt));
    expect(rolloutStart).toBeLessThanOrEqual(appliedBy);
    expect(rolling.status.modelStatus).toMatchObject({
      transitionStatus: 'InProgress',
      // the previous copy is still the loaded one
      states: { activeModelState: 'Loaded', targetModelState: 'Loading' },
      copies: { failedCopies: 0, totalCopies: 2 },
    });
    expect(rolling.status.modelStatus.lastFailureInfo).toBeUndefined();
    expect(await contractProblems('fraud-detector', 'dev')).toEqual([]);

    // the old pods serve, the new ones download the model
    const during = await pods('fraud-detector', 'dev');
    const byVersion = (list: any[], v: string) =>
      list.filter(p => p.metadata.labels['ml-gitops/model-version'] === v);
    expect(byVersion(during, '13').map(p => p.status.phase)).toEqual([
      'Running',
      'Running',
    ]);
    const initializing = byVersion(during, '12');
    expect(initializing.map(p => p.status.phase)).toEqual([
      'Pending',
      'Pending',
    ]);
    expect(initializing[0].status.initContainerStatuses[0]).toMatchObject({
      name: 'storage-initializer',
      state: { running: expect.any(Object) },
    });
    expect((await deployment('fraud-detector', 'dev')).status).toMatchObject({
      replicas: 4,
      updatedReplicas: 2,
      readyReplicas: 2,
      unavailableReplicas: 2,
    });

    const ready = await waitFor(async () => {
      const s = await isvc('fraud-detector', 'dev');
      return condition(s, 'Ready').status === 'True' ? s : undefined;
    });
    const readyAt = Date.now();
    expect(readyAt - startedAt).toBeGreaterThanOrEqual(
      ROLLOUT_SECONDS * 1000 - 1000,
    );
    // lastTransitionTime is when the rollout ended, not when it was read
    const readyTransition = Date.parse(
      condition(ready, 'Ready').lastTransitionTime,
    );
    expect(readyTransition - rolloutStart).toBeGreaterThanOrEqual(
      (ROLLOUT_SECONDS - 1) * 1000,
    );
    expect(readyTransition - rolloutStart).toBeLessThanOrEqual(
      (ROLLOUT_SECONDS + 1) * 1000,
    );
    expect(condition(ready, 'PredictorReady')).toEqual({
      type: 'PredictorReady',
      status: 'True',
      lastTransitionTime: condition(ready, 'Ready').lastTransitionTime,
    });
    expect(ready.status.modelStatus).toEqual({
      transitionStatus: 'UpToDate',
      states: { activeModelState: 'Loaded', targetModelState: 'Loaded' },
      copies: { failedCopies: 0, totalCopies: 2 },
    });
    const after = await pods('fraud-detector', 'dev');
    expect(
      after.map((p: any) => [
        p.metadata.labels['ml-gitops/model-version'],
        p.status.phase,
        p.status.containerStatuses[0].ready,
      ]),
    ).toEqual([
      ['12', 'Running', true],
      ['12', 'Running', true],
    ]);
    expect(
      (await deployment('fraud-detector', 'dev')).status.conditions,
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Progressing',
          reason: 'NewReplicaSetAvailable',
        }),
      ]),
    );
  });

  it('lists an InferenceService with its field managers and, applied by Argo CD, the applied manifest', async () => {
    // Argo CD applies client-side: kubectl's last-applied-configuration.
    const argo = await isvc('fraud-detector', 'dev');
    const applied = JSON.parse(
      argo.metadata.annotations[
        'kubectl.kubernetes.io/last-applied-configuration'
      ],
    );
    expect(applied).toMatchObject({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: {
        name: 'fraud-detector',
        namespace: 'ml-dev',
        labels: argo.metadata.labels,
      },
      spec: argo.spec,
    });
    expect(applied).not.toHaveProperty('status');
    const managers = (object: any) =>
      object.metadata.managedFields.map((m: any) => [
        m.manager,
        m.operation,
        m.subresource,
      ]);
    expect(managers(argo)).toEqual([
      ['argocd-controller', 'Update', undefined],
      ['manager', 'Update', 'status'],
    ]);
    const [spec, status] = argo.metadata.managedFields;
    expect(spec.fieldsV1['f:spec']['f:predictor']['f:model']).toHaveProperty(
      'f:storageUri',
    );
    expect(status.fieldsV1['f:status']['f:conditions']).toHaveProperty(
      'k:{"type":"Ready"}',
    );

    // Flux's helm-controller installs a Helm release: Helm's annotations.
    const helm = await isvc('recsys-ranker', 'dev');
    expect(helm.metadata.annotations).toMatchObject({
      'meta.helm.sh/release-name': expect.any(String),
      'meta.helm.sh/release-namespace': 'ml-dev',
    });
    expect(helm.metadata.annotations).not.toHaveProperty(
      'kubectl.kubernetes.io/last-applied-configuration',
    );
    expect(managers(helm)[0]).toEqual(['helm-controller', 'Update', undefined]);
  });

  it('fails a serving predictor through the admin control and recovers it', async () => {
    const serving = await pods('fraud-detector', 'production');
    const res = await admin('/_sandbox/serving/fail', {
      model: 'fraud-detector',
      environment: 'production',
      reason: 'RuntimeUnhealthy',
      message: 'OOMKilled while loading the model',
      exitCode: 137,
    });
    expect(res.status).toBe(200);
    const failed = await isvc('fraud-detector', 'production');
    for (const type of ['PredictorReady', 'Ready']) {
      expect(condition(failed, type)).toMatchObject({
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      });
    }
    const failedAt = Date.parse(condition(failed, 'Ready').lastTransitionTime);
    expect(Date.now() - failedAt).toBeLessThan(5_000);
    const { modelStatus } = failed.status;
    expect(modelStatus).toMatchObject({
      transitionStatus: 'BlockedByFailedLoad',
      // KServe never moves activeModelState back from Loaded
      states: { activeModelState: 'Loaded', targetModelState: 'FailedToLoad' },
      copies: { failedCopies: 0 },
      lastFailureInfo: {
        location: serving[0].metadata.name,
        reason: 'RuntimeUnhealthy',
        message: 'OOMKilled while loading the model',
        modelRevisionName: serving[0].metadata.ownerReferences[0].name,
        exitCode: 137,
      },
    });
    expect(modelStatus.copies.totalCopies).toBeUndefined();
    expect(Date.parse(modelStatus.lastFailureInfo.time)).toBe(failedAt);
    expect(await contractProblems('fraud-detector', 'production')).toEqual([]);

    const crashing = await pods('fraud-detector', 'production');
    expect(crashing.map((p: any) => p.metadata.name)).toEqual(
      serving.map((p: any) => p.metadata.name),
    );
    const container = crashing[0].status.containerStatuses[0];
    expect(container).toMatchObject({
      name: 'kserve-container',
      ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: {
        terminated: {
          exitCode: 137,
          reason: 'Error',
          message: 'OOMKilled while loading the model',
        },
      },
    });
    expect(container.restartCount).toBeGreaterThanOrEqual(1);
    expectKindsRenderedAsInFull();
    expect(
      condition(await deployment('fraud-detector', 'production'), 'Available'),
    ).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });

    // the other models keep serving
    expect(
      condition(await isvc('fraud-detector', 'staging'), 'Ready').status,
    ).toBe('True');

    expect(
      (
        await admin('/_sandbox/serving/recover', {
          model: 'fraud-detector',
          environment: 'production',
        })
      ).status,
    ).toBe(200);
    const recovered = await isvc('fraud-detector', 'production');
    expect(condition(recovered, 'Ready')).toMatchObject({ status: 'True' });
    expect(
      Date.parse(condition(recovered, 'Ready').lastTransitionTime),
    ).toBeGreaterThanOrEqual(failedAt);
    expect(recovered.status.modelStatus).toMatchObject({
      transitionStatus: 'UpToDate',
      states: { activeModelState: 'Loaded', targetModelState: 'Loaded' },
      // KServe keeps the last failure after a recovery
      lastFailureInfo: { reason: 'RuntimeUnhealthy', exitCode: 137 },
    });
    const running = (await pods('fraud-detector', 'production'))[0].status
      .containerStatuses[0];
    expect(running).toMatchObject({ ready: true, state: { running: {} } });
    expect(running.restartCount).toBeGreaterThanOrEqual(1);
  });

  it('fails the next rollout of one version, while the previous version keeps serving', async () => {
    expect(
      (
        await admin('/_sandbox/serving/fail-next-rollout', {
          model: 'fraud-detector',
          environment: 'staging',
          version: '12',
        })
      ).status,
    ).toBe(200);
    const state: any = await (
      await fetch(`${sandbox().urls.admin}/_sandbox/state`)
    ).json();
    expect(
      state.deployments.find(
        (d: any) => d.model === 'fraud-detector' && d.environment === 'staging',
      ).predictor,
    ).toMatchObject({ phase: 'ready', version: '13', failNextRollout: ['12'] });

    await declare('fraud-detector-config', 'staging', '12');
    await refresh('fraud-detector-staging');
    const rolling = await isvc('fraud-detector', 'staging');
    expect(rolling.status.modelStatus.transitionStatus).toBe('InProgress');
    expectKindsRenderedAsInFull();

    const failed = await waitFor(async () => {
      const s = await isvc('fraud-detector', 'staging');
      return condition(s, 'Ready').status === 'False' ? s : undefined;
    });
    const deadline = condition(failed, 'PredictorReady');
    expect(deadline).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
    expect(deadline.message).toMatch(
      /^ReplicaSet "fraud-detector-predictor-\w+" has timed out progressing\.$/,
    );
    expect(
      Date.parse(deadline.lastTransitionTime) -
        Date.parse(condition(rolling, 'PredictorReady').lastTransitionTime),
    ).toBeGreaterThanOrEqual((ROLLOUT_SECONDS - 1) * 1000);
    const newReplicaSet = /"([^"]+)"/.exec(deadline.message)![1];
    expect(failed.status.modelStatus).toMatchObject({
      transitionStatus: 'BlockedByFailedLoad',
      states: { activeModelState: 'Loaded', targetModelState: 'FailedToLoad' },
      copies: { failedCopies: 0, totalCopies: 2 },
      lastFailureInfo: {
        reason: 'ModelLoadFailed',
        message:
          'the model server exited while loading models:/fraud-detector/12',
        modelRevisionName: newReplicaSet,
        exitCode: 1,
      },
    });
    expect(failed.status.modelStatus.lastFailureInfo.location).toMatch(
      new RegExp(`^${newReplicaSet}-`),
    );
    expect(await contractProblems('fraud-detector', 'staging')).toEqual([]);

    const all = await pods('fraud-detector', 'staging');
    expect(
      all
        .map(
          (p: any) =>
            `${p.metadata.labels['ml-gitops/model-version']} ${
              p.status.containerStatuses[0].ready
                ? 'ready'
                : p.status.containerStatuses[0].state.waiting?.reason
            }`,
        )
        .sort(),
    ).toEqual([
      '12 CrashLoopBackOff',
      '12 CrashLoopBackOff',
      '13 ready',
      '13 ready',
    ]);
    expectKindsRenderedAsInFull();
    expect(
      condition(await deployment('fraud-detector', 'staging'), 'Progressing'),
    ).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });

    // the armed failure was used up: the next rollout of 12 elsewhere is fine
    await declare('fraud-detector-config', 'dev', '12');
    await refresh('fraud-detector-dev');
    await waitFor(async () => {
      const s = await isvc('fraud-detector', 'dev');
      return condition(s, 'Ready').status === 'True' ? s : undefined;
    });
  });

  it('rolls out at once with a rollout duration of 0, kept across resets', async () => {
    const set = (seconds: number) =>
      admin('/_sandbox/serving/rollout-duration', { seconds });
    expect((await set(0)).status).toBe(200);
    try {
      await admin('/_sandbox/reset', {});
      const state: any = await (
        await fetch(`${sandbox().urls.admin}/_sandbox/state`)
      ).json();
      expect(state.serving).toEqual({ rolloutSeconds: 0 });
      await declare('fraud-detector-config', 'dev', '11');
      await refresh('fraud-detector-dev');
      const served = await isvc('fraud-detector', 'dev');
      expect(served.metadata.labels['ml-gitops/model-version']).toBe('11');
      expect(condition(served, 'Ready').status).toBe('True');
      expect(served.status.modelStatus.transitionStatus).toBe('UpToDate');
    } finally {
      expect((await set(ROLLOUT_SECONDS)).status).toBe(200);
    }
  });

  it('refuses bad serving control input with what to fix', async () => {
    const bad = await admin('/_sandbox/serving/fail', {
      model: 'fraud-detector',
      environment: 'dev',
      reason: 'Exploded',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe(
      'reason must be one of ModelLoadFailed, RuntimeUnhealthy',
    );
    const noModel = await admin('/_sandbox/serving/recover', {
      environment: 'dev',
    });
    expect(noModel.status).toBe(400);
    expect((await noModel.json()).error).toMatch(/model and environment/);
    const unknown = await admin('/_sandbox/serving/fail', {
      model: 'nope',
      environment: 'dev',
    });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toBe('unknown deployment nope/dev');
    const badExit = await admin('/_sandbox/serving/fail-next-rollout', {
      model: 'fraud-detector',
      environment: 'dev',
      exitCode: 0,
    });
    expect(badExit.status).toBe(400);
    const badVersion = await admin('/_sandbox/serving/fail-next-rollout', {
      model: 'fraud-detector',
      environment: 'dev',
      version: 12,
    });
    expect(badVersion.status).toBe(400);
    const badSeconds = await admin('/_sandbox/serving/rollout-duration', {
      seconds: -1,
    });
    expect(badSeconds.status).toBe(400);
    // nothing changed
    expect(condition(await isvc('fraud-detector', 'dev'), 'Ready').status).toBe(
      'True',
    );
  });

  it('splits a Serverless canary only once its new revision is ready, and moves all traffic on promotion', async () => {
    expect(
      (
        await admin('/_sandbox/canary', {
          model: 'churn-predictor',
          environment: 'staging',
          canary: { kind: 'kserve', trafficPercent: 30 },
        })
      ).status,
    ).toBe(200);
    const before = await isvc('churn-predictor', 'staging');
    const revisionBefore =
      before.status.components.predictor.latestCreatedRevision;

    await declare('churn-predictor-config', 'staging', '8');
    await refresh('churn-predictor-staging');
    const rolling = await isvc('churn-predictor', 'staging');
    const predictor = rolling.status.components.predictor;
    expect(predictor.latestCreatedRevision).not.toBe(revisionBefore);
    expect(predictor.latestReadyRevision).toBe(revisionBefore);
    // the new revision takes no traffic before it is ready
    expect(predictor.traffic).toEqual([
      { revisionName: revisionBefore, latestRevision: true, percent: 100 },
    ]);
    expect(condition(rolling, 'PredictorReady')).toMatchObject({
      status: 'Unknown',
      reason: 'RevisionMissing',
      message:
        'Configuration "churn-predictor-predictor" is waiting for a Revision to become ready.',
    });
    expect(condition(rolling, 'PredictorConfigurationReady')).toMatchObject({
      status: 'Unknown',
      severity: 'Info',
    });
    expect(rolling.status.modelStatus.transitionStatus).toBe('InProgress');
    expectKindsRenderedAsInFull();
    expect(await contractProblems('churn-predictor', 'staging')).toEqual([]);

    const split = await waitFor(async () => {
      const s = await isvc('churn-predictor', 'staging');
      return condition(s, 'Ready').status === 'True' ? s : undefined;
    });
    const latest = split.status.components.predictor;
    expect(latest.latestReadyRevision).toBe(latest.latestCreatedRevision);
    expect(latest.traffic.map((t: any) => [t.revisionName, t.percent])).toEqual(
      [
        [latest.latestCreatedRevision, 30],
        [revisionBefore, 70],
      ],
    );
    expect(latest.latestRolledoutRevision).toBe(revisionBefore);
    expect(split.status.modelStatus.transitionStatus).toBe('UpToDate');
    expectKindsRenderedAsInFull();

    // promotion: canaryTrafficPercent 100
    await admin('/_sandbox/canary', {
      model: 'churn-predictor',
      environment: 'staging',
      canary: { kind: 'kserve', trafficPercent: 100 },
    });
    const promoted = (await isvc('churn-predictor', 'staging')).status
      .components.predictor;
    expect(promoted.traffic).toEqual([
      expect.objectContaining({
        revisionName: latest.latestCreatedRevision,
        latestRevision: true,
        percent: 100,
      }),
    ]);
    expect(promoted.latestRolledoutRevision).toBe(latest.latestCreatedRevision);
    expect(await contractProblems('churn-predictor', 'staging')).toEqual([]);
  });

  it('fails a Serverless canary revision with RevisionFailed and keeps the traffic on the previous one', async () => {
    await admin('/_sandbox/canary', {
      model: 'churn-predictor',
      environment: 'staging',
      canary: { kind: 'kserve', trafficPercent: 30 },
    });
    await admin('/_sandbox/serving/fail-next-rollout', {
      model: 'churn-predictor',
      environment: 'staging',
      version: null,
      message: 'Container failed with: model load error',
    });
    const revisionBefore = (await isvc('churn-predictor', 'staging')).status
      .components.predictor.latestCreatedRevision;
    await declare('churn-predictor-config', 'staging', '8');
    await refresh('churn-predictor-staging');
    const failed = await waitFor(async () => {
      const s = await isvc('churn-predictor', 'staging');
      return condition(s, 'Ready').status === 'False' ? s : undefined;
    });
    const predictor = failed.status.components.predictor;
    const message = `Revision "${predictor.latestCreatedRevision}" failed with message: Container failed with: model load error.`;
    expect(condition(failed, 'PredictorConfigurationReady')).toMatchObject({
      status: 'False',
      severity: 'Info',
      reason: 'RevisionFailed',
      message,
    });
    expect(condition(failed, 'PredictorReady')).toMatchObject({
      status: 'False',
      reason: 'RevisionFailed',
      message,
    });
    expect(predictor.traffic).toEqual([
      { revisionName: revisionBefore, latestRevision: true, percent: 100 },
    ]);
    expect(failed.status.modelStatus).toMatchObject({
      transitionStatus: 'BlockedByFailedLoad',
      lastFailureInfo: { modelRevisionName: predictor.latestCreatedRevision },
    });
    expect(await contractProblems('churn-predictor', 'staging')).toEqual([]);
  });
});
