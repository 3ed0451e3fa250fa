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
 * Kubernetes watches (kubernetes.io/docs/reference/using-api/api-concepts,
 * "Efficient detection of changes", "Watch bookmarks", "Resource versions"):
 *
 * - `GET <collection>?watch=1` answers 200 and streams one `WatchEvent`
 *   JSON per line: `{"type": "ADDED"|"MODIFIED"|"DELETED", "object": …}`;
 * - with `resourceVersion=N` it sends the changes after N; without it (or
 *   with 0) it first sends every current object as ADDED;
 * - the server keeps a bounded window of changes (the watch cache); a
 *   version older than the window is answered with an `ERROR` event whose
 *   object is a `Status` with code 410 and reason Expired ("too old
 *   resource version"), and the stream ends: the client lists anew;
 * - with `allowWatchBookmarks=true` the server sends now and then a
 *   `BOOKMARK` whose object carries only `metadata.resourceVersion`, and one
 *   before it ends the watch at `timeoutSeconds`;
 * - with a label selector, an object that starts matching comes as ADDED
 *   and one that stops matching as DELETED.
 *
 * The sandbox renders its objects from the world's state, so the changes
 * are found by comparing what it renders after each change with what it
 * rendered before (each object's resourceVersion). It starts doing so at
 * the first watch; a watch from a version before that start is too old.
 */

import http from 'node:http';
import { KubeObject } from '../live/objects';
import { World } from '../live/World';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

type Change = {
  rv: number;
  type: EventType;
  object: KubeObject;
  /** The labels before a MODIFIED change. */
  before?: Record<string, string>;
};

/** What one watch request asks for. */
export type KubeWatchRequest = {
  kind: string;
  /** The API group ('' for the core group) and the version asked through. */
  group: string;
  apiVersion: string;
  namespace?: string;
  match: (labels: Record<string, string>) => boolean;
  resourceVersion?: string;
  bookmarks: boolean;
  timeoutSeconds?: number;
};

type Watcher = {
  request: KubeWatchRequest;
  send(change: Change): void;
};

const keyOf = (o: KubeObject) =>
  `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class KubeWatches {
  /** Changes kept for watches that resume (the watch cache's window). */
  windowSize = 1000;
  /** How often an idle watch gets a bookmark. */
  bookmarkIntervalMs = 60_000;
  /** How soon after a change the objects are compared. */
  settleMs = 100;
  /** A watch's length when the client does not say (the API server picks 30–60 min). */
  defaultTimeoutSeconds = 30 * 60;

  private snapshot?: Map<string, KubeObject>;
  private changes: Change[] = [];
  /** Changes after this version are all in the window. */
  private windowStart = 0;
  private readonly watchers = new Set<Watcher>();
  private scheduled?: NodeJS.Timeout;
  private stopListening?: () => void;

  constructor(
    private readonly world: World,
    private readonly render: () => KubeObject[],
  ) {}

  /** Starts following the world's changes (at the first watch). */
  private start() {
    if (this.snapshot) return;
    this.snapshot = new Map(this.render().map(o => [keyOf(o), o]));
    this.windowStart = this.world.resourceVersion;
    this.stopListening = this.world.onChange(() => this.schedule());
  }

  /** Stops following (the sandbox stops). */
  stop() {
    this.stopListening?.();
    if (this.scheduled) clearTimeout(this.scheduled);
    this.scheduled = undefined;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.compare();
    }, this.settleMs);
    this.scheduled.unref?.();
  }

  /** Compares what is rendered now with the snapshot and sends the changes. */
  compare() {
    if (!this.snapshot) return;
    const now = new Map(this.render().map(o => [keyOf(o), o]));
    const found: Change[] = [];
    for (const [key, object] of now) {
      const before = this.snapshot.get(key);
      if (!before) {
        found.push({
          rv: Number(object.metadata.resourceVersion),
          type: 'ADDED',
          object,
        });
      } else if (
        before.metadata.resourceVersion !== object.metadata.resourceVersion
      ) {
        found.push({
          rv: Number(object.metadata.resourceVersion),
          type: 'MODIFIED',
          object,
          before: before.metadata.labels ?? {},
        });
      }
    }
    for (const [key, object] of this.snapshot) {
      if (!now.has(key)) {
        found.push({
          rv: this.world.resourceVersion,
          type: 'DELETED',
          object: {
            ...object,
            metadata: {
              ...object.metadata,
              resourceVersion: String(this.world.resourceVersion),
            },
          },
        });
      }
    }
    this.snapshot = now;
    found.sort((a, b) => a.rv - b.rv);
    for (const change of found) {
      this.changes.push(change);
      for (const watcher of this.watchers) watcher.send(change);
    }
    while (this.changes.length > this.windowSize) {
      this.windowStart = this.changes.shift()!.rv;
    }
  }

  /** What a watcher is sent for a change, if anything (selector transitions included). */
  private eventFor(
    request: KubeWatchRequest,
    change: Change,
  ): { type: EventType; object: KubeObject } | undefined {
    // Any version of the group serves the object, as in the list.
    const o = { ...change.object, apiVersion: request.apiVersion };
    if (
      o.kind !== request.kind ||
      change.object.apiVersion.split('/')[0] !== (request.group || 'v1') ||
      (request.namespace && o.metadata.namespace !== request.namespace)
    ) {
      return undefined;
    }
    const matches = request.match(o.metadata.labels ?? {});
    if (change.type === 'MODIFIED') {
      const matched = request.match(change.before ?? {});
      if (matched && !matches) return { type: 'DELETED', object: o };
      if (!matched && matches) return { type: 'ADDED', object: o };
    }
    return matches ? { type: change.type, object: o } : undefined;
  }

  /** Serves one watch request until the client leaves or its timeout ends it. */
  serve(res: http.ServerResponse, request: KubeWatchRequest) {
    this.start();
    this.compare();
    res.writeHead(200, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
      'cache-control': 'no-cache, private',
    });
    // The API server sends the headers at once (apiserver's watch handler
    // flushes before the first event), so a client knows the watch is on.
    res.flushHeaders();
    const write = (event: unknown) => res.write(`${JSON.stringify(event)}\n`);
    const bookmark = () =>
      write({
        type: 'BOOKMARK',
        object: {
          kind: request.kind,
          apiVersion: request.apiVersion,
          metadata: { resourceVersion: String(this.world.resourceVersion) },
        },
      });
    const asked = request.resourceVersion;
    if (asked && asked !== '0') {
      const from = Number(asked);
      if (!Number.isInteger(from) || from < this.windowStart) {
        write({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `too old resource version: ${asked} (${this.windowStart})`,
            reason: 'Expired',
            code: 410,
          },
        });
        res.end();
        return;
      }
      for (const change of this.changes) {
        if (change.rv <= from) continue;
        const event = this.eventFor(request, change);
        if (event) write(event);
      }
    } else {
      for (const object of this.snapshot!.values()) {
        const event = this.eventFor(request, {
          rv: 0,
          type: 'ADDED',
          object,
        });
        if (event) write(event);
      }
    }
    const watcher: Watcher = {
      request,
      send: change => {
        const event = this.eventFor(request, change);
        if (event) write(event);
      },
    };
    this.watchers.add(watcher);
    const ticker = request.bookmarks
      ? setInterval(bookmark, this.bookmarkIntervalMs)
      : undefined;
    ticker?.unref?.();
    const ending = setTimeout(() => {
      if (request.bookmarks) bookmark();
      res.end();
    }, (request.timeoutSeconds ?? this.defaultTimeoutSeconds) * 1000);
    ending.unref?.();
    const close = () => {
      this.watchers.delete(watcher);
      if (ticker) clearInterval(ticker);
      clearTimeout(ending);
    };
    res.on('close', close);
    res.on('finish', close);
  }
}
