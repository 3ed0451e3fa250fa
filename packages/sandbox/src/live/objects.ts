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
 * The Kubernetes objects a deployment consists of, shaped like the API
 * server returns them: KServe InferenceService (kserve.github.io/website,
 * serving.kserve.io/v1beta1), apps/v1 Deployment + ReplicaSet, v1 Pod and
 * Service (kubernetes.io/docs/reference/kubernetes-api), and the Flux
 * objects (fluxcd.io/flux/components: GitRepository v1, Kustomization v1,
 * HelmRelease v2).
 */

import { stableHex, stableUid } from '../seed/data';
import { applyInferenceServiceCanary, canaryOf } from './canary';
import { servingModel } from './chart';
import { asListed } from './managedFields';
import {
  crashLoopRestarts,
  lastCrashAt,
  PredictorFailure,
  predictorRevisionName,
  PredictorState,
  readyPredictor,
} from './predictor';
import { LiveDeployment, World } from './World';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    generation?: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<Record<string, unknown>>;
    /** Who wrote which field (see `asListed`). */
    managedFields?: Array<Record<string, unknown>>;
  };
  spec?: Record<string, any>;
  status?: Record<string, any>;
};

export const IMAGES = [
  'docker.io/seldonio/mlserver:1.6.1',
  'kserve/storage-initializer:v0.14.1',
];

export function baseLabels(
  w: World,
  d: LiveDeployment,
): Record<string, string> {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': d.model.name,
    'app.kubernetes.io/part-of': 'ml-serving',
    'backstage.io/kubernetes-id': d.model.name,
    'ml-gitops/model': d.model.name,
    'ml-gitops/environment': d.env,
    'ml-gitops/model-version': w.liveVersion(d),
  };
  if (d.operator === 'argocd') {
    labels['argocd.argoproj.io/instance'] = w.appName(d);
  } else {
    labels['helm.toolkit.fluxcd.io/name'] = w.appName(d);
    labels['helm.toolkit.fluxcd.io/namespace'] = 'flux-system';
    labels['app.kubernetes.io/managed-by'] = 'Helm';
  }
  return labels;
}

function firstDeployed(d: LiveDeployment) {
  return d.history[0]?.deployedAt ?? d.reconciledAt;
}

function isoAt(ms: number) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The ReplicaSet of a model version's pod template (RawDeployment). */
function replicaSetName(ns: string, model: string, version: string) {
  const hash = stableHex(`${ns}/${model}/${version}`, 10).replace(/^\d/, 'b');
  return { name: `${model}-predictor-${hash}`, hash };
}

function podName(rsName: string, i: number) {
  return `${rsName}-${stableHex(`${rsName}/${i}`, 5).replace(
    /[0-9]/g,
    c => 'bcdfghjklm'[Number(c)],
  )}`;
}

type KubeCondition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  severity?: string;
  reason?: string;
  message?: string;
  lastTransitionTime: string;
};

/**
 * What the predictor looks like now: the predictor state of the world, with
 * a failed Serverless canary (the `failed` flag of the canary control) read
 * as a new revision that did not become ready.
 */
type PredictorView = {
  p: PredictorState;
  phase: PredictorState['phase'];
  /** the latest revision never became ready (a failed rollout) */
  neverReady: boolean;
  failure?: PredictorFailure & { at: number };
  lastFailure?: PredictorState['lastFailure'];
};

function predictorView(w: World, d: LiveDeployment, now: number) {
  w.settleServing(d, now);
  // A deployment whose operator applied nothing yet has no predictor; it
  // renders as serving what it carries, as before this emulation existed.
  const p =
    d.predictor ??
    readyPredictor(
      d.appliedVersion,
      1,
      Date.parse(d.reconciledAt),
      Date.parse(d.reconciledAt),
    );
  const canary = canaryOf(w, d);
  if (canary?.kind === 'kserve' && canary.failed && p.phase !== 'failed') {
    const failure = {
      reason: 'ModelLoadFailed' as const,
      message: 'Container failed with: model load error',
      exitCode: 1,
      at: p.since,
    };
    return {
      p,
      phase: 'failed' as const,
      neverReady: true,
      failure,
      lastFailure: {
        ...failure,
        revision: p.revision,
        version: p.version,
      },
    };
  }
  const view: PredictorView = {
    p,
    phase: p.phase,
    neverReady: p.readyAt === undefined,
    failure: p.failure,
    lastFailure: p.lastFailure,
  };
  return view;
}

/**
 * InferenceService conditions, sorted by type as Knative's condition
 * manager keeps them. RawDeployment: PredictorReady from the predictor
 * Deployment (see predictor.ts); Serverless: from the Knative Service,
 * which waits for a new revision with reason RevisionMissing
 * ("Configuration … is waiting for a Revision to become ready.") and fails
 * with RevisionFailed ("Revision … failed with message: …").
 */
function inferenceServiceConditions(
  view: PredictorView,
  serverless: boolean,
  names: { model: string; replicaSet: string },
  created: string,
): KubeCondition[] {
  const at = isoAt(view.p.since);
  const ingress: KubeCondition = {
    type: 'IngressReady',
    status: 'True',
    lastTransitionTime: created,
  };
  let predictor: Omit<KubeCondition, 'type'>;
  if (view.phase === 'ready') {
    predictor = { status: 'True', lastTransitionTime: at };
  } else if (view.phase === 'rolling-out') {
    predictor = serverless
      ? {
          status: 'Unknown',
          reason: 'RevisionMissing',
          message: `Configuration "${names.model}-predictor" is waiting for a Revision to become ready.`,
          lastTransitionTime: at,
        }
      : {
          status: 'Unknown',
          reason: 'ReplicaSetUpdated',
          message: `ReplicaSet "${names.replicaSet}" is progressing.`,
          lastTransitionTime: at,
        };
  } else if (serverless) {
    predictor = {
      status: 'False',
      reason: 'RevisionFailed',
      message: `Revision "${predictorRevisionName(
        names.model,
        view.p.revision,
      )}" failed with message: ${view.failure?.message ?? 'unknown'}.`,
      lastTransitionTime: at,
    };
  } else if (view.neverReady) {
    predictor = {
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${names.replicaSet}" has timed out progressing.`,
      lastTransitionTime: at,
    };
  } else {
    predictor = {
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
      lastTransitionTime: at,
    };
  }
  if (!serverless) {
    return [
      ingress,
      { type: 'PredictorReady', ...predictor },
      { type: 'Ready', ...predictor },
    ];
  }
  let configuration: Omit<KubeCondition, 'type'> = predictor;
  if (view.phase === 'rolling-out') {
    configuration = { status: 'Unknown', lastTransitionTime: at };
  }
  const route: Omit<KubeCondition, 'type'> =
    view.phase === 'rolling-out'
      ? predictor
      : { status: 'True', lastTransitionTime: created };
  // Conditions outside the living set (PredictorReady, IngressReady → Ready)
  // carry severity Info when not True (knative.dev/pkg apis/condition_set.go)
  const info = (c: Omit<KubeCondition, 'type'>) =>
    c.status === 'True' ? c : { ...c, severity: 'Info' };
  return [
    ingress,
    { type: 'PredictorConfigurationReady', ...info(configuration) },
    { type: 'PredictorReady', ...predictor },
    { type: 'PredictorRouteReady', ...info(route) },
    { type: 'Ready', ...predictor },
  ];
}

/** status.modelStatus (see predictor.ts for where each value comes from). */
function modelStatus(
  view: PredictorView,
  readyPods: number,
  failureLocation: (
    revision: number,
    version: string,
  ) => {
    location: string;
    modelRevisionName: string;
  },
) {
  const active = view.p.everLoaded ? 'Loaded' : '';
  let transitionStatus = 'UpToDate';
  let states = { activeModelState: 'Loaded', targetModelState: 'Loaded' };
  if (view.phase === 'rolling-out') {
    transitionStatus = 'InProgress';
    states = { activeModelState: active, targetModelState: 'Loading' };
  } else if (view.phase === 'failed') {
    transitionStatus = 'BlockedByFailedLoad';
    states = { activeModelState: active, targetModelState: 'FailedToLoad' };
  }
  const last = view.lastFailure;
  return {
    transitionStatus,
    states,
    // ModelCopies: failedCopies has no omitempty, totalCopies has
    copies: {
      failedCopies: 0,
      ...(readyPods ? { totalCopies: readyPods } : {}),
    },
    ...(last
      ? {
          lastFailureInfo: {
            ...failureLocation(last.revision, last.version),
            reason: last.reason,
            message: last.message,
            time: isoAt(last.at),
            exitCode: last.exitCode,
          },
        }
      : {}),
  };
}

/**
 * The serving objects of one deployment; with `kinds`, only the objects of
 * those kinds (a list of one kind need not build every pod).
 */
export function servingObjects(
  w: World,
  d: LiveDeployment,
  kinds?: ReadonlySet<string>,
): KubeObject[] {
  const wants = (kind: string) => !kinds || kinds.has(kind);
  const now = Date.now();
  const view = predictorView(w, d, now);
  const { p } = view;
  const serverless = canaryOf(w, d)?.kind === 'kserve';
  const ns = w.namespace(d.env);
  const name = d.model.name;
  const version = w.liveVersion(d);
  const labels = baseLabels(w, d);
  const rv = String(d.resourceVersion);
  const created = firstDeployed(d);
  const isvcUid = stableUid(`${ns}/${name}/isvc`);
  const deployUid = stableUid(`${ns}/${name}/deploy`);
  const current = replicaSetName(ns, name, version);
  const replicas = d.model.replicas;
  // The pods of the revision before keep serving while the new one rolls
  // out or after it failed to (RollingUpdate keeps them until new pods are
  // available).
  const neverReady = p.readyAt === undefined;
  const previous =
    p.phase !== 'ready' && neverReady && p.previous
      ? {
          ...p.previous,
          rs: replicaSetName(ns, name, p.previous.version),
        }
      : undefined;
  const selector = { app: `isvc.${name}-predictor` };
  const container = (v: string) => ({
    name: 'kserve-container',
    image: IMAGES[0],
    args: ['--model_name', name, '--model_version', v],
    ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
    resources: {
      limits: { cpu: '1', memory: '2Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    },
    readinessProbe: {
      httpGet: { path: '/v2/health/ready', port: 8080 },
      periodSeconds: 10,
    },
  });
  const podLabels = (v: string, hash: string) => ({
    ...labels,
    'ml-gitops/model-version': v,
    ...selector,
    component: 'predictor',
    'serving.kserve.io/inferenceservice': name,
    'pod-template-hash': hash,
  });

  // Pods and the Deployment follow the predictor; a failed Serverless
  // canary (the canary control's `failed`) changes the InferenceService's
  // status only.
  let podState: 'running' | 'initializing' | 'crashing' = 'running';
  if (p.phase === 'rolling-out') podState = 'initializing';
  else if (p.phase === 'failed') podState = 'crashing';
  const readyPods =
    (podState === 'running' ? replicas : 0) + (previous ? replicas : 0);

  const replicaSetObject = (
    rs: { name: string; hash: string },
    v: string,
    createdAt: string,
    ready: number,
  ): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rs.name,
      namespace: ns,
      uid: stableUid(`${ns}/${rs.name}`),
      resourceVersion: rv,
      generation: 1,
      creationTimestamp: createdAt,
      labels: podLabels(v, rs.hash),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: `${name}-predictor`,
          uid: deployUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas,
      selector: {
        matchLabels: { ...selector, 'pod-template-hash': rs.hash },
      },
    },
    status: {
      replicas,
      fullyLabeledReplicas: replicas,
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      observedGeneration: 1,
    },
  });

  const podObjects = (
    rs: { name: string; hash: string },
    v: string,
    state: typeof podState,
    createdAt: number,
  ): KubeObject[] => {
    const out: KubeObject[] = [];
    const startedAt = isoAt(createdAt);
    for (let i = 0; i < replicas; i++) {
      const pod = podName(rs.name, i);
      const containerID = `containerd://${stableHex(`${pod}/c`, 64)}`;
      const base = {
        name: 'kserve-container',
        image: IMAGES[0],
        imageID: `docker.io/seldonio/mlserver@sha256:${stableHex(
          'mlserver-image',
          64,
        )}`,
      };
      let phase = 'Running';
      let podConditions: KubeCondition[];
      let initContainerStatuses: unknown[];
      let containerStatuses: unknown[];
      const initDone = {
        name: 'storage-initializer',
        image: IMAGES[1],
        ready: true,
        restartCount: 0,
        state: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt,
            finishedAt: startedAt,
            containerID: `containerd://${stableHex(`${pod}/init`, 64)}`,
          },
        },
      };
      const cond = (
        type: string,
        ok: boolean,
        at: string,
        reason?: string,
        message?: string,
      ): KubeCondition => ({
        type,
        status: ok ? 'True' : 'False',
        ...(reason ? { reason } : {}),
        ...(message ? { message } : {}),
        lastTransitionTime: at,
      });
      if (state === 'initializing') {
        // The storage-initializer downloads the model; KServe reports Loading.
        phase = 'Pending';
        podConditions = [
          cond(
            'Initialized',
            false,
            startedAt,
            'ContainersNotInitialized',
            'containers with incomplete status: [storage-initializer]',
          ),
          cond(
            'Ready',
            false,
            startedAt,
            'ContainersNotReady',
            'containers with unready status: [kserve-container]',
          ),
          cond(
            'ContainersReady',
            false,
            startedAt,
            'ContainersNotReady',
            'containers with unready status: [kserve-container]',
          ),
          cond('PodScheduled', true, startedAt),
        ];
        initContainerStatuses = [
          {
            name: 'storage-initializer',
            image: IMAGES[1],
            ready: false,
            started: true,
            restartCount: 0,
            state: { running: { startedAt } },
          },
        ];
        containerStatuses = [
          {
            ...base,
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'PodInitializing' } },
            lastState: {},
          },
        ];
      } else if (state === 'crashing') {
        // The model server exits; the kubelet restarts it with a growing
        // back-off (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle).
        const failure = p.failure!;
        const lastStart = lastCrashAt(failure.at, now);
        const failedAt = isoAt(failure.at);
        podConditions = [
          cond('Initialized', true, startedAt),
          cond(
            'Ready',
            false,
            failedAt,
            'ContainersNotReady',
            'containers with unready status: [kserve-container]',
          ),
          cond(
            'ContainersReady',
            false,
            failedAt,
            'ContainersNotReady',
            'containers with unready status: [kserve-container]',
          ),
          cond('PodScheduled', true, startedAt),
        ];
        initContainerStatuses = [initDone];
        containerStatuses = [
          {
            ...base,
            containerID,
            ready: false,
            started: false,
            restartCount: crashLoopRestarts(failure.at, now),
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off ${Math.min(
                  300,
                  10 * 2 ** Math.max(0, crashLoopRestarts(failure.at, now) - 1),
                )}s restarting failed container=kserve-container pod=${pod}_${ns}(${stableUid(
                  `${ns}/${pod}`,
                )})`,
              },
            },
            lastState: {
              terminated: {
                exitCode: failure.exitCode,
                reason: 'Error',
                message: failure.message,
                startedAt: isoAt(lastStart),
                finishedAt: isoAt(lastStart),
                containerID,
              },
            },
          },
        ];
      } else {
        const restarts = p.restartCount ?? 0;
        const readySince = isoAt(
          v === p.version ? p.readyAt ?? createdAt : createdAt,
        );
        podConditions = [
          cond('Initialized', true, startedAt),
          cond('Ready', true, readySince),
          cond('ContainersReady', true, readySince),
          cond('PodScheduled', true, startedAt),
        ];
        initContainerStatuses = [initDone];
        containerStatuses = [
          {
            ...base,
            containerID,
            ready: true,
            started: true,
            restartCount: v === p.version ? restarts : 0,
            state: { running: { startedAt: readySince } },
            lastState: {},
          },
        ];
      }
      out.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod,
          namespace: ns,
          uid: stableUid(`${ns}/${pod}`),
          resourceVersion: rv,
          creationTimestamp: startedAt,
          labels: podLabels(v, rs.hash),
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: rs.name,
              uid: stableUid(`${ns}/${rs.name}`),
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          containers: [container(v)],
          initContainers: [
            {
              name: 'storage-initializer',
              image: IMAGES[1],
              args: [servingModel(name, v, d.chart).storageUri, '/mnt/models'],
            },
          ],
          nodeName: `sandbox-node-${(i % 2) + 1}`,
          restartPolicy: 'Always',
          serviceAccountName: 'default',
        },
        status: {
          phase,
          conditions: podConditions,
          hostIP: `10.0.0.${10 + i}`,
          podIP: `10.244.${i + 1}.${20 + (d.resourceVersion % 200)}`,
          startTime: startedAt,
          qosClass: 'Burstable',
          initContainerStatuses,
          containerStatuses,
        },
      });
    }
    return out;
  };

  const isvc: KubeObject = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: ns,
      uid: isvcUid,
      resourceVersion: rv,
      generation: d.history.length || 1,
      creationTimestamp: created,
      labels,
      annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment' },
    },
    spec: {
      predictor: {
        minReplicas: replicas,
        maxReplicas: replicas,
        model: servingModel(name, version, d.chart),
      },
    },
    status: {
      url: `http://${name}-${ns}.example.com`,
      address: { url: `http://${name}-predictor.${ns}.svc.cluster.local` },
      components: {
        predictor: { url: `http://${name}-predictor-${ns}.example.com` },
      },
      conditions: inferenceServiceConditions(
        view,
        serverless,
        { model: name, replicaSet: current.name },
        created,
      ),
      modelStatus: modelStatus(view, readyPods, (revision, v) => {
        const rs = replicaSetName(ns, name, v).name;
        return {
          location: podName(rs, 0),
          modelRevisionName: serverless
            ? predictorRevisionName(name, revision)
            : rs,
        };
      }),
      observedGeneration: d.history.length || 1,
    },
  };

  const rolledOut = p.phase === 'ready';
  const crashed = p.phase === 'failed' && !neverReady;
  const deployConditions: Array<Record<string, string>> = [];
  if (crashed) {
    deployConditions.push({
      type: 'Available',
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
      lastUpdateTime: isoAt(p.since),
      lastTransitionTime: isoAt(p.since),
    });
  } else {
    const availableSince =
      rolledOut && p.lastFailure?.revision === p.revision
        ? isoAt(p.since)
        : created;
    deployConditions.push({
      type: 'Available',
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
      lastUpdateTime: availableSince,
      lastTransitionTime: availableSince,
    });
  }
  if (p.phase === 'rolling-out') {
    deployConditions.push({
      type: 'Progressing',
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${current.name}" is progressing.`,
      lastUpdateTime: isoAt(p.since),
      lastTransitionTime: created,
    });
  } else if (p.phase === 'failed' && neverReady) {
    deployConditions.push({
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${current.name}" has timed out progressing.`,
      lastUpdateTime: isoAt(p.since),
      lastTransitionTime: isoAt(p.since),
    });
  } else {
    deployConditions.push({
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${current.name}" has successfully progressed.`,
      lastUpdateTime: isoAt(p.readyAt ?? p.since),
      lastTransitionTime: created,
    });
  }
  const unavailable = replicas + (previous ? replicas : 0) - readyPods;
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `${name}-predictor`,
      namespace: ns,
      uid: deployUid,
      resourceVersion: rv,
      generation: d.history.length || 1,
      creationTimestamp: created,
      labels: { ...labels, ...selector, component: 'predictor' },
      annotations: {
        'deployment.kubernetes.io/revision': String(p.revision),
      },
      ownerReferences: [
        {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          name,
          uid: isvcUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: selector },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: {
          labels: {
            ...podLabels(version, current.hash),
            'pod-template-hash': undefined,
          },
        },
        spec: { containers: [container(version)] },
      },
    },
    // apps/v1 DeploymentStatus leaves zero counts out (omitempty)
    status: {
      observedGeneration: d.history.length || 1,
      replicas: replicas + (previous ? replicas : 0),
      updatedReplicas: replicas,
      ...(readyPods
        ? { readyReplicas: readyPods, availableReplicas: readyPods }
        : {}),
      ...(unavailable ? { unavailableReplicas: unavailable } : {}),
      conditions: deployConditions,
    },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: `${name}-predictor`,
      namespace: ns,
      uid: stableUid(`${ns}/${name}/svc`),
      resourceVersion: rv,
      creationTimestamp: created,
      labels: { ...labels, ...selector, component: 'predictor' },
      ownerReferences: [
        {
          apiVersion: 'serving.kserve.io/v1beta1',
          kind: 'InferenceService',
          name,
          uid: isvcUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: `10.96.${
        (stableHex(`${ns}/${name}`, 2).charCodeAt(0) % 200) + 1
      }.${(stableHex(`${ns}/${name}`, 4).charCodeAt(2) % 200) + 10}`,
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector,
    },
    status: { loadBalancer: {} },
  };
  const out: KubeObject[] = [];
  if (wants('InferenceService')) {
    out.push(
      asListed(applyInferenceServiceCanary(w, d, isvc, view), {
        applier: d.operator === 'argocd' ? 'argocd' : 'helm',
        release: { name: w.appName(d), namespace: ns },
        appliedAt: isoAt(p.startedAt),
        statusAt: isoAt(p.since),
      }),
    );
  }
  if (wants('Deployment')) out.push(deployment);
  if (wants('ReplicaSet')) {
    if (previous) {
      out.push(
        replicaSetObject(
          previous.rs,
          previous.version,
          isoAt(previous.startedAt),
          replicas,
        ),
      );
    }
    out.push(
      replicaSetObject(
        current,
        version,
        isoAt(p.startedAt),
        podState === 'running' ? replicas : 0,
      ),
    );
  }
  if (wants('Pod')) {
    if (previous) {
      out.push(
        ...podObjects(
          previous.rs,
          previous.version,
          'running',
          previous.startedAt,
        ),
      );
    }
    out.push(...podObjects(current, version, podState, p.startedAt));
  }
  if (wants('Service')) out.push(service);
  return out;
}

function condition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  at: string,
  generation: number,
) {
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime: at,
    observedGeneration: generation,
  };
}

/** Flux objects of one deployment (only for models Flux manages). */
export function fluxObjects(
  w: World,
  d: LiveDeployment,
  sourceUrl: string,
): KubeObject[] {
  if (d.operator !== 'flux') return [];
  const name = w.appName(d);
  const ns = 'flux-system';
  const labels = {
    'ml-gitops/model': d.model.name,
    'ml-gitops/environment': d.env,
    'backstage.io/kubernetes-id': d.model.name,
  };
  const rv = String(d.resourceVersion);
  const created = d.history[0]?.deployedAt ?? d.reconciledAt;
  const applied = `${d.branch}@sha1:${d.appliedRevision}`;
  const target = `${d.branch}@sha1:${d.targetRevision}`;
  const appliedAt = d.operation?.finishedAt ?? d.reconciledAt;
  const suspended = !d.autoSync;
  const annotations = (kind: string): Record<string, string> => {
    const requested = d.lastHandledReconcileAt[`requested:${kind}`];
    return requested ? { 'reconcile.fluxcd.io/requestedAt': requested } : {};
  };
  const handled = (kind: string) =>
    d.lastHandledReconcileAt[kind]
      ? { lastHandledReconcileAt: d.lastHandledReconcileAt[kind] }
      : {};
  // source-controller (internal/controller/helmchart_controller.go,
  // buildFromTarballArtifact): under reconcileStrategy Revision the chart
  // version's build metadata is the first 12 hex characters of the commit,
  // then `.<HelmChart generation>` because the chart has valuesFiles.
  const chartVersionAt = (revision: string) =>
    `0.1.0+${revision.slice(0, 12)}.1`;
  const chartVersion = chartVersionAt(d.appliedRevision);
  const release = `${w.namespace(d.env)}/${d.model.name}`;
  const gitRepository: KubeObject = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: {
      name,
      namespace: ns,
      uid: stableUid(`flux/gitrepo/${name}`),
      resourceVersion: rv,
      generation: 1,
      creationTimestamp: created,
      labels,
      annotations: annotations('GitRepository'),
    },
    spec: {
      interval: '1m0s',
      url: sourceUrl,
      ref: { branch: d.branch },
      timeout: '60s',
      suspend: suspended || undefined,
    },
    status: {
      artifact: {
        digest: `sha256:${stableHex(`artifact/${d.targetRevision}`, 64)}`,
        lastUpdateTime: d.reconciledAt,
        path: `gitrepository/${ns}/${name}/${d.targetRevision}.tar.gz`,
        revision: target,
        size: 4096,
        url: `http://source-controller.flux-system.svc.cluster.local./gitrepository/${ns}/${name}/${d.targetRevision}.tar.gz`,
      },
      conditions: [
        condition(
          'Ready',
          'True',
          'Succeeded',
          `stored artifact for revision '${target}'`,
          d.reconciledAt,
          1,
        ),
        condition(
          'ArtifactInStorage',
          'True',
          'Succeeded',
          `stored artifact for revision '${target}'`,
          d.reconciledAt,
          1,
        ),
      ],
      observedGeneration: 1,
      ...handled('GitRepository'),
    },
  };
  const inSync = d.appliedRevision === d.targetRevision;
  const attempt = d.fluxFailedAttempt;
  const failing =
    !inSync &&
    !suspended &&
    !!d.fluxFailure &&
    attempt?.revision === d.targetRevision;
  const timeout = 'with a timeout of 9m30s';
  // kustomize-controller (internal/controller/kustomization_controller.go,
  // `reconcile`) turns Ready Unknown and Reconciling True (reason
  // Progressing) at the start of every reconciliation, and Ready True
  // ("Applied revision: …") at its end, so Ready's lastTransitionTime is the
  // end of the last reconciliation, not of the last change. After a failure
  // Ready is False with the failure and `finalizeStatus` keeps Reconciling
  // True with reason ProgressingWithRetry until the next attempt
  // (docs/spec/v1/kustomizations.md, "Failed Kustomization").
  let ksConditions: ReturnType<typeof condition>[];
  if (failing) {
    ksConditions = [
      condition(
        'Reconciling',
        'True',
        'ProgressingWithRetry',
        `Detecting drift for revision ${target} ${timeout}`,
        attempt!.at,
        1,
      ),
      condition(
        'Ready',
        'False',
        d.fluxFailure!.reason,
        d.fluxFailure!.message,
        attempt!.at,
        1,
      ),
    ];
  } else if (inSync || suspended) {
    ksConditions = [
      condition(
        'Ready',
        'True',
        'ReconciliationSucceeded',
        `Applied revision: ${applied}`,
        d.reconciledAt,
        1,
      ),
    ];
  } else {
    ksConditions = [
      condition(
        'Reconciling',
        'True',
        'Progressing',
        `Fetching manifests for revision ${target} ${timeout}`,
        d.reconciledAt,
        1,
      ),
      condition(
        'Ready',
        'Unknown',
        'Progressing',
        'Reconciliation in progress',
        d.reconciledAt,
        1,
      ),
    ];
  }
  // status.history (kustomize-controller v1.7+, fluxcd/pkg apis/meta
  // history.go `Upsert`): one snapshot per digest of the applied manifests
  // and status, newest first, at most 5; firstReconciled is the end of the
  // first reconciliation with that digest and status.
  const seconds = (from: string, to: string) =>
    `${Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000)}s`;
  const applies = [...d.history].reverse();
  const ksHistory = [
    ...(failing
      ? [
          {
            digest: `sha256:${stableHex(`manifests/${d.targetRevision}`, 64)}`,
            firstReconciled: attempt!.at,
            lastReconciled: attempt!.at,
            lastReconciledDuration: '4m30s',
            lastReconciledStatus: d.fluxFailure!.reason,
            totalReconciliations: attempt!.failures,
            metadata: { revision: target },
          },
        ]
      : []),
    ...applies.map((h, i) => ({
      digest: `sha256:${stableHex(`manifests/${h.revision}`, 64)}`,
      firstReconciled: h.deployedAt,
      lastReconciled: i === 0 ? d.reconciledAt : applies[i - 1].deployedAt,
      lastReconciledDuration: seconds(h.deployStartedAt, h.deployedAt),
      lastReconciledStatus: 'ReconciliationSucceeded',
      totalReconciliations: 1,
      metadata: { revision: `${d.branch}@sha1:${h.revision}` },
    })),
  ].slice(0, 5);
  const kustomization: KubeObject = {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name,
      namespace: ns,
      uid: stableUid(`flux/ks/${name}`),
      resourceVersion: rv,
      generation: 1,
      creationTimestamp: created,
      labels,
      annotations: annotations('Kustomization'),
    },
    spec: {
      interval: '10m0s',
      path: './deploy/flux',
      prune: true,
      sourceRef: { kind: 'GitRepository', name },
      targetNamespace: w.namespace(d.env),
      suspend: suspended || undefined,
    },
    status: {
      conditions: ksConditions,
      ...(ksHistory.length ? { history: ksHistory } : {}),
      inventory: {
        entries: [
          {
            id: `flux-system_${name}_helm.toolkit.fluxcd.io_HelmRelease`,
            v: 'v2',
          },
        ],
      },
      lastAppliedRevision: applied,
      lastAttemptedRevision: failing ? target : applied,
      observedGeneration: 1,
      ...handled('Kustomization'),
    },
  };
  const helmRelease: KubeObject = {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: {
      name,
      namespace: ns,
      uid: stableUid(`flux/hr/${name}`),
      resourceVersion: rv,
      generation: 1,
      creationTimestamp: created,
      labels,
      annotations: annotations('HelmRelease'),
    },
    spec: {
      interval: '5m',
      releaseName: d.model.name,
      targetNamespace: w.namespace(d.env),
      chart: {
        spec: {
          chart: './deploy/chart',
          reconcileStrategy: 'Revision',
          sourceRef: { kind: 'GitRepository', name },
          valuesFiles: ['./deploy/model.yaml'],
        },
      },
      suspend: suspended || undefined,
    },
    status: {
      // helm-controller v2 (docs/spec/v2/helmreleases.md, "Conditions" and
      // "Failures"): a failed upgrade sets Ready and Released False with
      // reason UpgradeFailed and counts status.failures and
      // status.upgradeFailures until a success; Helm keeps the previous
      // release version deployed and records the new one as failed.
      conditions: (['Ready', 'Released'] as const).map(type =>
        failing
          ? condition(
              type,
              'False',
              'UpgradeFailed',
              `Helm upgrade failed for release ${release}.v${
                d.history.length + 1
              } with chart ${d.model.name}@${chartVersionAt(
                d.targetRevision,
              )}: ${d.fluxFailure!.message}`,
              attempt!.at,
              1,
            )
          : condition(
              type,
              'True',
              'UpgradeSucceeded',
              `Helm upgrade succeeded for release ${release}.v${d.history.length} with chart ${d.model.name}@${chartVersion}`,
              appliedAt,
              1,
            ),
      ),
      ...(failing
        ? { failures: attempt!.failures, upgradeFailures: attempt!.failures }
        : {}),
      helmChart: `${ns}/${ns}-${name}`,
      history: [
        ...(failing
          ? [
              {
                appVersion: d.targetVersion,
                chartName: d.model.name,
                chartVersion: chartVersionAt(d.targetRevision),
                configDigest: `sha256:${stableHex(
                  `cfg/${d.targetRevision}`,
                  64,
                )}`,
                digest: `sha256:${stableHex(`rel/${d.targetRevision}`, 64)}`,
                firstDeployed: d.history[0]?.deployedAt ?? attempt!.at,
                lastDeployed: attempt!.at,
                name: d.model.name,
                namespace: w.namespace(d.env),
                status: 'failed',
                version: d.history.length + 1,
              },
            ]
          : []),
        ...[...d.history].reverse().map((h, i) => ({
          appVersion: h.version,
          chartName: d.model.name,
          chartVersion: chartVersionAt(h.revision),
          configDigest: `sha256:${stableHex(`cfg/${h.revision}`, 64)}`,
          digest: `sha256:${stableHex(`rel/${h.revision}`, 64)}`,
          // Helm's upgrade copies the release's first deploy time into
          // every version (helm pkg/action/upgrade.go); lastDeployed is
          // this version's.
          firstDeployed: d.history[0].deployedAt,
          lastDeployed: h.deployedAt,
          name: d.model.name,
          namespace: w.namespace(d.env),
          status: i === 0 ? 'deployed' : 'superseded',
          version: d.history.length - i,
        })),
      ].slice(0, 5),
      lastAttemptedGeneration: 1,
      lastAttemptedConfigDigest: `sha256:${stableHex(
        `cfg/${failing ? d.targetRevision : d.appliedRevision}`,
        64,
      )}`,
      lastAttemptedReleaseAction: 'upgrade',
      lastAttemptedRevision: failing
        ? chartVersionAt(d.targetRevision)
        : chartVersion,
      observedGeneration: 1,
      storageNamespace: w.namespace(d.env),
      ...handled('HelmRelease'),
    },
  };
  return [gitRepository, kustomization, helmRelease];
}
