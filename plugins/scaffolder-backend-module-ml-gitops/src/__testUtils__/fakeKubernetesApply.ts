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

import { http, HttpResponse } from 'msw';

/*
 * A Kubernetes API server as far as server-side apply of Flux objects goes,
 * answering as kube-apiserver documents it:
 *
 * - GET /apis/<group> → APIGroup `{kind: "APIGroup", name, versions:
 *   [{groupVersion, version}], preferredVersion}` (kubernetes.io "API
 *   concepts", discovery; 404 when the group is not installed);
 * - GET of an object → the object, or 404 with a metav1.Status
 *   `{kind: "Status", status: "Failure", reason: "NotFound", code: 404}`;
 * - PATCH with `Content-Type: application/apply-patch+yaml` and a
 *   `fieldManager` query parameter → 201 with the object when it was created,
 *   200 when it existed (kubernetes.io "Server-Side Apply"); metadata.
 *   resourceVersion changes only when the applied fields change. Without
 *   fieldManager the server answers 422 "PatchOptions.meta.k8s.io
 *   \"\" is invalid: fieldManager: Required value: is required for apply
 *   patch" (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go).
 */

export const KUBE_URL = 'https://kube.example.com:6443';
export const KUBE_TOKEN = 'fake-service-account-token';

type Stored = Record<string, any> & {
  metadata: {
    name: string;
    namespace: string;
    resourceVersion: string;
    labels?: Record<string, string>;
  };
};

export function fakeKubernetesApply(
  options: {
    url?: string;
    token?: string;
    groups?: Record<string, string[]>;
    /** Answer 403 to every write (RBAC without patch). */
    forbidWrites?: boolean;
    /**
     * A controller writes the status of an object right after each read
     * of it, which moves its resourceVersion (as Flux's controllers report
     * every reconciliation in the status subresource).
     */
    statusWrites?: boolean;
  } = {},
) {
  const url = options.url ?? KUBE_URL;
  const token = options.token ?? KUBE_TOKEN;
  const groups = options.groups ?? {
    'source.toolkit.fluxcd.io': ['v1', 'v1beta2'],
    'kustomize.toolkit.fluxcd.io': ['v1', 'v1beta2'],
    'helm.toolkit.fluxcd.io': ['v2'],
  };
  const objects = new Map<string, Stored>();
  const requests: Array<{
    method: string;
    path: string;
    contentType: string | null;
    authorization: string | null;
    /** The Kubernetes plugin's proxy header naming the cluster. */
    cluster?: string | null;
    body?: any;
  }> = [];
  let rv = 100;
  const status = (code: number, reason: string, message: string) =>
    HttpResponse.json(
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code,
      },
      { status: code },
    );
  const unauthorized = (request: Request) =>
    request.headers.get('authorization') !== `Bearer ${token}`
      ? status(401, 'Unauthorized', 'Unauthorized')
      : undefined;

  const handlers = [
    http.get(`${url}/apis/:group`, ({ request, params }) => {
      requests.push({
        method: 'GET',
        path: new URL(request.url).pathname,
        contentType: null,
        authorization: request.headers.get('authorization'),
      });
      const refused = unauthorized(request);
      if (refused) return refused;
      const versions = groups[String(params.group)];
      if (!versions) {
        return status(
          404,
          'NotFound',
          'the server could not find the requested resource',
        );
      }
      const listed = versions.map(v => ({
        groupVersion: `${params.group}/${v}`,
        version: v,
      }));
      return HttpResponse.json({
        kind: 'APIGroup',
        apiVersion: 'v1',
        name: params.group,
        versions: listed,
        preferredVersion: listed[0],
      });
    }),
    http.get(
      `${url}/apis/:group/:version/namespaces/:ns/:plural/:name`,
      ({ request }) => {
        const path = new URL(request.url).pathname;
        requests.push({
          method: 'GET',
          path,
          contentType: null,
          authorization: request.headers.get('authorization'),
        });
        const refused = unauthorized(request);
        if (refused) return refused;
        const found = objects.get(path);
        if (!found) {
          return status(404, 'NotFound', `object at ${path} not found`);
        }
        const answer = HttpResponse.json(structuredClone(found));
        if (options.statusWrites) {
          found.status = { lastHandledReconcileAt: String(rv) };
          found.metadata.resourceVersion = String(++rv);
        }
        return answer;
      },
    ),
    http.patch(
      `${url}/apis/:group/:version/namespaces/:ns/:plural/:name`,
      async ({ request, params }) => {
        const target = new URL(request.url);
        const text = await request.text();
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        requests.push({
          method: 'PATCH',
          path: `${target.pathname}${target.search}`,
          contentType: request.headers.get('content-type'),
          authorization: request.headers.get('authorization'),
          cluster: request.headers.get('backstage-kubernetes-cluster'),
          body,
        });
        const refused = unauthorized(request);
        if (refused) return refused;
        if (options.forbidWrites) {
          return status(
            403,
            'Forbidden',
            `${params.plural}.${params.group} "${params.name}" is forbidden: User "system:serviceaccount:backstage:backstage" cannot patch resource "${params.plural}" in API group "${params.group}" in the namespace "${params.ns}"`,
          );
        }
        if (
          request.headers.get('content-type') !== 'application/apply-patch+yaml'
        ) {
          return status(415, 'UnsupportedMediaType', 'not an apply patch');
        }
        if (!target.searchParams.get('fieldManager')) {
          return status(
            422,
            'Invalid',
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          );
        }
        if (!body || body.metadata?.name !== params.name) {
          return status(
            400,
            'BadRequest',
            'the name of the object does not match the URL',
          );
        }
        const key = target.pathname;
        const existing = objects.get(key);
        const { metadata, ...rest } = body;
        // status belongs to the controllers: an apply neither sends nor
        // changes it
        const { status: kept, ...held }: Record<string, any> = existing ?? {};
        const same =
          existing &&
          JSON.stringify({ ...held, metadata: undefined }) ===
            JSON.stringify({ ...rest, metadata: undefined }) &&
          JSON.stringify(existing.metadata.labels) ===
            JSON.stringify(metadata.labels);
        if (existing && same) return HttpResponse.json(existing);
        const stored: Stored = {
          ...rest,
          ...(kept ? { status: kept } : {}),
          metadata: {
            ...metadata,
            namespace: String(params.ns),
            resourceVersion: String(++rv),
          },
        };
        objects.set(key, stored);
        return HttpResponse.json(stored, { status: existing ? 200 : 201 });
      },
    ),
  ];
  return { handlers, objects, requests };
}
