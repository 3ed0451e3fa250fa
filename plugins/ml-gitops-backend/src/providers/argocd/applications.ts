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

// Argo CD's Application as its API answers it: the schemas, the fields asked for, the synced revision.

import { z } from 'zod';

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
export const application = z.looseObject({
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
export type Application = z.infer<typeof application>;
type ApplicationSource = z.infer<typeof applicationSource>;

/** The list answer: `items` is null when nothing matches the selector. */
export const applicationList = z.looseObject({
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

/** Where a zod issue is, e.g. `items[3].metadata.name`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
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
