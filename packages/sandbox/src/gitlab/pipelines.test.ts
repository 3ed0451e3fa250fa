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
 * result is the head pipeline the merge checks read. The job reads the
 * merge request's approvals with the project's masked CI/CD variable
 * GITLAB_TOKEN; "Run pipeline" on the merge request (the runner's
 * runPipeline, a stand-in for the button) re-runs the check on the same
 * head after an approval.
 */

import path from 'node:path';
import {
  ENCODED,
  PROJECT,
  TOKENS,
  useGitLab,
} from '../__testUtils__/useGitLab';

/** The monorepo's CLI; the sandbox runs it as a subprocess, never imports it. */
const CLI_BIN = path.resolve(__dirname, '../../../cli/bin/ml-gitops');

// a few CLI runs of some seconds each on a busy machine
jest.setTimeout(180_000);

const gl = useGitLab({
  cliBin: CLI_BIN,
  variables: () => ({ GITLAB_TOKEN: TOKENS.bot }),
  masked: ['GITLAB_TOKEN'],
});
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

/**
 * Puts the CI file that skips the registry on dev (unprotected in the
 * seed) as a direct push: a merge request changing the CI file would
 * itself need a code owner's approval.
 */
beforeAll(async () => {
  const put = await gl().call('POST', project('/repository/commits'), {
    token: TOKENS.katherine,
    body: {
      branch: 'dev',
      commit_message: 'Skip the registry in the sandbox without Kubeflow',
      actions: [
        {
          action: 'update',
          file_path: '.gitlab-ci.yml',
          content: await ciFile(),
        },
      ],
    },
  });
  if (put.status !== 201) {
    throw new Error(`cannot put the CI file on dev: ${put.status}`);
  }
});

async function openWith(
  branch: string,
  change: (manifest: string) => string,
  ci?: string,
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
      commit_message: `Change ${branch}`,
      actions: [
        {
          action: 'update',
          file_path: 'deploy/model.yaml',
          content: change(String(model.body)),
        },
        ...(ci
          ? [{ action: 'update', file_path: '.gitlab-ci.yml', content: ci }]
          : []),
      ],
    },
  });
  const mr = await t.call('POST', project('/merge_requests'), {
    token: TOKENS.grace,
    body: { source_branch: branch, target_branch: 'dev', title: branch },
  });
  await t.runner!.idle();
  return mr.body;
}

const version = (v: string) => (manifest: string) =>
  manifest.replace(/model_version: "[^"]*"/, `model_version: "${v}"`);

async function pipelinesOf(iid: number) {
  return (await gl().call('GET', project(`/merge_requests/${iid}/pipelines`)))
    .body;
}

describe('merge request pipelines', () => {
  it('runs the validate job on the head and lets the merge through once it passed', async () => {
    const mr = await openWith('ml-gitops/deploy/dev/2', version('2'));
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
    const mr = await openWith('ml-gitops/deploy/dev/x', version(''));
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
    const mr = await openWith(
      'not-emulated',
      version('2'),
      await ciFile('npm test'),
    );
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
      version('2'),
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

  it("fails a gate change without a code owner's approval and passes once one approved and the pipeline re-ran", async () => {
    const t = gl();
    const mr = await openWith('lower-auc-gate', manifest =>
      manifest.replace(/auc: \{ min: [0-9.]+ \}/, 'auc: { min: 0.5 }'),
    );
    const [failed] = await pipelinesOf(mr.iid);
    const failedLog = await fetch(failed.web_url).then(r => r.text());
    expect(failed.status).toBe('failed');
    expect(failedLog).toContain(
      "the PR lowers gates.metrics.auc.min from 0.85 to 0.5; a gate change needs a code owner's approval (no approval of the latest commit",
    );
    expect(failedLog).not.toContain(TOKENS.bot);

    // katherine maintains ml-platform, an owner of deploy/model.yaml
    const approved = await t.call(
      'POST',
      project(`/merge_requests/${mr.iid}/approve`),
      { token: TOKENS.katherine, body: { sha: mr.sha } },
    );
    expect(approved.status).toBe(201);
    const p = t.host.project(PROJECT)!;
    t.runner!.runPipeline(p, t.host.mergeRequest(p, mr.iid));
    await t.runner!.idle();

    const [rerun] = await pipelinesOf(mr.iid);
    expect(rerun.id).not.toBe(failed.id);
    expect(rerun).toMatchObject({ sha: mr.sha, status: 'success' });
    const log = await fetch(rerun.web_url).then(r => r.text());
    expect(log).toContain(
      'the PR lowers gates.metrics.auc.min from 0.85 to 0.5: approved by @katherine (@ml-platform)',
    );
    const got = await t.call('GET', project(`/merge_requests/${mr.iid}`));
    expect(got.body.head_pipeline).toMatchObject({
      id: rerun.id,
      status: 'success',
    });
  });
});
