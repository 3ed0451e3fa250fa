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
 * Merge request pipelines: opening a merge request or pushing to its
 * source branch runs the `.gitlab-ci.yml` job at the head with the real
 * `ml-gitops` CLI (cloned over smart HTTP with the job token), and its
 * result is the head pipeline the merge checks read.
 */

import path from 'node:path';
import { ENCODED, TOKENS, useGitLab } from '../__testUtils__/useGitLab';

/** The monorepo's CLI; the sandbox runs it as a subprocess, never imports it. */
const CLI_BIN = path.resolve(__dirname, '../../../cli/bin/ml-gitops');

// a few CLI runs of some seconds each on a busy machine
jest.setTimeout(180_000);

const gl = useGitLab({ cliBin: CLI_BIN });
const project = (p = '') => `/projects/${ENCODED}${p}`;

/** The seeded CI file with the registry check skipped: the test has no Kubeflow registry. */
async function ciFile(script?: string) {
  const raw = await gl().call(
    'GET',
    project('/repository/files/.gitlab-ci.yml/raw?ref=dev'),
  );
  const text = String(raw.body);
  return script
    ? text.replace(/- npx .*$/m, `- ${script}`)
    : text.replace(/(validate --base "[^"]+")/, '$1 --skip-registry');
}

async function openWith(
  branch: string,
  version: string,
  ci: string,
): Promise<any> {
  const t = gl();
  const model = await t.call(
    'GET',
    project('/repository/files/deploy%2Fmodel.yaml/raw?ref=dev'),
  );
  await t.call('POST', project('/repository/commits'), {
    token: TOKENS.grace,
    body: {
      branch,
      start_branch: 'dev',
      commit_message: `Deploy demand-forecaster ${version} to dev`,
      actions: [
        {
          action: 'update',
          file_path: 'deploy/model.yaml',
          content: String(model.body).replace(
            /model_version: "[^"]*"/,
            `model_version: "${version}"`,
          ),
        },
        { action: 'update', file_path: '.gitlab-ci.yml', content: ci },
      ],
    },
  });
  const mr = await t.call('POST', project('/merge_requests'), {
    token: TOKENS.grace,
    body: {
      source_branch: branch,
      target_branch: 'dev',
      title: `Deploy demand-forecaster ${version} to dev`,
    },
  });
  await t.runner!.idle();
  return mr.body;
}

async function pipelinesOf(iid: number) {
  return (await gl().call('GET', project(`/merge_requests/${iid}/pipelines`)))
    .body;
}

describe('merge request pipelines', () => {
  it('runs the validate job on the head and lets the merge through once it passed', async () => {
    const mr = await openWith('ml-gitops/deploy/dev/2', '2', await ciFile());
    const [pipeline] = await pipelinesOf(mr.iid);
    expect(pipeline).toMatchObject({
      sha: mr.sha,
      ref: `refs/merge-requests/${mr.iid}/head`,
      source: 'merge_request_event',
    });
    const page = await fetch(pipeline.web_url).then(r => r.text());
    expect(pipeline.status).toBe('success');
    expect(page).toContain('ml-gitops/validate: success');
    // the target branch fetched by git itself, as the job token
    expect(page).toContain(
      '$ git fetch --quiet origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"',
    );
    expect(page).toContain('$ ml-gitops validate --base origin/dev');
    const got = await gl().call('GET', project(`/merge_requests/${mr.iid}`));
    expect(got.body).toMatchObject({
      detailed_merge_status: 'mergeable',
      head_pipeline: { id: pipeline.id, status: 'success' },
    });
  });

  it('fails the pipeline with the CLI result and blocks the merge', async () => {
    const mr = await openWith('ml-gitops/deploy/dev/x', '', await ciFile());
    const [pipeline] = await pipelinesOf(mr.iid);
    expect(pipeline.status).toBe('failed');
    const statuses = await gl().call(
      'GET',
      project(`/repository/commits/${mr.sha}/statuses`),
    );
    expect(statuses.body).toEqual([
      expect.objectContaining({
        name: 'ml-gitops/validate',
        status: 'failed',
        description: expect.stringMatching(/^Result: FAILED/),
      }),
    ]);
    expect(
      (await gl().call('GET', project(`/merge_requests/${mr.iid}`))).body
        .detailed_merge_status,
    ).toBe('ci_must_pass');
  });

  it('fails a job whose script the sandbox does not emulate, and says so', async () => {
    const mr = await openWith('not-emulated', '2', await ciFile('npm test'));
    const [pipeline] = await pipelinesOf(mr.iid);
    const page = await fetch(pipeline.web_url).then(r => r.text());
    expect(pipeline.status).toBe('failed');
    expect(page).toContain(
      'Not emulated by the sandbox: script line "npm test": the sandbox runs only ml-gitops validate',
    );
  });

  it('fails the job when git cannot fetch what the script asks', async () => {
    const mr = await openWith(
      'fetch-missing',
      '2',
      (
        await ciFile()
      ).replace(
        /origin "\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"$/m,
        'origin no-such-branch',
      ),
    );
    const [pipeline] = await pipelinesOf(mr.iid);
    const page = await fetch(pipeline.web_url).then(r => r.text());
    expect(pipeline.status).toBe('failed');
    expect(page).toContain('git fetch --quiet origin no-such-branch failed');
    expect(page).not.toContain('gitlab-ci-token');
  });
});
