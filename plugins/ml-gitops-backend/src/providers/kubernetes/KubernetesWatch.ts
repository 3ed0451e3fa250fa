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
  DEFAULT_WATCH_BACKOFF,
  keepWatching,
  logWatchFailures,
  oneConnection,
  pause,
  readLines,
  reconnectMessage,
  WatchBackoff,
} from '../../http/watchStreams';
import {
  KubeObject,
  KubernetesClusterClient,
  withoutWriteRecords,
} from './KubernetesClusters';

/** A change of one object, as a Kubernetes watch reports it. */
export type KubeWatchEvent = {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
};

/** How a watch reconnects, and how long the API server keeps one open. */
export type KubeWatchOptions = {
  backoff?: WatchBackoff;
  /**
   * `timeoutSeconds` of each watch request: the API server ends the watch
   * after it (with a bookmark first), and the watch reconnects from there.
   */
  timeoutSeconds?: number;
  /** Silence (no event, no bookmark) after which the connection is taken for dead. */
  idleMs?: number;
  /** How long to wait before looking again for a resource the cluster does not serve. */
  unservedRecheckMs?: number;
};

const DEFAULT_TIMEOUT_SECONDS = 300;
const UNSERVED_RECHECK_MS = 10 * 60_000;

/**
 * What a watch line may be (kubernetes.io "API concepts", Efficient
 * detection of changes; metav1.WatchEvent): a change, a BOOKMARK that
 * carries only the resource version reached, or an ERROR whose object is a
 * `Status` (410 Expired when the version asked for is older than the server
 * keeps).
 */
type WatchLine = {
  type?: unknown;
  object?: {
    metadata?: { name?: unknown; resourceVersion?: unknown };
    code?: unknown;
    reason?: unknown;
    message?: unknown;
  };
};

/** The resource version asked for is no longer kept: list anew. */
class ResourceVersionExpired extends Error {}

/**
 * Keeps one resource of one cluster in view the way Kubernetes clients do
 * (kubernetes.io "API concepts", Efficient detection of changes): list with
 * the label selector, then watch from the list's `resourceVersion` with
 * `watch=1&allowWatchBookmarks=true`, through the same client (direct or
 * through the Kubernetes plugin's proxy) as the poll's lists.
 *
 * - every event and BOOKMARK advances the resource version; a watch the
 *   server ends (after `timeoutSeconds`) or a dropped connection resumes
 *   from it, after a backoff when the connection delivered nothing;
 * - `410 Gone`, or an ERROR event with code 410 (the version is older than
 *   the server's window), lists anew and watches from the new list's
 *   version: `onList` then reports the whole set again;
 * - a resource the cluster does not serve (no preferred version of the
 *   group) reports an empty list and is looked for again later;
 * - it stops when `signal` aborts, closing the connection.
 */
export function watchKubernetesResource(options: {
  client: KubernetesClusterClient;
  group: string;
  plural: string;
  labelSelector: string;
  /** The version to use, looked up at each (re)list; undefined when not served. */
  version: () => Promise<string | undefined>;
  /** Every object, after each (re)list: replaces what was known. */
  onList: (objects: KubeObject[]) => void;
  /** Changes that arrived together. */
  onEvents: (events: KubeWatchEvent[]) => void;
  signal: AbortSignal;
  logger: LoggerService;
  options?: KubeWatchOptions;
}): void {
  const { client, group, plural, labelSelector, signal, logger } = options;
  const timeoutSeconds =
    options.options?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const idleMs = options.options?.idleMs ?? (timeoutSeconds + 60) * 1000;
  const where = `${plural}.${group} on cluster "${client.cluster.name}"`;
  let resourceVersion: string | undefined;
  let version: string | undefined;

  const deliver = (what: string, call: () => void) => {
    try {
      call();
    } catch (error) {
      logger.error(
        `Handling the ${what} of ${where} failed: ${
          (error as Error)?.message ?? error
        }`,
      );
    }
  };

  const list = async (progressed: () => void) => {
    version = await options.version();
    if (!version) {
      deliver('list', () => options.onList([]));
      progressed();
      await pause(
        options.options?.unservedRecheckMs ?? UNSERVED_RECHECK_MS,
        signal,
      );
      return false;
    }
    const listed = await client.listAt(group, version, plural, labelSelector);
    if (signal.aborted) return false;
    if (!listed) {
      // A 404: the resource moved (CRD removed or upgraded); the list
      // dropped the discovery, so the next try discovers again.
      throw new ServiceUnavailableError(
        `Cluster "${client.cluster.name}" answered 404 to the list of ${plural}.${group}/${version}`,
      );
    }
    deliver('list', () => options.onList(listed.items));
    progressed();
    resourceVersion = listed.resourceVersion;
    if (resourceVersion === undefined) {
      throw new ServiceUnavailableError(
        `Cluster "${client.cluster.name}" listed ${plural}.${group} without a resourceVersion; it cannot be watched`,
      );
    }
    return true;
  };

  const handle = (lines: string[], progressed: () => void) => {
    const events: KubeWatchEvent[] = [];
    for (const raw of lines) {
      const line = raw.trim();
      if (line === '') continue;
      let event: WatchLine;
      try {
        event = JSON.parse(line);
      } catch {
        throw new ServiceUnavailableError(
          `Cluster "${client.cluster.name}" sent a watch event of ${plural}.${group} that is not JSON`,
        );
      }
      const object = event?.object;
      if (event?.type === 'ERROR') {
        if (object?.code === 410) throw new ResourceVersionExpired();
        throw new ServiceUnavailableError(
          `Cluster "${
            client.cluster.name
          }" ended the watch of ${plural}.${group} with an error${
            typeof object?.code === 'number' ? ` (${object.code})` : ''
          }: ${String(object?.message ?? object?.reason ?? 'no message')}`,
        );
      }
      const rv = object?.metadata?.resourceVersion;
      if (typeof rv === 'string' && rv !== '') resourceVersion = rv;
      progressed();
      if (
        (event?.type === 'ADDED' ||
          event?.type === 'MODIFIED' ||
          event?.type === 'DELETED') &&
        typeof object?.metadata?.name === 'string'
      ) {
        events.push({
          type: event.type,
          object: withoutWriteRecords(object as KubeObject),
        });
      }
    }
    if (events.length > 0) deliver('events', () => options.onEvents(events));
  };

  const connect = async (progressed: () => void) => {
    if (resourceVersion === undefined && !(await list(progressed))) return;
    const params = new URLSearchParams({
      labelSelector,
      watch: '1',
      resourceVersion: resourceVersion!,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
    });
    await oneConnection(signal, async connection => {
      try {
        const response = await client.openWatch(
          `/apis/${group}/${version}/${plural}?${params}`,
          connection,
          idleMs,
        );
        if (response.status === 410) {
          await response.text().catch(() => undefined);
          throw new ResourceVersionExpired();
        }
        await readLines(response.body, lines => handle(lines, progressed), {
          idleMs,
          signal: connection,
        });
      } catch (error) {
        if (!(error instanceof ResourceVersionExpired)) throw error;
        // The server no longer keeps that version: list anew, at once.
        logger.info(
          `The watch of ${where} expired at resource version ${resourceVersion}; listing again`,
        );
        resourceVersion = undefined;
        progressed();
      }
    });
  };

  void keepWatching({
    signal,
    connect,
    backoff: options.options?.backoff ?? DEFAULT_WATCH_BACKOFF,
    onFailure: logWatchFailures(
      logger,
      reconnectMessage(`The watch of ${where}`, () => resourceVersion),
    ),
  });
}
