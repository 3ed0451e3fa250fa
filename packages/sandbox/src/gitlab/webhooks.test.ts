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
 * The GitLab emulator's push webhooks: a push to a project's branch is
 * posted to the configured URL as GitLab's "Push Hook", in the shape of
 * docs.gitlab.com/user/project/integrations/webhook_events ("Push events"),
 * with the secret token in `X-Gitlab-Token`.
 */

import fs from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from '../__testUtils__/useSandbox';
import { git } from '../lib/git';
import { SANDBOX_CREDENTIALS } from '../sandbox';

jest.setTimeout(180_000);

type Hook = { headers: http.IncomingHttpHeaders; body: string };

const PROJECT = 'ml-platform/demand-forecaster-config';
const SECRET = 'gitlab-hook-secret';
const hooks: Hook[] = [];
let hookUrl = '';

const hookServer = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    hooks.push({
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(202);
    res.end();
  });
});

beforeAll(async () => {
  await new Promise<void>(r => hookServer.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${
    (hookServer.address() as AddressInfo).port
  }/api/events/http/gitlab`;
});
afterAll(() => new Promise(r => hookServer.close(r)));

// The receiver's free port is known once its beforeAll ran, which is
// before the sandbox's: the URL is read then.
const sandbox = useSandbox({
  get gitlabWebhookUrl() {
    return hookUrl;
  },
  gitlabWebhookSecret: SECRET,
});

const api = (p: string, init: RequestInit = {}) =>
  fetch(
    `${sandbox().urls.gitlab}/api/v4/projects/${encodeURIComponent(
      PROJECT,
    )}${p}`,
    {
      ...init,
      headers: {
        'private-token': SANDBOX_CREDENTIALS.gitlab.token,
        'content-type': 'application/json',
      },
    },
  ).then(async r => ({ status: r.status, body: await r.json() }));

it('posts a Push Hook with the documented shape and the secret token', async () => {
  const before = await api('/repository/branches/dev');
  const commit = await api('/repository/commits', {
    method: 'POST',
    body: JSON.stringify({
      branch: 'dev',
      commit_message: 'Deploy demand-forecaster 4 to dev\n\nfrom the test',
      actions: [
        {
          action: 'update',
          file_path: 'deploy/model.yaml',
          content: 'model_version: "4"\n',
        },
      ],
    }),
  });
  expect(commit.status).toBe(201);
  await sandbox().webhooksIdle();

  expect(hooks).toHaveLength(1);
  const [hook] = hooks;
  expect(hook.headers).toMatchObject({
    'content-type': 'application/json',
    'x-gitlab-event': 'Push Hook',
    'x-gitlab-token': SECRET,
    'x-gitlab-instance': sandbox().urls.gitlab,
    'user-agent': expect.stringMatching(/^GitLab\/\d+\.\d+\.\d+$/),
    'x-gitlab-event-uuid': expect.stringMatching(/^[0-9a-f-]{36}$/),
    'x-gitlab-webhook-uuid': expect.stringMatching(/^[0-9a-f-]{36}$/),
  });
  const web = `${sandbox().urls.gitlab}/${PROJECT}`;
  const payload = JSON.parse(hook.body);
  expect(payload).toMatchObject({
    object_kind: 'push',
    event_name: 'push',
    before: before.body.commit.id,
    after: commit.body.id,
    ref: 'refs/heads/dev',
    // only staging and production are protected in the seed
    ref_protected: false,
    checkout_sha: commit.body.id,
    user_username: 'ml-gitops-bot',
    user_id: expect.any(Number),
    project_id: expect.any(Number),
    project: {
      name: 'demand-forecaster-config',
      web_url: web,
      git_http_url: `${web}.git`,
      path_with_namespace: PROJECT,
      default_branch: expect.any(String),
      homepage: web,
    },
    commits: [
      {
        id: commit.body.id,
        message: 'Deploy demand-forecaster 4 to dev\n\nfrom the test',
        title: 'Deploy demand-forecaster 4 to dev',
        url: `${web}/-/commit/${commit.body.id}`,
        author: { name: expect.any(String), email: expect.any(String) },
        added: [],
        modified: ['deploy/model.yaml'],
        removed: [],
      },
    ],
    total_commits_count: 1,
    repository: { homepage: web, git_http_url: `${web}.git` },
  });
  expect(payload.project_id).toBe(payload.project.id);

  // Recorded for tests and the admin state.
  expect(sandbox().gitlabWebhookDeliveries().slice(-1)[0]).toMatchObject({
    event: 'Push Hook',
    url: hookUrl,
    status: 202,
    payload: { ref: 'refs/heads/dev', after: commit.body.id },
  });
  // GitHub's pushes go to their own URL; this one saw none.
  expect(sandbox().webhookDeliveries()).toEqual([]);
});

it('sends a branch pushed over git with its new commits, and nothing for a tag', async () => {
  hooks.length = 0;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gitlab-hook-'));
  try {
    const url = sandbox().urls.gitlab.replace(
      '://',
      `://oauth2:${SANDBOX_CREDENTIALS.gitlab.token}@`,
    );
    await git(['clone', '--quiet', `${url}/${PROJECT}.git`, 'c'], { cwd: dir });
    const cwd = path.join(dir, 'c');
    await git(['checkout', '--quiet', '-b', 'experiment', 'origin/dev'], {
      cwd,
    });
    for (const n of [1, 2]) {
      await fs.writeFile(path.join(cwd, `notes-${n}.md`), `note ${n}\n`);
      await git(['add', '.'], { cwd });
      await git(
        [
          '-c',
          'user.name=Ada Lovelace',
          '-c',
          'user.email=ada@example.com',
          'commit',
          '--quiet',
          '-m',
          `Note ${n}`,
        ],
        { cwd },
      );
    }
    await git(['tag', 'v-test'], { cwd });
    await git(['push', '--quiet', 'origin', 'experiment', 'v-test'], { cwd });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  await sandbox().webhooksIdle();

  // The tag went with the push, but the hook is set up for push events:
  // GitLab sends tags as "Tag Push Hook" only to hooks that ask for them.
  expect(hooks.map(h => JSON.parse(h.body).ref)).toEqual([
    'refs/heads/experiment',
  ]);
  const payload = JSON.parse(hooks[0].body);
  expect(payload).toMatchObject({
    before: '0'.repeat(40),
    ref_protected: false,
    total_commits_count: 2,
  });
  // A new branch lists the commits the default branch does not have.
  expect(
    payload.commits.map((c: { title: string; added: string[] }) => [
      c.title,
      c.added,
    ]),
  ).toEqual([
    ['Note 1', ['notes-1.md']],
    ['Note 2', ['notes-2.md']],
  ]);
});

it('sends the push of a merge request merged into an environment branch', async () => {
  hooks.length = 0;
  const branch = 'ml-gitops/promote/staging/4';
  await api('/repository/commits', {
    method: 'POST',
    body: JSON.stringify({
      branch,
      start_branch: 'staging',
      commit_message: 'Promote demand-forecaster 4 to staging',
      actions: [
        {
          action: 'update',
          file_path: 'deploy/model.yaml',
          content: 'model_version: "4"\n',
        },
      ],
    }),
  });
  const mr = await api('/merge_requests', {
    method: 'POST',
    body: JSON.stringify({
      source_branch: branch,
      target_branch: 'staging',
      title: 'Promote demand-forecaster 4 to staging',
    }),
  });
  // "Pipelines must succeed" is on: the pipeline's check passes first.
  await api(`/statuses/${mr.body.sha}`, {
    method: 'POST',
    body: JSON.stringify({ state: 'success', name: 'ml-gitops/validate' }),
  });
  const merged = await fetch(`${sandbox().urls.admin}/_sandbox/gitlab/merge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ project: PROJECT, iid: mr.body.iid, user: 'ada' }),
  }).then(r => r.json());
  expect(merged).toMatchObject({ state: 'merged' });
  await sandbox().webhooksIdle();

  const staging = hooks
    .map(h => JSON.parse(h.body))
    .filter(p => p.ref === 'refs/heads/staging');
  expect(staging).toHaveLength(1);
  expect(staging[0]).toMatchObject({
    after: merged.merge_commit_sha,
    checkout_sha: merged.merge_commit_sha,
    ref_protected: true,
    user_username: 'ada',
    project: { path_with_namespace: PROJECT },
  });
});

it('takes a new URL and secret token from the admin controls', async () => {
  hooks.length = 0;
  const admin = (body: unknown) =>
    fetch(`${sandbox().urls.admin}/_sandbox/gitlab/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect((await admin({ secret: 'rotated' })).status).toBe(200);
  const push = (version: string) =>
    api('/repository/commits', {
      method: 'POST',
      body: JSON.stringify({
        branch: 'dev',
        commit_message: `Deploy demand-forecaster ${version} to dev`,
        actions: [
          {
            action: 'update',
            file_path: 'deploy/model.yaml',
            content: `model_version: "${version}"\n`,
          },
        ],
      }),
    });
  await push('6');
  await sandbox().webhooksIdle();
  expect(hooks.map(h => h.headers['x-gitlab-token'])).toEqual(['rotated']);

  // No URL: no hook is sent, none is recorded.
  const recorded = sandbox().gitlabWebhookDeliveries().length;
  await admin({ url: null });
  await push('7');
  await sandbox().webhooksIdle();
  expect(hooks).toHaveLength(1);
  expect(sandbox().gitlabWebhookDeliveries()).toHaveLength(recorded);
  // The GitHub hook's settings are its own.
  expect(await sandbox().state()).toMatchObject({
    webhook: { url: null, secret: null },
    gitlabWebhook: { url: null, secret: '(set)' },
  });
});
