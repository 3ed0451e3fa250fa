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
 * The ML GitOps frontend in the demo app, with the plugin's REST API answered
 * by fixtures (page.route), so the views are checked against known data
 * whatever the sandbox is doing: overview cards, the ML GitOps tab (pipeline,
 * Promote link, paged history, time-to-serve chart) and the fleet page.
 */
import { test, expect, type Page } from '@playwright/test';
import { signIn } from './helpers';

const ago = (minutes: number) =>
  new Date(Date.now() - minutes * 60_000).toISOString();

function environment(
  name: string,
  version: string,
  liveVersion: string | null,
  drift: { state: string; since?: string; reason?: string },
) {
  return {
    name,
    declared: {
      version,
      commit: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
      author: 'ada',
      committedAt: ago(180),
      pullRequest: {
        number: 41,
        url: 'https://github.com/acme/fraud-detector-config/pull/41',
        mergedBy: 'grace',
        reviewers: ['grace'],
      },
    },
    live: {
      version: liveVersion,
      revision: 'a1b2c3d',
      source: 'argocd',
      instance: 'main',
      application: `fraud-detector-${name}`,
      syncStatus: drift.state === 'in-sync' ? 'Synced' : 'OutOfSync',
      healthStatus: 'Healthy',
      observedAt: ago(1),
    },
    registry: {
      exists: true,
      aliases: name === 'production' ? ['champion'] : [],
      metrics: { auc: 0.95, latency_p95_ms: 31 },
      gate: 'passed',
    },
    drift,
  };
}

const fraudDetector = {
  entityRef: 'component:default/fraud-detector',
  model: 'fraud-detector',
  environments: [
    environment('dev', '14', '14', {
      state: 'progressing',
      since: ago(2),
      reason: 'Argo CD is syncing revision a1b2c3d',
    }),
    environment('staging', '13', '13', { state: 'in-sync', since: ago(100) }),
    environment('production', '12', '11', {
      state: 'drifted',
      since: ago(30),
      reason: 'Live runs 11 but Git declares 12',
    }),
  ],
};

const kinds = ['promotion', 'deploy', 'rollback'];
const history = Array.from({ length: 240 }, (_, i) => ({
  environment: 'production',
  version: String(240 - i),
  previousVersion: String(239 - i),
  commit: `${i.toString(16).padStart(8, '0')}abcdef0123456789abcdef01234567`,
  author: `author-${i}`,
  committedAt: ago(60 * (i + 1)),
  kind: kinds[i % 3],
  servingAt: ago(60 * (i + 1) - 3),
  timeToServeSeconds: 90 + ((i * 37) % 300),
}));

async function answerMlGitopsApi(page: Page) {
  await page.route('**/api/ml-gitops/v1/**', async route => {
    const url = new URL(route.request().url());
    const json = (body: unknown) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify(body),
      });
    if (url.pathname.endsWith('/deployments')) return json(fraudDetector);
    if (url.pathname.endsWith('/history')) {
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      return json({ items: history.slice(offset, offset + limit) });
    }
    if (url.pathname.endsWith('/fleet'))
      return json({ items: [fraudDetector] });
    if (url.pathname.endsWith('/drift')) return json({ items: [] });
    if (url.pathname.endsWith('/refresh'))
      return route.fulfill({ status: 202 });
    return route.continue();
  });
}

test('the ML GitOps cards, tab and fleet page', async ({ page }) => {
  await answerMlGitopsApi(page);
  await page.goto('/catalog/default/component/fraud-detector');
  await page.getByRole('button', { name: 'Enter' }).click();

  // Overview cards.
  const deployments = page.getByRole('table', {
    name: 'Deployments of fraud-detector',
  });
  await expect(deployments).toBeVisible();
  const production = deployments
    .getByRole('row')
    .filter({ hasText: 'production' });
  await expect(production.getByText('Drifted')).toBeVisible();
  await expect(
    page.getByRole('region', { name: 'Drift in production' }),
  ).toContainText(
    'Argo CD Application fraud-detector-production on instance main',
  );
  await page.screenshot({
    path: 'artifacts/screenshots/views-overview.png',
    fullPage: true,
  });

  // The tab.
  await page
    .getByRole('tab', { name: 'ML GitOps' })
    .or(page.locator('a[href$="/fraud-detector/ml-gitops"]'))
    .first()
    .click();
  const pipeline = page.getByRole('group', { name: 'Promotion pipeline' });
  await expect(
    pipeline.getByRole('region', { name: 'Environment production' }),
  ).toContainText('Drifted');
  const promote = page.getByRole('button', { name: 'Promote to staging' });
  await expect(promote).toHaveAttribute(
    'href',
    /\/create\/templates\/default\/ml-gitops-promote\?formData=/,
  );
  const href = await promote.getAttribute('href');
  const formData = JSON.parse(
    new URL(href!, 'http://x').searchParams.get('formData')!,
  );
  expect(formData).toEqual({
    entityRef: 'component:default/fraud-detector',
    sourceEnvironment: 'dev',
    targetEnvironment: 'staging',
  });
  await expect(
    page.getByRole('img', { name: /Time to serve of the last 60 deployments/ }),
  ).toBeVisible();
  await expect(page.getByText('author-19', { exact: true })).toBeVisible();
  await expect(page.getByText('author-20', { exact: true })).toHaveCount(0);
  await page
    .getByRole('button', { name: /next page/i })
    .first()
    .click();
  await expect(page.getByText('author-20', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Load older deployments' }).click();
  await expect(
    page.locator('span').filter({ hasText: /^21-40 of 200$/ }),
  ).toBeVisible();
  await page.screenshot({
    path: 'artifacts/screenshots/views-tab.png',
    fullPage: true,
  });

  // The fleet page, through the sidebar.
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'ML GitOps' })
    .click();
  const fleet = page.getByRole('table', { name: 'Models by environment' });
  await expect(
    fleet.getByRole('link', { name: 'fraud-detector' }),
  ).toHaveAttribute('href', /\/catalog\/default\/component\/fraud-detector$/);
  await page.screenshot({
    path: 'artifacts/screenshots/views-fleet.png',
    fullPage: true,
  });

  // A notification's link: the fleet page finds the tab through the
  // catalog's entity route as this app binds it.
  await signIn(page, '/ml-gitops?entity=component%3Adefault%2Ffraud-detector');
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/fraud-detector\/ml-gitops$/,
  );
  await expect(
    page.getByRole('group', { name: 'Promotion pipeline' }),
  ).toBeVisible();
});
