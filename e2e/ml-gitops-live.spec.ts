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
 * The whole stack as a user meets it: the sandbox's Git host, Argo CD, Flux
 * and MLflow, the ml-gitops backend polling them, and the frontend showing
 * the result. Seed facts (packages/sandbox/README.md): fraud-detector was
 * rolled back in production (12 → 11), churn-predictor's dev version fails
 * its gate, recsys-ranker's staging drifted (live 4, Git declares 5).
 */
import { test, expect, type Page } from '@playwright/test';

// The first poll of a fresh backend reads months of history: allow for it.
test.setTimeout(240_000);

/** Opens a page, signing in as guest when the sign-in page shows. */
async function signIn(page: Page, path: string) {
  await page.goto(path);
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

/** The first poll runs a few seconds after the backend starts. */
async function openWhenPolled(page: Page, path: string, table: string) {
  await expect(async () => {
    await signIn(page, path);
    await expect(
      page.getByRole('table', { name: table }).getByText('Not polled yet'),
    ).toHaveCount(0, { timeout: 2_000 });
    await expect(page.getByRole('table', { name: table })).toBeVisible({
      timeout: 20_000,
    });
  }).toPass({ timeout: 120_000 });
}

test('a model page shows declared and live versions, drift and a rollback in the history', async ({
  page,
}) => {
  await openWhenPolled(
    page,
    '/catalog/default/component/recsys-ranker',
    'Deployments of recsys-ranker',
  );
  const table = page.getByRole('table', {
    name: 'Deployments of recsys-ranker',
  });
  const staging = table.getByRole('row').filter({ hasText: 'staging' });
  await expect(staging.getByText('Drifted')).toBeVisible({ timeout: 60_000 });
  await expect(
    page.getByRole('region', { name: 'Drift in staging' }),
  ).toContainText('live version 4 differs from the declared version 5');
  await page.screenshot({
    path: 'artifacts/screenshots/live-recsys-overview.png',
    fullPage: true,
  });

  await openWhenPolled(
    page,
    '/catalog/default/component/fraud-detector',
    'Deployments of fraud-detector',
  );
  const production = page
    .getByRole('table', { name: 'Deployments of fraud-detector' })
    .getByRole('row')
    .filter({ hasText: 'production' });
  await expect(production.getByText('In sync')).toBeVisible({
    timeout: 60_000,
  });

  await page.locator('a[href$="/fraud-detector/ml-gitops"]').first().click();
  const pipeline = page.getByRole('group', { name: 'Promotion pipeline' });
  await expect(
    pipeline.getByRole('region', { name: 'Environment production' }),
  ).toContainText('11');
  await page.getByRole('tab', { name: 'production' }).click();
  await expect(
    page.getByRole('heading', { name: 'Deployment history of production' }),
  ).toBeVisible();
  // The seeded rollback: PR #10 reverted the promotion of 12.
  const rollback = page
    .getByRole('row')
    .filter({ hasText: 'Rollback' })
    .filter({ hasText: '12 → 11' });
  await expect(rollback.first()).toContainText('#10');
  await page.screenshot({
    path: 'artifacts/screenshots/live-fraud-detector-tab.png',
    fullPage: true,
  });

  // Promote (staging 13 → production 11) opens the software template with
  // the form filled in.
  await page.getByRole('button', { name: 'Promote to production' }).click();
  await expect(page).toHaveURL(
    /\/create\/templates\/default\/ml-gitops-promote/,
  );
  await expect(
    page.getByText('Promote a model to the next environment'),
  ).toBeVisible({
    timeout: 60_000,
  });
  await page.screenshot({
    path: 'artifacts/screenshots/live-promote-template.png',
    fullPage: true,
  });
});

test('a model on GitLab with the Kubeflow Model Registry shows its deployments like the others', async ({
  page,
}) => {
  // Seed (packages/sandbox/README.md): merge requests deployed 3 to dev and
  // promoted it to staging, approved by katherine; production serves 2.
  await openWhenPolled(
    page,
    '/catalog/default/component/demand-forecaster',
    'Deployments of demand-forecaster',
  );
  const production = page
    .getByRole('table', { name: 'Deployments of demand-forecaster' })
    .getByRole('row')
    .filter({ hasText: 'production' });
  await expect(production.getByText('In sync')).toBeVisible({
    timeout: 60_000,
  });

  await page.locator('a[href$="/demand-forecaster/ml-gitops"]').first().click();
  const pipeline = page.getByRole('group', { name: 'Promotion pipeline' });
  await expect(
    pipeline.getByRole('region', { name: 'Environment production' }),
  ).toContainText('2');
  await expect(
    pipeline.getByRole('region', { name: 'Environment staging' }),
  ).toContainText('3');
  await page.getByRole('tab', { name: 'staging' }).click();
  // The merge request that promoted 3, with its GitLab approver.
  const promotion = page
    .getByRole('row')
    .filter({ hasText: 'Promotion' })
    .filter({ hasText: 'katherine' });
  await expect(promotion.first()).toBeVisible({ timeout: 60_000 });
  await page.screenshot({
    path: 'artifacts/screenshots/live-gitlab-kubeflow-tab.png',
    fullPage: true,
  });
});

test('the fleet page lists every model and environment, drifted first', async ({
  page,
}) => {
  await signIn(page, '/ml-gitops');
  const fleet = page.getByRole('table', { name: 'Models by environment' });
  await expect(fleet.getByRole('link', { name: 'recsys-ranker' })).toBeVisible({
    timeout: 120_000,
  });
  await expect(
    fleet.getByRole('link', { name: 'fraud-detector' }),
  ).toBeVisible();
  await expect(
    fleet.getByRole('link', { name: 'churn-predictor' }),
  ).toBeVisible();
  // Side by side with the GitHub/MLflow models: GitLab and Kubeflow's.
  await expect(
    fleet.getByRole('link', { name: 'demand-forecaster' }),
  ).toBeVisible();
  // Drifted models first: every row above recsys-ranker's (the seeded
  // drift) is drifted too. Models the lifecycle specs create meanwhile may
  // stand anywhere their state puts them.
  const texts = (await fleet.getByRole('row').allInnerTexts()).slice(1);
  const recsys = texts.findIndex(t => t.includes('recsys-ranker'));
  expect(recsys).toBeGreaterThanOrEqual(0);
  expect(texts[recsys]).toContain('Drifted');
  for (const above of texts.slice(0, recsys)) {
    expect(above).toContain('Drifted');
  }
  await page.screenshot({
    path: 'artifacts/screenshots/live-fleet.png',
    fullPage: true,
  });
});

test('a guest who does not own a model is refused its promotion, on the page and by the server', async ({
  page,
  request,
}) => {
  // The demo's policy (packages/backend/src/permissionPolicy.ts): guest
  // belongs to ml-platform and fraud-ml; recsys-ranker is growth-ml's.
  await signIn(page, '/catalog/default/component/recsys-ranker/ml-gitops');
  const promote = page.getByRole('button', { name: 'Promote to production' });
  await expect(promote).toBeDisabled({ timeout: 60_000 });
  await promote.locator('..').hover();
  await expect(page.getByRole('tooltip')).toHaveText(
    'You are not allowed to promote this model (ml-gitops.deployment.promote).',
  );

  // The server refuses too, whoever calls the scaffolder's REST API.
  const { token } = (
    await (
      await request.post('http://localhost:7007/api/auth/guest/refresh', {
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      })
    ).json()
  ).backstageIdentity;
  const headers = { authorization: `Bearer ${token}` };
  const created = await request.post(
    'http://localhost:7007/api/scaffolder/v2/tasks',
    {
      headers,
      data: {
        templateRef: 'template:default/ml-gitops-promote',
        values: {
          entityRef: 'component:default/recsys-ranker',
          sourceEnvironment: 'staging',
          targetEnvironment: 'production',
        },
      },
    },
  );
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  await expect
    .poll(
      async () =>
        (
          await (
            await request.get(
              `http://localhost:7007/api/scaffolder/v2/tasks/${id}`,
              { headers },
            )
          ).json()
        ).status,
      { timeout: 60_000 },
    )
    .toBe('failed');
  const events = await (
    await request.get(
      `http://localhost:7007/api/scaffolder/v2/tasks/${id}/events`,
      { headers },
    )
  ).json();
  const log = (events as Array<{ body: { message?: string } }>)
    .map(e => e.body.message ?? '')
    .join('\n');
  expect(log).toContain(
    'user:development/guest may not promote component:default/recsys-ranker: the permission policy denies ml-gitops.deployment.promote on component:default/recsys-ranker',
  );

  // The owners' model stays open to guest.
  await signIn(page, '/catalog/default/component/fraud-detector/ml-gitops');
  await expect(
    page.getByRole('button', { name: 'Promote to production' }),
  ).toBeEnabled({ timeout: 60_000 });
});
