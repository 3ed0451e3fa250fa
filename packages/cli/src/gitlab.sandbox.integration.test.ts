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

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from 'sandbox';
import { spawnBin } from './__testUtils__/spawnBin';

/*
 * Integration: the real `ml-gitops` bin reads a merge request's approvals
 * from the sandbox's GitLab emulator. grace lowers the AUC gate of
 * demand-forecaster on a merge request; the check, run as a merge request
 * pipeline job would run it (GitLab CI's predefined variables and a
 * GITLAB_TOKEN), fails until katherine, a Maintainer of the owning group
 * ml-platform, approves; explicit flags reach the same merge request.
 */

jest.setTimeout(180_000);

const PROJECT = 'ml-platform/demand-forecaster-config';
/** the seeded users' tokens (sandbox/src/gitlab/model.ts) */
const token = (login: string) => `sandbox-gitlab-${login}-token`;
let sandbox: Sandbox | undefined;
let tmp: string;

const api = async (
  method: string,
  p: string,
  as: string,
  body?: unknown,
): Promise<any> => {
  const res = await fetch(
    `${sandbox!.urls.gitlab}/api/v4/projects/${encodeURIComponent(
      PROJECT,
    )}${p}`,
    {
      method,
      headers: { 'private-token': as, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  );
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
};

const gitEnv = () => ({
  PATH: process.env.PATH,
  HOME: tmp,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
});

/** The merge request's head checked out with origin/dev beside it, as the job has it. */
async function checkout(branch: string): Promise<string> {
  const dir = path.join(tmp, `${branch.replace(/\W/g, '-')}-checkout`);
  const url = `${sandbox!.urls.gitlab.replace(
    '://',
    `://oauth2:${token('grace')}@`,
  )}/${PROJECT}.git`;
  await promisify(execFile)(
    'git',
    ['clone', '-q', '--no-single-branch', '--branch', branch, url, dir],
    { env: gitEnv(), timeout: 60_000 },
  );
  return dir;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-cli-gitlab-'));
  sandbox = await startSandbox({
    ports: { git: 0, gitlab: 0, kubeflow: 0, admin: 0 },
    dataDir: path.join(tmp, 'sandbox-data'),
    webhookUrl: 'http://127.0.0.1:9/unused',
    reconcileIntervalSeconds: 3600,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('ml-gitops validate reading GitLab merge request approvals', () => {
  it('fails a lowered gate until a code owner approved the merge request', async () => {
    const branch = 'lower-the-auc-gate';
    const manifest: string = await api(
      'GET',
      '/repository/files/deploy%2Fmodel.yaml/raw?ref=dev',
      token('grace'),
    );
    await api('POST', '/repository/commits', token('grace'), {
      branch,
      start_branch: 'dev',
      commit_message: 'Lower the AUC gate',
      actions: [
        {
          action: 'update',
          file_path: 'deploy/model.yaml',
          content: manifest.replace(
            /auc: \{ min: [0-9.]+ \}/,
            'auc: { min: 0.5 }',
          ),
        },
      ],
    });
    const mr = await api('POST', '/merge_requests', token('grace'), {
      source_branch: branch,
      target_branch: 'dev',
      title: 'Lower the AUC gate',
      labels: 'ml-gitops/deploy',
    });
    const dir = await checkout(branch);
    const project = await api('GET', '', token('grace'));
    // a merge request pipeline's predefined variables
    // (docs.gitlab.com/ci/variables/predefined_variables)
    const ciEnv = {
      HOME: tmp,
      GITLAB_CI: 'true',
      CI_SERVER_URL: sandbox!.urls.gitlab,
      CI_PROJECT_ID: String(project.id),
      CI_PROJECT_PATH: PROJECT,
      CI_MERGE_REQUEST_IID: String(mr.iid),
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'dev',
      CI_MERGE_REQUEST_LABELS: 'ml-gitops/deploy',
      GITLAB_TOKEN: SANDBOX_CREDENTIALS.gitlab.token,
    };
    const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
      spawnBin(
        [
          'validate',
          dir,
          '--base',
          'origin/dev',
          '--skip-registry',
          '--skip-integration',
          ...args,
        ],
        { env, timeoutMs: 120_000 },
      );

    const before = await run(ciEnv);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(
      "the PR lowers gates.metrics.auc.min from 0.85 to 0.5; a gate change needs a code owner's approval (no approval of the latest commit",
    );

    await api('POST', `/merge_requests/${mr.iid}/approve`, token('katherine'), {
      sha: mr.sha,
    });
    const after = await run(ciEnv);
    expect(after.stdout).toMatch(
      /PASS\s+Code owner approval\s+the PR lowers gates\.metrics\.auc\.min from 0\.85 to 0\.5: approved by @katherine \(@ml-platform\)/,
    );
    expect(after.code).toBe(0);

    // the same merge request through flags, with a token in another variable
    const flags = await run(
      {
        HOME: tmp,
        CI_SERVER_URL: sandbox!.urls.gitlab,
        READ_API_TOKEN: SANDBOX_CREDENTIALS.gitlab.token,
      },
      '--gitlab-project',
      PROJECT,
      '--merge-request',
      String(mr.iid),
      '--gitlab-token-env',
      'READ_API_TOKEN',
    );
    expect(flags.code).toBe(0);
    expect(flags.stdout).not.toContain(SANDBOX_CREDENTIALS.gitlab.token);
  });
});
