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
 * Shared steps of the end-to-end specs that drive the demo with its sandbox:
 * signing in, the sandbox's test controls and the backend's poll interval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { parse } from 'yaml';

/** The sandbox's test controls (packages/sandbox/README.md). */
export const SANDBOX_ADMIN =
  process.env.SANDBOX_ADMIN_URL ?? 'http://localhost:7014';
export const SANDBOX_GIT =
  process.env.SANDBOX_GIT_URL ?? 'http://localhost:7010';
export const SANDBOX_ARGOCD =
  process.env.SANDBOX_ARGOCD_URL ?? 'http://localhost:7011';
export const SANDBOX_MLFLOW =
  process.env.SANDBOX_MLFLOW_URL ?? 'http://localhost:7013';
export const BACKEND = process.env.BACKEND_URL ?? 'http://localhost:7007';

/**
 * The backend's poll interval in milliseconds: mlGitops.schedule.frequency of
 * the configs the demo starts with (app-config.sandbox.yaml overrides
 * app-config.yaml).
 */
export function backendPollIntervalMs(): number {
  let frequency: Record<string, number> | undefined;
  for (const file of ['app-config.yaml', 'app-config.sandbox.yaml']) {
    const full = path.resolve(__dirname, '..', file);
    if (!fs.existsSync(full)) continue;
    const config = parse(fs.readFileSync(full, 'utf8'));
    frequency = config?.mlGitops?.schedule?.frequency ?? frequency;
  }
  if (!frequency) {
    throw new Error('mlGitops.schedule.frequency is not set in app-config');
  }
  const units: Record<string, number> = {
    milliseconds: 1,
    seconds: 1_000,
    minutes: 60_000,
    hours: 3_600_000,
  };
  let ms = 0;
  for (const [unit, value] of Object.entries(frequency)) {
    if (!(unit in units)) {
      throw new Error(
        `mlGitops.schedule.frequency.${unit} is not a unit these tests read`,
      );
    }
    ms += Number(value) * units[unit];
  }
  return ms;
}

/** POSTs JSON to a sandbox control and fails the test when it is refused. */
export async function sandboxControl(
  request: APIRequestContext,
  control: string,
  body: unknown,
) {
  const response = await request.post(`${SANDBOX_ADMIN}/_sandbox/${control}`, {
    data: body,
  });
  expect(
    response.ok(),
    `sandbox ${control}: ${response.status()} ${await response.text()}`,
  ).toBe(true);
}

/** Opens a page, signing in as guest when the sign-in page shows. */
export async function signIn(page: Page, pathname: string) {
  await page.goto(pathname);
  const enter = page.getByRole('button', { name: 'Enter' });
  const nav = page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Catalog', exact: true });
  await expect(enter.or(nav)).toBeVisible({ timeout: 60_000 });
  if (await enter.isVisible()) {
    await enter.click();
    await expect(nav).toBeVisible({ timeout: 60_000 });
  }
}

/** Opens a model's page once the backend has polled the model. */
export async function openWhenPolled(page: Page, model: string) {
  const table = page.getByRole('table', { name: `Deployments of ${model}` });
  await expect(async () => {
    await signIn(page, `/catalog/default/component/${model}`);
    await expect(table).toBeVisible({ timeout: 20_000 });
    await expect(table.getByText('Not polled yet')).toHaveCount(0, {
      timeout: 2_000,
    });
  }).toPass({ timeout: 120_000 });
  return table;
}
