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
 * How Argo CD's API server answers `GET /api/v1/applications?fields=…`.
 *
 * Argo CD does not project arbitrary JSON paths. It keeps a fixed map of
 * selectable fields, `appFields` in argo-cd's
 * `pkg/apiclient/application/forwarder_overwrite.go`, and
 * `processApplicationListField` builds each item from that map alone:
 *
 * - a requested path that is not a key of the map is silently absent
 *   (e.g. `items.status.health.status`, `items.status.sync.revision` before
 *   v3.5, `items.status.sync.comparedTo`);
 * - a key returns its whole value (`spec`, `status.health`);
 * - `status.operationState.operation.sync` returns the operation state's
 *   *syncResult* (revision(s), source(s), resources), placed at that path;
 * - the Go getter's value is dropped only when it is an untyped nil, so a nil
 *   map, slice or pointer comes out as JSON `null` (`labels`,
 *   `deletionTimestamp`, `finishedAt` of a running operation, `spec.source`
 *   of a multi-source app on v3.5), a zero `metav1.Time` as `null`, and an
 *   empty string as `""`; `status.resources` and `operation.sync` are guarded
 *   and left out when empty;
 * - `fields=-a,b` selects every key except the listed ones;
 * - the answer is `{ items, metadata }` with `items: null` when nothing
 *   matches and the list's `ListMeta` as `metadata`, whatever was requested.
 *
 * Requesting a key and a key below it (v3.5 has both `spec` and
 * `spec.source`) makes the result depend on Go's random map order: either
 * the whole `spec` wins or the server fails with "field spec.source is not a
 * map" (an Internal error through grpc-gateway). The emulator always takes
 * the failing order, so a client that asks for both finds out here.
 */

/** The Argo CD releases whose field list the emulator knows. */
export type ArgoCdFieldsVersion = '3.1' | '3.5';

type Getter = (app: any) => unknown;

/** `undefined` is Go's untyped nil (the key is left out); `null` is written. */
const orNull = (value: unknown) => (value === undefined ? null : value);
/** A `metav1.Time` value (not a pointer): its zero value marshals to null. */
const time = (value: unknown) => (value ? value : null);
const op = (app: any) => app?.status?.operationState;

/** The keys of v2.6 – v3.1 (argo-cd v3.1.0, forwarder_overwrite.go). */
const V31: Record<string, Getter> = {
  'metadata.name': app => app?.metadata?.name ?? '',
  'metadata.namespace': app => app?.metadata?.namespace ?? '',
  'metadata.annotations': app => orNull(app?.metadata?.annotations),
  'metadata.labels': app => orNull(app?.metadata?.labels),
  'metadata.creationTimestamp': app => time(app?.metadata?.creationTimestamp),
  'metadata.deletionTimestamp': app => orNull(app?.metadata?.deletionTimestamp),
  spec: app => app?.spec ?? {},
  'status.sync.status': app => app?.status?.sync?.status ?? '',
  'status.health': app => app?.status?.health ?? {},
  'status.summary': app => app?.status?.summary ?? {},
  'status.operationState.startedAt': app =>
    op(app) ? time(op(app).startedAt) : undefined,
  'status.operationState.finishedAt': app =>
    op(app) ? orNull(op(app).finishedAt) : undefined,
  'status.resources': app =>
    app?.status?.resources?.length ? app.status.resources : undefined,
  'operation.sync': app =>
    app?.operation ? orNull(app.operation.sync) : undefined,
  'status.operationState.phase': app =>
    op(app) ? op(app).phase ?? '' : undefined,
  'status.operationState.operation.sync': app =>
    op(app) ? orNull(op(app).syncResult) : undefined,
};

/**
 * v3.5 adds single spec fields and `status.sync.revision` (argo-cd v3.5.0,
 * forwarder_overwrite.go), alongside `status.sourceHydrator` from v3.2.
 */
const V35: Record<string, Getter> = {
  ...V31,
  'spec.destination': app => app?.spec?.destination ?? {},
  'spec.project': app => app?.spec?.project ?? '',
  'spec.source': app => orNull(app?.spec?.source),
  'spec.sources': app => orNull(app?.spec?.sources),
  'spec.sourceHydrator': app => orNull(app?.spec?.sourceHydrator),
  'spec.syncPolicy': app => orNull(app?.spec?.syncPolicy),
  'status.sourceHydrator': app => app?.status?.sourceHydrator ?? {},
  'status.sync.revision': app => app?.status?.sync?.revision ?? '',
};

const FIELD_MAPS: Record<ArgoCdFieldsVersion, Record<string, Getter>> = {
  '3.1': V31,
  '3.5': V35,
};

/** Argo CD's answer when a selected key sits below another selected key. */
export class FieldSelectionError extends Error {}

/**
 * The list answer for a `fields` query parameter, built the way the given
 * Argo CD release builds it from full Application objects.
 */
export function selectApplicationListFields(
  list: { metadata: unknown; items: unknown[] },
  fieldsParam: string,
  version: ArgoCdFieldsVersion,
): { items: Array<Record<string, unknown>> | null; metadata: unknown } {
  const exclude = fieldsParam.startsWith('-');
  const requested = new Set(
    (exclude ? fieldsParam.slice(1) : fieldsParam).split(','),
  );
  const keys = Object.keys(FIELD_MAPS[version]).filter(
    key => requested.has(`items.${key}`) !== exclude,
  );
  for (const key of keys) {
    const parent = keys.find(other => key.startsWith(`${other}.`));
    if (parent) {
      throw new FieldSelectionError(`field ${key} is not a map`);
    }
  }
  const items = list.items.map(app => {
    const converted: Record<string, unknown> = {};
    for (const key of keys) {
      const value = FIELD_MAPS[version][key](app);
      if (value === undefined) continue;
      const parts = key.split('.');
      let node = converted;
      for (const part of parts.slice(0, -1)) {
        node[part] ??= {};
        node = node[part] as Record<string, unknown>;
      }
      node[parts[parts.length - 1]] = value;
    }
    return converted;
  });
  return { items: items.length > 0 ? items : null, metadata: list.metadata };
}
