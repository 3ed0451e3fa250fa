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

import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sandbox, startSandbox } from 'sandbox';
import {
  fakePermissions,
  fraudDetectorEntity,
  makeContext,
  outputsOf,
} from '../__testUtils__/setup';
import { readMlGitopsActionsConfig } from './config';
import { createDeployAction } from './deploy';
import { createPromoteAction } from './promote';
import { createRollbackAction } from './rollback';

/*
 * The write path on a Git host that enforces GitHub's merge rules: the
 * sandbox's fraud-detector config repo, whose staging and production
 * branches require the validate check with "require branches to be up to
 * date" (strict) and production a code owner's approval. Every pull request
 * the actions open is asked of git itself before it merges (head contains
 * base, merges cleanly, changes only model_version), then merged through the
 * emulator's REST API, and the version the cluster serves is read after.
 */

jest.setTimeout(600_000);

const MODEL = 'fraud-detector';
const MANIFEST = 'deploy/model.yaml';
/** The check the Actions runner posts, as the GitHub Actions app. */
const CHECK = 'ml-gitops/validate';
const ACTIONS_TOKEN = 'sandbox-actions-token';

let sandbox: Sandbox;
let tmp: string;
let bare: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-flow-sandbox-'));
  sandbox = await startSandbox({
    ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
    dataDir: path.join(tmp, 'data'),
    reconcileIntervalSeconds: 3600,
    log: () => {},
  });
  const state = sandbox.current();
  for (const version of ['14', '15', '16', '17']) {
    state.mlflow.registerVersion({
      model: MODEL,
      team: 'fraud-ml',
      version,
      userEmail: 'ada@acme.example',
      registeredAt: Date.now() - 3600_000,
      experimentId: '1',
      stage: 'None',
      aliases: [],
      description: '',
      metrics: { auc: 0.95, latency_p95_ms: 30 },
    });
  }
  bare = state.repos.dir(state.repos.get('acme', `${MODEL}-config`)!);
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

function actions() {
  const gitHost = new URL(sandbox.urls.git).host;
  const config = new ConfigReader({
    integrations: {
      github: [
        {
          host: gitHost,
          apiBaseUrl: sandbox.urls.gitApi,
          token: 'sandbox-github-token',
        },
      ],
    },
    mlGitops: {
      registries: [
        { name: 'mlflow-default', type: 'mlflow', url: sandbox.urls.mlflow },
      ],
    },
  });
  const options = {
    permissions: fakePermissions().service,
    integrations: ScmIntegrations.fromConfig(config),
    config: readMlGitopsActionsConfig(config),
    catalog: catalogServiceMock({
      entities: [
        fraudDetectorEntity({
          'ml-gitops/config-repo': `${sandbox.urls.git}/acme/${MODEL}-config`,
        }),
      ],
    }),
  };
  return {
    deploy: createDeployAction(options),
    promote: createPromoteAction(options),
    rollback: createRollbackAction(options),
  };
}

async function api(
  method: string,
  p: string,
  body?: unknown,
  authorization = 'token sandbox-github-token',
) {
  const res = await fetch(
    `${sandbox.urls.gitApi}/repos/acme/${MODEL}-config${p}`,
    {
      method,
      headers: { 'content-type': 'application/json', authorization },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  );
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Runs git in the Git host's bare repository; undefined when git fails. */
function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: bare,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Writes a file on a branch as an admin (past branch protection). */
async function adminWrite(branch: string, file: string, text: string) {
  const current = await api('GET', `/contents/${file}?ref=${branch}`);
  const put = await api(
    'PUT',
    `/contents/${file}`,
    {
      message: `Write ${file}`,
      content: Buffer.from(text).toString('base64'),
      branch,
      ...(current.status === 200 ? { sha: current.body.sha } : {}),
    },
    `Basic ${Buffer.from('admin:x').toString('base64')}`,
  );
  expect([200, 201]).toContain(put.status);
}

const served = (environment: string) => {
  const world = sandbox.current().world;
  return world.liveVersion(world.find(MODEL, environment)!);
};

/**
 * Checks an open pull request with git, merges it the way a team on GitHub
 * would (the validate check from the Actions app, a code owner's approval)
 * and returns the version that serves after the operator's next sync.
 */
async function land(number: number, from: string, to: string) {
  const pull = (await api('GET', `/pulls/${number}`)).body;
  expect(pull.state).toBe('open');
  const head: string = pull.head.sha;
  const base = (await api('GET', `/branches/${pull.base.ref}`)).body.commit
    .sha as string;

  // Git's word, not the emulator's: the head contains the base, it merges
  // cleanly, and its only change is model_version in the manifest.
  expect(git('merge-base', '--is-ancestor', base, head)).toBe('');
  expect(git('merge-tree', '--write-tree', base, head)).toMatch(
    /^[0-9a-f]{40}$/,
  );
  expect(git('diff', '--name-only', base, head)).toBe(MANIFEST);
  const changed = git('diff', '--unified=0', base, head, '--', MANIFEST)!
    .split('\n')
    .filter(l => /^[-+](?![-+])/.test(l));
  expect(changed).toEqual([
    expect.stringMatching(new RegExp(`^-model_version: "${from}"`)),
    expect.stringMatching(new RegExp(`^\\+model_version: "${to}"`)),
  ]);

  const status = await api(
    'POST',
    `/statuses/${head}`,
    { state: 'success', context: CHECK, description: `${to} passes` },
    `token ${ACTIONS_TOKEN}`,
  );
  expect(status.status).toBe(201);
  const review = await api('POST', `/pulls/${number}/reviews`, {
    event: 'APPROVE',
    user: 'ada',
  });
  expect(review.status).toBe(200);
  const merged = await api('PUT', `/pulls/${number}/merge`, {
    merge_method: 'merge',
  });
  expect(merged).toMatchObject({ status: 200, body: { merged: true } });

  const world = sandbox.current().world;
  await world.reconcile(world.find(MODEL, pull.base.ref)!);
  return served(pull.base.ref);
}

const entityRef = 'component:default/fraud-detector';

async function run(
  action: { handler(ctx: any): Promise<void> },
  input: Record<string, unknown>,
) {
  const { ctx } = makeContext({ entityRef, ...input });
  await action.handler(ctx);
  return outputsOf(ctx) as {
    pullRequestNumber: number;
    previousVersion?: string;
    method?: string;
  };
}

describe('deploy, promote and roll back under strict branch protection', () => {
  it('keeps every pull request mergeable, one per change, and serves the right version at each step', async () => {
    const { deploy, promote, rollback } = actions();
    const declared = async (environment: string) =>
      /model_version: "([^"]+)"/.exec(
        git('show', `${environment}:${MANIFEST}`) ?? '',
      )?.[1];

    // The seed: production served 9, 10, 11, 12, then rolled back to 11.
    expect(await declared('production')).toBe('11');

    // dev moves on under an open pull request: running the change again
    // moves its branch onto the new head in one step, and the Git host keeps
    // the pull request open (GitHub closes one whose head ever equals its
    // base).
    const early = await run(deploy, { version: '14' });
    await adminWrite('dev', 'README.md', 'The fraud detector.\n');
    expect((await run(deploy, { version: '14' })).pullRequestNumber).toBe(
      early.pullRequestNumber,
    );
    expect(
      (await api('GET', `/pulls/${early.pullRequestNumber}`)).body.state,
    ).toBe('open');

    // Three rounds: deploy to dev, promote to staging, promote to production.
    for (const version of ['14', '15', '16']) {
      const devBefore = (await declared('dev'))!;
      const d = await run(deploy, { version });
      // Re-running the same change finds the same pull request.
      expect((await run(deploy, { version })).pullRequestNumber).toBe(
        d.pullRequestNumber,
      );
      expect(await land(d.pullRequestNumber, devBefore, version)).toBe(version);

      for (const [source, target] of [
        ['dev', 'staging'],
        ['staging', 'production'],
      ]) {
        const before = (await declared(target))!;
        const p = await run(promote, {
          sourceEnvironment: source,
          targetEnvironment: target,
          allowUnverifiedSource: true,
        });
        expect(
          (
            await run(promote, {
              sourceEnvironment: source,
              targetEnvironment: target,
              allowUnverifiedSource: true,
            })
          ).pullRequestNumber,
        ).toBe(p.pullRequestNumber);
        expect(await land(p.pullRequestNumber, before, version)).toBe(version);
      }
    }

    // Roll back production: 16 → 15, a revert of the last promotion; 16
    // is marked rejected in the registry.
    const r1 = await run(rollback, {
      environment: 'production',
      reason: 'false positives on card-not-present traffic',
    });
    expect(r1).toMatchObject({ previousVersion: '15', method: 'revert' });
    expect(await land(r1.pullRequestNumber, '16', '15')).toBe('15');

    // Promoting the rejected 16 again is refused, quoting the reason.
    await expect(
      run(promote, {
        sourceEnvironment: 'staging',
        targetEnvironment: 'production',
        allowUnverifiedSource: true,
      }),
    ).rejects.toThrow(/false positives on card-not-present traffic/);

    // A new version goes through after the rollback.
    const d17 = await run(deploy, { version: '17' });
    expect(await land(d17.pullRequestNumber, '16', '17')).toBe('17');
    const s17 = await run(promote, {
      sourceEnvironment: 'dev',
      targetEnvironment: 'staging',
      allowUnverifiedSource: true,
    });
    expect(await land(s17.pullRequestNumber, '16', '17')).toBe('17');
    const p17 = await run(promote, {
      sourceEnvironment: 'staging',
      targetEnvironment: 'production',
      allowUnverifiedSource: true,
    });
    expect(await land(p17.pullRequestNumber, '15', '17')).toBe('17');

    // Roll back twice: to 15, then past every version rolled back from
    // (17, 16 and the seed's 12) to 14, never forward again.
    const r2 = await run(rollback, {
      environment: 'production',
      reason: 'latency regression',
    });
    expect(r2).toMatchObject({ previousVersion: '15', method: 'revert' });
    expect(await land(r2.pullRequestNumber, '17', '15')).toBe('15');
    const r3 = await run(rollback, {
      environment: 'production',
      reason: 'drift in card-present scores',
    });
    expect(r3).toMatchObject({ previousVersion: '14', method: 'value' });
    expect(await land(r3.pullRequestNumber, '15', '14')).toBe('14');

    // Environment branches were never merged into each other.
    expect(git('merge-base', '--is-ancestor', 'staging', 'production')).toBe(
      undefined,
    );
  });
});
