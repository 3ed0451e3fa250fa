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
 * Argo CD's application event stream, `GET /api/v1/stream/applications`
 * (argo-cd server/application/application.go `Watch`; the swagger's
 * `ApplicationService_Watch`, a stream of `v1alpha1ApplicationWatchEvent`):
 *
 * - query `name`, `appNamespace`, `selector`, `projects`/`project`,
 *   `resourceVersion`; an Application is sent when its project is among
 *   the projects (if any), its resourceVersion is at least the asked one
 *   (`minVersion`, parsed as an integer, 0 when it is not one), its name
 *   matches (when asked) and the selector matches its labels
 *   (`isApplicationPermitted`);
 * - without `resourceVersion`, or with a `name`, every matching
 *   Application is sent first as ADDED, sorted by qualified name; then the
 *   changes as the informer broadcasts them. Argo CD keeps no backlog: a
 *   change before the request is never replayed;
 * - how the events are written (fields, dedupe by name, SSE, keepalives,
 *   errors) is in streamFields.ts.
 *
 * The sandbox's Applications change with the world; they are compared by
 * resourceVersion after each change, and an Application that left the
 * world is sent as DELETED.
 */

import http from 'node:http';
import { LiveDeployment, World } from '../live/World';
import { parseStreamFields, selectStreamFields } from './streamFields';

type Application = {
  metadata: {
    name: string;
    namespace: string;
    resourceVersion: string;
    labels: Record<string, string>;
  };
  spec: { project?: string };
};

type WatchEvent = {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  application: Application;
};

export class ApplicationStream {
  /** Silence after which a server-sent-events stream gets a `:` line. */
  keepaliveMs = 15_000;
  /** How soon after a change the Applications are compared. */
  settleMs = 100;

  private seen?: Map<LiveDeployment, { rv: number; app: Application }>;
  private readonly subscribers = new Set<(event: WatchEvent) => void>();
  private scheduled?: NodeJS.Timeout;
  private stopListening?: () => void;

  constructor(
    private readonly world: World,
    private readonly apps: () => LiveDeployment[],
    private readonly applicationJson: (d: LiveDeployment) => Application,
  ) {}

  private start() {
    if (this.seen) return;
    this.seen = new Map(
      this.apps().map(d => [
        d,
        { rv: d.resourceVersion, app: this.applicationJson(d) },
      ]),
    );
    this.stopListening = this.world.onChange(() => {
      if (this.scheduled) return;
      this.scheduled = setTimeout(() => {
        this.scheduled = undefined;
        this.compare();
      }, this.settleMs);
      this.scheduled.unref?.();
    });
  }

  stop() {
    this.stopListening?.();
    if (this.scheduled) clearTimeout(this.scheduled);
    this.scheduled = undefined;
  }

  /** Broadcasts what changed since the last comparison. */
  compare() {
    if (!this.seen) return;
    const events: WatchEvent[] = [];
    const current = new Set(this.apps());
    for (const d of current) {
      const before = this.seen.get(d);
      if (before?.rv === d.resourceVersion) continue;
      const app = this.applicationJson(d);
      this.seen.set(d, { rv: d.resourceVersion, app });
      events.push({ type: before ? 'MODIFIED' : 'ADDED', application: app });
    }
    for (const [d, { app }] of this.seen) {
      if (current.has(d)) continue;
      this.seen.delete(d);
      events.push({
        type: 'DELETED',
        application: {
          ...app,
          metadata: {
            ...app.metadata,
            resourceVersion: String(this.world.resourceVersion),
          },
        },
      });
    }
    for (const event of events) {
      for (const subscriber of this.subscribers) subscriber(event);
    }
  }

  /**
   * Serves one stream request until the client leaves. `permitted` is the
   * query's filter (`isApplicationPermitted` without RBAC: the sandbox's
   * token may read every Application).
   */
  serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    query: URLSearchParams,
    matchesSelector: (labels: Record<string, string>) => boolean,
  ) {
    this.start();
    this.compare();
    const sse = req.headers.accept === 'text/event-stream';
    const fields = parseStreamFields(query.get('fields'));
    const projects = [...query.getAll('projects'), ...query.getAll('project')]
      .flatMap(p => p.split(','))
      .filter(Boolean);
    const name = query.get('name') ?? '';
    const asked = query.get('resourceVersion') ?? '';
    const minVersion = /^-?\d+$/.test(asked) ? Number(asked) : 0;
    const permitted = (app: Application) =>
      (projects.length === 0 ||
        projects.includes(app.spec.project ?? 'default')) &&
      !(Number(app.metadata.resourceVersion) < minVersion) &&
      (name === '' || app.metadata.name === name) &&
      matchesSelector(app.metadata.labels ?? {});

    // Like grpc-gateway, the headers go out with the first write (an
    // event, or a keepalive of an event stream): a stream from a resource
    // version with nothing new stays silent until then.
    res.writeHead(200, {
      'content-type': sse ? 'text/event-stream' : 'application/json',
      'transfer-encoding': 'chunked',
      ...(sse ? { 'x-content-type-options': 'nosniff' } : {}),
    });
    let keepalive: NodeJS.Timeout | undefined;
    const armKeepalive = () => {
      if (!sse) return;
      if (keepalive) clearTimeout(keepalive);
      keepalive = setTimeout(() => {
        res.write(':\n');
        armKeepalive();
      }, this.keepaliveMs);
      keepalive.unref?.();
    };
    /** The last message sent per Application name (`dataByKey`). */
    const sent = new Map<string, string>();
    const send = (event: WatchEvent) => {
      if (!permitted(event.application)) return;
      const data = JSON.stringify(selectStreamFields(event, fields));
      if (sent.get(event.application.metadata.name) === data) return;
      sent.set(event.application.metadata.name, data);
      res.write(sse ? `data: ${data} \n\n` : `${data}\n`);
      armKeepalive();
    };
    if (asked === '' || name !== '') {
      const initial = [...this.seen!.values()]
        .map(v => v.app)
        .sort((a, b) => {
          const qa = `${a.metadata.namespace}/${a.metadata.name}`;
          const qb = `${b.metadata.namespace}/${b.metadata.name}`;
          return qa < qb ? -1 : Number(qa > qb);
        });
      for (const app of initial) send({ type: 'ADDED', application: app });
    }
    armKeepalive();
    this.subscribers.add(send);
    res.on('close', () => {
      this.subscribers.delete(send);
      if (keepalive) clearTimeout(keepalive);
    });
  }
}
