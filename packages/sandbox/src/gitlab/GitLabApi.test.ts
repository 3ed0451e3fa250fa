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
 * The GitLab emulator's REST routes, paging, auth, GraphQL and commits,
 * against its seeded project (answers as docs.gitlab.com/api describes).
 */

import {
  ENCODED,
  PROJECT,
  TOKENS,
  useGitLab,
} from '../__testUtils__/useGitLab';

jest.setTimeout(60_000);

const gl = useGitLab();
const project = (p = '') => `/projects/${ENCODED}${p}`;

describe('authentication', () => {
  it('takes PRIVATE-TOKEN or a Bearer token and names the token user', async () => {
    const a = await gl().call('GET', '/user');
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ username: 'ml-gitops-bot', bot: true });
    const b = await gl().call('GET', '/user', {
      token: TOKENS.ada,
      bearer: true,
    });
    expect(b.body).toMatchObject({ username: 'ada', bot: false });
  });

  it('answers 401 without a token or with an unknown one', async () => {
    for (const token of [null, 'not-a-token']) {
      const res = await gl().call('GET', project(), { token });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: '401 Unauthorized' });
    }
  });

  it('answers 429 with Retry-After and RateLimit-Reset when throttled', async () => {
    gl().api.rateLimitNext(1, 30);
    const res = await gl().call('GET', project());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(
      Date.now() / 1000,
    );
    expect((await gl().call('GET', project())).status).toBe(200);
  });
});

describe('projects, groups and users', () => {
  it('finds the project by encoded full path and by id', async () => {
    const byPath = await gl().call('GET', project());
    expect(byPath.status).toBe(200);
    expect(byPath.body).toMatchObject({
      path_with_namespace: PROJECT,
      default_branch: 'dev',
      visibility: 'internal',
      only_allow_merge_if_pipeline_succeeds: true,
      namespace: { kind: 'group', full_path: 'ml-platform' },
      http_url_to_repo: `${gl().url}/${PROJECT}.git`,
    });
    const byId = await gl().call('GET', `/projects/${byPath.body.id}`);
    expect(byId.body.path_with_namespace).toBe(PROJECT);
    const missing = await gl().call('GET', '/projects/ml-platform%2Fnope');
    expect(missing).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
  });

  it('answers namespaces, groups and users', async () => {
    const ns = await gl().call('GET', '/namespaces/ml-platform%2Fgrowth-ml');
    expect(ns.body).toMatchObject({
      kind: 'group',
      full_path: 'ml-platform/growth-ml',
    });
    const group = await gl().call('GET', '/groups/ml-platform');
    expect(group.body).toMatchObject({ full_path: 'ml-platform' });
    const users = await gl().call('GET', '/users?username=katherine');
    expect(users.body).toEqual([
      expect.objectContaining({ username: 'katherine', bot: false }),
    ]);
    const bot = await gl().call('GET', `/users/${users.body[0].id}`);
    expect(bot.body.name).toBe('Katherine Johnson');
  });

  it('creates a project in a group and refuses the same path twice', async () => {
    const ns = await gl().call('GET', '/namespaces/ml-platform');
    const body = {
      name: 'scratch-config',
      path: 'scratch-config',
      namespace_id: ns.body.id,
      visibility: 'private',
      description: 'scratch',
      initialize_with_readme: true,
    };
    const created = await gl().call('POST', '/projects', { body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      path_with_namespace: 'ml-platform/scratch-config',
      default_branch: 'main',
      empty_repo: false,
    });
    const again = await gl().call('POST', '/projects', { body });
    expect(again.status).toBe(400);
    expect(again.body.message.path).toEqual(['has already been taken']);
    // private: not visible to a user who is no member
    const asAda = await gl().call(
      'GET',
      `/projects/${encodeURIComponent('ml-platform/scratch-config')}`,
      { token: TOKENS.ada },
    );
    expect(asAda.status).toBe(404);
    const updated = await gl().call('PUT', `/projects/${created.body.id}`, {
      body: { only_allow_merge_if_pipeline_succeeds: true },
    });
    expect(updated.body.only_allow_merge_if_pipeline_succeeds).toBe(true);
    const badBranch = await gl().call('PUT', `/projects/${created.body.id}`, {
      body: { default_branch: 'nope' },
    });
    expect(badBranch.status).toBe(400);
  });
});

describe('branches', () => {
  it('pages through branches with GitLab headers', async () => {
    for (const n of [1, 2, 3]) {
      const res = await gl().call(
        'POST',
        project(`/repository/branches?branch=feature-${n}&ref=dev`),
      );
      expect(res.status).toBe(201);
    }
    const first = await gl().call(
      'GET',
      project('/repository/branches?per_page=2'),
    );
    expect(first.body.map((b: any) => b.name)).toEqual(['dev', 'feature-1']);
    expect(first.body[0]).toMatchObject({
      default: true,
      protected: false,
      commit: { id: expect.stringMatching(/^[0-9a-f]{40}$/) },
    });
    expect(first.headers.get('x-next-page')).toBe('2');
    expect(first.headers.get('x-total')).toBe('6');
    expect(first.headers.get('link')).toContain('rel="next"');
    const last = await gl().call(
      'GET',
      project('/repository/branches?per_page=2&page=3'),
    );
    expect(last.body.map((b: any) => b.name)).toEqual([
      'production',
      'staging',
    ]);
    expect(last.body[0].protected).toBe(true);
    expect(last.headers.get('x-next-page')).toBe('');
    expect(last.headers.get('link')).not.toContain('rel="next"');
  });

  it('gets, refuses duplicates, deletes, and 404s missing branches', async () => {
    const one = await gl().call('GET', project('/repository/branches/staging'));
    expect(one.body).toMatchObject({ name: 'staging', protected: true });
    const dup = await gl().call(
      'POST',
      project('/repository/branches?branch=feature-1&ref=dev'),
    );
    expect(dup).toMatchObject({
      status: 400,
      body: { message: 'Branch already exists' },
    });
    const del = await gl().call(
      'DELETE',
      project('/repository/branches/feature-3'),
    );
    expect(del.status).toBe(204);
    const gone = await gl().call(
      'GET',
      project('/repository/branches/feature-3'),
    );
    expect(gone).toMatchObject({
      status: 404,
      body: { message: '404 Branch Not Found' },
    });
  });
});

describe('files and commits', () => {
  it('reads a file with its blob and last commit, and raw', async () => {
    const file = await gl().call(
      'GET',
      project('/repository/files/deploy%2Fmodel.yaml?ref=production'),
    );
    expect(file.status).toBe(200);
    expect(file.body).toMatchObject({
      file_name: 'model.yaml',
      file_path: 'deploy/model.yaml',
      encoding: 'base64',
      ref: 'production',
      blob_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      commit_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      last_commit_id: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    const text = Buffer.from(file.body.content, 'base64').toString();
    expect(text).toContain('model_version: "2"');
    expect(text).toContain('registry: kubeflow-default');
    const raw = await gl().call(
      'GET',
      project('/repository/files/deploy%2Fmodel.yaml/raw?ref=dev'),
    );
    expect(raw.body).toContain('model_version: "3"');
    const missing = await gl().call(
      'GET',
      project('/repository/files/nope.txt?ref=dev'),
    );
    expect(missing.body).toEqual({ message: '404 File Not Found' });
    const noRef = await gl().call(
      'GET',
      project('/repository/files/deploy%2Fmodel.yaml'),
    );
    expect(noRef).toMatchObject({
      status: 400,
      body: { error: 'ref is missing' },
    });
  });

  it('commits actions on a new branch and refuses a stale last_commit_id', async () => {
    const before = await gl().call(
      'GET',
      project('/repository/files/deploy%2Fmodel.yaml?ref=dev'),
    );
    const commit = await gl().call('POST', project('/repository/commits'), {
      body: {
        branch: 'ml-gitops/deploy/dev/2',
        start_branch: 'dev',
        commit_message: 'Deploy demand-forecaster 2 to dev',
        actions: [
          {
            action: 'update',
            file_path: 'deploy/model.yaml',
            content: 'model_version: "2"\n',
            last_commit_id: before.body.last_commit_id,
          },
          { action: 'create', file_path: 'notes/a.txt', content: 'a\n' },
        ],
      },
    });
    expect(commit.status).toBe(201);
    expect(commit.body).toMatchObject({
      title: 'Deploy demand-forecaster 2 to dev',
      author_name: 'ML GitOps Bot',
      parent_ids: [before.body.commit_id],
    });
    const got = await gl().call(
      'GET',
      project(`/repository/commits/${commit.body.id}`),
    );
    expect(got.body).toMatchObject({
      id: commit.body.id,
      stats: { total: expect.any(Number) },
    });

    // the file changed since `before` was read: GitLab refuses the update
    const stale = await gl().call('POST', project('/repository/commits'), {
      body: {
        branch: 'ml-gitops/deploy/dev/2',
        commit_message: 'again',
        actions: [
          {
            action: 'update',
            file_path: 'deploy/model.yaml',
            content: 'model_version: "1"\n',
            last_commit_id: before.body.last_commit_id,
          },
        ],
      },
    });
    expect(stale).toMatchObject({
      status: 400,
      body: {
        message:
          'You are attempting to update a file that has changed since you started editing it.',
      },
    });
    const exists = await gl().call('POST', project('/repository/commits'), {
      body: {
        branch: 'ml-gitops/deploy/dev/2',
        commit_message: 'again',
        actions: [{ action: 'create', file_path: 'notes/a.txt', content: '' }],
      },
    });
    expect(exists.body).toEqual({
      message: 'A file with this name already exists',
    });
  });

  it('refuses API commits to a branch no one may push to', async () => {
    const res = await gl().call('POST', project('/repository/commits'), {
      body: {
        branch: 'production',
        commit_message: 'direct',
        actions: [{ action: 'create', file_path: 'x.txt', content: 'x' }],
      },
    });
    expect(res).toMatchObject({
      status: 403,
      body: {
        message: '403 Forbidden - You are not allowed to push into this branch',
      },
    });
  });

  it('lists the merge requests of a commit', async () => {
    const mrs = await gl().call(
      'GET',
      project('/merge_requests?state=merged&target_branch=staging'),
    );
    expect(mrs.body).toHaveLength(1);
    const [mr] = mrs.body;
    for (const sha of [mr.sha, mr.merge_commit_sha]) {
      const related = await gl().call(
        'GET',
        project(`/repository/commits/${sha}/merge_requests`),
      );
      expect(related.body.map((m: any) => m.iid)).toEqual([mr.iid]);
    }
  });
});

describe('GraphQL branch heads', () => {
  const query = `query { projects(fullPaths: ["${PROJECT}", "ml-platform/nope"], first: 100) {
    nodes { fullPath repository { b0: commit(ref: "dev") { sha } b1: commit(ref: "nope") { sha } } } } }`;
  const post = (q: string, token = TOKENS.bot) =>
    fetch(`${gl().url}/api/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: q }),
    }).then(async r => ({ status: r.status, body: await r.json() }));

  it('answers a present branch with its head and a missing one with null', async () => {
    const dev = await gl().call('GET', project('/repository/branches/dev'));
    const res = await post(query);
    expect(res.body).toEqual({
      data: {
        projects: {
          nodes: [
            {
              fullPath: PROJECT,
              repository: { b0: { sha: dev.body.commit.id }, b1: null },
            },
          ],
        },
      },
    });
  });

  it('refuses more than 50 full paths, as GitLab does', async () => {
    const paths = Array.from({ length: 51 }, (_, i) => `"ml-platform/p${i}"`);
    const res = await post(
      `query { projects(fullPaths: [${paths.join(
        ', ',
      )}]) { nodes { fullPath } } }`,
    );
    expect(res.body.errors[0].message).toBe(
      'You cannot provide more than 50 full_paths',
    );
  });

  it('answers as an older GitLab without Repository.commit', async () => {
    gl().host.graphqlCommitField = false;
    try {
      const res = await post(query);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors[0]).toMatchObject({
        message: "Field 'commit' doesn't exist on type 'Repository'",
        extensions: { code: 'undefinedField' },
      });
    } finally {
      gl().host.graphqlCommitField = true;
    }
  });
});

describe('pipelines and commit statuses', () => {
  it('records an external status as a job of a pipeline of the commit', async () => {
    const branch = await gl().call(
      'GET',
      project('/repository/branches/feature-1'),
    );
    const sha = branch.body.commit.id;
    const posted = await gl().call('POST', project(`/statuses/${sha}`), {
      body: {
        state: 'running',
        name: 'ml-gitops/validate',
        target_url: 'http://ci/1',
        description: 'checking',
      },
    });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({
      sha,
      status: 'running',
      name: 'ml-gitops/validate',
    });
    await gl().call('POST', project(`/statuses/${sha}`), {
      body: { state: 'success', name: 'ml-gitops/validate' },
    });
    const list = await gl().call('GET', project(`/pipelines?sha=${sha}`));
    expect(list.body).toEqual([
      expect.objectContaining({ sha, status: 'success', source: 'external' }),
    ]);
    const bad = await gl().call('POST', project(`/statuses/${sha}`), {
      body: { state: 'great', name: 'x' },
    });
    expect(bad.status).toBe(400);
    const reporter = await gl().call('POST', project(`/statuses/${sha}`), {
      body: { state: 'success', name: 'x' },
      token: 'sandbox-gitlab-katherine-token',
    });
    // katherine maintains the group: she may
    expect(reporter.status).toBe(201);
  });
});

describe('tiers', () => {
  it('has no approval rules API on Free', async () => {
    gl().host.tier = 'free';
    try {
      const res = await gl().call('GET', project('/approval_rules'));
      expect(res).toMatchObject({
        status: 404,
        body: { error: '404 Not Found' },
      });
    } finally {
      gl().host.tier = 'premium';
    }
    const rules = await gl().call('GET', project('/approval_rules'));
    expect(rules.body).toEqual([
      expect.objectContaining({
        name: 'Production',
        rule_type: 'any_approver',
        approvals_required: 1,
        protected_branches: [expect.objectContaining({ name: 'production' })],
      }),
    ]);
  });
});
