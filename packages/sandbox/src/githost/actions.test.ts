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

import path from 'node:path';
import { Sandbox, startSandbox } from '../sandbox';
import {
  checkDescription,
  cliArguments,
  substituteExpressions,
} from './actions';

/** The monorepo's CLI; the sandbox runs it as a subprocess, never imports it. */
const CLI_BIN = path.resolve(__dirname, '../../../cli/bin/ml-gitops');
const REPO = 'acme/fraud-detector-config';
const CHECK = 'ml-gitops/validate';

// seeding plus a few CLI runs of some seconds each on a busy machine
jest.setTimeout(180_000);

describe('the workflow parts the runner reads', () => {
  it('finds the CLI in the config repo template step, with expressions and quotes', () => {
    const script = substituteExpressions(
      'npx --yes @ml-gitops/cli validate --base "origin/${{ github.base_ref }}" --format github',
      { github: { base_ref: 'staging' } },
    );
    expect(cliArguments(script, {})).toEqual([
      'validate',
      '--base',
      'origin/staging',
      '--format',
      'github',
    ]);
    expect(
      cliArguments('ml-gitops validate --registry-url "$URL"', {
        URL: 'http://mlflow',
      }),
    ).toEqual(['validate', '--registry-url', 'http://mlflow']);
    expect(cliArguments('npm test', {})).toBeUndefined();
    expect(cliArguments('npx @ml-gitops/cli deploy --entity x', {})).toBe(
      undefined,
    );
    expect(() => cliArguments('ml-gitops validate | tee out', {})).toThrow(
      /one simple command/,
    );
  });

  it('evaluates missing properties to the empty string and refuses other expressions', () => {
    expect(
      substituteExpressions('[${{ secrets.NONE }}]', { secrets: {} }),
    ).toBe('[]');
    expect(() =>
      substituteExpressions("${{ format('{0}', vars.X) }}", {}),
    ).toThrow(/property references only/);
  });

  it('describes a failure by the first error annotation', () => {
    const output = [
      '::error file=deploy/model.yaml,line=3,title=ml-gitops validate%3A Model version::m version 9 does not exist%0Afix: register it',
      'Result: FAILED (exit 1): 1 failed, 4 passed',
    ].join('\n');
    expect(checkDescription(output, false)).toBe('m version 9 does not exist');
    expect(checkDescription(output, true)).toBe(
      'Result: FAILED (exit 1): 1 failed, 4 passed',
    );
  });
});

describe('the sandbox Actions runner', () => {
  let sandbox: Sandbox;
  let api: string;

  beforeAll(async () => {
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      reconcileIntervalSeconds: 3600,
      actions: { cliBin: CLI_BIN },
      log: () => {},
    });
    api = `${sandbox.urls.gitApi}/repos/${REPO}`;
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${api}${p}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  /** A branch off `base` whose manifest declares `version`; returns its head. */
  async function branchWithVersion(
    name: string,
    base: string,
    version: string,
  ) {
    const from = await call('GET', `/branches/${base}`);
    if (!(await call('GET', `/branches/${name}`)).body?.commit) {
      await call('POST', '/git/refs', {
        ref: `refs/heads/${name}`,
        sha: from.body.commit.sha,
      });
    }
    const file = await call('GET', `/contents/deploy/model.yaml?ref=${name}`);
    const text = Buffer.from(file.body.content, 'base64').toString('utf8');
    const changed = text.replace(
      /^model_version: "[^"]*"/m,
      `model_version: "${version}"`,
    );
    expect(changed).not.toBe(text);
    const put = await call('PUT', '/contents/deploy/model.yaml', {
      message: `Deploy ${version}`,
      content: Buffer.from(changed).toString('base64'),
      sha: file.body.sha,
      branch: name,
    });
    expect(put.status).toBe(200);
    return put.body.commit.sha as string;
  }

  /** The check's statuses on `sha`, oldest first. */
  async function checkStatuses(sha: string) {
    const { body } = await call('GET', `/commits/${sha}/statuses`);
    return (body as Array<Record<string, any>>)
      .filter(s => s.context === CHECK)
      .reverse();
  }

  it('reports pending, then success, on a pull request with a version the registry has', async () => {
    const head = await branchWithVersion('deploy-12', 'dev', '12');
    const pr = await call('POST', '/pulls', {
      title: 'Deploy 12 to dev',
      head: 'deploy-12',
      base: 'dev',
    });
    expect(pr.status).toBe(201);
    await sandbox.actionsIdle();
    const statuses = await checkStatuses(head);
    expect(statuses.map(s => s.state)).toEqual([
      'pending',
      'pending',
      'success',
    ]);
    expect(statuses[2].description).toMatch(/^Result: PASSED \(exit 0\)/);
    const log = await fetch(statuses[2].target_url);
    expect(log.status).toBe(200);
    expect(await log.text()).toContain('fraud-detector version 12 is READY');
    const combined = await call('GET', `/commits/${head}/status`);
    expect(combined.body.state).toBe('success');
  });

  it("fails a version the registry does not have with the CLI's message, and passes once the head is fixed", async () => {
    const bad = await branchWithVersion('deploy-999', 'staging', '999');
    const pr = await call('POST', '/pulls', {
      title: 'Deploy 999 to staging',
      head: 'deploy-999',
      base: 'staging',
    });
    expect(pr.status).toBe(201);
    await sandbox.actionsIdle();
    const failed = await checkStatuses(bad);
    expect(failed.at(0)?.state).toBe('pending');
    expect(failed.at(-1)).toMatchObject({
      state: 'failure',
      description: `fraud-detector version 999 does not exist in the registry at ${sandbox.urls.mlflow}`,
    });

    // staging requires the check (seed): the merge is refused while it fails
    const refused = await call('PUT', `/pulls/${pr.body.number}/merge`, {});
    expect(refused).toMatchObject({
      status: 405,
      body: { message: `Required status check "${CHECK}" is failing.` },
    });

    // a push to the branch moves the head (synchronize): checked again
    const fixed = await branchWithVersion('deploy-999', 'staging', '13');
    await sandbox.actionsIdle();
    expect((await checkStatuses(fixed)).map(s => s.state)).toEqual([
      'pending',
      'pending',
      'success',
    ]);
    const merged = await call('PUT', `/pulls/${pr.body.number}/merge`, {});
    expect(merged).toMatchObject({ status: 200, body: { merged: true } });
    expect(sandbox.actionsRuns().map(r => [r.event, r.conclusion])).toEqual([
      ['opened', 'success'],
      ['opened', 'failure'],
      ['synchronize', 'success'],
    ]);
  });

  it('runs again when a label is added, with the labels in the event file the CLI reads', async () => {
    // production is frozen (written as admin, past the branch protection)
    const file = await call(
      'GET',
      '/contents/deploy/model.yaml?ref=production',
    );
    const frozen = `${Buffer.from(file.body.content, 'base64').toString(
      'utf8',
    )}freeze:\n  reason: "Holiday change freeze"\n`;
    const written = await fetch(`${api}/contents/deploy/model.yaml`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from('admin:x').toString('base64')}`,
      },
      body: JSON.stringify({
        message: 'Freeze production',
        content: Buffer.from(frozen).toString('base64'),
        sha: file.body.sha,
        branch: 'production',
      }),
    });
    expect(written.status).toBe(200);
    // back to 10, which production served before
    const head = await branchWithVersion('rollback-10', 'production', '10');
    const pr = await call('POST', '/pulls', {
      title: 'Roll back production to 10',
      head: 'rollback-10',
      base: 'production',
    });
    await sandbox.actionsIdle();
    expect((await checkStatuses(head)).at(-1)).toMatchObject({
      state: 'failure',
      description: expect.stringMatching(/frozen/),
    });

    const labelled = await call('POST', `/issues/${pr.body.number}/labels`, {
      labels: ['ml-gitops/rollback'],
    });
    expect(labelled.status).toBe(200);
    await sandbox.actionsIdle();
    expect((await checkStatuses(head)).at(-1)?.state).toBe('success');
    expect(
      sandbox
        .actionsRuns()
        .filter(r => r.pullRequest === pr.body.number)
        .map(r => [r.event, r.conclusion]),
    ).toEqual([
      ['opened', 'failure'],
      ['labeled', 'success'],
    ]);
  });

  it('dismisses a stale approval when the head moves, where protection says so', async () => {
    const protect = await call('PUT', '/branches/production/protection', {
      required_status_checks: { strict: false, contexts: [CHECK] },
      enforce_admins: false,
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        dismiss_stale_reviews: true,
      },
      restrictions: null,
    });
    expect(protect.status).toBe(200);
    await branchWithVersion('promote-13', 'production', '13');
    const pr = await call('POST', '/pulls', {
      title: 'Promote 13 to production',
      head: 'promote-13',
      base: 'production',
    });
    const approve = await call('POST', `/pulls/${pr.body.number}/reviews`, {
      event: 'APPROVE',
      user: 'katherine',
    });
    expect(approve.status).toBe(200);
    await branchWithVersion('promote-13', 'production', '12');
    await sandbox.actionsIdle();
    const refused = await call('PUT', `/pulls/${pr.body.number}/merge`, {});
    expect(refused).toMatchObject({
      status: 405,
      body: {
        message:
          'At least 1 approving review is required by reviewers with write access.',
      },
    });
  });
});
