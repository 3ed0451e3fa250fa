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
 * A read-mostly Kubernetes API server subset (kubernetes.io/docs/reference/using-api/api-concepts):
 * discovery (/api, /apis), list/get with labelSelector (`kind: XList`,
 * metadata.resourceVersion), merge-patch of Flux objects (the
 * reconcile.fluxcd.io/requestedAt annotation, spec.suspend) and of the
 * InferenceService model-version label, server-side apply of Flux
 * GitRepositories, Kustomizations and HelmReleases (PATCH with
 * application/apply-patch+yaml and a fieldManager, kubernetes.io
 * "Server-Side Apply"; the emulated Flux then deploys from them, see
 * World.applyFluxObject), and `Status` objects for errors.
 * The resource types include those @backstage/plugin-kubernetes-backend
 * lists by default (dist/service/KubernetesFanOutHandler.cjs.js).
 */

import http from 'node:http';
import { parse } from 'yaml';
import { readBody, sendJson } from '../lib/http';
import { parseLabelSelector } from '../lib/labelSelector';
import { ENVIRONMENTS } from '../seed/data';
import { fluxObjects, KubeObject, servingObjects } from '../live/objects';
import { stableUid } from '../seed/data';
import { analysisRunObjects } from '../live/canary';
import { LiveDeployment, RegisteredFluxObject, World } from '../live/World';
import { KubeWatches } from './KubeWatches';

type ResourceType = {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  builtin: boolean;
};

const RESOURCES: ResourceType[] = [
  ['', 'v1', 'pods', 'Pod'],
  ['', 'v1', 'services', 'Service'],
  ['', 'v1', 'configmaps', 'ConfigMap'],
  ['', 'v1', 'secrets', 'Secret'],
  ['', 'v1', 'limitranges', 'LimitRange'],
  ['', 'v1', 'resourcequotas', 'ResourceQuota'],
  ['', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'],
  ['', 'v1', 'persistentvolumes', 'PersistentVolume', false],
  ['', 'v1', 'namespaces', 'Namespace', false],
  ['apps', 'v1', 'deployments', 'Deployment'],
  ['apps', 'v1', 'replicasets', 'ReplicaSet'],
  ['apps', 'v1', 'statefulsets', 'StatefulSet'],
  ['apps', 'v1', 'daemonsets', 'DaemonSet'],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'],
  ['autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'],
  ['batch', 'v1', 'jobs', 'Job'],
  ['batch', 'v1', 'cronjobs', 'CronJob'],
  ['networking.k8s.io', 'v1', 'ingresses', 'Ingress'],
  [
    'serving.kserve.io',
    'v1beta1',
    'inferenceservices',
    'InferenceService',
    true,
    false,
  ],
  [
    'source.toolkit.fluxcd.io',
    'v1',
    'gitrepositories',
    'GitRepository',
    true,
    false,
  ],
  [
    'kustomize.toolkit.fluxcd.io',
    'v1',
    'kustomizations',
    'Kustomization',
    true,
    false,
  ],
  ['helm.toolkit.fluxcd.io', 'v2', 'helmreleases', 'HelmRelease', true, false],
  ['argoproj.io', 'v1alpha1', 'analysisruns', 'AnalysisRun', true, false],
].map(([group, version, plural, kind, namespaced = true, builtin = true]) => ({
  group: group as string,
  version: version as string,
  plural: plural as string,
  kind: kind as string,
  namespaced: namespaced as boolean,
  builtin: builtin as boolean,
}));

const FLUX_KINDS = ['GitRepository', 'Kustomization', 'HelmRelease'];

function status(
  res: http.ServerResponse,
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
) {
  sendJson(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

/** What a chunked list is cut from: the objects as of its first chunk. */
type ListSnapshot = {
  id: string;
  items: unknown[];
  resourceVersion: string;
  at: number;
};

/**
 * A Service whose `proxy` subresource the API server forwards to a handler
 * in the sandbox (GET /api/v1/namespaces/<ns>/services/<[scheme:]name[:port]>/proxy/<path>).
 */
export type ProxiedService = {
  service(): KubeObject;
  matchesProxyTarget(namespace: string, target: string): boolean;
  handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
  ): Promise<void>;
};

function qualified(t: ResourceType) {
  return t.group ? `${t.plural}.${t.group}` : t.plural;
}

export class KubeApi {
  /** How long a list's continue token stays good; tests shorten it. */
  continueTtlMs = 5 * 60_000;
  /** The snapshots chunked lists are being read from, by id. */
  private readonly listSnapshots = new Map<string, ListSnapshot>();
  private listSnapshotCount = 0;

  /** Keeps a chunked list's snapshot for its continue tokens, dropping expired ones. */
  private keepListSnapshot(snapshot: ListSnapshot) {
    const now = Date.now();
    for (const [id, kept] of this.listSnapshots) {
      if (now - kept.at > this.continueTtlMs) this.listSnapshots.delete(id);
    }
    this.listSnapshots.set(snapshot.id, snapshot);
  }
  /** The watches (`?watch=1`) on every collection. */
  readonly watches: KubeWatches;

  constructor(
    private readonly world: World,
    private readonly token: string,
    private readonly services: ProxiedService[] = [],
  ) {
    this.watches = new KubeWatches(world, () => this.objects().map(o => o.obj));
  }

  /**
   * Every object of the cluster; with `ofKind`, at least those of that kind
   * (the serving objects of other kinds are not built: a list of
   * InferenceServices need not render every pod).
   */
  private objects(
    ofKind?: string,
  ): Array<{ obj: KubeObject; d?: LiveDeployment }> {
    const out: Array<{ obj: KubeObject; d?: LiveDeployment }> = [];
    const servingKinds = ofKind ? new Set([ofKind]) : undefined;
    const created =
      this.world.deployments[0]?.history[0]?.deployStartedAt ??
      new Date().toISOString();
    for (const ns of [
      'kube-system',
      'flux-system',
      'argocd',
      ...ENVIRONMENTS.map(e => this.world.namespace(e)),
    ]) {
      out.push({
        obj: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: ns,
            uid: `ns-${ns}`,
            resourceVersion: '1',
            creationTimestamp: created,
            labels: { 'kubernetes.io/metadata.name': ns },
          },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        },
      });
    }
    for (const s of this.services) out.push({ obj: s.service() });
    for (const d of this.world.deployments) {
      for (const obj of servingObjects(this.world, d, servingKinds)) {
        out.push({ obj, d });
      }
      for (const obj of analysisRunObjects(this.world, d)) out.push({ obj, d });
      for (const obj of fluxObjects(this.world, d, this.world.repoUrl(d)))
        out.push({ obj, d });
    }
    // Flux objects applied through this API: the rendered ones show the
    // applied spec and labels, the others (e.g. a Kustomization of secrets/)
    // are listed as applied.
    for (const r of this.world.fluxRegistry.values()) {
      const { kind, metadata } = r.obj;
      const index = out.findIndex(
        o =>
          o.obj.kind === kind &&
          o.obj.metadata.namespace === metadata.namespace &&
          o.obj.metadata.name === metadata.name,
      );
      if (index >= 0) {
        const rendered = out[index].obj;
        out[index] = {
          ...out[index],
          obj: {
            ...rendered,
            metadata: {
              ...rendered.metadata,
              labels: { ...rendered.metadata.labels, ...metadata.labels },
            },
            spec: r.obj.spec,
          },
        };
        continue;
      }
      out.push({ obj: this.registeredObject(r) });
    }
    return out;
  }

  /**
   * An applied Flux object that no deployment renders: as applied, with
   * the Ready condition of its last reconciliation (a Kustomization applied
   * with a deployment reports that deployment's revision).
   */
  private registeredObject(r: RegisteredFluxObject): KubeObject {
    const { metadata } = r.obj;
    const d = this.world.deployments.find(x =>
      x.fluxKustomizations?.some(k => k.name === metadata.name),
    );
    const applied = d ? `${d.branch}@sha1:${d.appliedRevision}` : undefined;
    return {
      apiVersion: r.obj.apiVersion,
      kind: r.obj.kind,
      metadata: {
        name: metadata.name,
        namespace: metadata.namespace,
        uid: stableUid(
          `flux/${r.obj.kind}/${metadata.namespace}/${metadata.name}`,
        ),
        resourceVersion: String(r.resourceVersion),
        generation: 1,
        creationTimestamp: r.createdAt,
        labels: metadata.labels ?? {},
      },
      spec: r.obj.spec ?? {},
      status: applied
        ? {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'ReconciliationSucceeded',
                message: `Applied revision: ${applied}`,
                lastTransitionTime: d!.reconciledAt,
                observedGeneration: 1,
              },
            ],
            lastAppliedRevision: applied,
            lastAttemptedRevision: applied,
            observedGeneration: 1,
          }
        : {},
    };
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${this.token}`) {
      req.resume();
      status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const proxy =
      /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)?$/.exec(
        url.pathname,
      );
    if (proxy) {
      const [namespace, target] = [proxy[1], proxy[2]].map(decodeURIComponent);
      const service = this.services.find(s =>
        s.matchesProxyTarget(namespace, target),
      );
      if (service) {
        await service.handle(req, res, proxy[3] ?? '/');
        return;
      }
      req.resume();
      status(res, 404, 'NotFound', `services "${target}" not found`, {
        name: target,
        kind: 'services',
      });
      return;
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') {
      sendJson(res, 200, {
        major: '1',
        minor: '33',
        gitVersion: 'v1.33.0-sandbox',
        platform: 'linux/amd64',
      });
      return;
    }
    if (path === '/api') {
      sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' },
        ],
      });
      return;
    }
    const apiGroup = (name: string) => {
      const versions = [
        ...new Set(RESOURCES.filter(r => r.group === name).map(r => r.version)),
      ].map(v => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions, preferredVersion: versions[0] };
    };
    if (path === '/apis') {
      const groups = [
        ...new Set(RESOURCES.filter(r => r.group).map(r => r.group)),
      ];
      sendJson(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map(apiGroup),
      });
      return;
    }
    // Discovery of one group (GET /apis/<group>), as clients use to find
    // the preferred version.
    const groupOnly = /^\/apis\/([^/]+)\/?$/.exec(path);
    if (groupOnly && RESOURCES.some(r => r.group === groupOnly[1])) {
      sendJson(res, 200, {
        kind: 'APIGroup',
        apiVersion: 'v1',
        ...apiGroup(groupOnly[1]),
      });
      return;
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/(.*))?$/.exec(path);
    if (!m) {
      req.resume();
      status(
        res,
        404,
        'NotFound',
        'the server could not find the requested resource',
        {},
      );
      return;
    }
    const group = m[2] ?? '';
    const version = m[1] ?? m[3];
    const rest = m[4] ? m[4].split('/').map(decodeURIComponent) : [];
    const types = RESOURCES.filter(
      r => r.group === group && r.version === version,
    );
    if (!types.length) {
      req.resume();
      status(
        res,
        404,
        'NotFound',
        'the server could not find the requested resource',
        {},
      );
      return;
    }
    if (rest.length === 0) {
      sendJson(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources: types.map(t => ({
          name: t.plural,
          singularName: t.kind.toLowerCase(),
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'list', 'watch', 'patch'],
        })),
      });
      return;
    }
    let namespace: string | undefined;
    let plural: string;
    let name: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      plural = rest[2];
      name = rest[3];
      if (rest.length > 4) {
        req.resume();
        status(
          res,
          404,
          'NotFound',
          'the server could not find the requested resource',
          {},
        );
        return;
      }
    } else {
      plural = rest[0];
      name = rest[1];
      if (rest.length > 2) {
        req.resume();
        status(
          res,
          404,
          'NotFound',
          'the server could not find the requested resource',
          {},
        );
        return;
      }
    }
    const type = types.find(t => t.plural === plural);
    if (!type || (namespace && !type.namespaced)) {
      req.resume();
      status(
        res,
        404,
        'NotFound',
        'the server could not find the requested resource',
        {},
      );
      return;
    }
    const apiVersion = group ? `${group}/${version}` : version;
    // Rendered when asked: a list's later chunks come from its snapshot.
    const all = () =>
      this.objects(type.kind).filter(
        o =>
          o.obj.kind === type.kind &&
          o.obj.apiVersion.split('/')[0] === (group || 'v1') &&
          (!namespace || o.obj.metadata.namespace === namespace),
      );
    const notFound = () =>
      status(res, 404, 'NotFound', `${qualified(type)} "${name}" not found`, {
        name,
        ...(group ? { group } : {}),
        kind: type.plural,
      });

    if (req.method === 'GET' && !name) {
      let match: (l: Record<string, string>) => boolean = () => true;
      const selector = url.searchParams.get('labelSelector');
      if (selector) {
        try {
          match = parseLabelSelector(selector);
        } catch (e) {
          status(
            res,
            400,
            'BadRequest',
            `unable to parse requirement: ${(e as Error).message}`,
          );
          return;
        }
      }
      const watch = url.searchParams.get('watch');
      if (watch === '1' || watch === 'true') {
        const timeout = Number(url.searchParams.get('timeoutSeconds'));
        this.watches.serve(res, {
          kind: type.kind,
          group,
          apiVersion,
          namespace,
          match,
          resourceVersion: url.searchParams.get('resourceVersion') ?? undefined,
          bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
          ...(Number.isInteger(timeout) && timeout > 0
            ? { timeoutSeconds: timeout }
            : {}),
        });
        return;
      }
      const render = () =>
        all()
          .filter(o => match(o.obj.metadata.labels ?? {}))
          .map(o => {
            const obj = { ...o.obj, apiVersion };
            if (type.builtin) {
              const { apiVersion: _a, kind: _k, ...bare } = obj;
              return bare;
            }
            return obj;
          });
      // Chunked lists (kubernetes.io "API concepts", Retrieving large
      // results sets in chunks): `limit` caps a page, `metadata.continue`
      // names the rest, and every chunk comes from the snapshot the first
      // one was cut from ("the results … are consistent with the first
      // request"). A token older than the server keeps its snapshot (etcd
      // compaction, 5 minutes by default) answers 410 Expired.
      const limit = Number(url.searchParams.get('limit') ?? 0);
      const token = url.searchParams.get('continue');
      let start = 0;
      let snapshot: ListSnapshot | undefined;
      if (token) {
        let parsed: {
          start?: unknown;
          issuedAt?: unknown;
          snapshot?: unknown;
        } = {};
        try {
          parsed = JSON.parse(Buffer.from(token, 'base64url').toString());
        } catch {
          // answered below
        }
        if (
          typeof parsed.start !== 'number' ||
          typeof parsed.issuedAt !== 'number'
        ) {
          status(res, 400, 'BadRequest', 'continue key is not valid');
          return;
        }
        snapshot =
          typeof parsed.snapshot === 'string'
            ? this.listSnapshots.get(parsed.snapshot)
            : undefined;
        if (Date.now() - parsed.issuedAt > this.continueTtlMs) {
          status(
            res,
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
          return;
        }
        start = parsed.start;
      }
      const chunked = Number.isInteger(limit) && limit > 0;
      if (!snapshot) {
        snapshot = {
          id: `${++this.listSnapshotCount}`,
          items: render(),
          resourceVersion: String(this.world.resourceVersion),
          at: Date.now(),
        };
      }
      const { items } = snapshot;
      const page = chunked
        ? items.slice(start, start + limit)
        : items.slice(start);
      const next = start + page.length;
      const metadata: Record<string, unknown> = {
        resourceVersion: snapshot.resourceVersion,
      };
      if (next < items.length) {
        this.keepListSnapshot(snapshot);
        metadata.continue = Buffer.from(
          JSON.stringify({
            start: next,
            issuedAt: Date.now(),
            snapshot: snapshot.id,
          }),
        ).toString('base64url');
        metadata.remainingItemCount = items.length - next;
      }
      sendJson(res, 200, {
        kind: `${type.kind}List`,
        apiVersion,
        metadata,
        items: page,
      });
      return;
    }
    if (req.method === 'GET' && name) {
      const found = all().find(o => o.obj.metadata.name === name);
      if (!found) {
        notFound();
        return;
      }
      sendJson(res, 200, { ...found.obj, apiVersion });
      return;
    }
    if (
      req.method === 'PATCH' &&
      name &&
      namespace &&
      String(req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim() === 'application/apply-patch+yaml'
    ) {
      await this.serverSideApply(req, res, url, {
        type,
        apiVersion,
        namespace,
        name,
      });
      return;
    }
    if (req.method === 'PATCH' && name && namespace) {
      const contentType = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim();
      const body = (await readBody(req)).toString('utf8');
      if (
        ![
          'application/merge-patch+json',
          'application/strategic-merge-patch+json',
        ].includes(contentType)
      ) {
        status(
          res,
          415,
          'UnsupportedMediaType',
          `${
            contentType || 'the body of the request'
          } is not supported by this sandbox - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`,
        );
        return;
      }
      let patch: any;
      try {
        patch = JSON.parse(body);
      } catch (e) {
        status(
          res,
          400,
          'BadRequest',
          `error decoding patch: ${(e as Error).message}`,
        );
        return;
      }
      const found = all().find(o => o.obj.metadata.name === name);
      if (!found?.d) {
        notFound();
        return;
      }
      const d = found.d;
      const kind = found.obj.kind;
      if (FLUX_KINDS.includes(kind)) {
        const requested =
          patch?.metadata?.annotations?.['reconcile.fluxcd.io/requestedAt'];
        if (typeof patch?.spec?.suspend === 'boolean') {
          d.autoSync = !patch.spec.suspend;
          d.resourceVersion = this.world.nextResourceVersion();
        }
        if (typeof requested === 'string') {
          d.lastHandledReconcileAt[`requested:${kind}`] = requested;
          d.resourceVersion = this.world.nextResourceVersion();
          // the controller reacts to the annotation shortly after the patch
          setImmediate(() => {
            this.world
              .reconcile(d)
              .then(() => {
                d.lastHandledReconcileAt[kind] = requested;
                d.resourceVersion = this.world.nextResourceVersion();
              })
              .catch(() => {});
          });
        }
      } else if (kind === 'InferenceService') {
        const label = patch?.metadata?.labels?.['ml-gitops/model-version'];
        if (typeof label === 'string') {
          this.world.setDrift(
            d,
            label === d.appliedVersion ? undefined : label,
          );
        }
      } else {
        status(
          res,
          405,
          'MethodNotAllowed',
          'the sandbox only patches Flux objects and InferenceServices',
        );
        return;
      }
      const updated = this.objects(kind).find(
        o =>
          o.obj.kind === kind &&
          o.obj.metadata.name === name &&
          o.obj.metadata.namespace === namespace,
      )!;
      sendJson(res, 200, { ...updated.obj, apiVersion });
      return;
    }
    req.resume();
    status(
      res,
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
      {},
    );
  }

  /**
   * Server-side apply (kubernetes.io "Server-Side Apply"): the body is the
   * object in YAML or JSON; `fieldManager` is required; the object's
   * apiVersion, kind, name and namespace must match the URL (the messages are
   * kube-apiserver's, staging/src/k8s.io/apiserver/pkg/endpoints/handlers).
   * The answer is the object: 201 when it was created, else 200. Only Flux
   * objects are applied here; the sandbox's Flux runs in flux-system.
   */
  private async serverSideApply(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    target: {
      type: ResourceType;
      apiVersion: string;
      namespace: string;
      name: string;
    },
  ) {
    const { type, apiVersion, namespace, name } = target;
    const body = (await readBody(req)).toString('utf8');
    if (!url.searchParams.get('fieldManager')) {
      status(
        res,
        422,
        'Invalid',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
      return;
    }
    if (!FLUX_KINDS.includes(type.kind)) {
      status(
        res,
        405,
        'MethodNotAllowed',
        'the sandbox applies Flux objects only (GitRepository, Kustomization, HelmRelease)',
      );
      return;
    }
    let obj: any;
    try {
      obj = parse(body);
    } catch (e) {
      status(
        res,
        400,
        'BadRequest',
        `error decoding YAML: ${(e as Error).message}`,
      );
      return;
    }
    if (obj?.apiVersion !== apiVersion || obj?.kind !== type.kind) {
      status(
        res,
        400,
        'BadRequest',
        `the API version in the data (${obj?.apiVersion}) or its kind (${obj?.kind}) does not match the expected ${apiVersion} ${type.kind}`,
      );
      return;
    }
    if (obj.metadata?.name !== name) {
      status(
        res,
        400,
        'BadRequest',
        `the name of the object (${obj.metadata?.name}) does not match the name on the URL (${name})`,
      );
      return;
    }
    if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
      status(
        res,
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
      return;
    }
    if (namespace !== 'flux-system') {
      status(
        res,
        422,
        'Invalid',
        `${qualified(
          type,
        )} "${name}": the sandbox's Flux controllers reconcile objects in flux-system only, not ${namespace}`,
      );
      return;
    }
    const result = await this.world.applyFluxObject({
      ...obj,
      metadata: { ...obj.metadata, namespace },
    });
    const current = this.objects(type.kind).find(
      o =>
        o.obj.kind === type.kind &&
        o.obj.metadata.namespace === namespace &&
        o.obj.metadata.name === name,
    )!;
    sendJson(res, result.created ? 201 : 200, { ...current.obj, apiVersion });
  }
}
