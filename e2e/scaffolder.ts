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
 * What the lifecycle specs do through the backend's REST API, as the app
 * does: sign in as guest, run templates through the scaffolder, wait for
 * the backend to report a version serving, read the measured history.
 */
import { expect, type APIRequestContext } from '@playwright/test';
import { BACKEND } from './helpers';

export type Json = Record<string, any>;

/** The body of a response that must have succeeded (its text on failure). */
export async function json(
  response: Awaited<ReturnType<APIRequestContext['get']>>,
): Promise<Json> {
  const text = await response.text();
  expect(response.ok(), `${response.url()}: ${response.status()} ${text}`).toBe(
    true,
  );
  return text ? (JSON.parse(text) as Json) : {};
}

/** A Backstage token for the guest user, as the app gets it when signing in. */
export async function guestToken(request: APIRequestContext): Promise<string> {
  const body = await json(
    await request.post(`${BACKEND}/api/auth/guest/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    }),
  );
  return body.backstageIdentity.token;
}

/** Runs a template through the scaffolder's REST API; its status, log and output. */
export async function startTemplate(
  request: APIRequestContext,
  token: string,
  template: string,
  values: Json,
  secrets?: Record<string, string>,
): Promise<{ status: string; logs: string; output: Json }> {
  const headers = { authorization: `Bearer ${token}` };
  const { id } = await json(
    await request.post(`${BACKEND}/api/scaffolder/v2/tasks`, {
      headers,
      data: {
        templateRef: `template:default/${template}`,
        values,
        ...(secrets ? { secrets } : {}),
      },
    }),
  );
  let task: Json = {};
  await expect
    .poll(
      async () => {
        task = await json(
          await request.get(`${BACKEND}/api/scaffolder/v2/tasks/${id}`, {
            headers,
          }),
        );
        return task.status;
      },
      { timeout: 60_000, intervals: [500, 1_000] },
    )
    .toMatch(/^(completed|failed|cancelled)$/);
  const events = (await json(
    await request.get(`${BACKEND}/api/scaffolder/v2/tasks/${id}/events`, {
      headers,
    }),
  )) as unknown as Json[];
  const logs = events
    .filter(e => e.type === 'log')
    .map(e => e.body.message)
    .join('\n');
  return {
    status: task.status,
    logs,
    output: events.find(e => e.type === 'completion')?.body.output ?? {},
  };
}

/** Runs a template that must succeed; returns its output. */
export async function runTemplate(
  request: APIRequestContext,
  token: string,
  template: string,
  values: Json,
  secrets?: Record<string, string>,
): Promise<Json> {
  const { status, logs, output } = await startTemplate(
    request,
    token,
    template,
    values,
    secrets,
  );
  expect(status, `${template} failed:\n${logs}`).toBe('completed');
  return output;
}

/** Runs a template that must fail; returns its task log. */
export async function runRefusedTemplate(
  request: APIRequestContext,
  token: string,
  template: string,
  values: Json,
): Promise<string> {
  const { status, logs } = await startTemplate(
    request,
    token,
    template,
    values,
  );
  expect(status, `${template} should have failed:\n${logs}`).toBe('failed');
  return logs;
}

/**
 * Waits until the backend reports `version` declared, live and in sync in
 * `environment` of `entityRef`. Nothing asks the backend to poll: it learns
 * of a merge from the push webhook, and of the operator's apply at a later
 * poll or through its watch.
 */
export async function waitServing(
  request: APIRequestContext,
  token: string,
  entityRef: string,
  environment: string,
  version: string,
  timeout: number,
) {
  const headers = { authorization: `Bearer ${token}` };
  await expect
    .poll(
      async () => {
        const response = await request.get(
          `${BACKEND}/api/ml-gitops/v1/deployments?entityRef=${encodeURIComponent(
            entityRef,
          )}`,
          { headers },
        );
        if (!response.ok()) return `${response.status()}`;
        const body = await response.json();
        const env = body.environments.find((e: Json) => e.name === environment);
        return `${env?.declared?.version}/${env?.live?.version}/${env?.drift?.state}`;
      },
      {
        message: `${entityRef} ${version} serving in ${environment}`,
        timeout,
        intervals: [1_000],
      },
    )
    .toBe(`${version}/${version}/in-sync`);
}

/**
 * The newest deployment of `environment` once the backend measured its time
 * to serve (`GET /v1/history`).
 */
export async function measuredDeployment(
  request: APIRequestContext,
  token: string,
  entityRef: string,
  environment: string,
  timeout: number,
): Promise<Json> {
  let newest: Json | undefined;
  await expect
    .poll(
      async () => {
        const { items } = await json(
          await request.get(
            `${BACKEND}/api/ml-gitops/v1/history?entityRef=${encodeURIComponent(
              entityRef,
            )}&environment=${environment}&limit=5`,
            { headers: { authorization: `Bearer ${token}` } },
          ),
        );
        newest = items[0];
        return newest?.timeToServeSeconds !== undefined;
      },
      { timeout },
    )
    .toBe(true);
  return newest!;
}

/**
 * The location a template's `catalog:register` step added and the entity
 * it holds, once the catalog processed it (in the background: the entity
 * appears a little after the location) and `ready(entity)` holds.
 */
export async function registeredEntity(
  request: APIRequestContext,
  token: string,
  name: string,
  ready: (entity: Json) => boolean,
): Promise<{ locationId: string; entity: Json }> {
  const headers = { authorization: `Bearer ${token}` };
  let location: Json = {};
  await expect
    .poll(
      async () => {
        const response = await request.get(
          `${BACKEND}/api/catalog/locations/by-entity/component/default/${name}`,
          { headers },
        );
        location = response.ok() ? await response.json() : {};
        return location.id;
      },
      { message: `the location of ${name}`, timeout: 60_000 },
    )
    .toBeTruthy();
  let entity: Json = {};
  await expect
    .poll(
      async () => {
        const response = await request.get(
          `${BACKEND}/api/catalog/entities/by-name/component/default/${name}`,
          { headers },
        );
        entity = response.ok() ? await response.json() : {};
        return response.ok() && ready(entity);
      },
      { message: `the entity ${name}`, timeout: 30_000 },
    )
    .toBe(true);
  return { locationId: location.id, entity };
}

/** Seconds from the tab's "Time to serve" text ("42 s", "1 min 5 s", "2 min"). */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+) min)?\s*(?:(\d+) s)?$/.exec(text.trim());
  expect(m && (m[1] || m[2]), `a duration, not "${text}"`).toBeTruthy();
  return Number(m![1] ?? 0) * 60 + Number(m![2] ?? 0);
}
