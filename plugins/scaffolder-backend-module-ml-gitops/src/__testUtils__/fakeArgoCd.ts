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
 * msw handlers answering the part of the Argo CD API server that
 * registration uses, the way argo-cd answers it:
 * - routes and bodies from server/application/application.proto (the
 *   swagger at assets/swagger.json: `POST /api/v1/applications` with
 *   `upsert` and `validate`, `GET /api/v1/applications/{name}` with
 *   `project` and `appNamespace`, `PUT
 *   /api/v1/applications/{application.metadata.name}`) and
 *   server/session/session.proto (`POST /api/v1/session` → `{token}`);
 * - errors as grpc-gateway bodies `{error, code, message}` (gRPC codes 3
 *   InvalidArgument → 400, 5 NotFound → 404, 7 PermissionDenied → 403, 16
 *   Unauthenticated → 401);
 * - a missing Application is 403 "permission denied" unless the caller named
 *   its project (server/application/application.go,
 *   getApplicationEnforceRBACClient); Create returns the existing
 *   Application when its spec, labels and annotations are equal, and refuses
 *   a different one without `upsert` ("existing application spec is
 *   different, use upsert flag to force update");
 * - an answered Application is a `v1alpha1Application` with the server's
 *   metadata (uid, resourceVersion, creationTimestamp) and a status, and no
 *   apiVersion/kind (the API server answers from its informer's cache).
 */

export const ARGOCD_URL = 'https://argocd.example.com';
export const ARGOCD_TOKEN = 'argocd-account-token-s3cr3t';

type StoredApp = {
  metadata: Record<string, any>;
  spec: Record<string, any>;
  status: Record<string, any>;
};

const grpcError = (status: number, code: number, message: string) =>
  HttpResponse.json({ error: message, code, message }, { status });

const deepEqual = (a: unknown, b: unknown) =>
  JSON.stringify(a) === JSON.stringify(b);

export function fakeArgoCd(
  options: {
    url?: string;
    /** Projects that exist (default: default and ml-models). */
    projects?: string[];
    /** Accepts this static token… */
    token?: string;
    /** …or a session for these credentials. */
    login?: { username: string; password: string };
    /** Answers 503 to the n-th create (1-based) once. */
    failCreate?: number;
    /** Repositories Argo CD can read (default: any). */
    readableRepos?: string[];
  } = {},
) {
  const url = options.url ?? ARGOCD_URL;
  const projects = options.projects ?? ['default', 'ml-models'];
  const sessions = new Set<string>();
  const apps = new Map<string, StoredApp>();
  const requests: Array<{
    method: string;
    path: string;
    authorization: string | null;
    body?: any;
  }> = [];
  let creates = 0;
  let failed = false;
  let rv = 100;

  const authorized = (request: Request) => {
    const auth = request.headers.get('authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    return (
      (options.token !== undefined && token === options.token) ||
      sessions.has(token)
    );
  };
  const record = async (request: Request) => {
    const body =
      request.method === 'GET' ? undefined : await request.clone().json();
    requests.push({
      method: request.method,
      path: new URL(request.url).pathname + new URL(request.url).search,
      authorization: request.headers.get('authorization'),
      body,
    });
    return body;
  };
  const answer = (app: StoredApp) => app;

  const store = (body: any, existing?: StoredApp): StoredApp => {
    const now = '2026-03-01T10:00:00Z';
    return {
      metadata: {
        ...(existing?.metadata ?? {
          uid: `uid-${body.metadata.name}`,
          creationTimestamp: now,
          generation: 1,
        }),
        name: body.metadata.name,
        namespace: body.metadata.namespace ?? 'argocd',
        labels: body.metadata.labels,
        ...(body.metadata.annotations
          ? { annotations: body.metadata.annotations }
          : {}),
        resourceVersion: String(++rv),
      },
      spec: body.spec,
      status: existing?.status ?? {
        sync: { status: 'OutOfSync' },
        health: { status: 'Missing' },
        sourceTypes: ['Helm', 'Directory'],
        controllerNamespace: 'argocd',
      },
    };
  };

  const invalid = (body: any): Response | undefined => {
    if (!body?.metadata?.name) {
      return grpcError(400, 3, 'Application.metadata.name is required');
    }
    if (!projects.includes(body.spec?.project)) {
      return grpcError(
        403,
        7,
        `application references project ${body.spec?.project} which does not exist`,
      );
    }
    const sources = body.spec?.sources ?? [body.spec?.source];
    for (const source of sources) {
      if (
        options.readableRepos &&
        !options.readableRepos.includes(source?.repoURL)
      ) {
        return grpcError(
          400,
          3,
          `application spec for ${body.metadata.name} is invalid: InvalidSpecError: repository not accessible: repository not found: ${source?.repoURL}`,
        );
      }
    }
    return undefined;
  };

  const handlers = [
    http.post(`${url}/api/v1/session`, async ({ request }) => {
      const body = (await request.json()) as any;
      requests.push({
        method: 'POST',
        path: '/api/v1/session',
        authorization: null,
      });
      if (
        !options.login ||
        body?.username !== options.login.username ||
        body?.password !== options.login.password
      ) {
        return grpcError(401, 16, 'Invalid username or password');
      }
      const token = `session-${sessions.size + 1}`;
      sessions.add(token);
      return HttpResponse.json({ token });
    }),
    http.get(
      `${url}/api/v1/applications/:name`,
      async ({ request, params }) => {
        await record(request);
        if (!authorized(request)) {
          return grpcError(401, 16, 'no session information');
        }
        const query = new URL(request.url).searchParams;
        const project = query.get('project');
        const namespace = query.get('appNamespace') || 'argocd';
        const app = apps.get(String(params.name));
        if (!app || app.metadata.namespace !== namespace) {
          return project && projects.includes(project)
            ? grpcError(
                404,
                5,
                `applications.argoproj.io "${params.name}" not found`,
              )
            : grpcError(403, 7, 'permission denied');
        }
        if (project && app.spec.project !== project) {
          return grpcError(403, 7, 'permission denied');
        }
        return HttpResponse.json(answer(app));
      },
    ),
    http.post(`${url}/api/v1/applications`, async ({ request }) => {
      const body = await record(request);
      if (!authorized(request)) {
        return grpcError(401, 16, 'no session information');
      }
      creates++;
      if (options.failCreate === creates && !failed) {
        failed = true;
        return grpcError(503, 14, 'connection refused');
      }
      const bad = invalid(body);
      if (bad) return bad;
      const upsert = new URL(request.url).searchParams.get('upsert') === 'true';
      const existing = apps.get(body.metadata.name);
      if (existing) {
        const same =
          deepEqual(existing.spec, body.spec) &&
          deepEqual(existing.metadata.labels, body.metadata.labels);
        if (same) return HttpResponse.json(answer(existing));
        if (!upsert) {
          return grpcError(
            400,
            3,
            'existing application spec is different, use upsert flag to force update',
          );
        }
      }
      const app = store(body, existing);
      apps.set(body.metadata.name, app);
      return HttpResponse.json(answer(app));
    }),
    http.put(
      `${url}/api/v1/applications/:name`,
      async ({ request, params }) => {
        const body = await record(request);
        if (!authorized(request)) {
          return grpcError(401, 16, 'no session information');
        }
        if (body?.metadata?.name !== params.name) {
          return grpcError(400, 3, 'application name does not match the path');
        }
        const existing = apps.get(String(params.name));
        if (!existing) return grpcError(403, 7, 'permission denied');
        const bad = invalid(body);
        if (bad) return bad;
        const app = store(body, existing);
        apps.set(body.metadata.name, app);
        return HttpResponse.json(answer(app));
      },
    ),
  ];

  return {
    handlers,
    apps,
    requests,
    /** Puts an Application there as if someone had created it before. */
    seed(body: { metadata: Record<string, any>; spec: Record<string, any> }) {
      apps.set(body.metadata.name, store(body));
    },
  };
}
