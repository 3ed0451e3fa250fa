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

import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { MlGitopsArgoCdInstanceConfig } from '@ml-gitops/plugin-ml-gitops-node';
import { ArgoApplication } from './configRepoArgoCd';

/*
 * Registers Applications through the Argo CD API server
 * (argo-cd.readthedocs.io/en/stable/developer-guide/api-docs; the routes
 * and bodies of server/application/application.proto, published as
 * assets/swagger.json):
 *
 * - GET  /api/v1/applications/{name}?project=&appNamespace= → v1alpha1Application
 * - POST /api/v1/applications?upsert=false&validate=true    (body: the Application)
 * - PUT  /api/v1/applications/{application.metadata.name}?project=&validate=true
 * - POST /api/v1/session {username, password} → {token}     (server/session/session.proto)
 *
 * Errors are grpc-gateway bodies `{error, code, message}`. Without a
 * `project`, Argo CD answers a missing Application with 403 "permission
 * denied" so that nobody can probe names (server/application/application.go,
 * getApplicationEnforceRBACClient); with the project it may read, 404.
 */

/** What registering one Application did. */
export type ApplicationRegistration = 'created' | 'unchanged' | 'updated';

type FetchFn = typeof fetch;

/** How long one request to Argo CD may take. */
const TIMEOUT_MS = 15_000;

/** The policy lines of argocd-rbac-cm that registration needs, for messages. */
export function rbacHint(project: string): string {
  return `the Argo CD account needs, in argocd-rbac-cm, "p, <role>, applications, get, ${project}/*, allow", "p, <role>, applications, create, ${project}/*, allow" and "p, <role>, applications, update, ${project}/*, allow" (docs/configuration.md, "Argo CD account")`;
}

/** A client of one Argo CD instance, as far as registering Applications needs. */
export class ArgoCdApplicationsClient {
  private session?: string;

  static create(
    instance: MlGitopsArgoCdInstanceConfig,
    options: { fetch?: FetchFn; timeoutMs?: number } = {},
  ): ArgoCdApplicationsClient {
    return new ArgoCdApplicationsClient(
      instance,
      options.fetch ?? fetch,
      options.timeoutMs ?? TIMEOUT_MS,
    );
  }

  private constructor(
    private readonly instance: MlGitopsArgoCdInstanceConfig,
    private readonly fetchFn: FetchFn,
    private readonly timeoutMs: number,
  ) {}

  /** The instance's name, as configured. */
  get name(): string {
    return this.instance.name;
  }

  private where(): string {
    return `Argo CD "${this.instance.name}" (${this.instance.url})`;
  }

  private async send(
    method: string,
    path: string,
    init: { body?: unknown; token?: string } = {},
  ): Promise<Response> {
    try {
      return await this.fetchFn(`${this.instance.url}${path}`, {
        method,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          Accept: 'application/json',
          ...(init.body === undefined
            ? {}
            : { 'Content-Type': 'application/json' }),
          ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    } catch (error) {
      const name = (error as Error)?.name;
      throw new ServiceUnavailableError(
        name === 'TimeoutError' || name === 'AbortError'
          ? `${this.where()} did not answer ${method} ${
              path.split('?')[0]
            } within ${this.timeoutMs / 1000} s`
          : `${this.where()} is unreachable: ${
              (error as Error)?.message ?? error
            }`,
      );
    }
  }

  /** The token of a session for the configured username and password. */
  private async login(): Promise<string> {
    const { username, password } = this.instance;
    const response = await this.send('POST', '/api/v1/session', {
      body: { username, password },
    });
    if (!response.ok) {
      throw new NotAllowedError(
        `${this.where()} refused the login of "${username}" (${
          response.status
        }); check the username and password of this instance in mlGitops.argocd.instances`,
      );
    }
    const body = (await response.json().catch(() => undefined)) as
      | { token?: unknown }
      | undefined;
    if (typeof body?.token !== 'string' || !body.token) {
      throw new ServiceUnavailableError(
        `${this.where()} answered the login without a token`,
      );
    }
    return body.token;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response> {
    if (this.instance.token) {
      return this.send(method, path, { body, token: this.instance.token });
    }
    this.session ??= await this.login();
    const response = await this.send(method, path, {
      body,
      token: this.session,
    });
    if (response.status !== 401) return response;
    // The session expired: log in again, once.
    await response.text().catch(() => undefined);
    this.session = await this.login();
    return this.send(method, path, { body, token: this.session });
  }

  /** The message of a grpc-gateway error body, or the start of the body. */
  private async failure(
    what: string,
    response: Response,
    project: string,
  ): Promise<Error> {
    const text = await response.text().catch(() => '');
    let message = '';
    try {
      const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
      message = String(parsed.message ?? parsed.error ?? '');
    } catch {
      message = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    }
    const said = `${this.where()} answered ${response.status} to ${what}${
      message ? `: ${message}` : ''
    }`;
    if (response.status === 401) {
      return new NotAllowedError(
        `${said}; check the token (or username and password) of this instance in mlGitops.argocd.instances`,
      );
    }
    if (response.status === 403) {
      return new NotAllowedError(
        `${said}; either the Application exists in another project than ${project}, or ${rbacHint(
          project,
        )}`,
      );
    }
    if (response.status === 400) {
      return new InputError(
        /repository/i.test(message)
          ? `${said}. Argo CD must be able to read the config repo: add it, or a credential template for its owner, under Settings → Repositories of this Argo CD, then run the task again`
          : said,
      );
    }
    return new ServiceUnavailableError(said);
  }

  /** The Application named like `app`, or undefined when Argo CD has none. */
  async get(app: ArgoApplication): Promise<ArgoApplicationAnswer | undefined> {
    const { name, namespace } = app.metadata;
    const query = new URLSearchParams({
      project: app.spec.project,
      appNamespace: namespace,
    });
    const path = `/api/v1/applications/${encodeURIComponent(name)}?${query}`;
    const response = await this.request('GET', path);
    if (response.status === 404) {
      await response.text().catch(() => undefined);
      return undefined;
    }
    if (!response.ok) {
      throw await this.failure(
        `GET application ${name}`,
        response,
        app.spec.project,
      );
    }
    return (await response.json()) as ArgoApplicationAnswer;
  }

  /** Creates the Application; Argo CD refuses it when one with another spec exists. */
  async create(app: ArgoApplication): Promise<void> {
    const response = await this.request(
      'POST',
      '/api/v1/applications?upsert=false&validate=true',
      app,
    );
    if (!response.ok) {
      throw await this.failure(
        `the creation of application ${app.metadata.name}`,
        response,
        app.spec.project,
      );
    }
    await response.text().catch(() => undefined);
  }

  /** Replaces the spec and labels of an existing Application. */
  async update(app: ArgoApplication): Promise<void> {
    const query = new URLSearchParams({
      project: app.spec.project,
      validate: 'true',
    });
    const response = await this.request(
      'PUT',
      `/api/v1/applications/${encodeURIComponent(app.metadata.name)}?${query}`,
      app,
    );
    if (!response.ok) {
      throw await this.failure(
        `the update of application ${app.metadata.name}`,
        response,
        app.spec.project,
      );
    }
    await response.text().catch(() => undefined);
  }
}

/** The parts of an Application Argo CD answers that registration compares. */
export type ArgoApplicationAnswer = {
  metadata?: { name?: string; labels?: Record<string, string> | null };
  spec?: Record<string, unknown> | null;
};

/**
 * The paths where `actual` does not hold what `wanted` says: every key of
 * `wanted` must be in `actual` with an equal value, recursively; arrays must
 * match element for element. Keys only `actual` has (defaults Argo CD fills
 * in, labels others added) are no difference.
 */
export function differences(
  wanted: unknown,
  actual: unknown,
  path = '',
): string[] {
  if (Array.isArray(wanted)) {
    if (!Array.isArray(actual) || actual.length !== wanted.length) {
      return [path];
    }
    return wanted.flatMap((w, i) => differences(w, actual[i], `${path}[${i}]`));
  }
  if (typeof wanted === 'object' && wanted !== null) {
    if (
      typeof actual !== 'object' ||
      actual === null ||
      Array.isArray(actual)
    ) {
      return [path];
    }
    return Object.entries(wanted).flatMap(([key, value]) =>
      differences(
        value,
        (actual as Record<string, unknown>)[key],
        path ? `${path}.${key}` : key,
      ),
    );
  }
  return wanted === actual ? [] : [path];
}

/**
 * Registers one Application: creates it when Argo CD has none of that name;
 * leaves an existing one alone when it already holds this spec and labels;
 * replaces the spec of one that differs only when `replace` is set, and
 * otherwise refuses, naming the fields that differ.
 */
export async function registerApplication(
  client: ArgoCdApplicationsClient,
  app: ArgoApplication,
  options: { replace: boolean },
): Promise<ApplicationRegistration> {
  const existing = await client.get(app);
  if (!existing) {
    await client.create(app);
    return 'created';
  }
  const changed = [
    ...differences(app.spec, existing.spec ?? {}, 'spec'),
    ...differences(
      app.metadata.labels,
      existing.metadata?.labels ?? {},
      'metadata.labels',
    ),
  ];
  if (changed.length === 0) return 'unchanged';
  if (!options.replace) {
    throw new InputError(
      `Argo CD "${client.name}" already has an Application ${
        app.metadata.name
      } that differs in ${changed
        .slice(0, 5)
        .join(
          ', ',
        )}; it may deploy something else. Delete it or choose another model name, or set replaceApplications: true to give it this repo's spec`,
    );
  }
  await client.update(app);
  return 'updated';
}
