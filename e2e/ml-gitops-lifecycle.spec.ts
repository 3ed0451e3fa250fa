/*
 * A model's whole life through Git, against the demo with its sandbox:
 * create its config repo from the template form, let Argo CD pick up the
 * Applications the repo declares, register versions in MLflow, deploy one to
 * dev, promote it to staging and production (production needs an approving
 * review), roll production back, read the measured time to serve of the
 * rollback from the backend and on the model's page, and seal a secret that
 * the sandbox's Sealed Secrets controller opens to the same value.
 *
 * The first step goes through the UI; the later ones use the scaffolder's
 * REST API as the UI would, and the Git host's API where a person would
 * merge on GitHub.
 */
import {
  test,
  expect,
  type APIRequestContext,
  type Page,
} from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import {
  BACKEND,
  SANDBOX_ADMIN,
  SANDBOX_ARGOCD,
  SANDBOX_GIT,
  SANDBOX_MLFLOW,
  backendPollIntervalMs,
  sandboxControl,
  signIn,
} from './helpers';

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
 * The sandbox's operators poll every 120 s (+ jitter) by default; a real Argo
 * CD fed by the Git host's webhooks applies within seconds, so poll that often.
 */
const OPERATOR_POLL_SECONDS = 3;

test.describe.configure({ mode: 'serial' });

type Json = Record<string, any>;

async function json(response: Awaited<ReturnType<APIRequestContext['get']>>) {
  const text = await response.text();
  expect(response.ok(), `${response.url()}: ${response.status()} ${text}`).toBe(
    true,
  );
  return text ? (JSON.parse(text) as Json) : {};
}

/** A Backstage token for the guest user, as the app gets it when signing in. */
async function guestToken(request: APIRequestContext): Promise<string> {
  const body = await json(
    await request.post(`${BACKEND}/api/auth/guest/refresh`, {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    }),
  );
  return body.backstageIdentity.token;
}

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

/** Runs a template through the scaffolder's REST API; returns its output. */
async function runTemplate(
  request: APIRequestContext,
  token: string,
  template: string,
  values: Json,
  secrets?: Record<string, string>,
): Promise<Json> {
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
  expect(task.status, `${template} failed:\n${logs}`).toBe('completed');
  return events.find(e => e.type === 'completion')?.body.output ?? {};
}

/** The number of the pull request a template opened (its output link). */
function pullRequestNumber(output: Json): number {
  const link = (output.links ?? []).find((l: Json) =>
    /\/pull\/\d+$/.test(l.url ?? ''),
  );
  expect(link, `a pull request link in ${JSON.stringify(output)}`).toBeTruthy();
  return Number(/\/pull\/(\d+)$/.exec(link.url)![1]);
}

/** What the repo's validate workflow reports on the pull request's head. */
async function reportValidateCheck(request: APIRequestContext, pr: number) {
  const pull = await json(await request.get(gitApi(`/pulls/${pr}`)));
  await json(
    await request.post(gitApi(`/statuses/${pull.head.sha}`), {
      data: {
        state: 'success',
        context: VALIDATE_CHECK,
        description: 'ml-gitops validate passed',
      },
    }),
  );
}

async function merge(request: APIRequestContext, pr: number) {
  return request.put(gitApi(`/pulls/${pr}/merge`), {
    data: { merge_method: 'merge' },
  });
}

/**
 * Waits until the backend reports `version` live and in sync in
 * `environment`, asking it to poll the model now (the Refresh button) so
 * the wait is the operator's, not the poll interval's.
 */
async function waitServing(
  request: APIRequestContext,
  token: string,
  environment: string,
  version: string,
) {
  const headers = { authorization: `Bearer ${token}` };
  await expect
    .poll(
      async () => {
        await request.post(`${BACKEND}/api/ml-gitops/v1/refresh`, {
          headers,
          data: { entityRef: ENTITY_REF },
        });
        const response = await request.get(
          `${BACKEND}/api/ml-gitops/v1/deployments?entityRef=${encodeURIComponent(
            ENTITY_REF,
          )}`,
          { headers },
        );
        if (!response.ok()) return `${response.status()}`;
        const body = await response.json();
        const env = body.environments.find((e: Json) => e.name === environment);
        return `${env?.declared?.version}/${env?.live?.version}/${env?.drift?.state}`;
      },
      {
        message: `${MODEL} ${version} serving in ${environment}`,
        timeout: 90_000,
        intervals: [2_000],
      },
    )
    .toBe(`${version}/${version}/in-sync`);
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
const cleanup: {
  reconcileInterval?: { seconds: number; jitter: number };
  locationId?: string;
} = {};

test.afterAll(async ({ playwright }) => {
  const request = await playwright.request.newContext();
  try {
    if (cleanup.reconcileInterval) {
      await sandboxControl(request, 'reconcile-interval', {
        seconds: cleanup.reconcileInterval.seconds,
        jitterSeconds: cleanup.reconcileInterval.jitter,
      });
    }
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

test('a model from a new config repo to a measured production rollback and a sealed secret', async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  const pollMs = backendPollIntervalMs();
  const before = await json(
    await request.get(`${SANDBOX_ADMIN}/_sandbox/state`),
  );
  cleanup.reconcileInterval = before.reconcileInterval;
  await sandboxControl(request, 'reconcile-interval', {
    seconds: OPERATOR_POLL_SECONDS,
    jitterSeconds: 0,
  });
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

    // 2. The config repo, through the template form.
    await createConfigRepoInTheUi(page, v1);
    const repo = await json(await request.get(gitApi('')));
    expect(repo.default_branch).toBe('dev');
    const protection = await json(
      await request.get(gitApi('/branches/production/protection')),
    );
    expect(
      protection.required_pull_request_reviews.required_approving_review_count,
    ).toBe(1);

    // 3. The catalog entity it registered (the catalog processes the new
    // location in the background: its entity appears a little later).
    let location: Json = {};
    await expect
      .poll(
        async () => {
          const response = await request.get(
            `${BACKEND}/api/catalog/locations/by-entity/component/default/${MODEL}`,
            { headers },
          );
          location = response.ok() ? await response.json() : {};
          return location.id;
        },
        { timeout: 60_000 },
      )
      .toBeTruthy();
    cleanup.locationId = location.id;
    let entity: Json = {};
    await expect
      .poll(
        async () => {
          const response = await request.get(
            `${BACKEND}/api/catalog/entities/by-name/component/default/${MODEL}`,
            { headers },
          );
          entity = response.ok() ? await response.json() : {};
          return entity.metadata?.annotations?.['ml-gitops/config-repo'];
        },
        { timeout: 30_000 },
      )
      .toBe(`${SANDBOX_GIT}/${OWNER}/${REPO}`);
    expect(entity.spec.owner).toBe('group:default/ml-platform');

    // 4. Argo CD picks up the Applications the repo declares.
    for (const environment of ENVIRONMENTS) {
      const file = await request.get(
        gitApi(`/contents/argocd/${environment}.yaml?ref=dev`),
        { headers: { accept: 'application/vnd.github.raw' } },
      );
      expect(file.ok()).toBe(true);
      const application = parse(await file.text());
      await json(
        await request.post(`${SANDBOX_ARGOCD}/api/v1/applications`, {
          headers: { authorization: `Bearer ${ARGOCD_TOKEN}` },
          data: application,
        }),
      );
    }
    for (const environment of ENVIRONMENTS) {
      await waitServing(request, token, environment, v1);
    }

    // 5. New versions; deploy 2 to dev.
    const v2 = await registerVersion(request, {
      auc: 0.95,
      latency_p95_ms: 28,
    });
    await registerVersion(request, { auc: 0.96, latency_p95_ms: 27 });
    const deploy = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-deploy', {
        entityRef: ENTITY_REF,
        version: v2,
        environment: 'dev',
      }),
    );
    await reportValidateCheck(request, deploy);
    await json(await merge(request, deploy));
    await waitServing(request, token, 'dev', v2);

    // 6. Promote to staging, then to production (needs an approval).
    const toStaging = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-promote', {
        entityRef: ENTITY_REF,
        sourceEnvironment: 'dev',
        targetEnvironment: 'staging',
      }),
    );
    await reportValidateCheck(request, toStaging);
    await json(await merge(request, toStaging));
    await waitServing(request, token, 'staging', v2);

    const toProduction = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-promote', {
        entityRef: ENTITY_REF,
        sourceEnvironment: 'staging',
        targetEnvironment: 'production',
      }),
    );
    await reportValidateCheck(request, toProduction);
    const refused = await merge(request, toProduction);
    expect(refused.status(), await refused.text()).toBe(405);
    expect(await refused.text()).toMatch(/review/i);
    await json(
      await request.post(gitApi(`/pulls/${toProduction}/reviews`), {
        data: { event: 'APPROVE', user: 'katherine', body: 'Ship it' },
      }),
    );
    await json(await merge(request, toProduction));
    await waitServing(request, token, 'production', v2);

    // 7. Roll production back to the first version.
    const rollback = pullRequestNumber(
      await runTemplate(request, token, 'ml-gitops-rollback', {
        entityRef: ENTITY_REF,
        environment: 'production',
      }),
    );
    await reportValidateCheck(request, rollback);
    await json(
      await request.post(gitApi(`/pulls/${rollback}/reviews`), {
        data: { event: 'APPROVE', user: 'katherine' },
      }),
    );
    await json(await merge(request, rollback));
    await waitServing(request, token, 'production', v1);

    // 8. The backend measured it.
    let rolledBack: Json | undefined;
    await expect
      .poll(
        async () => {
          const { items } = await json(
            await request.get(
              `${BACKEND}/api/ml-gitops/v1/history?entityRef=${encodeURIComponent(
                ENTITY_REF,
              )}&environment=production&limit=5`,
              { headers },
            ),
          );
          rolledBack = items[0];
          return rolledBack?.timeToServeSeconds !== undefined;
        },
        { timeout: pollMs + 10_000 },
      )
      .toBe(true);
    expect(rolledBack).toMatchObject({
      environment: 'production',
      kind: 'rollback',
      version: v1,
      previousVersion: v2,
      pullRequest: { number: rollback },
    });
    expect(Date.parse(rolledBack!.servingAt)).not.toBeNaN();
    expect(rolledBack!.timeToServeSeconds).toBeGreaterThanOrEqual(0);
    expect(rolledBack!.timeToServeSeconds).toBeLessThan(
      ROLLBACK_TARGET_SECONDS,
    );
    console.log(
      `rollback of ${MODEL} in production: merged PR #${rollback}, serving ${v1} after ${
        rolledBack!.timeToServeSeconds
      } s (target ${ROLLBACK_TARGET_SECONDS} s)`,
    );

    // 9. And the model's page shows it.
    await signIn(page, `/catalog/default/component/${MODEL}/ml-gitops`);
    await page.getByRole('tab', { name: 'production' }).click();
    const row = page
      .getByRole('row')
      .filter({ hasText: 'Rollback' })
      .filter({ hasText: `#${rollback}` });
    await expect(row.first()).toBeVisible({ timeout: 60_000 });
    await expect(row.first()).toContainText(`${v2} → ${v1}`);
    await page.screenshot({
      path: 'artifacts/screenshots/lifecycle-rollback.png',
      fullPage: true,
    });
  }

  // 10. Seal a secret for production: the pull request carries only the
  // SealedSecret, and the sandbox's controller opens it to the same value.
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
  const opened = await json(
    await request.post(`${SANDBOX_ADMIN}/_sandbox/unseal`, { data: sealed }),
  );
  expect(opened).toMatchObject({
    ok: true,
    name: 'scoring-db',
    namespace: 'ml-production',
    scope: 'strict',
    data: {
      password: {
        sha256: createHash('sha256').update(value).digest('hex'),
        bytes: Buffer.byteLength(value),
      },
    },
  });
});
