import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  DeploymentSource,
  LiveObservation,
} from '@ml-gitops/plugin-ml-gitops-node';
import { z } from 'zod';
import { ArgoCdInstanceConfig, DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { keepAliveFetch } from '../../http/keepAliveFetch';

/** One source of an Application (`spec.source` or an entry of `spec.sources`). */
const applicationSource = z.looseObject({
  repoURL: z.string().optional(),
  path: z.string().optional(),
  chart: z.string().optional(),
  ref: z.string().optional(),
  targetRevision: z.string().optional(),
});

/**
 * The fields of an Argo CD Application this source reads, as Argo CD's API
 * serves them (`v1alpha1.Application`). Only the name is required: every
 * other field is missing while an Application is new or has never synced.
 * Multi-source Applications (Argo CD 2.6+) carry `spec.sources` and report
 * `status.sync.revisions` / `syncResult.revisions` in the same order.
 */
const application = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).nullish(),
  }),
  spec: z
    .looseObject({
      source: applicationSource.nullish(),
      sources: z.array(applicationSource).nullish(),
    })
    .nullish(),
  status: z
    .looseObject({
      sync: z
        .looseObject({
          status: z.string().optional(),
          revision: z.string().optional(),
          revisions: z.array(z.string()).nullish(),
          comparedTo: z
            .looseObject({
              source: applicationSource.nullish(),
              sources: z.array(applicationSource).nullish(),
            })
            .nullish(),
        })
        .nullish(),
      health: z.looseObject({ status: z.string().optional() }).nullish(),
      operationState: z
        .looseObject({
          phase: z.string().optional(),
          startedAt: z.string().optional(),
          finishedAt: z.string().optional(),
          syncResult: z
            .looseObject({
              revision: z.string().optional(),
              revisions: z.array(z.string()).nullish(),
            })
            .nullish(),
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
 */
const LIST_FIELDS = [
  'items.metadata.name',
  'items.metadata.namespace',
  'items.metadata.labels',
  'items.spec.source',
  'items.spec.sources',
  'items.status.sync.status',
  'items.status.sync.revision',
  'items.status.sync.revisions',
  'items.status.sync.comparedTo',
  'items.status.health.status',
  'items.status.operationState.phase',
  'items.status.operationState.startedAt',
  'items.status.operationState.finishedAt',
  'items.status.operationState.syncResult.revision',
  'items.status.operationState.syncResult.revisions',
].join(',');

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
 * A single-source Application reports one revision (`status.sync.revision`).
 * A multi-source one reports `status.sync.revisions`, index for index with the
 * sources it compared (`status.sync.comparedTo.sources`, else
 * `spec.sources`); `syncResult.revisions` of the last sync stands in while
 * the comparison has none. Helm chart sources (with `chart`) report a chart
 * version, not a commit, so only Git sources are candidates. Which one
 * declares the model is decided by the poller, which knows the entity's
 * config repo: it picks the candidate whose `repoURL` is that repo. The
 * `revision` given here is the fallback when none matches: the only Git
 * source, else the first Git source that holds a path (the chart or
 * manifests; a `ref`-only source merely lends values files), else the first.
 */
export function syncedRevisions(app: Application): {
  revision: string;
  revisions?: Array<{ repoUrl: string; revision: string }>;
} {
  const status = app.status;
  const sources: ApplicationSource[] | undefined =
    status?.sync?.comparedTo?.sources ?? app.spec?.sources ?? undefined;
  if (!sources || sources.length === 0) {
    return {
      revision:
        status?.sync?.revision ??
        status?.operationState?.syncResult?.revision ??
        '',
    };
  }
  const reported =
    status?.sync?.revisions && status.sync.revisions.length > 0
      ? status.sync.revisions
      : status?.operationState?.syncResult?.revisions ?? [];
  const candidates = sources
    .map((source, index) => ({ source, revision: reported[index] ?? '' }))
    .filter(c => !c.source.chart && c.source.repoURL);
  const fallback =
    candidates.find(c => c.source.path !== undefined && !c.source.ref) ??
    candidates[0];
  return {
    revision: fallback?.revision ?? '',
    revisions: candidates.map(c => ({
      repoUrl: c.source.repoURL!,
      revision: c.revision,
    })),
  };
}

type FetchFn = typeof fetch;

/**
 * One Argo CD instance: one list call per poll cycle for every Application
 * labelled `ml-gitops/model`, authenticated with a token or with a session
 * (username/password) that is cached and renewed when Argo CD answers 401.
 * Every request gives up after the configured request timeout, so a slow
 * instance cannot hold up the poll of the others.
 */
export class ArgoCdSource implements DeploymentSource {
  readonly kind = 'argocd' as const;
  readonly instance: string;
  private sessionToken?: string;

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
  private async send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchFn(`${this.config.url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ServiceUnavailableError(
          `${this.where} did not answer ${path.split('?')[0]} within ${
            this.timeoutMs / 1000
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

  private async request(path: string): Promise<Response> {
    const send = async (token: string) =>
      this.send(path, {
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
        },
      });
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
      throw new ServiceUnavailableError(
        `Argo CD "${this.instance}" answered ${response.status} to ${
          path.split('?')[0]
        }${detail}${
          response.status === 401 || response.status === 403
            ? '; check the token or credentials in mlGitops.argocd.instances'
            : ''
        }${
          response.status === 404
            ? '; check that the url in mlGitops.argocd.instances points at the Argo CD API server'
            : ''
        }`,
      );
    }
    return response;
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
    const response = await this.request(path);
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

  async requestRefresh(observation: LiveObservation): Promise<void> {
    await this.request(
      `/api/v1/applications/${encodeURIComponent(
        observation.application,
      )}?refresh=normal`,
    );
  }
}
