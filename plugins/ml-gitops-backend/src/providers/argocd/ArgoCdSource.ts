import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  argoCdSyncState,
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
  SourceSyncState,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DEPLOYMENT_SOURCE_KINDS,
  DeploymentSource,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { z } from 'zod';
import { ArgoCdInstanceConfig, DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { keepAliveFetch } from '../../http/keepAliveFetch';

/** One source of an Application (`spec.source` or an entry of `spec.sources`). */
const applicationSource = z.looseObject({
  repoURL: z.string().nullish(),
  path: z.string().nullish(),
  chart: z.string().nullish(),
  ref: z.string().nullish(),
  targetRevision: z.string().nullish(),
});

/**
 * The sync result of the last sync operation (`SyncOperationResult`): the
 * revision(s) it applied and, for multi-source Applications, the sources in
 * the same order.
 */
const syncResult = z.looseObject({
  revision: z.string().nullish(),
  revisions: z.array(z.string()).nullish(),
  source: applicationSource.nullish(),
  sources: z.array(applicationSource).nullish(),
});

/**
 * An Argo CD Application as the list endpoint answers it for `LIST_FIELDS`
 * (`v1alpha1.Application`, projected through Argo CD's fixed field map).
 * Only the name is required: every other field is missing while an
 * Application is new or has never synced, and Argo CD writes a nil map,
 * slice or pointer as `null` (labels, a running operation's `finishedAt`).
 */
const application = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().nullish(),
    labels: z.record(z.string(), z.string()).nullish(),
  }),
  spec: z
    .looseObject({
      project: z.string().nullish(),
      source: applicationSource.nullish(),
      sources: z.array(applicationSource).nullish(),
    })
    .nullish(),
  status: z
    .looseObject({
      sync: z
        .looseObject({
          status: z.string().nullish(),
          /** Argo CD v3.5+ only: the revision the last comparison used. */
          revision: z.string().nullish(),
        })
        .nullish(),
      health: z.looseObject({ status: z.string().nullish() }).nullish(),
      operationState: z
        .looseObject({
          phase: z.string().nullish(),
          startedAt: z.string().nullish(),
          finishedAt: z.string().nullish(),
          /** Where the field list puts the operation's *sync result*. */
          operation: z.looseObject({ sync: syncResult.nullish() }).nullish(),
          /** The same result as a full Application (no `fields`) carries it. */
          syncResult: syncResult.nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
type Application = z.infer<typeof application>;
type ApplicationSource = z.infer<typeof applicationSource>;

/** The list answer: `items` is null when nothing matches the selector. */
const applicationList = z.looseObject({
  items: z.array(z.unknown()).nullish(),
});

/**
 * The Application fields requested with `fields`, so a large Argo CD answers
 * with a small payload.
 *
 * Argo CD does not project arbitrary paths: it answers only the keys of its
 * fixed map `appFields` (argo-cd `pkg/apiclient/application/forwarder_overwrite.go`)
 * and leaves every other requested path out. The keys below exist since
 * v2.6; `status.operationState.operation.sync` returns the last operation's
 * *sync result* (revision(s) and source(s)); `status.sync.revision` exists
 * since v3.5 and is simply absent before. `spec` is asked for whole, never
 * next to `spec.source` (v3.5 has both, and asking for a key and a key below
 * it fails whenever Go's map order puts the parent first).
 */
export const LIST_FIELDS = [
  'items.metadata.name',
  'items.metadata.namespace',
  'items.metadata.labels',
  'items.spec',
  'items.status.sync.status',
  'items.status.sync.revision',
  'items.status.health',
  'items.status.operationState.phase',
  'items.status.operationState.startedAt',
  'items.status.operationState.finishedAt',
  'items.status.operationState.operation.sync',
].join(',');

/** The oldest Argo CD release whose field list has everything `LIST_FIELDS` needs. */
const OLDEST_SUPPORTED = { major: 2, minor: 6 };
/** How long a read `/api/version` is trusted before it is read again. */
const VERSION_TTL_MS = 60 * 60_000;
/** How long a refresh request may block before the poll moves on. */
const REFRESH_WAIT_MS = 3_000;

/** `v3.1.9+8665140` → 3.1, or undefined. */
export function parseArgoCdVersion(
  version: unknown,
): { major: number; minor: number } | undefined {
  const match =
    typeof version === 'string' ? /^v?(\d+)\.(\d+)/.exec(version) : null;
  return match
    ? { major: Number(match[1]), minor: Number(match[2]) }
    : undefined;
}

/** The first characters of a body, for an error message. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 60)}…` : flat;
}

/** Where a zod issue is, e.g. `items[3].metadata.name`. */
function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((p, i) =>
      typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`,
    )
    .join('');
}

/**
 * The revision an Application has synced, and for a multi-source Application
 * every Git source with its revision.
 *
 * The list's field map carries no `status.sync.revisions` and (before v3.5)
 * no `status.sync.revision`, so the revision comes from the last sync
 * operation's result (`status.operationState.operation.sync` in a projected
 * list, `status.operationState.syncResult` in a full Application). While the
 * Application is Synced and Argo CD reports the compared revision (v3.5+),
 * that one is newer and equally applied, so it wins. A multi-source result
 * lists `revisions` index for index with its `sources` (else `spec.sources`).
 * Helm chart sources (with `chart`) report a chart version, not a commit, so
 * only Git sources are candidates. Which one declares the model is decided by
 * the poller, which knows the entity's config repo: it picks the candidate
 * whose `repoURL` is that repo. The `revision` given here is the fallback
 * when none matches: the only Git source, else the first Git source that
 * holds a path (the chart or manifests; a `ref`-only source merely lends
 * values files), else the first.
 */
export function syncedRevisions(app: Application): {
  revision: string;
  revisions?: Array<{ repoUrl: string; revision: string }>;
} {
  const status = app.status;
  const result =
    status?.operationState?.operation?.sync ??
    status?.operationState?.syncResult ??
    undefined;
  const sources: ApplicationSource[] | undefined =
    (result?.sources && result.sources.length > 0
      ? result.sources
      : undefined) ??
    app.spec?.sources ??
    undefined;
  if (!sources || sources.length === 0) {
    const compared =
      status?.sync?.status === 'Synced' ? status.sync.revision : undefined;
    return {
      revision: compared || result?.revision || status?.sync?.revision || '',
    };
  }
  const reported = result?.revisions ?? [];
  const candidates = sources
    .map((source, index) => ({ source, revision: reported[index] ?? '' }))
    .filter(c => !c.source.chart && c.source.repoURL);
  const fallback =
    candidates.find(
      c => (c.source.path ?? undefined) !== undefined && !c.source.ref,
    ) ?? candidates[0];
  return {
    revision: fallback?.revision ?? '',
    revisions: candidates.map(c => ({
      repoUrl: c.source.repoURL!,
      revision: c.revision,
    })),
  };
}

type FetchFn = typeof fetch;

/** Argo CD did not answer within the request timeout. */
class ArgoCdTimeoutError extends ServiceUnavailableError {}

/**
 * One Argo CD instance: one list call per poll cycle for every Application
 * labelled `ml-gitops/model`, authenticated with a token or with a session
 * (username/password) that is cached and renewed when Argo CD answers 401.
 * Every request gives up after the configured request timeout, so a slow
 * instance cannot hold up the poll of the others.
 */
export class ArgoCdSource implements DeploymentSource {
  readonly kind = DEPLOYMENT_SOURCE_KINDS.argocd;
  readonly instance: string;
  private sessionToken?: string;
  /** Where each listed Application lives, for requests about one of them. */
  private readonly located = new Map<
    string,
    { namespace?: string; project?: string }
  >();
  private versionReadAt = -Infinity;
  private reportedVersion?: string;

  static fromConfig(
    config: ArgoCdInstanceConfig,
    options: { logger: LoggerService; fetch?: FetchFn; timeoutMs?: number },
  ): ArgoCdSource {
    return new ArgoCdSource(
      config,
      options.logger,
      options.fetch ?? keepAliveFetch(),
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
  }

  private constructor(
    private readonly config: ArgoCdInstanceConfig,
    private readonly logger: LoggerService,
    private readonly fetchFn: FetchFn,
    private readonly timeoutMs: number,
  ) {
    this.instance = config.name;
  }

  private get where(): string {
    return `Argo CD "${this.instance}" at ${this.config.url}`;
  }

  /** fetch with the request timeout; network failures name the instance. */
  private async send(
    path: string,
    init: RequestInit,
    timeoutMs = this.timeoutMs,
  ): Promise<Response> {
    try {
      return await this.fetchFn(`${this.config.url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ArgoCdTimeoutError(
          `${this.where} did not answer ${path.split('?')[0]} within ${
            timeoutMs / 1000
          } s (mlGitops.requestTimeout)`,
        );
      }
      throw new ServiceUnavailableError(
        `${this.where} is unreachable: ${(error as Error)?.message ?? error}`,
      );
    }
  }

  /** The JSON body of a successful answer; a clear error when it is not JSON. */
  private async json(path: string, response: Response): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ServiceUnavailableError(
        `${this.where} broke off its answer to ${path.split('?')[0]}: ${
          (error as Error)?.message ?? error
        }`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new ServiceUnavailableError(
        `${this.where} answered ${
          path.split('?')[0]
        } with something that is not JSON ("${excerpt(
          text,
        )}"); check that the url in mlGitops.argocd.instances points at the Argo CD API server`,
      );
    }
  }

  private async login(): Promise<string> {
    const { username, password } = this.config;
    const path = '/api/v1/session';
    const response = await this.send(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!response.ok) {
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" refused the login of "${username}" (${response.status}); check mlGitops.argocd.instances username and password`,
      );
    }
    const body = (await this.json(path, response)) as {
      token?: unknown;
    } | null;
    if (typeof body?.token !== 'string' || !body.token) {
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" answered the login without a token`,
      );
    }
    this.logger.info(`Logged in to Argo CD "${this.instance}"`);
    return body.token;
  }

  private async bearer(renew = false): Promise<string> {
    if (this.config.token) {
      return this.config.token;
    }
    if (!this.sessionToken || renew) {
      this.sessionToken = await this.login();
    }
    return this.sessionToken;
  }

  private async request(
    path: string,
    options: { timeoutMs?: number; notFound?: string; forbidden?: string } = {},
  ): Promise<Response> {
    const send = async (token: string) =>
      this.send(
        path,
        {
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/json',
          },
        },
        options.timeoutMs,
      );
    let response = await send(await this.bearer());
    if (response.status === 401 && !this.config.token) {
      // The session expired: log in again once.
      response = await send(await this.bearer(true));
    }
    if (!response.ok) {
      let detail = '';
      try {
        const body = (await response.json()) as { message?: string };
        detail = body.message ? `: ${body.message}` : '';
      } catch {
        // the status says enough
      }
      let advice = '';
      if (response.status === 401) {
        advice =
          '; check the token or credentials in mlGitops.argocd.instances';
      } else if (response.status === 403) {
        advice =
          options.forbidden ??
          '; check the token or credentials in mlGitops.argocd.instances';
      } else if (response.status === 404) {
        advice =
          options.notFound ??
          '; check that the url in mlGitops.argocd.instances points at the Argo CD API server';
      }
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" answered ${response.status} to ${
          path.split('?')[0]
        }${detail}${advice}`,
      );
    }
    return response;
  }

  /**
   * Reads `/api/version` (answered without a session too, then with the
   * version alone: argo-cd server/version/version.go) once an hour, logs
   * the version when it changes and warns when it is older than the field
   * list this source relies on. Best effort: the list works without it.
   */
  private async checkVersion(): Promise<void> {
    const now = Date.now();
    if (now - this.versionReadAt < VERSION_TTL_MS) return;
    this.versionReadAt = now;
    try {
      const path = '/api/version';
      const response = await this.send(path, {
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) {
        throw new Error(`it answered ${response.status}`);
      }
      const version = (
        (await this.json(path, response)) as {
          Version?: unknown;
        } | null
      )?.Version;
      if (typeof version !== 'string' || version === this.reportedVersion) {
        return;
      }
      this.reportedVersion = version;
      const parsed = parseArgoCdVersion(version);
      if (
        parsed &&
        (parsed.major < OLDEST_SUPPORTED.major ||
          (parsed.major === OLDEST_SUPPORTED.major &&
            parsed.minor < OLDEST_SUPPORTED.minor))
      ) {
        this.logger.warn(
          `${this.where} runs ${version}; ML GitOps supports Argo CD v${OLDEST_SUPPORTED.major}.${OLDEST_SUPPORTED.minor} and later (it reads health and the synced revision from list fields older releases do not have); upgrade Argo CD`,
        );
      } else {
        this.logger.info(`${this.where} runs ${version}`);
      }
    } catch (error) {
      this.logger.debug(
        `Could not read the version of ${this.where}: ${
          (error as Error)?.message ?? error
        }`,
      );
    }
  }

  syncState(observation: LiveObservation): SourceSyncState {
    return argoCdSyncState(observation.syncStatus);
  }

  async listObservations(): Promise<LiveObservation[]> {
    const params = new URLSearchParams({
      selector: LABEL_MODEL,
      fields: LIST_FIELDS,
    });
    for (const project of this.config.projects ?? []) {
      params.append('projects', project);
    }
    const path = `/api/v1/applications?${params}`;
    const [response] = await Promise.all([
      this.request(path),
      this.checkVersion(),
    ]);
    const list = applicationList.safeParse(await this.json(path, response));
    if (!list.success) {
      const issue = list.error.issues[0];
      throw new ServiceUnavailableError(
        `${
          this.where
        } answered /api/v1/applications with JSON that is not an application list (${
          issue ? `${issuePath(issue.path) || 'body'}: ${issue.message}` : ''
        }); check that the url in mlGitops.argocd.instances points at the Argo CD API server`,
      );
    }
    const observations: LiveObservation[] = [];
    this.located.clear();
    for (const [index, item] of (list.data.items ?? []).entries()) {
      const parsed = application.safeParse(item);
      if (!parsed.success) {
        // One odd Application must not hide the others.
        const issue = parsed.error.issues[0];
        this.logger.warn(
          `Argo CD "${
            this.instance
          }" sent an application that cannot be read (items[${index}]${
            issue ? `.${issuePath(issue.path)}: ${issue.message}` : ''
          }); ignored`,
        );
        continue;
      }
      const app = parsed.data;
      const model = app.metadata.labels?.[LABEL_MODEL];
      const environment = app.metadata.labels?.[LABEL_ENVIRONMENT];
      if (!model || !environment) {
        this.logger.debug(
          `Argo CD application ${app.metadata.name} has no ${LABEL_ENVIRONMENT} label; ignored`,
        );
        continue;
      }
      const operation = app.status?.operationState;
      const phase = operation?.phase;
      const finishedAt = operation?.finishedAt
        ? new Date(operation.finishedAt)
        : undefined;
      const { revision, revisions } = syncedRevisions(app);
      this.located.set(app.metadata.name, {
        namespace: app.metadata.namespace ?? undefined,
        project: app.spec?.project ?? undefined,
      });
      observations.push({
        model,
        environment,
        source: 'argocd',
        instance: this.instance,
        application: app.metadata.name,
        syncStatus: app.status?.sync?.status ?? 'Unknown',
        healthStatus: app.status?.health?.status ?? 'Unknown',
        revision,
        ...(revisions ? { revisions } : {}),
        operationRunning: phase === 'Running' || phase === 'Terminating',
        ...(finishedAt && !Number.isNaN(finishedAt.getTime())
          ? { lastSyncFinishedAt: finishedAt.toISOString() }
          : {}),
        url: `${this.config.url}/applications/${
          app.metadata.namespace ? `${app.metadata.namespace}/` : ''
        }${app.metadata.name}`,
      });
    }
    return observations;
  }

  /**
   * Asks Argo CD to compare the Application with Git now
   * (`GET /api/v1/applications/{name}?refresh=normal`, which needs only the
   * `get` permission). Argo CD sets the refresh annotation first and then
   * holds the answer until its controller has refreshed the Application
   * (argo-cd server/application/application.go, `Get`), which can take
   * longer than the poll should wait: after a few seconds the request is
   * left to finish on its own, and the refresh still happens.
   *
   * The Application's namespace and project from the last list go with the
   * request: without `appNamespace` an Application outside Argo CD's own
   * namespace is not found, and without `project` Argo CD answers a missing
   * Application with 403 rather than 404 so as not to reveal names.
   */
  async requestRefresh(observation: LiveObservation): Promise<void> {
    const where = this.located.get(observation.application);
    const params = new URLSearchParams({ refresh: 'normal' });
    if (where?.namespace) params.set('appNamespace', where.namespace);
    if (where?.project) params.set('project', where.project);
    const name = observation.application;
    try {
      await this.request(
        `/api/v1/applications/${encodeURIComponent(name)}?${params}`,
        {
          timeoutMs: Math.min(REFRESH_WAIT_MS, this.timeoutMs),
          notFound: `; the application ${name} no longer exists in Argo CD`,
          forbidden: `; the Argo CD account of mlGitops.argocd.instances needs "applications, get" on ${
            where?.project ? `project ${where.project}` : 'the project'
          } of ${name} (RBAC policy: p, <account>, applications, get, ${
            where?.project ?? '<project>'
          }/*, allow)`,
        },
      );
    } catch (error) {
      if (error instanceof ArgoCdTimeoutError) {
        this.logger.debug(
          `Argo CD "${this.instance}" is still refreshing ${name}; not waiting for it`,
        );
        return;
      }
      throw error;
    }
  }
}
