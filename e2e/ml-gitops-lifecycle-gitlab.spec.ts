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
 * The lifecycle a second time, on the other Git host and registry: a model
 * kept in the Kubeflow Model Registry, its config repo a GitLab project.
 * Register versions, create the config repo from the template, deploy to
 * dev, promote to staging and (with a code owner's approval) production,
 * roll production back, and read the measured time to serve from the
 * backend and on the model's ML GitOps tab.
 *
 * What the product does here, the test does not do for it:
 * - the check: every merge request runs the project's `.gitlab-ci.yml`
 *   (written by the template) in a merge request pipeline, which the
 *   sandbox's GitLab runs with the real `ml-gitops validate` against the
 *   Kubeflow registry;
 * - GitLab refuses a merge (405) until that pipeline succeeded ("Pipelines
 *   must succeed") and, for production, an eligible approver approved;
 * - merges reach the backend through GitLab's push webhook, and the backend
 *   asks Argo CD to refresh.
 *
 * Stand-ins: the training job registering versions (Kubeflow's REST API),
 * the approver and the Merge button (GitLab's REST API, as those people).
 */
import { test, expect, type APIRequestContext } from '@playwright/test';
import {
  BACKEND,
  SANDBOX_ADMIN,
  backendPollIntervalMs,
  signIn,
} from './helpers';
import {
  guestToken,
  json,
  measuredDeployment,
  parseDuration,
  registeredEntity,
  runTemplate,
  waitServing,
  type Json,
} from './scaffolder';

const SANDBOX_GITLAB =
  process.env.SANDBOX_GITLAB_URL ?? 'http://localhost:7015';
const SANDBOX_KUBEFLOW =
  process.env.SANDBOX_KUBEFLOW_URL ?? 'http://localhost:7016';
/** The sandbox's Kubeflow Model Registry token (app-config.sandbox.yaml). */
const KUBEFLOW_TOKEN = 'sandbox-kubeflow-token';
const GROUP = 'ml-platform';
const MODEL = `e2e-gl-model-${Date.now().toString(36)}`;
const PROJECT = `${GROUP}/${MODEL}-config`;
const ENTITY_REF = `component:default/${MODEL}`;
const ENVIRONMENTS = ['dev', 'staging', 'production'];
/** DESIGN.md: a rollback serves the previous version within 5 minutes. */
const ROLLBACK_TARGET_SECONDS = 300;
/** The maintainer of the group and the project's code owner. */
const APPROVER = 'katherine';

test.describe.configure({ mode: 'serial' });

/** GitLab's REST API on the project, as `login` (a personal access token). */
function gitlab(
  request: APIRequestContext,
  method: 'get' | 'post' | 'put',
  path: string,
  login = APPROVER,
  data?: Json,
) {
  return request[method](
    `${SANDBOX_GITLAB}/api/v4/projects/${encodeURIComponent(PROJECT)}${path}`,
    {
      headers: { 'private-token': `sandbox-gitlab-${login}-token` },
      ...(data ? { data } : {}),
    },
  );
}

/** What a training pipeline does: a LIVE version with its model artifact. */
async function registerVersion(
  request: APIRequestContext,
  modelId: string,
  version: string,
  auc: number,
) {
  const api = `${SANDBOX_KUBEFLOW}/api/model_registry/v1alpha3`;
  const headers = { authorization: `Bearer ${KUBEFLOW_TOKEN}` };
  const created = await json(
    await request.post(`${api}/registered_models/${modelId}/versions`, {
      headers,
      data: {
        name: version,
        author: APPROVER,
        state: 'LIVE',
        customProperties: {
          auc: { metadataType: 'MetadataDoubleValue', double_value: auc },
        },
      },
    }),
  );
  await json(
    await request.post(`${api}/model_versions/${created.id}/artifacts`, {
      headers,
      data: {
        artifactType: 'model-artifact',
        name: `${MODEL}-${version}`,
        uri: `s3://models/${MODEL}/${version}`,
        modelFormatName: 'sklearn',
        modelFormatVersion: '1',
        state: 'LIVE',
      },
    }),
  );
}

/** The merge request a template opened (its output link, `/-/merge_requests/N`). */
function mergeRequestIid(output: Json): number {
  const link = (output.links ?? []).find((l: Json) =>
    /\/-\/merge_requests\/\d+$/.test(l.url ?? ''),
  );
  expect(
    link,
    `a merge request link in ${JSON.stringify(output)}`,
  ).toBeTruthy();
  return Number(/\/(\d+)$/.exec(link.url)![1]);
}

/** Waits for the merge request's head pipeline to succeed; returns the head. */
async function pipelinePassed(
  request: APIRequestContext,
  iid: number,
): Promise<string> {
  let mr: Json = {};
  await expect
    .poll(
      async () => {
        mr = await json(await gitlab(request, 'get', `/merge_requests/${iid}`));
        return mr.head_pipeline?.sha === mr.sha
          ? mr.head_pipeline?.status
          : 'none';
      },
      {
        message: `the pipeline of !${iid}`,
        timeout: 90_000,
        intervals: [500, 1_000],
      },
    )
    .toMatch(/^(success|failed|canceled)$/);
  expect(mr.head_pipeline.status, mr.head_pipeline.web_url).toBe('success');
  return mr.sha;
}

/** Merges as the approver, at `sha`; returns the merge commit. */
async function merge(
  request: APIRequestContext,
  iid: number,
  sha: string,
): Promise<string> {
  const merged = await json(
    await gitlab(request, 'put', `/merge_requests/${iid}/merge`, APPROVER, {
      sha,
    }),
  );
  expect(merged.state).toBe('merged');
  return merged.merge_commit_sha;
}

/** What waitServing allows for a merged version to serve. */
function servingTimeout(pollMs: number) {
  return 2 * pollMs + 15_000;
}

/** What the test changed, undone after it whatever happened. */
const cleanup: { locationId?: string } = {};

test.afterAll(async ({ playwright }) => {
  const request = await playwright.request.newContext();
  try {
    const headers = { authorization: `Bearer ${await guestToken(request)}` };
    if (cleanup.locationId) {
      await request.delete(
        `${BACKEND}/api/catalog/locations/${encodeURIComponent(
          cleanup.locationId,
        )}`,
        { headers },
      );
    }
  } finally {
    await request.dispose();
  }
});

test('a Kubeflow model on GitLab: create, deploy, promote with approval, roll back with time to serve measured', async ({
  page,
  request,
}) => {
  test.setTimeout(900_000);
  const pollMs = backendPollIntervalMs();
  const token = await guestToken(request);

  // 1. The model and two versions in the Kubeflow Model Registry.
  const model = await json(
    await request.post(
      `${SANDBOX_KUBEFLOW}/api/model_registry/v1alpha3/registered_models`,
      {
        headers: { authorization: `Bearer ${KUBEFLOW_TOKEN}` },
        data: { name: MODEL, owner: APPROVER },
      },
    ),
  );
  await registerVersion(request, model.id, '1', 0.91);
  await registerVersion(request, model.id, '2', 0.93);

  // 2. The config repo: a GitLab project in the group, protected on every
  // environment branch, with pipelines that must succeed.
  const created = await runTemplate(
    request,
    token,
    'ml-gitops-create-config-repo',
    {
      model: MODEL,
      version: '1',
      registry: 'kubeflow-default',
      owners: [`@${APPROVER}`],
      entityOwner: 'group:default/ml-platform',
      repoUrl: `localhost:7015?owner=${GROUP}&repo=${MODEL}-config`,
      visibility: 'private',
      namespace: 'ml-{environment}',
      operator: 'argocd',
      argocdProject: 'default',
    },
  );
  expect(JSON.stringify(created)).toContain(`${SANDBOX_GITLAB}/${PROJECT}`);
  const project = await json(await gitlab(request, 'get', ''));
  expect(project.default_branch).toBe('dev');
  expect(project.only_allow_merge_if_pipeline_succeeds).toBe(true);
  const protectedBranches = (await json(
    await gitlab(request, 'get', '/protected_branches'),
  )) as unknown as Json[];
  expect(protectedBranches.map(b => b.name).sort()).toEqual(
    [...ENVIRONMENTS].sort(),
  );
  const ci = await gitlab(
    request,
    'get',
    '/repository/files/.gitlab-ci.yml/raw?ref=dev',
  );
  expect(await ci.text()).toContain('ml-gitops validate');

  // 3. The catalog entity it registered, annotated with its project and
  // registry.
  const registered = await registeredEntity(
    request,
    token,
    MODEL,
    entity =>
      entity.metadata?.annotations?.['ml-gitops/config-repo'] ===
        `${SANDBOX_GITLAB}/${PROJECT}` &&
      entity.metadata?.annotations?.['ml-gitops/registry'] ===
        'kubeflow-default',
  );
  cleanup.locationId = registered.locationId;
  for (const environment of ENVIRONMENTS) {
    await waitServing(request, token, ENTITY_REF, environment, '1', 3 * pollMs);
  }

  // 4. Deploy 2 to dev: the pipeline validates it against Kubeflow; the
  // merge reaches the backend through the push webhook.
  const deploy = mergeRequestIid(
    await runTemplate(request, token, 'ml-gitops-deploy', {
      entityRef: ENTITY_REF,
      version: '2',
      environment: 'dev',
    }),
  );
  const mergedAt = Date.now();
  const deployMerge = await merge(
    request,
    deploy,
    await pipelinePassed(request, deploy),
  );
  // GitLab's push hook of the merge reached the backend's events endpoint
  // (GitLab sends it after the merge answered)
  let delivery: Json | undefined;
  await expect
    .poll(
      async () => {
        const { gitlabDeliveries } = await json(
          await request.get(`${SANDBOX_ADMIN}/_sandbox/webhooks`),
        );
        delivery = (gitlabDeliveries as Json[]).find(
          d =>
            d.payload.after === deployMerge &&
            d.payload.ref === 'refs/heads/dev' &&
            d.status !== undefined,
        );
        return delivery?.status;
      },
      { message: 'the push hook of the merge', timeout: 15_000 },
    )
    .toBeGreaterThanOrEqual(200);
  expect(delivery!.status).toBeLessThan(300);
  await waitServing(
    request,
    token,
    ENTITY_REF,
    'dev',
    '2',
    servingTimeout(pollMs),
  );
  console.log(
    `GitLab !${deploy} merged: 2 serving in dev after ${(
      (Date.now() - mergedAt) /
      1000
    ).toFixed(1)} s (backend poll ${pollMs / 1000} s)`,
  );

  // 5. Promote to staging, then to production, which needs an approval.
  const toStaging = mergeRequestIid(
    await runTemplate(request, token, 'ml-gitops-promote', {
      entityRef: ENTITY_REF,
      sourceEnvironment: 'dev',
      targetEnvironment: 'staging',
    }),
  );
  await merge(request, toStaging, await pipelinePassed(request, toStaging));
  await waitServing(
    request,
    token,
    ENTITY_REF,
    'staging',
    '2',
    servingTimeout(pollMs),
  );

  const toProduction = mergeRequestIid(
    await runTemplate(request, token, 'ml-gitops-promote', {
      entityRef: ENTITY_REF,
      sourceEnvironment: 'staging',
      targetEnvironment: 'production',
    }),
  );
  const productionHead = await pipelinePassed(request, toProduction);
  const unapproved = await json(
    await gitlab(request, 'get', `/merge_requests/${toProduction}`),
  );
  expect(unapproved.detailed_merge_status).toBe('not_approved');
  const refused = await gitlab(
    request,
    'put',
    `/merge_requests/${toProduction}/merge`,
    APPROVER,
    { sha: productionHead },
  );
  expect(refused.status(), await refused.text()).toBe(405);
  await json(
    await gitlab(
      request,
      'post',
      `/merge_requests/${toProduction}/approve`,
      APPROVER,
      { sha: productionHead },
    ),
  );
  await merge(request, toProduction, productionHead);
  await waitServing(
    request,
    token,
    ENTITY_REF,
    'production',
    '2',
    servingTimeout(pollMs),
  );

  // 6. Roll production back to 1, approved and merged.
  const reason = 'forecast bias on holiday weeks';
  const rollback = mergeRequestIid(
    await runTemplate(request, token, 'ml-gitops-rollback', {
      entityRef: ENTITY_REF,
      environment: 'production',
      reason,
    }),
  );
  const rollbackHead = await pipelinePassed(request, rollback);
  await json(
    await gitlab(
      request,
      'post',
      `/merge_requests/${rollback}/approve`,
      APPROVER,
      { sha: rollbackHead },
    ),
  );
  await merge(request, rollback, rollbackHead);
  await waitServing(
    request,
    token,
    ENTITY_REF,
    'production',
    '1',
    servingTimeout(pollMs),
  );

  // 7. The backend measured the time to serve, and the tab shows it.
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
    version: '1',
    previousVersion: '2',
    pullRequest: { number: rollback },
  });
  expect(rolledBack.timeToServeSeconds).toBeLessThan(ROLLBACK_TARGET_SECONDS);

  await signIn(page, `/catalog/default/component/${MODEL}/ml-gitops`);
  await page.getByRole('tab', { name: 'production' }).click();
  const row = page
    .getByRole('row')
    .filter({ hasText: 'Rollback' })
    .filter({ hasText: `!${rollback}` });
  await expect(row).toHaveCount(1, { timeout: 60_000 });
  await expect(row).toContainText('2 → 1');
  await expect(row).toContainText(`Reason: ${reason}`);
  await expect(
    row.getByRole('link', { name: new RegExp(`!${rollback}`) }),
  ).toHaveAttribute(
    'href',
    `${SANDBOX_GITLAB}/${PROJECT}/-/merge_requests/${rollback}`,
  );
  const shown = (await row.getByRole('cell').last().innerText()).trim();
  expect(parseDuration(shown)).toBe(Math.round(rolledBack.timeToServeSeconds));
  console.log(
    `GitLab rollback of ${MODEL} in production: merged !${rollback}, serving 1; the tab shows time to serve "${shown}" (target ${ROLLBACK_TARGET_SECONDS} s)`,
  );
  await page.screenshot({
    path: 'artifacts/screenshots/lifecycle-gitlab-rollback.png',
    fullPage: true,
  });
});
