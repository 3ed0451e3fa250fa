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
 * The GitLab system inside the whole sandbox: its port, the seeded project
 * over the API and git, the admin controls a person's approval and merge
 * go through, and a reset back to the seed.
 */

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from '../__testUtils__/useSandbox';
import { git } from '../lib/git';
import { SANDBOX_CREDENTIALS } from '../sandbox';

jest.setTimeout(180_000);

const PROJECT = 'ml-platform/demand-forecaster-config';
const sandbox = useSandbox();

const api = (p: string, init: RequestInit = {}) =>
  fetch(`${sandbox().urls.gitlab}/api/v4${p}`, {
    ...init,
    headers: {
      'private-token': SANDBOX_CREDENTIALS.gitlab.token,
      'content-type': 'application/json',
      ...init.headers,
    },
  }).then(async r => ({ status: r.status, body: await r.json() }));

const admin = (p: string, body: unknown) =>
  fetch(`${sandbox().urls.admin}/_sandbox/gitlab/${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async r => ({ status: r.status, body: await r.json() }));

const project = (p = '') => `/projects/${encodeURIComponent(PROJECT)}${p}`;

it('serves the seeded project on its own port and clones with the bot token', async () => {
  const s = sandbox();
  expect(s.ports.gitlab).toBeGreaterThan(0);
  expect(s.ports.gitlab).not.toBe(7015);
  const me = await api('/user');
  expect(me.body).toMatchObject({ username: 'ml-gitops-bot', bot: true });
  const mrs = await api(project('/merge_requests?state=merged'));
  expect(mrs.body.map((m: any) => m.title)).toEqual([
    'Promote demand-forecaster 3 to staging',
    'Deploy demand-forecaster 3 to dev',
  ]);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gitlab-clone-'));
  try {
    const url = s.urls.gitlab.replace(
      '://',
      `://oauth2:${SANDBOX_CREDENTIALS.gitlab.token}@`,
    );
    await git(['clone', '--quiet', `${url}/${PROJECT}.git`, 'c'], { cwd: dir });
    const files = await git(
      ['ls-tree', '-r', '--name-only', 'origin/production'],
      {
        cwd: path.join(dir, 'c'),
      },
    );
    expect(files.split('\n')).toEqual(
      expect.arrayContaining([
        '.gitlab-ci.yml',
        'CODEOWNERS',
        'deploy/model.yaml',
      ]),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

it('lets a person approve and merge through the admin controls, under GitLab rules', async () => {
  const body = {
    branch: 'ml-gitops/promote/production/3',
    start_branch: 'production',
    commit_message: 'Promote demand-forecaster 3 to production',
    actions: [
      {
        action: 'update',
        file_path: 'deploy/model.yaml',
        content: 'model_version: "3"\n',
      },
    ],
  };
  await api(project('/repository/commits'), {
    method: 'POST',
    body: JSON.stringify(body),
  });
  const mr = await api(project('/merge_requests'), {
    method: 'POST',
    body: JSON.stringify({
      source_branch: body.branch,
      target_branch: 'production',
      title: body.commit_message,
    }),
  });
  await api(project(`/statuses/${mr.body.sha}`), {
    method: 'POST',
    body: JSON.stringify({ state: 'success', name: 'ml-gitops/validate' }),
  });
  const who = { project: PROJECT, iid: mr.body.iid };
  // the bot opened it; ada is no code owner of deploy/model.yaml
  expect((await admin('approve', { ...who, user: 'ada' })).status).toBe(200);
  const blocked = await admin('merge', { ...who, user: 'ada' });
  expect(blocked).toMatchObject({
    status: 405,
    body: { message: '405 Method Not Allowed' },
  });
  expect(
    (await admin('approve', { ...who, user: 'katherine' })).body,
  ).toMatchObject({ approvals: 2 });
  const merged = await admin('merge', { ...who, user: 'katherine' });
  expect(merged.body).toMatchObject({
    state: 'merged',
    merge_commit_sha: expect.stringMatching(/^[0-9a-f]{40}$/),
  });
  expect((await admin('merge', { ...who, user: 'nobody' })).status).toBe(400);

  await sandbox().reset();
  const after = await api(project(`/merge_requests/${mr.body.iid}`));
  expect(after.status).toBe(404);
});
