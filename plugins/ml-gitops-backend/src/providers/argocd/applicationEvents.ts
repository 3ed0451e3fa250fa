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

// Argo CD's application event stream, followed and turned into observation changes.

import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { answerExcerpt, LABEL_MODEL } from '@ml-gitops/plugin-ml-gitops-common';
import {
  LiveObservation,
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  keepWatching,
  logWatchFailures,
  oneConnection,
  readLines,
  reconnectMessage,
  WatchBackoff,
} from '../../http/watchStreams';
import { Application, WATCH_FIELDS } from './applications';
import { ArgoCdClient } from './ArgoCdClient';

/**
 * Follows Argo CD's application event stream
 * (`GET /api/v1/stream/applications`, argo-cd server/application/application.go
 * `Watch`) with the list's selector and projects, as server-sent events:
 * each `data:` line is `{"result":{"type":"ADDED|MODIFIED|DELETED","application":{…}}}`,
 * a failure `{"error":{"grpc_code","http_code","message","http_status"}}`
 * (grpc-gateway's stream error), and a `:` line a keepalive. Each event
 * becomes the observation the list makes (`observe`, which the list shares);
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
export function watchApplicationEvents(options: {
  client: ArgoCdClient;
  /** The instance, for messages. */
  where: string;
  projects?: string[];
  /** Whether the client logs in with a session (no token configured). */
  usesSession: boolean;
  /** The observation of one Application, as the list makes it. */
  observe: (
    item: unknown,
    where: string,
  ) => { app?: Application; observation?: LiveObservation };
  /** Forgets where a deleted Application lived. */
  forget: (name: string) => void;
  onChange: (changes: LiveObservationChanges) => void;
  signal: AbortSignal;
  logger: LoggerService;
  timeoutMs: number;
  backoff: WatchBackoff;
  idleMs: number;
}): void {
  const {
    client,
    where,
    projects,
    usesSession,
    observe,
    forget,
    onChange,
    signal,
    logger,
    timeoutMs,
    backoff,
    idleMs,
  } = options;
  let resourceVersion: number | undefined;
  let renewSession = false;
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
          `${where} sent an application event that is not JSON ("${answerExcerpt(
            payload,
          )}")`,
        );
      }
      if (message?.error) {
        const { grpc_code: grpcCode, http_code: httpCode } = message.error;
        if ((grpcCode === 16 || httpCode === 401) && usesSession) {
          renewSession = true;
        }
        throw new ServiceUnavailableError(
          `${where} ended the application event stream with an error${
            typeof httpCode === 'number' ? ` (${httpCode})` : ''
          }: ${String(message.error.message ?? 'no message')}`,
        );
      }
      const type = message?.result?.type;
      const { app, observation } = observe(
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
      if (type === 'DELETED') forget(app.metadata.name);
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
      if ('observation' in entry) changes.observations.push(entry.observation);
      else changes.removed.push(entry.removed);
    }
    try {
      onChange(changes);
    } catch (error) {
      logger.error(
        `Handling application events of ${where} failed: ${
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
    for (const project of projects ?? []) {
      params.append('projects', project);
    }
    if (resourceVersion !== undefined) {
      params.set('resourceVersion', String(resourceVersion));
    }
    await oneConnection(signal, async connection => {
      const response = await client.request(
        `/api/v1/stream/applications?${params}`,
        {
          stream: connection,
          accept: 'text/event-stream',
          renewSession,
          // grpc-gateway sends the headers with the first message: with a
          // resource version and nothing new, that is the first keepalive
          // (15 s), so the headers may take as long as the idle time.
          timeoutMs: Math.max(timeoutMs, idleMs),
        },
      );
      renewSession = false;
      await readLines(response.body, lines => apply(lines, progressed), {
        idleMs,
        signal: connection,
      });
    });
  };

  void keepWatching({
    signal,
    connect,
    backoff,
    onFailure: logWatchFailures(
      logger,
      reconnectMessage(
        `The application event stream of ${where}`,
        () => resourceVersion,
      ),
    ),
  });
}
