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
import { applyInferenceServiceCanary } from './canary';
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

function lastDeployed(d: LiveDeployment) {
  return d.history[d.history.length - 1]?.deployedAt ?? d.reconciledAt;
}

/** The serving objects of one deployment. */
export function servingObjects(w: World, d: LiveDeployment): KubeObject[] {
  const ns = w.namespace(d.env);
  const name = d.model.name;
  const version = w.liveVersion(d);
  const labels = baseLabels(w, d);
  const rv = String(d.resourceVersion);
  const created = firstDeployed(d);
  const updated = lastDeployed(d);
  const isvcUid = stableUid(`${ns}/${name}/isvc`);
  const deployUid = stableUid(`${ns}/${name}/deploy`);
  const templateHash = stableHex(`${ns}/${name}/${version}`, 10).replace(
    /^\d/,
    'b',
  );
  const rsName = `${name}-predictor-${templateHash}`;
  const rsUid = stableUid(`${ns}/${rsName}`);
  const replicas = d.model.replicas;
  const podLabels = {
    ...labels,
    app: `isvc.${name}-predictor`,
    component: 'predictor',
    'serving.kserve.io/inferenceservice': name,
    'pod-template-hash': templateHash,
  };
  const container = {
    name: 'kserve-container',
    image: IMAGES[0],
    args: ['--model_name', name, '--model_version', version],
    ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
    resources: {
      limits: { cpu: '1', memory: '2Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    },
    readinessProbe: {
      httpGet: { path: '/v2/health/ready', port: 8080 },
      periodSeconds: 10,
    },
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
        model: {
          modelFormat: { name: 'mlflow' },
          protocolVersion: 'v2',
          storageUri: `models:/${name}/${version}`,
        },
      },
    },
    status: {
      url: `http://${name}-${ns}.example.com`,
      address: { url: `http://${name}-predictor.${ns}.svc.cluster.local` },
      components: {
        predictor: { url: `http://${name}-predictor-${ns}.example.com` },
      },
      conditions: ['IngressReady', 'PredictorReady', 'Ready'].map(type => ({
        type,
        status: 'True',
        lastTransitionTime: updated,
      })),
      modelStatus: {
        states: { activeModelState: 'Loaded', targetModelState: 'Loaded' },
        transitionStatus: 'UpToDate',
      },
      observedGeneration: d.history.length || 1,
    },
  };
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
      labels: {
        ...labels,
        app: `isvc.${name}-predictor`,
        component: 'predictor',
      },
      annotations: {
        'deployment.kubernetes.io/revision': String(d.history.length || 1),
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
      selector: { matchLabels: { app: `isvc.${name}-predictor` } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: { labels: { ...podLabels, 'pod-template-hash': undefined } },
        spec: { containers: [container] },
      },
    },
    status: {
      observedGeneration: d.history.length || 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
          lastUpdateTime: updated,
          lastTransitionTime: updated,
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
          lastUpdateTime: updated,
          lastTransitionTime: created,
        },
      ],
    },
  };
  const replicaSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rsName,
      namespace: ns,
      uid: rsUid,
      resourceVersion: rv,
      generation: 1,
      creationTimestamp: updated,
      labels: podLabels,
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
        matchLabels: {
          app: `isvc.${name}-predictor`,
          'pod-template-hash': templateHash,
        },
      },
    },
    status: {
      replicas,
      fullyLabeledReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      observedGeneration: 1,
    },
  };
  const pods: KubeObject[] = [];
  for (let i = 0; i < replicas; i++) {
    const podName = `${rsName}-${stableHex(`${rsName}/${i}`, 5).replace(
      /[0-9]/g,
      c => 'bcdfghjklm'[Number(c)],
    )}`;
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: ns,
        uid: stableUid(`${ns}/${podName}`),
        resourceVersion: rv,
        creationTimestamp: updated,
        labels: podLabels,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: rsName,
            uid: rsUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        containers: [container],
        initContainers: [
          {
            name: 'storage-initializer',
            image: IMAGES[1],
            args: [`models:/${name}/${version}`, '/mnt/models'],
          },
        ],
        nodeName: `sandbox-node-${(i % 2) + 1}`,
        restartPolicy: 'Always',
        serviceAccountName: 'default',
      },
      status: {
        phase: 'Running',
        conditions: [
          'Initialized',
          'Ready',
          'ContainersReady',
          'PodScheduled',
        ].map(type => ({
          type,
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: updated,
        })),
        hostIP: `10.0.0.${10 + i}`,
        podIP: `10.244.${i + 1}.${20 + (d.resourceVersion % 200)}`,
        startTime: updated,
        qosClass: 'Burstable',
        containerStatuses: [
          {
            name: 'kserve-container',
            image: IMAGES[0],
            imageID: `docker.io/seldonio/mlserver@sha256:${stableHex(
              'mlserver-image',
              64,
            )}`,
            containerID: `containerd://${stableHex(`${podName}/c`, 64)}`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: updated } },
            lastState: {},
          },
        ],
      },
    });
  }
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: `${name}-predictor`,
      namespace: ns,
      uid: stableUid(`${ns}/${name}/svc`),
      resourceVersion: rv,
      creationTimestamp: created,
      labels: {
        ...labels,
        app: `isvc.${name}-predictor`,
        component: 'predictor',
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
      type: 'ClusterIP',
      clusterIP: `10.96.${
        (stableHex(`${ns}/${name}`, 2).charCodeAt(0) % 200) + 1
      }.${(stableHex(`${ns}/${name}`, 4).charCodeAt(2) % 200) + 10}`,
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector: { app: `isvc.${name}-predictor` },
    },
    status: { loadBalancer: {} },
  };
  return [
    applyInferenceServiceCanary(w, d, isvc),
    deployment,
    replicaSet,
    ...pods,
    service,
  ];
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
