import { LoggerService } from '@backstage/backend-plugin-api';
import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  KubeObject,
  KubernetesClusterClient,
} from '../kubernetes/KubernetesClusters';

type Condition = {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};

/** The Flux kinds that apply a config repo, by API group. */
const APPLIERS = [
  { group: 'kustomize.toolkit.fluxcd.io', plural: 'kustomizations' },
  { group: 'helm.toolkit.fluxcd.io', plural: 'helmreleases' },
] as const;
const SOURCE_GROUP = 'source.toolkit.fluxcd.io';
const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
const VERSION_TTL_MS = 10 * 60_000;

/**
 * The commit in a Flux revision, in all the forms Flux reports:
 * `main@sha1:<sha>`, `sha1:<sha>`, `main/<sha>` (older), a bare `<sha>`, and
 * a Helm chart version built from Git, `0.1.0+<short sha>`.
 */
export function fluxRevisionCommit(revision: unknown): string {
  const value = typeof revision === 'string' ? revision.trim() : '';
  const match =
    /(?:^|[@:/+])([0-9a-f]{7,64})$/i.exec(value) ??
    /^([0-9a-f]{7,64})$/i.exec(value);
  return match ? match[1].toLowerCase() : '';
}

function conditionsOf(object: KubeObject): Condition[] {
  const conditions = (object.status as { conditions?: Condition[] } | undefined)
    ?.conditions;
  return Array.isArray(conditions)
    ? conditions.filter(c => typeof c === 'object' && c !== null)
    : [];
}

/** Readiness as ML GitOps reports it: Ready, NotReady, Reconciling, Stalled or Unknown. */
export function fluxReadiness(object: KubeObject): {
  syncStatus: string;
  healthStatus: string;
  reconciling: boolean;
  readySince?: string;
} {
  const conditions = conditionsOf(object);
  const get = (type: string) => conditions.find(c => c.type === type);
  const ready = get('Ready');
  const reconciling = get('Reconciling')?.status === 'True';
  const stalled = get('Stalled')?.status === 'True';
  let syncStatus = 'Unknown';
  if (stalled) syncStatus = 'Stalled';
  else if (reconciling) syncStatus = 'Reconciling';
  else if (ready?.status === 'True') syncStatus = 'Ready';
  else if (ready?.status === 'False') syncStatus = 'NotReady';
  let healthStatus = 'Unknown';
  if (ready?.status === 'True') healthStatus = 'Healthy';
  else if (stalled || ready?.status === 'False') healthStatus = 'Degraded';
  else if (reconciling) healthStatus = 'Progressing';
  return {
    syncStatus,
    healthStatus,
    reconciling,
    ...(ready?.status === 'True' &&
    ready.lastTransitionTime &&
    !Number.isNaN(Date.parse(ready.lastTransitionTime))
      ? { readySince: new Date(ready.lastTransitionTime).toISOString() }
      : {}),
  };
}

/** The GitRepository a Kustomization or HelmRelease reads from, if any. */
function sourceRefOf(
  object: KubeObject,
): { name: string; namespace: string } | undefined {
  const spec = object.spec as
    | {
        sourceRef?: { kind?: string; name?: string; namespace?: string };
        chart?: {
          spec?: {
            sourceRef?: { kind?: string; name?: string; namespace?: string };
          };
        };
      }
    | undefined;
  const ref = spec?.sourceRef ?? spec?.chart?.spec?.sourceRef;
  if (ref?.kind !== 'GitRepository' || !ref.name) return undefined;
  return {
    name: ref.name,
    namespace: ref.namespace ?? object.metadata.namespace ?? 'flux-system',
  };
}

/**
 * The Flux controllers of one cluster: per poll cycle one list call per
 * applier kind (Kustomization, HelmRelease) with the label selector
 * `ml-gitops/model`, at the API versions the cluster prefers (discovered, not
 * hard-coded). A refresh sets `reconcile.fluxcd.io/requestedAt` on the object
 * and on its GitRepository, as `flux reconcile --with-source` does.
 */
export class FluxSource implements DeploymentSource {
  readonly kind = 'flux' as const;
  readonly instance: string;
  private versions = new Map<string, { version?: string; at: number }>();
  private readonly objects = new Map<
    string,
    { group: string; plural: string; object: KubeObject }
  >();

  constructor(
    private readonly client: KubernetesClusterClient,
    private readonly logger: LoggerService,
    private readonly now: () => number = Date.now,
  ) {
    this.instance = client.cluster.name;
  }

  private async versionOf(group: string): Promise<string | undefined> {
    const cached = this.versions.get(group);
    if (cached && this.now() - cached.at < VERSION_TTL_MS) {
      return cached.version;
    }
    const version = await this.client.preferredVersion(group);
    this.versions.set(group, { version, at: this.now() });
    return version;
  }

  async listObservations(): Promise<LiveObservation[]> {
    const observations: LiveObservation[] = [];
    this.objects.clear();
    for (const { group, plural } of APPLIERS) {
      const version = await this.versionOf(group);
      if (!version) continue; // this controller is not installed
      const items = await this.client.list(group, version, plural, LABEL_MODEL);
      for (const object of items) {
        const model = object.metadata.labels?.[LABEL_MODEL];
        const environment = object.metadata.labels?.[LABEL_ENVIRONMENT];
        if (!model || !environment) {
          this.logger.debug(
            `Flux ${plural} ${object.metadata.namespace}/${object.metadata.name} on ${this.instance} has no ${LABEL_ENVIRONMENT} label; ignored`,
          );
          continue;
        }
        const status = (object.status ?? {}) as {
          lastAppliedRevision?: string;
          lastAttemptedRevision?: string;
          history?: Array<{ chartVersion?: string }>;
        };
        // A Kustomization that applies a HelmRelease carries the same labels:
        // the first object found (Kustomizations are listed first) speaks for
        // the environment.
        if (
          observations.some(
            o => o.model === model && o.environment === environment,
          )
        ) {
          continue;
        }
        const readiness = fluxReadiness(object);
        const application = `${object.metadata.namespace ?? 'default'}/${
          object.metadata.name
        }`;
        this.objects.set(application, { group, plural, object });
        observations.push({
          model,
          environment,
          source: 'flux',
          instance: this.instance,
          application,
          syncStatus: readiness.syncStatus,
          healthStatus: readiness.healthStatus,
          revision: fluxRevisionCommit(
            status.lastAppliedRevision ??
              status.history?.[0]?.chartVersion ??
              status.lastAttemptedRevision,
          ),
          operationRunning: readiness.reconciling,
          ...(readiness.readySince
            ? { lastSyncFinishedAt: readiness.readySince }
            : {}),
        });
      }
    }
    return observations;
  }

  async requestRefresh(observation: LiveObservation): Promise<void> {
    const entry = this.objects.get(observation.application);
    if (!entry) return;
    const { group, plural, object } = entry;
    const annotations = { [REQUESTED_AT]: new Date(this.now()).toISOString() };
    const source = sourceRefOf(object);
    if (source) {
      const sourceVersion = await this.versionOf(SOURCE_GROUP);
      if (sourceVersion) {
        await this.client.annotate(
          SOURCE_GROUP,
          sourceVersion,
          'gitrepositories',
          source.namespace,
          source.name,
          annotations,
        );
      }
    }
    const version = await this.versionOf(group);
    if (version) {
      await this.client.annotate(
        group,
        version,
        plural,
        object.metadata.namespace ?? 'default',
        object.metadata.name,
        annotations,
      );
    }
  }
}
