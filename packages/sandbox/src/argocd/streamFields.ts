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
 * How Argo CD's API server writes `GET /api/v1/stream/applications`.
 *
 * argo-cd registers `forward_ApplicationService_Watch_0` as argoproj/pkg
 * grpc/http `NewStreamForwarder(messageKey)` with the Application's name as
 * the key (pkg/apiclient/application/forwarder_overwrite.go). That
 * forwarder, unlike the list's fixed field map:
 *
 * - marshals each event as `{"result": {"type", "application"}}` and, when
 *   `fields` is given, filters it by JSON path (`messageMarshaler.processItem`):
 *   a key is kept when a requested path equals its path or *starts with it
 *   as a string*, and a kept key whose path is itself requested is kept
 *   whole (so asking for `result.application.metadata.namespace` also
 *   keeps `metadata.name`, whose path is a prefix of it); arrays are
 *   filtered element by element; `fields=-a,b` drops the listed paths
 *   instead;
 * - skips an event whose filtered message equals the last one sent for the
 *   same Application name (`dataByKey`);
 * - with `Accept: text/event-stream` writes `data: <json> \n\n` and a `:`
 *   keepalive line every 15 s without other writes (`withKeepalive`),
 *   otherwise newline-delimited JSON (grpc-gateway `ForwardResponseStream`);
 * - ends the stream with `{"error": {"grpc_code", "http_code", "message",
 *   "http_status"}}` when the server side fails (grpc-gateway v1
 *   `handleForwardResponseStreamError`).
 */

type Json = unknown;

/** Parses `fields` as the stream forwarder does (`newMarshaler`). */
export function parseStreamFields(
  query: string | null,
): { fields: Set<string>; exclude: boolean } | undefined {
  if (!query) return undefined;
  const exclude = query.startsWith('-');
  return {
    fields: new Set((exclude ? query.slice(1) : query).split(',')),
    exclude,
  };
}

function filterItem(
  path: string[],
  item: Json,
  selection: { fields: Set<string>; exclude: boolean },
) {
  if (Array.isArray(item)) {
    for (const element of item) filterItem(path, element, selection);
    return;
  }
  if (!item || typeof item !== 'object') return;
  const map = item as Record<string, Json>;
  for (const key of Object.keys(map)) {
    const fieldPath = [...path, key].join('.');
    const pathIn = selection.fields.has(fieldPath);
    const parentPathIn =
      pathIn || [...selection.fields].some(f => f.startsWith(fieldPath));
    const keep = selection.exclude ? !pathIn : parentPathIn;
    if (!keep) {
      delete map[key];
    } else if (!pathIn) {
      filterItem([...path, key], map[key], selection);
    }
  }
}

/**
 * One stream message, `{"result": event}`, filtered by `fields` as the
 * stream forwarder filters it.
 */
export function selectStreamFields(
  event: Json,
  selection: { fields: Set<string>; exclude: boolean } | undefined,
): Record<string, Json> {
  const message = JSON.parse(JSON.stringify({ result: event }));
  if (selection && selection.fields.size > 0) {
    filterItem([], message, selection);
  }
  return message;
}
