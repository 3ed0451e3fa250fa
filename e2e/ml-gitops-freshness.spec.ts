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
 * Against the demo with its sandbox: a drift injected out of band (the live
 * model version changed in the cluster) shows on an open model page within
 * 5 seconds, through the backend's watches (Argo CD's application event
 * stream, the InferenceService watch) and the page's signal, not the poll.
 *
 * The drift is injected right after a poll cycle finished (read from
 * `GET /v1/health`), and the measured time must end before the next cycle
 * could start (that cycle's start + `mlGitops.schedule.frequency`): then
 * only a watch explains what the page shows. The sandbox's drift control
 * pushes nothing to Git, so no webhook polls the model either. The
 * backend's config is the demo's own (app-config.sandbox.yaml): the watches
 * are on by default.
 */
import { test, expect, type APIRequestContext } from '@playwright/test';
import {
  BACKEND,
  backendPollIntervalMs,
  openWhenPolled,
  sandboxControl,
} from './helpers';
import { guestToken } from './scaffolder';

/** The bound: from the change in the sandbox to the open page. */
const FRESHNESS_BOUND_MS = 5_000;

const MODEL = 'fraud-detector';
const ENVIRONMENT = 'production';

test.describe.configure({ mode: 'serial' });
test.setTimeout(240_000);

/** When the newest completed poll cycle started and finished (`GET /v1/health`). */
async function lastCycle(
  request: APIRequestContext,
  token: string,
): Promise<{ startedAt: string; finishedAt: string } | undefined> {
  const response = await request.get(`${BACKEND}/api/ml-gitops/v1/health`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.ok(), `/v1/health: ${response.status()}`).toBe(true);
  return (await response.json()).cycle?.lastCompleted;
}

test('a drift injected in the cluster shows on the open model page within 5 s, before the next poll', async ({
  page,
  request,
}) => {
  const pollMs = backendPollIntervalMs();
  const token = await guestToken(request);
  // Start from the seed's state: production serves what Git declares (11).
  await sandboxControl(request, 'drift', {
    model: MODEL,
    environment: ENVIRONMENT,
    version: null,
  });
  try {
    const table = await openWhenPolled(page, MODEL);
    const row = table.getByRole('row').filter({ hasText: ENVIRONMENT });
    await expect(row.getByText('In sync')).toBeVisible({
      timeout: pollMs + 10_000,
    });

    // Wait for a poll cycle to finish, so the next one is a whole period away.
    const before = await lastCycle(request, token);
    let cycle = before;
    await expect(async () => {
      cycle = await lastCycle(request, token);
      expect(cycle?.finishedAt).toBeDefined();
      expect(cycle?.finishedAt).not.toBe(before?.finishedAt);
    }).toPass({ timeout: pollMs * 3, intervals: [100] });
    const nextCycleFrom = Date.parse(cycle!.startedAt) + pollMs;

    // Someone changes the serving objects out of band: live 12, Git says 11.
    const injectedAt = Date.now();
    await sandboxControl(request, 'drift', {
      model: MODEL,
      environment: ENVIRONMENT,
      version: '12',
    });
    // No reload: a watch reports it, the backend resolves the model and
    // signals the page, which asks for the model's status again.
    await expect(row.getByText('Drifted')).toBeVisible({ timeout: pollMs });
    const shownAt = Date.now();
    const shownAfterMs = shownAt - injectedAt;
    console.log(
      `drift shown on the open page ${(shownAfterMs / 1000).toFixed(
        2,
      )} s after the injection (bound ${
        FRESHNESS_BOUND_MS / 1000
      } s; the next poll could start ${(
        (nextCycleFrom - injectedAt) /
        1000
      ).toFixed(1)} s after the injection)`,
    );
    await page.screenshot({
      path: 'artifacts/screenshots/freshness-drifted.png',
      fullPage: true,
    });
    // Shown before any poll could have seen it: the watch did.
    expect(
      shownAt,
      'the page showed the drift only after the next poll could have started: this run does not measure the watches (lengthen mlGitops.schedule.frequency)',
    ).toBeLessThan(nextCycleFrom);
    expect(shownAfterMs).toBeLessThanOrEqual(FRESHNESS_BOUND_MS);
    await expect(row).toContainText(/Live\s*12/);
  } finally {
    // Undo it, so the other specs see the seed.
    await sandboxControl(request, 'drift', {
      model: MODEL,
      environment: ENVIRONMENT,
      version: null,
    });
  }
});
