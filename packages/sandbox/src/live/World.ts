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
 * What "runs in the cluster": one deployment per model and environment,
 * applied by an emulated GitOps operator (Argo CD or Flux) from the
 * environment branch of the config repo on the emulated Git host.
 */

import { parse, parseAllDocuments } from 'yaml';
import { RepoRecord } from '../githost/GitRepos';
import { readServingChart, ServingChart } from './chart';
import { GitHosts } from './GitHosts';
import type { UnsealResult } from '../sealedSecrets/SealedSecretsController';
import {
  failPredictor,
  PendingFailures,
  PredictorFailure,
  PredictorState,
  readyPredictor,
  recoverPredictor,
  settlePredictor,
  startRollout,
} from './predictor';
import { ENVIRONMENTS, Environment, SeedModel } from '../seed/data';

export type HistoryEntry = {
  id: number;
  revision: string;
  version: string;
  deployStartedAt: string;
  deployedAt: string;
  initiatedBy: { automated?: boolean; username?: string };
};

export type LiveDeployment = {
  model: SeedModel;
  env: Environment;
  operator: 'argocd' | 'flux';
  /** Argo CD project of an Application created through the API (default: the seed's) */
  project?: string;
  /**
   * The Application as it was created or updated through the Argo CD API
   * (its spec and labels); the seeded deployments have none.
   */
  application?: { spec: any; labels: Record<string, string> };
  repo: RepoRecord;
  branch: string;
  /** the serving fields of the chart at the applied revision (chart.ts) */
  chart?: ServingChart;
  /** Argo CD automated sync / Flux not suspended */
  autoSync: boolean;
  /** the branch head the operator saw last */
  targetRevision: string;
  targetVersion: string;
  /** what is applied to the cluster */
  appliedRevision: string;
  appliedVersion: string;
  /** live version changed out of band (label on the serving objects) */
  driftVersion?: string;
  reconciledAt: string;
  history: HistoryEntry[];
  operation: {
    phase: 'Running' | 'Succeeded' | 'Failed';
    startedAt: string;
    finishedAt?: string;
    revision: string;
    message: string;
    initiatedBy: { automated?: boolean; username?: string };
  } | null;
  nextPollAt: number;
  /**
   * Flux only: the apply of a new revision fails (e.g. a health check times
   * out) while this is set; Flux keeps the old revision applied and retries.
   */
  fluxFailure?: { reason: string; message: string };
  /** Flux only: the revision whose apply failed last, when, and how often. */
  fluxFailedAttempt?: { revision: string; at: string; failures: number };
  /**
   * Flux only: the Kustomizations registered through the Kubernetes API
   * next to the model's own (from the same GitRepository), such as the one
   * that applies secrets/; each is applied at every revision.
   */
  fluxKustomizations?: Array<{
    name: string;
    path: string;
    targetNamespace?: string;
  }>;
  /** reconcile.fluxcd.io/requestedAt handled last, per Flux object kind */
  lastHandledReconcileAt: Record<string, string>;
  /** KServe's predictor: the revision rolling out, serving or failing */
  predictor?: PredictorState;
  /** predictor failures waiting for the next rollout of a version */
  pendingPredictorFailures: PendingFailures;
  resourceVersion: number;
};

export type WorldOptions = {
  reconcileIntervalSeconds: number;
  jitterSeconds: number;
  /** how long KServe takes to roll a new model version out (0: at once) */
  rolloutSeconds: number;
  log: (m: string) => void;
  /**
   * The cluster's Sealed Secrets controller: what an operator applies as a
   * SealedSecret is handed to it, and what it unseals becomes a Secret.
   */
  sealedSecrets?: {
    unseal(text: string): UnsealResult;
  };
};

/**
 * A Secret the Sealed Secrets controller made in the cluster from an applied
 * SealedSecret; the values are kept as digests only.
 */
export type ClusterSecret = {
  namespace: string;
  name: string;
  /** Which deployment's sync applied its SealedSecret, from which file and commit. */
  appliedBy: { application: string; path: string; revision: string };
  data: Record<string, { sha256: string; bytes: number }>;
  createdAt: string;
};

/** A SealedSecret that was applied but did not unseal (the controller's error). */
export type UnsealFailure = {
  namespace: string;
  name: string;
  path: string;
  revision: string;
  error: string;
};

function iso(ms: number) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A Flux object registered through the Kubernetes API (server-side apply). */
export type RegisteredFluxObject = {
  obj: any;
  resourceVersion: number;
  createdAt: string;
};

export class World {
  readonly deployments: LiveDeployment[] = [];
  /**
   * Flux objects applied through the Kubernetes API, by
   * `<kind>/<namespace>/<name>`, as they were applied (spec and labels).
   */
  readonly fluxRegistry = new Map<string, RegisteredFluxObject>();
  /** Secrets in the cluster by `namespace/name`, made by the Sealed Secrets controller. */
  readonly secrets = new Map<string, ClusterSecret>();
  /** SealedSecrets an operator applied that the controller could not unseal. */
  readonly unsealFailures: UnsealFailure[] = [];
  private timer?: NodeJS.Timeout;
  private busy = new Map<LiveDeployment, Promise<void>>();
  private rv = 1000;
  private readonly changeListeners = new Set<() => void>();

  constructor(readonly git: GitHosts, public options: WorldOptions) {}

  /** The bare repositories of the host that keeps `repo`. */
  private repos(repo: RepoRecord) {
    return this.git.reposOf(repo);
  }

  /**
   * Something changed (a resource version was handed out): the emulated
   * watches (Kubernetes watches, Argo CD's application event stream) look
   * for what changed. Returns the function that stops listening.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  nextResourceVersion() {
    this.rv += 1;
    for (const listener of this.changeListeners) listener();
    return this.rv;
  }

  get resourceVersion() {
    return this.rv;
  }

  appName(d: LiveDeployment) {
    return `${d.model.name}-${d.env}`;
  }

  namespace(env: Environment) {
    return `ml-${env}`;
  }

  find(model: string, env: string) {
    return this.deployments.find(d => d.model.name === model && d.env === env);
  }

  async versionAt(repo: RepoRecord, sha: string): Promise<string> {
    const file = await this.repos(repo).readFile(
      repo,
      sha,
      'deploy/model.yaml',
    );
    if (!file) return '';
    try {
      const doc = parse(file.toString('utf8'));
      return doc?.model_version === undefined ? '' : String(doc.model_version);
    } catch {
      return '';
    }
  }

  /**
   * Builds the live state from the seeded repos: every environment serves
   * its branch head. `seeds` are the seeded models with their config repos,
   * on whichever of the Git hosts keeps them.
   */
  async init(
    drift: boolean,
    seeds: Array<{ model: SeedModel; repo: RepoRecord | undefined }>,
  ) {
    const now = Date.now();
    for (const { model, repo } of seeds) {
      if (!repo) continue;
      for (const env of ENVIRONMENTS) {
        const head = (await this.repos(repo).refSha(
          repo,
          `refs/heads/${env}`,
        ))!;
        const shas = (
          await this.repos(repo).log(repo, head, {
            max: 10,
            skip: 0,
            firstParent: true,
          })
        ).reverse();
        const history: HistoryEntry[] = [];
        let id = 0;
        for (const sha of shas) {
          const c = (await this.repos(repo).commit(repo, sha))!;
          const t = Date.parse(c.committer.date);
          history.push({
            id: id++,
            revision: sha,
            version: await this.versionAt(repo, sha),
            deployStartedAt: iso(t + 40_000),
            deployedAt: iso(t + 55_000),
            initiatedBy: { automated: true },
          });
        }
        const last = history[history.length - 1];
        const version = await this.versionAt(repo, head);
        this.deployments.push({
          model,
          env,
          operator: model.operator,
          repo,
          branch: env,
          autoSync: true,
          targetRevision: head,
          targetVersion: version,
          appliedRevision: head,
          appliedVersion: version,
          chart: await readServingChart(this.repos(repo), repo, head),
          driftVersion: drift ? model.drift?.[env] : undefined,
          reconciledAt: iso(now),
          history,
          operation: {
            phase: 'Succeeded',
            startedAt: last.deployStartedAt,
            finishedAt: last.deployedAt,
            revision: head,
            message: 'successfully synced (all tasks run)',
            initiatedBy: { automated: true },
          },
          nextPollAt: now + this.pollDelayMs(),
          lastHandledReconcileAt: {},
          pendingPredictorFailures: new Map(),
          predictor: readyPredictor(
            version,
            history.length,
            Date.parse(last.deployStartedAt),
            Date.parse(last.deployedAt),
          ),
          resourceVersion: this.nextResourceVersion(),
        });
      }
    }
  }

  private pollDelayMs() {
    const { reconcileIntervalSeconds, jitterSeconds } = this.options;
    return (reconcileIntervalSeconds + Math.random() * jitterSeconds) * 1000;
  }

  setReconcileInterval(seconds: number, jitterSeconds?: number) {
    this.options.reconcileIntervalSeconds = seconds;
    if (jitterSeconds !== undefined) this.options.jitterSeconds = jitterSeconds;
    const now = Date.now();
    for (const d of this.deployments) d.nextPollAt = now + this.pollDelayMs();
  }

  start() {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const d of this.deployments) {
        this.settleServing(d, now);
        if (d.nextPollAt <= now) {
          this.reconcile(d).catch(e =>
            this.options.log(`reconcile ${this.appName(d)}: ${e}`),
          );
        }
      }
    }, 200);
    this.timer.unref?.();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Compares with Git (the environment branch head) and applies when auto-sync is on. */
  reconcile(d: LiveDeployment): Promise<void> {
    const running = this.busy.get(d);
    if (running) return running;
    const p = (async () => {
      d.nextPollAt = Date.now() + this.pollDelayMs();
      const head = await this.repos(d.repo).refSha(
        d.repo,
        `refs/heads/${d.branch}`,
      );
      if (!head) return;
      if (head !== d.targetRevision) {
        d.targetRevision = head;
        d.targetVersion = await this.versionAt(d.repo, head);
        d.resourceVersion = this.nextResourceVersion();
      }
      if (d.autoSync && d.appliedRevision !== d.targetRevision) {
        if (d.operator === 'flux' && d.fluxFailure) {
          this.failFluxApply(d);
        } else {
          await this.apply(d, d.targetRevision, { automated: true });
          d.fluxFailedAttempt = undefined;
        }
      }
      d.reconciledAt = iso(Date.now());
    })().finally(() => this.busy.delete(d));
    this.busy.set(d, p);
    return p;
  }

  /** A sync operation: applies `revision` (default: the target) to the cluster. */
  async apply(
    d: LiveDeployment,
    revision: string,
    initiatedBy: HistoryEntry['initiatedBy'],
  ) {
    const started = Date.now();
    const version = await this.versionAt(d.repo, revision);
    d.operation = {
      phase: 'Succeeded',
      startedAt: iso(started),
      finishedAt: iso(Date.now()),
      revision,
      message: 'successfully synced (all tasks run)',
      initiatedBy,
    };
    d.appliedRevision = revision;
    d.chart = await readServingChart(this.repos(d.repo), d.repo, revision);
    if (version !== d.predictor?.version) {
      // a new model version is a new pod template: KServe rolls it out
      d.predictor = startRollout(
        d.predictor,
        version,
        started,
        this.options.rolloutSeconds * 1000,
        d.pendingPredictorFailures,
      );
    }
    d.appliedVersion = version;
    d.driftVersion = undefined;
    const nextId = d.history.length
      ? d.history[d.history.length - 1].id + 1
      : 0;
    d.history.push({
      id: nextId,
      revision,
      version,
      deployStartedAt: d.operation.startedAt,
      deployedAt: d.operation.finishedAt!,
      initiatedBy,
    });
    if (d.history.length > 10) d.history.shift();
    await this.applyDirectorySources(d, revision);
    for (const k of d.fluxKustomizations ?? []) {
      await this.applyFluxKustomization(d, k, revision);
    }
    d.resourceVersion = this.nextResourceVersion();
  }

  /**
   * A Flux object applied through the Kubernetes API. What the Flux
   * controllers then do (Flux docs "GitRepository", "Kustomization"):
   *
   * - a Kustomization labelled ml-gitops/model and ml-gitops/environment
   *   whose GitRepository (registered before it) names a branch of a repo
   *   on the sandbox's Git host becomes the live deployment of that model
   *   and environment, applied by Flux from the branch (its HelmRelease
   *   renders the chart with deploy/model.yaml);
   * - any other Kustomization of the same GitRepository is applied with the
   *   deployment at every revision: its path's manifests, of which the
   *   sandbox's cluster keeps the SealedSecrets (see applyFluxKustomization).
   *
   * Answers whether the object was new and whether it changed.
   */
  async applyFluxObject(
    obj: any,
  ): Promise<{ created: boolean; changed: boolean }> {
    const ns = String(obj.metadata.namespace);
    const key = `${obj.kind}/${ns}/${obj.metadata.name}`;
    const existing = this.fluxRegistry.get(key);
    const canonicalOf = (o: any) =>
      JSON.stringify({ labels: o.metadata?.labels ?? {}, spec: o.spec ?? {} });
    if (existing && canonicalOf(existing.obj) === canonicalOf(obj)) {
      return { created: false, changed: false };
    }
    this.fluxRegistry.set(key, {
      obj,
      resourceVersion: this.nextResourceVersion(),
      createdAt: existing?.createdAt ?? iso(Date.now()),
    });
    if (obj.kind === 'Kustomization') {
      await this.startFluxKustomization(obj);
    }
    return { created: !existing, changed: true };
  }

  private async startFluxKustomization(obj: any) {
    const ref = obj.spec?.sourceRef ?? {};
    if (ref.kind !== 'GitRepository') return;
    const source = this.fluxRegistry.get(
      `GitRepository/${ref.namespace ?? obj.metadata.namespace}/${ref.name}`,
    )?.obj;
    if (!source) {
      this.options.log(
        `flux: Kustomization ${obj.metadata.name}: GitRepository ${ref.name} not found`,
      );
      return;
    }
    const repo = this.git.resolve(String(source.spec?.url))?.repo;
    const branch = String(source.spec?.ref?.branch ?? '');
    if (!repo || !branch) {
      this.options.log(
        `flux: GitRepository ${ref.name}: ${source.spec?.url} is not a branch of a repo on the sandbox's Git hosts`,
      );
      return;
    }
    const labels = obj.metadata.labels ?? {};
    const model = labels['ml-gitops/model'];
    const env = labels['ml-gitops/environment'];
    if (model && (ENVIRONMENTS as readonly string[]).includes(env)) {
      if (this.find(model, env)) return;
      try {
        await this.addDeployment({
          model,
          env: env as Environment,
          operator: 'flux',
          repo,
          branch,
          autoSync: !obj.spec?.suspend,
        });
      } catch (e) {
        this.options.log(`flux: Kustomization ${obj.metadata.name}: ${e}`);
      }
      return;
    }
    const d = this.deployments.find(
      x => x.operator === 'flux' && x.repo === repo && x.branch === branch,
    );
    if (!d) return;
    const kustomization = {
      name: String(obj.metadata.name),
      path: String(obj.spec?.path ?? './'),
      ...(obj.spec?.targetNamespace
        ? { targetNamespace: String(obj.spec.targetNamespace) }
        : {}),
    };
    d.fluxKustomizations = [
      ...(d.fluxKustomizations ?? []).filter(
        k => k.name !== kustomization.name,
      ),
      kustomization,
    ];
    if (d.appliedRevision) {
      await this.applyFluxKustomization(d, kustomization, d.appliedRevision);
    }
  }

  /**
   * Applies one Kustomization's path at `revision`. Without a
   * kustomization.yaml there, the kustomize-controller generates one with
   * every manifest of the folder and its subfolders (Flux docs
   * "Kustomization", `.spec.path`); `targetNamespace` sets the namespace of
   * every object. Of the manifests the sandbox's cluster keeps the
   * SealedSecrets, which the Sealed Secrets controller unseals.
   */
  private async applyFluxKustomization(
    d: LiveDeployment,
    k: NonNullable<LiveDeployment['fluxKustomizations']>[number],
    revision: string,
  ) {
    const dir = k.path.replace(/^\.?\/+|\/+$/g, '');
    const entries = await this.repos(d.repo)
      .tree(d.repo, dir ? `${revision}:${dir}` : revision, true)
      .catch(() => []);
    for (const entry of entries) {
      if (entry.type !== 'blob' || !/\.(ya?ml|json)$/.test(entry.path)) {
        continue;
      }
      const file = dir ? `${dir}/${entry.path}` : entry.path;
      const text = (await this.repos(d.repo).blob(d.repo, entry.sha)).toString(
        'utf8',
      );
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJS();
        if (obj?.kind !== 'SealedSecret') continue;
        if (k.targetNamespace) {
          obj.metadata = { ...obj.metadata, namespace: k.targetNamespace };
        }
        this.applySealedSecret(
          d,
          obj,
          k.targetNamespace ?? this.namespace(d.env),
          file,
          revision,
          k.name,
        );
      }
    }
  }

  /**
   * The plain-manifest sources of an Application created through the API
   * (Argo CD "Directory" sources: a `path` with `directory`, or without a
   * Chart.yaml): every manifest at `revision` under the path that
   * `directory.include` (a glob, argo-cd docs "Directory") admits is applied.
   * The sandbox's cluster runs only the serving objects and the Sealed
   * Secrets controller, so of those manifests it keeps the SealedSecrets: the
   * controller unseals each into a Secret of the same name, in its namespace
   * or else the Application's destination namespace, as kubectl apply and
   * the controller do.
   */
  private async applyDirectorySources(d: LiveDeployment, revision: string) {
    const sources: any[] = d.application?.spec?.sources ?? [];
    const namespace: string =
      d.application?.spec?.destination?.namespace ?? this.namespace(d.env);
    for (const source of sources) {
      if (!source?.directory || typeof source.path !== 'string') continue;
      const dir = source.path.replace(/^\.?\/+|\/+$/g, '');
      const include = globRegExp(source.directory.include || '*');
      const entries = await this.repos(d.repo)
        .tree(d.repo, `${revision}:${dir}`, Boolean(source.directory.recurse))
        .catch(() => []);
      for (const entry of entries) {
        if (entry.type !== 'blob' || !/\.(ya?ml|json)$/.test(entry.path)) {
          continue;
        }
        if (!include.test(entry.path)) continue;
        const file = `${dir}/${entry.path}`;
        const text = (
          await this.repos(d.repo).blob(d.repo, entry.sha)
        ).toString('utf8');
        for (const doc of parseAllDocuments(text)) {
          const obj = doc.toJS();
          if (obj?.kind !== 'SealedSecret') continue;
          this.applySealedSecret(d, obj, namespace, file, revision);
        }
      }
    }
  }

  private applySealedSecret(
    d: LiveDeployment,
    obj: any,
    namespace: string,
    file: string,
    revision: string,
    appliedBy = this.appName(d),
  ) {
    const controller = this.options.sealedSecrets;
    obj.metadata = { ...obj.metadata };
    obj.metadata.namespace ||= namespace;
    const name = String(obj.metadata.name ?? '');
    if (!controller) return;
    const result = controller.unseal(JSON.stringify(obj));
    const key = `${obj.metadata.namespace}/${name}`;
    if (!result.ok) {
      this.unsealFailures.push({
        namespace: obj.metadata.namespace,
        name,
        path: file,
        revision,
        error: result.error,
      });
      this.options.log(`sealed-secrets: ${key} from ${file}: ${result.error}`);
      return;
    }
    this.secrets.set(key, {
      namespace: obj.metadata.namespace,
      name,
      appliedBy: { application: appliedBy, path: file, revision },
      data: result.data,
      createdAt: this.secrets.get(key)?.createdAt ?? iso(Date.now()),
    });
  }

  /**
   * Adds a deployment that an operator applies from `branch` of `repo`, as
   * when an Argo CD Application is created; with auto-sync it is reconciled
   * (applied) at once.
   */
  async addDeployment(spec: {
    model: string;
    env: Environment;
    operator: 'argocd' | 'flux';
    repo: RepoRecord;
    branch: string;
    team?: string;
    autoSync: boolean;
    application?: LiveDeployment['application'];
  }): Promise<LiveDeployment> {
    if (this.find(spec.model, spec.env)) {
      throw new Error(
        `a deployment of ${spec.model} in ${spec.env} exists already`,
      );
    }
    const head = await this.repos(spec.repo).refSha(
      spec.repo,
      `refs/heads/${spec.branch}`,
    );
    if (!head) {
      throw new Error(
        `branch ${spec.branch} does not exist in ${spec.repo.fullName}`,
      );
    }
    const manifest = await this.repos(spec.repo).readFile(
      spec.repo,
      head,
      'deploy/model.yaml',
    );
    let replicas = 1;
    try {
      const n = Number(
        parse(manifest?.toString('utf8') ?? '')?.serving?.replicas,
      );
      if (Number.isInteger(n) && n >= 0) replicas = n;
    } catch {
      // an unreadable manifest serves one replica, like the chart's default
    }
    const model: SeedModel = {
      name: spec.model,
      team: spec.team ?? '',
      operator: spec.operator,
      gates: { auc: { min: 0 }, latency_p95_ms: { max: Infinity } },
      replicas,
      initial: { daysAgo: 0, version: '', author: '' },
      versions: [],
      steps: [],
      aliases: {},
    };
    const d: LiveDeployment = {
      model,
      env: spec.env,
      operator: spec.operator,
      repo: spec.repo,
      branch: spec.branch,
      autoSync: spec.autoSync,
      targetRevision: '',
      targetVersion: '',
      appliedRevision: '',
      appliedVersion: '',
      reconciledAt: iso(Date.now()),
      history: [],
      operation: null,
      nextPollAt: Date.now() + this.pollDelayMs(),
      lastHandledReconcileAt: {},
      pendingPredictorFailures: new Map(),
      resourceVersion: this.nextResourceVersion(),
      ...(spec.application ? { application: spec.application } : {}),
    };
    this.deployments.push(d);
    await this.reconcile(d);
    return d;
  }

  /**
   * A Flux apply of the target that fails: the applied revision stays, the
   * attempt is recorded (kustomize-controller records lastAttemptedRevision
   * and a failed history entry; helm-controller counts status.failures).
   */
  private failFluxApply(d: LiveDeployment) {
    const previous = d.fluxFailedAttempt;
    d.fluxFailedAttempt = {
      revision: d.targetRevision,
      at: iso(Date.now()),
      failures:
        previous?.revision === d.targetRevision ? previous.failures + 1 : 1,
    };
    d.resourceVersion = this.nextResourceVersion();
  }

  /** Makes the Flux applies of a deployment fail (or succeed again with undefined). */
  setFluxFailure(
    d: LiveDeployment,
    failure: LiveDeployment['fluxFailure'] | undefined,
  ) {
    if (d.operator !== 'flux') {
      throw new Error(
        `${this.appName(d)} is applied by ${
          d.operator
        }, not Flux; a Flux apply failure needs a Flux-managed model`,
      );
    }
    d.fluxFailure = failure;
    d.resourceVersion = this.nextResourceVersion();
  }

  /**
   * Ends the predictor's rollout when it is due; the objects then change
   * (a new resourceVersion). Runs on every tick and before rendering.
   */
  settleServing(d: LiveDeployment, now = Date.now()) {
    if (d.predictor && settlePredictor(d.predictor, now)) {
      d.resourceVersion = this.nextResourceVersion();
    }
  }

  private predictorOf(d: LiveDeployment): PredictorState {
    if (!d.predictor) {
      throw new Error(
        `${this.appName(
          d,
        )} has no predictor yet: its operator has not applied a model version`,
      );
    }
    return d.predictor;
  }

  /** The predictor's container crashes from now on (see predictor.ts). */
  failServing(d: LiveDeployment, failure: PredictorFailure) {
    failPredictor(this.predictorOf(d), failure, Date.now());
    d.resourceVersion = this.nextResourceVersion();
  }

  /** The next rollout of `version` (or of any version with '*') fails. */
  failNextRollout(
    d: LiveDeployment,
    version: string,
    failure: PredictorFailure,
  ) {
    d.pendingPredictorFailures.set(version, failure);
  }

  /** Clears the predictor's failure and the failures waiting for a rollout. */
  recoverServing(d: LiveDeployment) {
    d.pendingPredictorFailures.clear();
    if (d.predictor) recoverPredictor(d.predictor, Date.now());
    d.resourceVersion = this.nextResourceVersion();
  }

  /** The version the serving objects carry. */
  liveVersion(d: LiveDeployment) {
    return d.driftVersion ?? d.appliedVersion;
  }

  setDrift(d: LiveDeployment, version: string | undefined) {
    d.driftVersion = version;
    d.resourceVersion = this.nextResourceVersion();
  }

  /** The clone URL of the deployment's config repo, on the host that keeps it. */
  repoUrl(d: LiveDeployment) {
    return this.git.cloneUrl(d.repo);
  }
}

/** A glob of Argo CD's `directory.include` (`*`, `?`, `{a,b}`) as a RegExp. */
function globRegExp(glob: string): RegExp {
  const alternatives = glob.replace(/^\{|\}$/g, '').split(',');
  const one = (g: string) =>
    g
      .replace(/[.+^$()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  return new RegExp(`^(?:${alternatives.map(one).join('|')})$`);
}
