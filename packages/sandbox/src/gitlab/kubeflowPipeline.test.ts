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
 * The GitLab merge request check inside the whole sandbox: the pipeline
 * runs the real `ml-gitops validate` against the Kubeflow Model Registry
 * emulator, with the registry's URL, type and token as the project's CI/CD
 * variables. A LIVE version with its artifact passes; an ARCHIVED one fails
 * and blocks the merge.
 */

import path from 'node:path';
import { useSandbox } from '../__testUtils__/useSandbox';
import { SANDBOX_CREDENTIALS } from '../sandbox';

/** The monorepo's CLI; the sandbox runs it as a subprocess, never imports it. */
const CLI_BIN = path.resolve(__dirname, '../../../cli/bin/ml-gitops');

// two CLI runs of some seconds each on a busy machine
jest.setTimeout(240_000);

const PROJECT = 'ml-platform/demand-forecaster-config';
const sandbox = useSandbox({ actions: { cliBin: CLI_BIN } });

const api = (p: string, init: RequestInit = {}) =>
  fetch(`${sandbox().urls.gitlab}/api/v4${p}`, {
    ...init,
    headers: {
      'private-token': SANDBOX_CREDENTIALS.gitlab.token,
      'content-type': 'application/json',
      ...init.headers,
    },
  }).then(async r => ({ status: r.status, body: await r.json() }));

const project = (p = '') => `/projects/${encodeURIComponent(PROJECT)}${p}`;

/** Opens a merge request deploying `version` to dev and waits for its pipeline. */
async function deploy(version: string) {
  const manifest = await fetch(
    `${sandbox().urls.gitlab}/api/v4${project(
      '/repository/files/deploy%2Fmodel.yaml/raw?ref=dev',
    )}`,
    { headers: { 'private-token': SANDBOX_CREDENTIALS.gitlab.token } },
  ).then(r => r.text());
  const branch = `ml-gitops/deploy/dev/${version}`;
  await api(project('/repository/commits'), {
    method: 'POST',
    body: JSON.stringify({
      branch,
      start_branch: 'dev',
      commit_message: `Deploy demand-forecaster ${version} to dev`,
      actions: [
        {
          action: 'update',
          file_path: 'deploy/model.yaml',
          content: manifest.replace(
            /model_version: "[^"]*"/,
            `model_version: "${version}"`,
          ),
        },
      ],
    }),
  });
  const mr = await api(project('/merge_requests'), {
    method: 'POST',
    body: JSON.stringify({
      source_branch: branch,
      target_branch: 'dev',
      title: `Deploy demand-forecaster ${version} to dev`,
    }),
  });
  await sandbox().actionsIdle();
  const pipelines = await api(
    project(`/merge_requests/${mr.body.iid}/pipelines`),
  );
  const [pipeline] = pipelines.body;
  const log = await fetch(pipeline.web_url).then(r => r.text());
  const got = await api(project(`/merge_requests/${mr.body.iid}`));
  return { pipeline, log, mr: got.body };
}

it('passes a LIVE Kubeflow version with its artifact', async () => {
  const { pipeline, log } = await deploy('2');
  expect(log).toContain('ml-gitops validate');
  expect(pipeline.status).toBe('success');
});

it('fails an ARCHIVED Kubeflow version and blocks the merge', async () => {
  const { pipeline, log, mr } = await deploy('1');
  expect(pipeline.status).toBe('failed');
  expect(log).toMatch(/ARCHIVED/);
  expect(mr.detailed_merge_status).not.toBe('mergeable');
});
