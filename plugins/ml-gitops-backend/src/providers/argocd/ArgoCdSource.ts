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
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import { z } from 'zod';
import { ArgoCdInstanceConfig, DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { keepAliveFetch } from '../../http/keepAliveFetch';
import {
  DEFAULT_WATCH_BACKOFF,
  headerDeadline,
  keepWatching,
  readLines,
  WatchBackoff,
} from '../../http/watchStreams';

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
    resourceVersion: z.string().nullish(),
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

/**
 * The fields requested from the application event stream
 * (`GET /api/v1/stream/applications`, argo-cd server/application/application.go
 * `Watch`). The stream is not projected through the list's field map: its
 * forwarder (`forward_ApplicationService_Watch_0` in argo-cd
 * pkg/apiclient/application/forwarder_overwrite.go, built on argoproj/pkg
 * grpc/http `NewStreamForwarder`) filters each `{"result": …}` message by
 * JSON path, keeping a key when a requested path equals it or starts with
 * it. So the paths are the Application's own: the last sync result is
 * `status.operationState.syncResult` here, and `resourceVersion` is asked
 * for so the watch can resume from it.
 */
export const WATCH_FIELDS = [
  'result.type',
  'result.application.metadata.name',
  'result.application.metadata.namespace',
  'result.application.metadata.labels',
  'result.application.metadata.resourceVersion',
  'result.application.spec',
  'result.application.status.sync.status',
  'result.application.status.sync.revision',
  'result.application.status.health',
  'result.application.status.operationState.phase',
  'result.application.status.operationState.startedAt',
  'result.application.status.operationState.finishedAt',
  'result.application.status.operationState.syncResult.revision',
  'result.application.status.operationState.syncResult.revisions',
  'result.application.status.operationState.syncResult.source',
  'result.application.status.operationState.syncResult.sources',
].join(',');

/**
 * How long the event stream may stay silent before it is taken for dead.
 * Asked for as server-sent events, Argo CD writes a `:` keepalive line every
 * 15 s (argoproj/pkg grpc/http, `withKeepalive`), so silence this long means
 * the connection is gone.
 */
const WATCH_IDLE_MS = 60_000;

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
    options: {
      logger: LoggerService;
      fetch?: FetchFn;
      timeoutMs?: number;
      /** How the event stream reconnects and when it is taken for dead. */
      watch?: { backoff?: WatchBackoff; idleMs?: number };
    },
  ): ArgoCdSource {
    return new ArgoCdSource(
      config,
      options.logger,
      options.fetch ?? keepAliveFetch(),
      options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      {
        backoff: options.watch?.backoff ?? DEFAULT_WATCH_BACKOFF,
        idleMs: options.watch?.idleMs ?? WATCH_IDLE_MS,
      },
    );
  }

  private constructor(
    private readonly config: ArgoCdInstanceConfig,
    private readonly logger: LoggerService,
    private readonly fetchFn: FetchFn,
    private readonly timeoutMs: number,
    private readonly watchOptions: { backoff: WatchBackoff; idleMs: number },
  ) {
    this.instance = config.name;
  }

  private get where(): string {
    return `Argo CD "${this.instance}" at ${this.config.url}`;
  }

  /**
   * fetch with the request timeout; network failures name the instance.
   * With `stream`, the timeout covers the wait for the headers only, and
   * the body lasts until `stream` aborts.
   */
  private async send(
    path: string,
    init: RequestInit,
    timeoutMs = this.timeoutMs,
    stream?: AbortSignal,
  ): Promise<Response> {
    const deadline = stream ? headerDeadline(stream, timeoutMs) : undefined;
    try {
      return await this.fetchFn(`${this.config.url}${path}`, {
        ...init,
        signal: deadline?.signal ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      deadline?.release();
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
    } finally {
      deadline?.arrived();
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
    options: {
      timeoutMs?: number;
      notFound?: string;
      forbidden?: string;
      /** A streamed answer: its body lasts until this signal aborts. */
      stream?: AbortSignal;
      accept?: string;
      /** Log in anew first (a stream reported the session expired). */
      renewSession?: boolean;
    } = {},
  ): Promise<Response> {
    const send = async (token: string) =>
      this.send(
        path,
        {
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: options.accept ?? 'application/json',
          },
        },
        options.timeoutMs,
        options.stream,
      );
    let response = await send(await this.bearer(options.renewSession));
    if (response.status === 401 && !this.config.token) {
      // The session expired: log in again once.
      await response.text().catch(() => undefined);
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

  /**
   * The observation of one Application, as the list and the event stream
   * both report it; none (logged) when it cannot be read or lacks the
   * labels. The Application's namespace and project are kept for requests
   * about it.
   */
  private observe(
    item: unknown,
    where: string,
  ): { app?: Application; observation?: LiveObservation } {
    const parsed = application.safeParse(item);
    if (!parsed.success) {
      // One odd Application must not hide the others.
      const issue = parsed.error.issues[0];
      this.logger.warn(
        `Argo CD "${
          this.instance
        }" sent an application that cannot be read (${where}${
          issue ? `.${issuePath(issue.path)}: ${issue.message}` : ''
        }); ignored`,
      );
      return {};
    }
    const app = parsed.data;
    const model = app.metadata.labels?.[LABEL_MODEL];
    const environment = app.metadata.labels?.[LABEL_ENVIRONMENT];
    if (!model || !environment) {
      this.logger.debug(
        `Argo CD application ${app.metadata.name} has no ${LABEL_ENVIRONMENT} label; ignored`,
      );
      return { app };
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
    return {
      app,
      observation: {
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
      },
    };
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
      const { observation } = this.observe(item, `items[${index}]`);
      if (observation) observations.push(observation);
    }
    return observations;
  }

  /**
   * Follows Argo CD's application event stream
   * (`GET /api/v1/stream/applications`, argo-cd server/application/application.go
   * `Watch`) with the list's selector and projects, as server-sent events:
   * each `data:` line is `{"result":{"type":"ADDED|MODIFIED|DELETED","application":{…}}}`,
   * a failure `{"error":{"grpc_code","http_code","message","http_status"}}`
   * (grpc-gateway's stream error), and a `:` line a keepalive. Each event
   * becomes the observation the list makes ({@link ArgoCdSource.observe});
   * a deleted Application, or one that lost its labels, is reported removed.
   *
   * Without `resourceVersion` Argo CD first sends every matching Application
   * as ADDED, then the changes as they happen. With it, Argo CD sends only
   * the changes of Applications at that version or later (`minVersion` in
   * `Watch`): the stream resumes from the highest version seen. Argo CD
   * keeps no backlog of events (its broadcaster has subscribers only), so a
   * change made while the stream was down comes with the next poll, which
   * stays the consistency check. A dropped connection, a silent one (no
   * keepalive for the idle time) or an error event reconnects with backoff;
   * an Unauthenticated error logs in anew when a session is used.
   */
  watch(
    onChange: (changes: LiveObservationChanges) => void,
    signal: AbortSignal,
  ): void {
    let resourceVersion: number | undefined;
    let renewSession = false;
    let lastFailure = '';
    /** Application (namespace/name) → the model and environment it reported. */
    const known = new Map<string, { model: string; environment: string }>();
    const keyOf = (app: {
      metadata: { name: string; namespace?: string | null };
    }) => `${app.metadata.namespace ?? ''}/${app.metadata.name}`;

    const apply = (lines: string[], progressed: () => void) => {
      const batch = new Map<
        string,
        | { observation: LiveObservation }
        | {
            removed: Pick<
              LiveObservation,
              'model' | 'environment' | 'application'
            >;
          }
      >();
      for (const raw of lines) {
        const line = raw.trim();
        if (line === '') continue;
        if (line.startsWith(':')) {
          progressed();
          continue;
        }
        const payload = line.startsWith('data:') ? line.slice(5).trim() : line;
        let message: {
          result?: { type?: unknown; application?: unknown };
          error?: {
            message?: unknown;
            grpc_code?: unknown;
            http_code?: unknown;
          };
        };
        try {
          message = JSON.parse(payload);
        } catch {
          throw new ServiceUnavailableError(
            `${
              this.where
            } sent an application event that is not JSON ("${excerpt(
              payload,
            )}")`,
          );
        }
        if (message?.error) {
          const { grpc_code: grpcCode, http_code: httpCode } = message.error;
          if ((grpcCode === 16 || httpCode === 401) && !this.config.token) {
            renewSession = true;
          }
          throw new ServiceUnavailableError(
            `${this.where} ended the application event stream with an error${
              typeof httpCode === 'number' ? ` (${httpCode})` : ''
            }: ${String(message.error.message ?? 'no message')}`,
          );
        }
        const type = message?.result?.type;
        const { app, observation } = this.observe(
          message?.result?.application,
          `application event ${String(type)}`,
        );
        progressed();
        if (!app) continue;
        const version = Number(app.metadata.resourceVersion);
        if (
          Number.isSafeInteger(version) &&
          (resourceVersion === undefined || version > resourceVersion)
        ) {
          resourceVersion = version;
        }
        const key = keyOf(app);
        const before = known.get(key);
        if (type !== 'DELETED' && observation) {
          known.set(key, {
            model: observation.model,
            environment: observation.environment,
          });
          batch.set(key, { observation });
          continue;
        }
        if (type === 'DELETED') this.located.delete(app.metadata.name);
        const labelled = observation ?? before;
        known.delete(key);
        if (labelled) {
          batch.set(key, {
            removed: {
              model: labelled.model,
              environment: labelled.environment,
              application: app.metadata.name,
            },
          });
        }
      }
      if (batch.size === 0) return;
      const changes: LiveObservationChanges = {
        observations: [],
        removed: [],
        complete: false,
      };
      for (const entry of batch.values()) {
        if ('observation' in entry)
          changes.observations.push(entry.observation);
        else changes.removed.push(entry.removed);
      }
      try {
        onChange(changes);
      } catch (error) {
        this.logger.error(
          `Handling application events of ${this.where} failed: ${
            (error as Error)?.message ?? error
          }`,
        );
      }
    };

    const connect = async (progressed: () => void) => {
      const params = new URLSearchParams({
        selector: LABEL_MODEL,
        fields: WATCH_FIELDS,
      });
      for (const project of this.config.projects ?? []) {
        params.append('projects', project);
      }
      if (resourceVersion !== undefined) {
        params.set('resourceVersion', String(resourceVersion));
      }
      // One connection at a time, closed when it ends or the watch stops.
      const connection = new AbortController();
      const stop = () => connection.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        const response = await this.request(
          `/api/v1/stream/applications?${params}`,
          {
            stream: connection.signal,
            accept: 'text/event-stream',
            renewSession,
            // grpc-gateway sends the headers with the first message: with a
            // resource version and nothing new, that is the first keepalive
            // (15 s), so the headers may take as long as the idle time.
            timeoutMs: Math.max(this.timeoutMs, this.watchOptions.idleMs),
          },
        );
        renewSession = false;
        await readLines(response.body, lines => apply(lines, progressed), {
          idleMs: this.watchOptions.idleMs,
          signal: connection.signal,
        });
      } finally {
        signal.removeEventListener('abort', stop);
        connection.abort();
      }
    };

    void keepWatching({
      signal,
      connect,
      backoff: this.watchOptions.backoff,
      onFailure: (error, retryInMs) => {
        const message = `The application event stream of ${
          this.where
        } broke off (${(error as Error)?.message ?? error}); reconnecting in ${
          retryInMs / 1000
        } s${
          resourceVersion === undefined
            ? ''
            : ` from resource version ${resourceVersion}`
        }`;
        const reason = (error as Error)?.message ?? String(error);
        if (reason === lastFailure) this.logger.debug(message);
        else this.logger.warn(message);
        lastFailure = reason;
      },
    });
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
