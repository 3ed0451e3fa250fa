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
 * A model's whole life through Git, against the demo with its sandbox:
 * register versions in MLflow, create its config repo from the template form
 * (which registers its Argo CD Applications), deploy one to dev, promote it
 * to staging and production, roll production back, read the measured time to
 * serve of the rollback from the backend and on the model's ML GitOps tab,
 * see a failing predictor on the card, see production's failed canary open a
 * rollback pull request by itself, and seal a secret that Argo CD applies and
 * the sandbox's Sealed Secrets controller opens to the same value.
 *
 * What the product does here, the test does not do for it:
 * - the PR check: every pull request is checked by the config repo's own
 *   workflow (.github/workflows/validate.yaml), which the sandbox's Actions
 *   runner executes with the real `ml-gitops validate` CLI; the check posts
 *   ml-gitops/validate (pending, then success or failure) on the PR's head;
 * - merges are refused (405, GitHub's message) until that check passed and,
 *   for production, a code owner approved; a push to the PR dismisses the
 *   approval;
 * - changes reach the backend and the open page through the Git host's signed
 *   push webhook (no forced refresh): a merge shows on the page well within
 *   the backend's poll interval (printed);
 * - the operators run at the sandbox's default timing (poll every 120 s +
 *   up to 60 s jitter); what is merged serves sooner only because the
 *   backend asks Argo CD to refresh after the push webhook.
 *
 * Stand-ins that remain, each for a person or a system outside the product:
 * - the sandbox's Actions runner stands in for GitHub Actions (it emulates
 *   only the validate job; packages/sandbox/src/githost/actions.ts);
 * - the sandbox's KServe rolls a new version out in a few seconds
 *   (`rolloutSeconds`; a real one takes as long as its image pull and model
 *   load), so the measured time to serve proves the measurement to Ready and
 *   Loaded and the webhook-driven refresh, not a real rollout's time;
 * - a failing predictor and a failing canary analysis are injected through
 *   the sandbox's admin controls, as a broken model file or a bad metric
 *   would make them fail;
 * - training jobs (MLflow's REST API), the reviewer's approval, the Merge
 *   button and one edit of the PR's file on GitHub are the Git host's and
 *   MLflow's APIs, called as those people would.
 *
 * The first step goes through the UI; the later ones use the scaffolder's
 * REST API as the UI would.
 */
import {
  test,
  expect,
  type APIRequestContext,
  type Page,
} from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import {
  BACKEND,
  SANDBOX_ADMIN,
  SANDBOX_ARGOCD,
  SANDBOX_GIT,
  SANDBOX_MLFLOW,
  backendPollIntervalMs,
  openWhenPolled,
  signIn,
} from './helpers';
import {
  guestToken,
  json,
  measuredDeployment,
  parseDuration,
  registeredEntity,
  runRefusedTemplate,
  runTemplate,
  waitServing as waitServingOf,
  type Json,
} from './scaffolder';

// a fresh model on every run: the backend's store outlives a sandbox reset
const MODEL = `e2e-model-${Date.now().toString(36)}`;
const OWNER = 'acme';
const REPO = `${MODEL}-config`;
const ENTITY_REF = `component:default/${MODEL}`;
const ENVIRONMENTS = ['dev', 'staging', 'production'];
const VALIDATE_CHECK = 'ml-gitops/validate';
/** DESIGN.md: a rollback serves the previous version within 5 minutes. */
const ROLLBACK_TARGET_SECONDS = 300;
/** The sandbox's Argo CD accepts this static token (packages/sandbox/README.md). */
const ARGOCD_TOKEN = 'sandbox-argocd-token';
/**
 * The operators' default timing (packages/sandbox/README.md, `yarn workspace
 * sandbox start`): each Application polls Git every 120 s + up to 60 s.
 */
const OPERATOR_DEFAULT_TIMING = { seconds: 120, jitter: 60 };

test.describe.configure({ mode: 'serial' });

/** What a training job does: a run with metrics, then a registered version. */
async function registerVersion(
  request: APIRequestContext,
  metrics: Record<string, number>,
): Promise<string> {
  const api = `${SANDBOX_MLFLOW}/api/2.0/mlflow`;
  const started = Date.now();
  const { run } = await json(
    await request.post(`${api}/runs/create`, {
      data: {
        experiment_id: '0',
        run_name: `${MODEL}-train`,
        start_time: started,
      },
    }),
  );
  const runId = run.info.run_id;
  for (const [key, value] of Object.entries(metrics)) {
    await json(
      await request.post(`${api}/runs/log-metric`, {
        data: { run_id: runId, key, value, timestamp: Date.now(), step: 0 },
      }),
    );
  }
  await json(
    await request.post(`${api}/runs/update`, {
      data: { run_id: runId, status: 'FINISHED', end_time: Date.now() },
    }),
  );
  const { model_version: version } = await json(
    await request.post(`${api}/model-versions/create`, {
      data: {
        name: MODEL,
        source: `runs:/${runId}/model`,
        run_id: runId,
      },
    }),
  );
  expect(version.status).toBe('READY');
  return version.version;
}

/** The sandbox Git host's GitHub API. */
function gitApi(path: string) {
  return `${SANDBOX_GIT}/api/v3/repos/${OWNER}/${REPO}${path}`;
}

/**
 * Submits the scaffolder form the page shows (prefilled by the ML GitOps
 * tab), after `fill`; returns the number of the pull request it opened.
 */
async function submitTemplateForm(
  page: Page,
  fill: () => Promise<void> = async () => {},
): Promise<number> {
  await fill();
  for (;;) {
    const review = page.getByRole('button', { name: 'Review' });
    if (await review.isVisible()) {
      await review.click();
      break;
    }
    await page.getByRole('button', { name: 'Next' }).click();
  }
  await page.getByRole('button', { name: 'Create' }).click();
  const link = page.getByRole('link', { name: 'Pull request' });
  await expect(link).toBeVisible({ timeout: 90_000 });
  const href = (await link.getAttribute('href')) ?? '';
  expect(href).toMatch(/\/pull\/\d+$/);
  return Number(/\/pull\/(\d+)$/.exec(href)![1]);
}

/**
 * A pull request the actions opened is up to date with its base: "require
 * branches to be up to date" has nothing to refuse (the write-path test asks
 * git itself; here the Git host's answer is enough).
 */
async function expectUpToDate(request: APIRequestContext, pr: number) {
  const pull = await json(await request.get(gitApi(`/pulls/${pr}`)));
  expect(pull.mergeable).toBe(true);
  expect(pull.mergeable_state).not.toBe('behind');
}

/** The number of the pull request a template opened (its output link). */
function pullRequestNumber(output: Json): number {
  const link = (output.links ?? []).find((l: Json) =>
    /\/pull\/\d+$/.test(l.url ?? ''),
  );
  expect(link, `a pull request link in ${JSON.stringify(output)}`).toBeTruthy();
  return Number(/\/pull\/(\d+)$/.exec(link.url)![1]);
}

/** The required check's commit statuses on `sha`, oldest first. */
async function checkStatuses(
  request: APIRequestContext,
  sha: string,
): Promise<Json[]> {
  const list = (await json(
    await request.get(gitApi(`/commits/${sha}/statuses?per_page=100`)),
  )) as unknown as Json[];
  return list.filter(s => s.context === VALIDATE_CHECK).reverse();
}

/**
 * Waits for the config repo's workflow (run by the sandbox's Actions runner)
 * to report on `sha`: pending first, then `state`. Returns the last status.
 */
async function waitForCheck(
  request: APIRequestContext,
  sha: string,
  state: 'success' | 'failure',
): Promise<Json> {
  let statuses: Json[] = [];
  await expect
    .poll(
      async () => {
        statuses = await checkStatuses(request, sha);
        return statuses.at(-1)?.state;
      },
      {
        message: `${VALIDATE_CHECK} reported on ${sha}`,
        timeout: 60_000,
        intervals: [500, 1_000],
      },
    )
    .toMatch(/^(success|failure|error)$/);
  expect(statuses[0].state).toBe('pending');
  const last = statuses.at(-1)!;
  expect(
    last.state,
    `${VALIDATE_CHECK} on ${sha}: ${last.description} (${last.target_url})`,
  ).toBe(state);
  return last;
}

async function pullHead(request: APIRequestContext, pr: number) {
  const pull = await json(await request.get(gitApi(`/pulls/${pr}`)));
  return pull.head as { ref: string; sha: string };
}

/**
 * What a person does when editing the manifest on the pull request's branch
 * on GitHub: one commit that declares `version`. Returns the new head.
 */
async function editDeclaredVersion(
  request: APIRequestContext,
  branch: string,
  version: string,
): Promise<string> {
  const file = await json(
    await request.get(
      gitApi(`/contents/deploy/model.yaml?ref=${encodeURIComponent(branch)}`),
    ),
  );
  const text = Buffer.from(file.content, 'base64').toString('utf8');
  const edited = text.replace(
    /^model_version: "[^"]*"/m,
    `model_version: "${version}"`,
  );
  expect(edited).not.toBe(text);
  const put = await json(
    await request.put(gitApi('/contents/deploy/model.yaml'), {
      data: {
        message: `Declare version ${version}`,
        content: Buffer.from(edited).toString('base64'),
        sha: file.sha,
        branch,
      },
    }),
  );
  return put.commit.sha;
}

async function merge(request: APIRequestContext, pr: number) {
  return request.put(gitApi(`/pulls/${pr}/merge`), {
    data: { merge_method: 'merge' },
  });
}

/** A code owner approves on GitHub. */
async function approve(request: APIRequestContext, pr: number) {
  await json(
    await request.post(gitApi(`/pulls/${pr}/reviews`), {
      data: { event: 'APPROVE', user: 'katherine', body: 'Ship it' },
    }),
  );
}

/** A merge GitHub refuses: 405 with its message. */
async function expectMergeRefused(
  request: APIRequestContext,
  pr: number,
  message: string,
) {
  const refused = await merge(request, pr);
  const text = await refused.text();
  expect(refused.status(), text).toBe(405);
  expect(JSON.parse(text).message).toBe(message);
}

/**
 * Merges once the check passed on the head (and a code owner approved, when
 * asked); returns the merge commit. The workflow runs again when the action
 * labels its pull request (a `labeled` event): should that run start after
 * the first one passed, GitHub refuses the merge while the check is pending
 * again ("is expected"), and the merge is tried again once it passed, as a
 * person clicking Merge would.
 */
async function mergeChecked(
  request: APIRequestContext,
  pr: number,
  options: { approve?: boolean } = {},
): Promise<string> {
  const head = (await pullHead(request, pr)).sha;
  await waitForCheck(request, head, 'success');
  if (options.approve) await approve(request, pr);
  return mergePassed(request, pr, head);
}

/** Merges a pull request whose check passed on `head`; see {@link mergeChecked}. */
async function mergePassed(
  request: APIRequestContext,
  pr: number,
  head: string,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const response = await merge(request, pr);
    const text = await response.text();
    const pending =
      response.status() === 405 &&
      JSON.parse(text).message ===
        `Required status check "${VALIDATE_CHECK}" is expected.`;
    if (!pending || attempt === 3) {
      expect(
        response.ok(),
        `merge of #${pr}: ${response.status()} ${text}`,
      ).toBe(true);
      return JSON.parse(text).sha;
    }
    await expect
      .poll(async () => (await checkStatuses(request, head)).at(-1)?.state, {
        message: `${VALIDATE_CHECK} on ${head} after a rerun`,
        timeout: 60_000,
        intervals: [500, 1_000],
      })
      .toBe('success');
  }
}

/** Waits until the backend reports `version` serving in `environment`. */
function waitServing(
  request: APIRequestContext,
  token: string,
  environment: string,
  version: string,
  timeout: number,
) {
  return waitServingOf(
    request,
    token,
    ENTITY_REF,
    environment,
    version,
    timeout,
  );
}

/** The create-config-repo template, filled in and run in the browser. */
async function createConfigRepoInTheUi(page: Page, version: string) {
  await signIn(page, '/create/templates/default/ml-gitops-create-config-repo');
  await page
    .getByRole('textbox', { name: 'Model name' })
    .fill(MODEL, { timeout: 120_000 });
  await page.getByRole('textbox', { name: 'Initial version' }).fill(version);
  await page.getByRole('textbox', { name: 'Code owner' }).fill('@katherine');
  await page
    .getByRole('textbox', { name: 'Owner in the catalog' })
    .fill('ML Platform');
  await page
    .getByRole('option', { name: /ML Platform/ })
    .first()
    .click();
  // production opens its own rollback pull request when its canary fails
  await page.getByRole('checkbox', { name: /Roll back automatically/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();

  // The Git host of the sandbox is a GitHub Enterprise-like integration.
  // (Backstage's host picker is a native select without an accessible name)
  await page
    .locator('form select')
    .first()
    .selectOption({ label: 'localhost:7010' });
  await page.getByRole('textbox', { name: 'Owner' }).fill(OWNER);
  // (its plain text field has no label association either)
  await page
    .locator('.MuiTextField-root')
    .filter({ hasText: /^Repository/ })
    .locator('input')
    .fill(REPO);
  await page.getByRole('button', { name: 'Next' }).click();
  // Argo CD: the configured instance, its default project and cluster
  await expect(
    page.getByRole('textbox', { name: 'Argo CD project' }),
  ).toHaveValue('default');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('Open in catalog')).toBeVisible({
    timeout: 90_000,
  });
  await page.screenshot({
    path: 'artifacts/screenshots/lifecycle-created.png',
    fullPage: true,
  });
}

/** What the test changed, undone after it whatever happened. */
const cleanup: { locationId?: string } = {};

test.afterAll(async ({ playwright }) => {
  const request = await playwright.request.newContext();
  try {
    // The model leaves the catalog, so the backend stops polling it.
    const headers = { authorization: `Bearer ${await guestToken(request)}` };
    if (cleanup.locationId) {
      await request.delete(
        `${BACKEND}/api/catalog/locations/${encodeURIComponent(
          cleanup.locationId,
        )}`,
        { headers },
      );
    }
    const orphan = await request.get(
      `${BACKEND}/api/catalog/entities/by-name/component/default/${MODEL}`,
      { headers },
    );
    if (orphan.ok()) {
      const { metadata } = await orphan.json();
      await request.delete(
        `${BACKEND}/api/catalog/entities/by-uid/${metadata.uid}`,
        { headers },
      );
    }
  } finally {
    await request.dispose();
  }
});

test('a model from a new config repo to a measured production rollback, a promotion and a second rollback after it, a freeze, and a sealed secret', async ({
  page,
  request,
}) => {
  // Each step waits for what the product does; this is their sum at worst.
  test.setTimeout(1_200_000);
  const pollMs = backendPollIntervalMs();
  /**
   * A merge reaches the open page through the push webhook: well within one
   * poll interval (a third of it), so the schedule cannot explain it.
   */
  const webhookBoundMs = pollMs / 3;
  /**
   * A merged version serves once Argo CD applied it (at once: the backend
   * asks it to refresh after the push) and the rollout ended; the backend's
   * watches report it, its next poll would too. The operators' own poll
   * (120 s + up to 60 s) is longer than this.
   */
  const servingTimeoutMs = 2 * pollMs + 15_000;
  const sandbox = await json(
    await request.get(`${SANDBOX_ADMIN}/_sandbox/state`),
  );
  expect(sandbox.reconcileInterval).toEqual(OPERATOR_DEFAULT_TIMING);
  /**
   * A rollback serving is shown within seconds of the change, not at the
   * next poll. Counted here from the merge, so the push webhook, Argo CD's
   * apply and the rollout the cluster takes come on top: 4–7 s measured on
   * a loaded CI machine; the bound leaves room for a slower one and stays
   * well under the poll interval.
   */
  const rollbackShownMs = (sandbox.rolloutSeconds + 10) * 1000;
  expect(sandbox.webhook.secret).toBe('(set)');
  const token = await guestToken(request);
  const headers = { authorization: `Bearer ${token}` };
  {
    // 1. The model and its first version in the registry.
    await json(
      await request.post(
        `${SANDBOX_MLFLOW}/api/2.0/mlflow/registered-models/create`,
        { data: { name: MODEL, description: 'end-to-end test model' } },
      ),
    );
    const v1 = await registerVersion(request, {
      auc: 0.93,
      latency_p95_ms: 30,
    });

    // 2. The config repo, through the template form, protected on every
    // environment branch by the validate check (production also by a review).
    await createConfigRepoInTheUi(page, v1);
    const repo = await json(await request.get(gitApi('')));
    expect(repo.default_branch).toBe('dev');
    for (const environment of ENVIRONMENTS) {
      const protection = await json(
        await request.get(gitApi(`/branches/${environment}/protection`)),
      );
      expect(protection.required_status_checks.contexts).toEqual([
        VALIDATE_CHECK,
      ]);
      // set by the GitHub Actions app only, not by anyone with write access
      expect(protection.required_status_checks.checks).toEqual([
        { context: VALIDATE_CHECK, app_id: 15368 },
      ]);
      expect(protection.required_status_checks.strict).toBe(true);
    }
    const production = await json(
      await request.get(gitApi('/branches/production/protection')),
    );
    expect(production.required_pull_request_reviews).toMatchObject({
      required_approving_review_count: 1,
      dismiss_stale_reviews: true,
    });

    // 3. The catalog entity it registered.
    const { locationId, entity } = await registeredEntity(
      request,
      token,
      MODEL,
      e =>
        e.metadata?.annotations?.['ml-gitops/config-repo'] ===
        `${SANDBOX_GIT}/${OWNER}/${REPO}`,
    );
    cleanup.locationId = locationId;
    expect(entity.spec.owner).toBe('group:default/ml-platform');

    // 4. Nobody touches Argo CD: the template registered each
    // environment's Application through Argo CD's API, applying the chart
    // and the sealed secrets of secrets/.
    for (const environment of ENVIRONMENTS) {
      const application = await json(
        await request.get(
          `${SANDBOX_ARGOCD}/api/v1/applications/${MODEL}-${environment}`,
          { headers: { authorization: `Bearer ${ARGOCD_TOKEN}` } },
        ),
      );
      expect(application.metadata.labels).toMatchObject({
        'ml-gitops/model': MODEL,
        'ml-gitops/environment': environment,
      });
      expect(
        (application.spec.sources as Json[]).map(source => source.path),
      ).toEqual(['deploy/chart', 'secrets']);
    }
    // the backend finds the new model at a scheduled poll
    for (const environment of ENVIRONMENTS) {
      await waitServing(request, token, environment, v1, 3 * pollMs);
    }

    // 5. New versions; deploy 2 to dev. The repo's workflow checks the pull
    // request; its merge reaches the open model page through the webhook.
    const v2 = await registerVersion(request, {
      auc: 0.95,
      latency_p95_ms: 28,
    });
    const v3 = await registerVersion(request, {
      auc: 0.96,
      latency_p95_ms: 27,
    });
    const table = await openWhenPolled(page, MODEL);
    const devRow = table.getByRole('row').filter({
      has: page.getByRole('rowheader', { name: 'dev', exact: true }),
    });
    await expect(devRow).toContainText(new RegExp(`Git\\s*${v1}\\s*Live`));
    const deploy = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-deploy', {
        entityRef: ENTITY_REF,
        version: v2,
        environment: 'dev',
      }),
    );
    const deployHead = (await pullHead(request, deploy)).sha;
    const deployCheck = await waitForCheck(request, deployHead, 'success');
    expect(deployCheck.description).toMatch(/^Result: PASSED \(exit 0\)/);
    const runLog = await request.get(deployCheck.target_url);
    expect(runLog.ok()).toBe(true);
    expect(await runLog.text()).toContain(`${MODEL} version ${v2} is READY`);
    const mergedAt = Date.now();
    const deployMerge = await mergePassed(request, deploy, deployHead);
    await expect(devRow).toContainText(`commit ${deployMerge.slice(0, 7)}`, {
      timeout: webhookBoundMs,
    });
    const shownMs = Date.now() - mergedAt;
    await expect(devRow).toContainText(new RegExp(`Git\\s*${v2}\\s*Live`));
    // The sandbox records the delivery's status when the answer reaches it,
    // which can be after the page already shows what the push started.
    let delivery: Json | undefined;
    await expect
      .poll(
        async () => {
          const { deliveries } = await json(
            await request.get(`${SANDBOX_ADMIN}/_sandbox/webhooks`),
          );
          delivery = (deliveries as Json[]).find(
            d =>
              d.payload.after === deployMerge &&
              d.payload.ref === 'refs/heads/dev',
          );
          return delivery?.status ?? 0;
        },
        { message: 'the answer to the push webhook of the merge' },
      )
      .toBeGreaterThanOrEqual(200);
    expect(delivery!.status).toBeLessThan(300);
    console.log(
      `merge of PR #${deploy} shown on the open model page after ${(
        shownMs / 1000
      ).toFixed(1)} s (bound ${webhookBoundMs / 1000} s; backend poll ${
        pollMs / 1000
      } s; push webhook answered ${delivery!.status})`,
    );
    await waitServing(request, token, 'dev', v2, servingTimeoutMs);

    // 6. Promote to staging, then to production.
    const toStaging = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-promote', {
        entityRef: ENTITY_REF,
        sourceEnvironment: 'dev',
        targetEnvironment: 'staging',
      }),
    );
    await mergeChecked(request, toStaging);
    await waitServing(request, token, 'staging', v2, servingTimeoutMs);

    const toProduction = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-promote', {
        entityRef: ENTITY_REF,
        sourceEnvironment: 'staging',
        targetEnvironment: 'production',
      }),
    );
    const head = await pullHead(request, toProduction);
    await waitForCheck(request, head.sha, 'success');
    // the check passed, but nobody approved yet
    await expectMergeRefused(
      request,
      toProduction,
      'At least 1 approving review is required by reviewers with write access.',
    );
    // someone edits the pull request to a version the registry lacks: the
    // workflow runs on the new head and fails with the CLI's message
    const missing = '999';
    const badHead = await editDeclaredVersion(request, head.ref, missing);
    const failed = await waitForCheck(request, badHead, 'failure');
    expect(failed.description).toBe(
      `${MODEL} version ${missing} does not exist in the registry at ${SANDBOX_MLFLOW}`,
    );
    await approve(request, toProduction);
    await expectMergeRefused(
      request,
      toProduction,
      `Required status check "${VALIDATE_CHECK}" is failing.`,
    );
    // fixed: the check passes again; the push dismissed the stale approval
    const fixedHead = await editDeclaredVersion(request, head.ref, v2);
    await waitForCheck(request, fixedHead, 'success');
    await expectMergeRefused(
      request,
      toProduction,
      'At least 1 approving review is required by reviewers with write access.',
    );
    await approve(request, toProduction);
    await mergePassed(request, toProduction, fixedHead);
    await waitServing(request, token, 'production', v2, servingTimeoutMs);

    // 7. Roll production back to the first version; v2 is marked rejected.
    const rollback = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-rollback', {
        entityRef: ENTITY_REF,
        environment: 'production',
        reason: 'false positives on card-not-present traffic',
      }),
    );
    await mergeChecked(request, rollback, { approve: true });
    const rollbackMergedAt = Date.now();
    await waitServing(request, token, 'production', v1, servingTimeoutMs);
    const rollbackShown = Date.now() - rollbackMergedAt;
    console.log(
      `rollback of PR #${rollback} serving and shown by the backend ${(
        rollbackShown / 1000
      ).toFixed(1)} s after its merge (rollout ${
        sandbox.rolloutSeconds
      } s; bound ${rollbackShownMs / 1000} s; poll ${pollMs / 1000} s)`,
    );
    expect(rollbackShown).toBeLessThanOrEqual(rollbackShownMs);

    // 8. The backend measured it.
    const rolledBack = await measuredDeployment(
      request,
      token,
      ENTITY_REF,
      'production',
      pollMs + 10_000,
    );
    expect(rolledBack).toMatchObject({
      environment: 'production',
      kind: 'rollback',
      version: v1,
      previousVersion: v2,
      pullRequest: { number: rollback },
    });
    expect(Date.parse(rolledBack.servingAt)).not.toBeNaN();
    // Served means Ready and Loaded: the predictor's rollout counts.
    expect(rolledBack.timeToServeSeconds).toBeGreaterThanOrEqual(
      sandbox.rolloutSeconds,
    );

    // 9. The model's ML GitOps tab shows the same time to serve.
    await signIn(page, `/catalog/default/component/${MODEL}/ml-gitops`);
    await page.getByRole('tab', { name: 'production' }).click();
    const row = page
      .getByRole('row')
      .filter({ hasText: 'Rollback' })
      .filter({ hasText: `#${rollback}` });
    await expect(row).toHaveCount(1, { timeout: 60_000 });
    await expect(row).toContainText(`${v2} → ${v1}`);
    const shown = (await row.getByRole('cell').last().innerText()).trim();
    const shownSeconds = parseDuration(shown);
    expect(shownSeconds).toBe(Math.round(rolledBack.timeToServeSeconds));
    expect(shownSeconds).toBeLessThan(ROLLBACK_TARGET_SECONDS);
    console.log(
      `rollback of ${MODEL} in production: merged PR #${rollback}, serving ${v1}; the tab shows time to serve "${shown}" (backend: ${rolledBack.timeToServeSeconds} s; target ${ROLLBACK_TARGET_SECONDS} s)`,
    );
    await page.screenshot({
      path: 'artifacts/screenshots/lifecycle-rollback.png',
      fullPage: true,
    });
    await expect(row).toContainText(
      'Reason: false positives on card-not-present traffic',
    );

    // 10. After the rollback, a new version goes the whole way: deployed,
    // promoted to staging, and promoted to production from the tab's button,
    // merged under strict protection.
    const deployV3 = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-deploy', {
        entityRef: ENTITY_REF,
        version: v3,
        environment: 'dev',
      }),
    );
    // The predictor of this rollout fails to load the model: the card says
    // so with KServe's reason, and the deploy is not counted as serving.
    await json(
      await request.post(
        `${SANDBOX_ADMIN}/_sandbox/serving/fail-next-rollout`,
        {
          data: {
            model: MODEL,
            environment: 'dev',
            version: v3,
            reason: 'ModelLoadFailed',
            message: 'failed to load model.pkl: unpickling error',
          },
        },
      ),
    );
    await mergeChecked(request, deployV3);
    await expect
      .poll(
        async () => {
          const body = await json(
            await request.get(
              `${BACKEND}/api/ml-gitops/v1/deployments?entityRef=${encodeURIComponent(
                ENTITY_REF,
              )}`,
              { headers },
            ),
          );
          const dev = body.environments.find((e: Json) => e.name === 'dev');
          return `${dev?.live?.version}/${dev?.live?.serving?.state}/${dev?.live?.serving?.failure?.reason}`;
        },
        { timeout: servingTimeoutMs, intervals: [1_000] },
      )
      .toBe(`${v3}/failed/ModelLoadFailed`);
    await signIn(page, `/catalog/default/component/${MODEL}`);
    const failingDev = page.getByRole('row').filter({
      has: page.getByRole('rowheader', { name: 'dev', exact: true }),
    });
    await expect(failingDev).toContainText('Not serving: the predictor fails', {
      timeout: 60_000,
    });
    await expect(failingDev).toContainText(
      'ModelLoadFailed: failed to load model.pkl: unpickling error',
    );
    await page.screenshot({
      path: 'artifacts/screenshots/lifecycle-predictor-fails.png',
      fullPage: true,
    });
    const devHistory = await json(
      await request.get(
        `${BACKEND}/api/ml-gitops/v1/history?entityRef=${encodeURIComponent(
          ENTITY_REF,
        )}&environment=dev&limit=1`,
        { headers },
      ),
    );
    expect(devHistory.items[0]).toMatchObject({ version: v3 });
    expect(devHistory.items[0].servingAt).toBeUndefined();
    // fixed (a new image, a node back): it serves, and only now counts
    await json(
      await request.post(`${SANDBOX_ADMIN}/_sandbox/serving/recover`, {
        data: { model: MODEL, environment: 'dev' },
      }),
    );
    await waitServing(request, token, 'dev', v3, servingTimeoutMs);
    const v3ToStaging = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-promote', {
        entityRef: ENTITY_REF,
        sourceEnvironment: 'dev',
        targetEnvironment: 'staging',
      }),
    );
    await mergeChecked(request, v3ToStaging);
    await waitServing(request, token, 'staging', v3, servingTimeoutMs);

    await signIn(page, `/catalog/default/component/${MODEL}/ml-gitops`);
    const promote = page.getByRole('button', {
      name: 'Promote to production',
    });
    await expect(promote).toHaveAttribute('href', /formData/, {
      timeout: 60_000,
    });
    await promote.click();
    const v3ToProduction = await submitTemplateForm(page);
    await expectUpToDate(request, v3ToProduction);
    await mergeChecked(request, v3ToProduction, { approve: true });
    await waitServing(request, token, 'production', v3, servingTimeoutMs);

    // 11. Production's canary analysis of v3 fails: the backend opens the
    // rollback pull request by itself (the model opted in), once, as the
    // App; merging it stays a person's decision.
    await json(
      await request.post(`${SANDBOX_ADMIN}/_sandbox/canary`, {
        data: {
          model: MODEL,
          environment: 'production',
          canary: { kind: 'argo-rollouts', phase: 'Failed' },
        },
      }),
    );
    const rollbackBranch = `ml-gitops/rollback/production/${v1}`;
    const openRollbacks = async () =>
      (
        (await json(
          await request.get(gitApi('/pulls?state=open&base=production')),
        )) as Json[]
      ).filter(p => p.head.ref === rollbackBranch);
    await expect
      .poll(async () => (await openRollbacks()).length, {
        message: 'the automatic rollback pull request',
        timeout: 2 * pollMs + 15_000,
        intervals: [1_000],
      })
      .toBe(1);
    const [automatic] = await openRollbacks();
    expect(automatic.body).toContain(
      '**Reason:** Automatic rollback: canary analysis',
    );
    expect(automatic.labels.map((l: Json) => l.name)).toContain(
      'ml-gitops/rollback',
    );
    // another cycle or two: still the one pull request, nothing merged
    await new Promise(resolve => setTimeout(resolve, 2 * pollMs));
    expect(await openRollbacks()).toHaveLength(1);
    expect(
      (await json(await request.get(gitApi(`/pulls/${automatic.number}`))))
        .merged,
    ).toBe(false);
    await json(
      await request.post(`${SANDBOX_ADMIN}/_sandbox/canary`, {
        data: { model: MODEL, environment: 'production', canary: null },
      }),
    );

    // 12. A person rolls back too, from the tab: the same change, so the
    // same pull request, rewritten with their reason. It goes past v2
    // (rolled back from before) to v1, never forward again.
    await signIn(page, `/catalog/default/component/${MODEL}/ml-gitops`);
    await page.getByRole('tab', { name: 'production' }).click();
    const rollbackButton = page.getByRole('button', {
      name: 'Roll back production',
    });
    await expect(rollbackButton).toBeEnabled({ timeout: 60_000 });
    await rollbackButton.click();
    const dialog = page.getByRole('dialog', { name: 'Roll back production' });
    await expect(dialog).toContainText(
      `Rolls production back from version ${v3} to ${v1}`,
    );
    await expect(dialog).toContainText(`Skips ${v2}: rolled back from before.`);
    await dialog.getByRole('button', { name: `Continue to ${v1}` }).click();
    const secondRollback = await submitTemplateForm(page, async () => {
      await page
        .getByRole('textbox', { name: 'Reason' })
        .fill('scores drift on card-present traffic', { timeout: 60_000 });
    });
    expect(secondRollback).toBe(automatic.number);
    await expectUpToDate(request, secondRollback);
    await mergeChecked(request, secondRollback, { approve: true });
    await waitServing(request, token, 'production', v1, servingTimeoutMs);

    // 13. Production frozen by pull request: a promotion is refused with the
    // reason; unfrozen by pull request again.
    const freeze = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-freeze', {
        entityRef: ENTITY_REF,
        environment: 'production',
        reason: 'holiday change freeze',
      }),
    );
    await mergeChecked(request, freeze, { approve: true });
    const refusal = await runRefusedTemplate(
      request,
      token,
      'ml-gitops-promote',
      {
        entityRef: ENTITY_REF,
        sourceEnvironment: 'staging',
        targetEnvironment: 'production',
      },
    );
    expect(refusal).toContain('production is frozen: "holiday change freeze"');
    await signIn(page, `/catalog/default/component/${MODEL}/ml-gitops`);
    await expect(
      page.getByRole('region', { name: 'Environment production' }),
    ).toContainText('holiday change freeze', { timeout: pollMs + 30_000 });
    await page.screenshot({
      path: 'artifacts/screenshots/lifecycle-frozen.png',
      fullPage: true,
    });
    const unfreeze = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-unfreeze', {
        entityRef: ENTITY_REF,
        environment: 'production',
      }),
    );
    await mergeChecked(request, unfreeze, { approve: true });
    const unfrozen = await json(
      await request.get(gitApi('/contents/deploy/model.yaml?ref=production')),
    );
    expect(
      Buffer.from(unfrozen.content, 'base64').toString('utf8'),
    ).not.toContain('freeze:');
  }

  // 14. Seal a secret for production: the pull request carries only the
  // SealedSecret; once merged, Argo CD applies it with the chart and the
  // cluster's Sealed Secrets controller makes the Secret of the same value.
  const value = `e2e-${randomBytes(12).toString('hex')}`;
  const sealOutput = await runTemplate(
    request,
    token,
    'ml-gitops-seal-secret',
    {
      entityRef: ENTITY_REF,
      environment: 'production',
      name: 'scoring-db',
      namespace: 'ml-production',
      key: 'password',
      scope: 'strict',
      // what the form's Secret field leaves in the values: a mask
      value: '*'.repeat(value.length),
    },
    { value },
  );
  expect(JSON.stringify(sealOutput)).not.toContain(value);
  const sealPr = pullRequestNumber(sealOutput);
  const sealPull = await json(await request.get(gitApi(`/pulls/${sealPr}`)));
  const file = await json(
    await request.get(
      gitApi(
        `/contents/secrets/scoring-db.sealed.yaml?ref=${encodeURIComponent(
          sealPull.head.ref,
        )}`,
      ),
    ),
  );
  const sealed = Buffer.from(file.content, 'base64').toString('utf8');
  expect(sealed).toContain('kind: SealedSecret');
  expect(sealed).not.toContain(value);
  await mergeChecked(request, sealPr, { approve: true });
  let made: Json | undefined;
  await expect
    .poll(
      async () => {
        const state = await json(
          await request.get(`${SANDBOX_ADMIN}/_sandbox/state`),
        );
        made = (state.secrets as Json[]).find(
          x => x.namespace === 'ml-production' && x.name === 'scoring-db',
        );
        return made?.appliedBy?.application;
      },
      {
        message: 'the Secret the controller made from the applied SealedSecret',
        timeout: 2 * backendPollIntervalMs() + 15_000,
        intervals: [1_000],
      },
    )
    .toBe(`${MODEL}-production`);
  expect(made).toMatchObject({
    appliedBy: { path: 'secrets/scoring-db.sealed.yaml' },
    data: {
      password: {
        sha256: createHash('sha256').update(value).digest('hex'),
        bytes: Buffer.byteLength(value),
      },
    },
  });
});
