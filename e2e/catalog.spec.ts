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
 * Smoke test of the demo: sign in as guest, open the catalog and see the
 * four example ML models.
 */
import { test, expect } from '@playwright/test';

const MODELS = [
  { name: 'fraud-detector', title: 'Fraud detector' },
  { name: 'churn-predictor', title: 'Churn predictor' },
  { name: 'recsys-ranker', title: 'Recommendation ranker' },
  // on the sandbox's GitLab, with the Kubeflow Model Registry
  { name: 'demand-forecaster', title: 'Demand forecaster' },
];

test('a guest sees the example ML models in the catalog', async ({ page }) => {
  await page.goto('/');

  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible();
  await enter.click();

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await nav.getByRole('link', { name: 'Catalog', exact: true }).click();
  // guest owns a model (the demo's permission policy), so the catalog opens
  // on "Owned"; once its counts have loaded, list them all. The lifecycle
  // specs, running beside this one, register models of their own: the
  // counts are at least the examples'.
  await expect(
    page.getByRole('menuitem', { name: /^Owned\s*[1-9]\d*$/ }),
  ).toBeVisible();
  // The catalog's user picker keeps its choice in React state and also
  // takes it again from the URL when the router's location changes, so a
  // click can be undone by a change that lands after it. Choose "All" until
  // the list says it shows all components; when it never does, say what the
  // list showed (once in CI the heading did not appear for a minute).
  const allHeading = page.getByRole('heading', {
    name: /All Components \(([4-9]|\d\d+)\)/,
    level: 5,
  });
  await expect(async () => {
    await page.getByRole('menuitem', { name: /^All/ }).click();
    try {
      await expect(allHeading).toBeVisible({ timeout: 10_000 });
    } catch (error) {
      const headings = await page
        .getByRole('heading', { level: 5 })
        .allInnerTexts();
      throw new Error(
        `the catalog list at ${page.url()} shows ${JSON.stringify(
          headings,
        )}, not "All Components (4 or more)": ${error}`,
      );
    }
  }).toPass({ timeout: 60_000 });
  for (const { name, title } of MODELS) {
    const link = page.getByRole('link', { name: title, exact: true });
    await expect(link).toBeVisible();
    await expect(link).toHaveAttribute(
      'href',
      new RegExp(`/catalog/default/component/${name}$`),
    );
  }

  await page.screenshot({
    path: 'artifacts/screenshots/catalog.png',
    fullPage: true,
  });
});
