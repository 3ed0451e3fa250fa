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
 * model version changed in the cluster) reaches an open model page within one
 * backend poll, with no reload; and the ML GitOps views have no serious or
 * critical accessibility violations (axe-core).
 */
import AxeBuilder from '@axe-core/playwright';
import { test, expect, type Page } from '@playwright/test';
import {
  backendPollIntervalMs,
  openWhenPolled,
  sandboxControl,
  signIn,
} from './helpers';

/**
 * The open page reloads on the backend's signal right after the poll that saw
 * the change; this covers the signal's delivery and the page's own request.
 */
const UI_REFRESH_MARGIN_MS = 10_000;

const MODEL = 'fraud-detector';
const ENVIRONMENT = 'production';

test.describe.configure({ mode: 'serial' });
test.setTimeout(240_000);

/** axe-core on the page as it is; fails on serious or critical violations. */
async function expectNoSeriousViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const blocking = results.violations.filter(
    v => v.impact === 'serious' || v.impact === 'critical',
  );
  const report = blocking.map(
    v =>
      `${v.impact} ${v.id}: ${v.help}\n${v.nodes
        .slice(0, 5)
        .map(n => `    ${n.target.join(' ')}: ${n.failureSummary}`)
        .join('\n')}`,
  );
  expect(report, `accessibility of ${what}`).toEqual([]);
}

test('a drift injected in the cluster shows on the open model page within one poll', async ({
  page,
  request,
}) => {
  const pollMs = backendPollIntervalMs();
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
      timeout: pollMs + UI_REFRESH_MARGIN_MS,
    });
    await expect(row).toContainText(/Live\s*11/);
    await page.screenshot({
      path: 'artifacts/screenshots/card-in-sync.png',
      fullPage: true,
    });

    // Someone changes the serving objects out of band: live 12, Git says 11.
    const injectedAt = Date.now();
    await sandboxControl(request, 'drift', {
      model: MODEL,
      environment: ENVIRONMENT,
      version: '12',
    });
    // No reload: the backend's next poll sees it and signals the page.
    await expect(row.getByText('Drifted')).toBeVisible({
      timeout: pollMs + UI_REFRESH_MARGIN_MS,
    });
    const shownAfterMs = Date.now() - injectedAt;
    console.log(
      `drift shown on the open page ${(shownAfterMs / 1000).toFixed(
        1,
      )} s after the injection (bound: poll ${pollMs / 1000} s + ${
        UI_REFRESH_MARGIN_MS / 1000
      } s)`,
    );
    expect(shownAfterMs).toBeLessThanOrEqual(pollMs + UI_REFRESH_MARGIN_MS);
    await expect(row).toContainText(/Live\s*12/);
    await expect(
      page.getByRole('region', { name: `Drift in ${ENVIRONMENT}` }),
    ).toContainText('live version 12 differs from the declared version 11');
    await page.screenshot({
      path: 'artifacts/screenshots/card-drifted.png',
      fullPage: true,
    });
  } finally {
    // Undo it, so the other specs see the seed.
    await sandboxControl(request, 'drift', {
      model: MODEL,
      environment: ENVIRONMENT,
      version: null,
    });
  }
  // The end of the drift reaches the page the same way.
  const row = page
    .getByRole('table', { name: `Deployments of ${MODEL}` })
    .getByRole('row')
    .filter({ hasText: ENVIRONMENT });
  await expect(row.getByText('In sync')).toBeVisible({
    timeout: pollMs + UI_REFRESH_MARGIN_MS,
  });
});

test('the overview cards, the ML GitOps tab and the fleet page pass axe', async ({
  page,
}) => {
  await openWhenPolled(page, 'recsys-ranker');
  await expect(
    page.getByRole('region', { name: 'Drift in staging' }),
  ).toBeVisible({ timeout: 60_000 });
  await expectNoSeriousViolations(page, 'the overview cards of recsys-ranker');
  await page.screenshot({
    path: 'artifacts/screenshots/a11y-card.png',
    fullPage: true,
  });

  await page.locator('a[href$="/recsys-ranker/ml-gitops"]').first().click();
  await expect(
    page
      .getByRole('group', { name: 'Promotion pipeline' })
      .getByRole('region', { name: 'Environment staging' }),
  ).toBeVisible({ timeout: 60_000 });
  await expect(
    page.getByRole('heading', { name: /Deployment history of/ }),
  ).toBeVisible({ timeout: 60_000 });
  await expectNoSeriousViolations(page, 'the ML GitOps tab of recsys-ranker');
  await page.screenshot({
    path: 'artifacts/screenshots/a11y-tab.png',
    fullPage: true,
  });

  await signIn(page, '/ml-gitops');
  await expect(
    page
      .getByRole('table', { name: 'Models by environment' })
      .getByRole('link', { name: 'recsys-ranker' }),
  ).toBeVisible({ timeout: 60_000 });
  await expectNoSeriousViolations(page, 'the fleet page');
  await page.screenshot({
    path: 'artifacts/screenshots/a11y-fleet.png',
    fullPage: true,
  });
});
