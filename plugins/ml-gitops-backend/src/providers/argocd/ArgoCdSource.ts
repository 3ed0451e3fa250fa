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

// An Argo CD instance as a deployment source: its Applications listed and followed as observations.

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
import { ArgoCdInstanceConfig, DEFAULT_REQUEST_TIMEOUT_MS } from '../../config';
import { keepAliveFetch } from '../../http/keepAliveFetch';
import { DEFAULT_WATCH_BACKOFF, WatchBackoff } from '../../http/watchStreams';
import { watchApplicationEvents } from './applicationEvents';
import {
  Application,
  application,
  applicationList,
  issuePath,
  LIST_FIELDS,
  syncedRevisions,
} from './applications';
import { ArgoCdClient, ArgoCdTimeoutError, FetchFn } from './ArgoCdClient';
import { forEachInTurns } from '../../lib/turns';
import { textKey } from '../../lib/textKey';

/**
 * How long the event stream may stay silent before it is taken for dead.
 * Asked for as server-sent events, Argo CD writes a `:` keepalive line every
 * 15 s (argoproj/pkg grpc/http, `withKeepalive`), so silence this long means
 * the connection is gone.
 */
const WATCH_IDLE_MS = 60_000;
/** How long a refresh request may block before the poll moves on. */
const REFRESH_WAIT_MS = 3_000;

/** An Application's text in a list, parsed, not yet read. */
class ListedText {
  constructor(
    /** The digest of the text ({@link textKey}). */
    readonly key: string,
    readonly value: unknown,
  ) {}
}

/** What an Application of a list was read to (see `ArgoCdSource.listed`). */
class ListedApplication {
  readonly name: string;
  readonly location: { namespace?: string; project?: string };
  constructor(
    /** The digest of its text in the list ({@link textKey}), if it was cut out. */
    readonly key: string | undefined,
    app: Application,
    readonly observation: LiveObservation | undefined,
  ) {
    this.name = app.metadata.name;
    this.location = {
      namespace: app.metadata.namespace ?? undefined,
      project: app.spec?.project ?? undefined,
    };
  }
}

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
  private readonly client: ArgoCdClient;
  /** Where each listed Application lives, for requests about one of them. */
  private readonly located = new Map<
    string,
    { namespace?: string; project?: string }
  >();
  /**
   * What each Application of the last list was read to, by the digest of its text: the
   * list's fields leave out what moves on every reconcile, so a steady
   * list repeats the last one's text and an unchanged Application is not
   * parsed and checked again. Only the last list's are kept.
   */
  private listed = new Map<string, ListedApplication>();

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
    fetchFn: FetchFn,
    private readonly timeoutMs: number,
    private readonly watchOptions: { backoff: WatchBackoff; idleMs: number },
  ) {
    this.instance = config.name;
    this.client = new ArgoCdClient(config, logger, fetchFn, timeoutMs);
  }

  private get where(): string {
    return this.client.where;
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
      this.client.request(path),
      this.client.checkVersion(),
    ]);
    const known = this.listed;
    const list = applicationList.safeParse(
      await this.client.json(path, response, {
        list: true,
        item: text => {
          const key = textKey(text);
          return known.get(key) ?? new ListedText(key, JSON.parse(text));
        },
      }),
    );
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
    const names = new Set<string>();
    const listed = new Map<string, ListedApplication>();
    // In turns: requests about an Application keep finding it meanwhile.
    await forEachInTurns(list.data.items ?? [], (item, index) => {
      let read: ListedApplication | undefined;
      if (item instanceof ListedApplication) {
        read = item;
      } else {
        // New or changed since the last list (or a list whose text was not
        // cut into items: then nothing is kept by text).
        const text = item instanceof ListedText ? item : undefined;
        const { app, observation } = this.observe(
          text ? text.value : item,
          `items[${index}]`,
        );
        if (app) {
          read = new ListedApplication(text?.key, app, observation);
        }
      }
      if (!read) return;
      if (read.key !== undefined) listed.set(read.key, read);
      names.add(read.name);
      this.located.set(read.name, read.location);
      if (read.observation) observations.push(read.observation);
    });
    this.listed = listed;
    for (const name of this.located.keys()) {
      if (!names.has(name)) this.located.delete(name);
    }
    return observations;
  }

  /**
   * Follows Argo CD's application event stream (see
   * {@link watchApplicationEvents}).
   */
  watch(
    onChange: (changes: LiveObservationChanges) => void,
    signal: AbortSignal,
  ): void {
    watchApplicationEvents({
      client: this.client,
      where: this.where,
      projects: this.config.projects,
      usesSession: !this.config.token,
      observe: (item, where) => this.observe(item, where),
      forget: name => this.located.delete(name),
      onChange,
      signal,
      logger: this.logger,
      timeoutMs: this.timeoutMs,
      backoff: this.watchOptions.backoff,
      idleMs: this.watchOptions.idleMs,
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
      await this.client.request(
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
