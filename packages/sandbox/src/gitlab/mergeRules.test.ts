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
 * GitLab's merge rules in the emulator, each blocked and then allowed:
 * pipelines must succeed, approval rules and code owner approval, no
 * approval by the author, approvals reset on push, conflicts decided by
 * `git merge-tree`, merge_access_level, and protected branches refusing
 * real `git push` over smart HTTP.
 */

import fs from 'node:fs/promises';
import path from 'node:path';
import {
  ENCODED,
  PROJECT,
  TOKENS,
  useGitLab,
} from '../__testUtils__/useGitLab';

jest.setTimeout(90_000);

const gl = useGitLab();
const project = (p = '') => `/projects/${ENCODED}${p}`;

/** A branch off `base` whose manifest declares `version`, opened as a merge request by grace. */
async function openChange(
  base: string,
  branch: string,
  version: string,
  title = `Set ${version} in ${base}`,
) {
  const t = gl();
  const file = await t.call(
    'GET',
    project(`/repository/files/deploy%2Fmodel.yaml/raw?ref=${base}`),
  );
  const commit = await t.call('POST', project('/repository/commits'), {
    token: TOKENS.grace,
    body: {
      branch,
      start_branch: base,
      commit_message: title,
      actions: [
        {
          action: 'update',
          file_path: 'deploy/model.yaml',
          content: String(file.body).replace(
            /model_version: "[^"]*"/,
            `model_version: "${version}"`,
          ),
        },
      ],
    },
  });
  expect(commit.status).toBe(201);
  const mr = await t.call('POST', project('/merge_requests'), {
    token: TOKENS.grace,
    body: {
      source_branch: branch,
      target_branch: base,
      title,
      labels: 'ml-gitops/promotion',
    },
  });
  expect(mr.status).toBe(201);
  return mr.body;
}

const status = async (iid: number) =>
  (await gl().call('GET', project(`/merge_requests/${iid}`))).body
    .detailed_merge_status;

const pass = (sha: string, state = 'success') =>
  gl().call('POST', project(`/statuses/${sha}`), {
    body: { state, name: 'ml-gitops/validate' },
  });

const merge = (iid: number, token: string, body: unknown = {}) =>
  gl().call('PUT', project(`/merge_requests/${iid}/merge`), { token, body });

const approve = (iid: number, token: string) =>
  gl().call('POST', project(`/merge_requests/${iid}/approve`), {
    token,
    body: {},
  });

describe('merging into production', () => {
  it('needs a successful pipeline, one approval and a code owner, not the author', async () => {
    const t = gl();
    const mr = await openChange(
      'production',
      'ml-gitops/promote/production/3',
      '3',
    );
    expect(mr).toMatchObject({
      state: 'opened',
      detailed_merge_status: 'ci_must_pass',
      author: { username: 'grace' },
      labels: ['ml-gitops/promotion'],
    });
    expect(await merge(mr.iid, TOKENS.katherine)).toMatchObject({
      status: 405,
      body: { message: '405 Method Not Allowed' },
    });

    await pass(mr.sha, 'running');
    expect(await status(mr.iid)).toBe('ci_still_running');
    await pass(mr.sha, 'failed');
    expect(await status(mr.iid)).toBe('ci_must_pass');
    await pass(mr.sha, 'success');
    expect(await status(mr.iid)).toBe('not_approved');
    const approvals = await t.call(
      'GET',
      project(`/merge_requests/${mr.iid}/approvals`),
    );
    // the Production rule (any approver) and the code owners of deploy/model.yaml
    expect(approvals.body).toMatchObject({
      approved: false,
      approvals_required: 2,
      approvals_left: 2,
      approved_by: [],
    });

    // "Prevent approval by author"
    expect((await approve(mr.iid, TOKENS.grace)).status).toBe(401);
    // ada is a developer, not a code owner of deploy/model.yaml
    const byAda = await approve(mr.iid, TOKENS.ada);
    expect(byAda.status).toBe(201);
    expect(byAda.body).toMatchObject({ approvals_left: 1, approved: false });
    expect((await approve(mr.iid, TOKENS.ada)).status).toBe(401);
    expect(await status(mr.iid)).toBe('not_approved');
    expect((await merge(mr.iid, TOKENS.ada)).status).toBe(405);

    // katherine is in @ml-platform, an owner of deploy/model.yaml
    const byKatherine = await approve(mr.iid, TOKENS.katherine);
    expect(byKatherine.body).toMatchObject({
      approved: true,
      approvals_left: 0,
      approved_by: [
        { user: expect.objectContaining({ username: 'ada' }) },
        { user: expect.objectContaining({ username: 'katherine' }) },
      ],
    });
    expect(await status(mr.iid)).toBe('mergeable');

    const before = await t.call(
      'GET',
      project('/repository/branches/production'),
    );
    expect(
      await merge(mr.iid, TOKENS.ada, { sha: before.body.commit.id }),
    ).toMatchObject({
      status: 409,
      body: { message: `SHA does not match HEAD of source branch: ${mr.sha}` },
    });
    const merged = await merge(mr.iid, TOKENS.ada, { sha: mr.sha });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({
      state: 'merged',
      merge_user: { username: 'ada' },
      merged_by: { username: 'ada' },
      merged_at: expect.any(String),
      detailed_merge_status: 'not_open',
    });
    const after = await t.call(
      'GET',
      project('/repository/branches/production'),
    );
    expect(after.body.commit.id).toBe(merged.body.merge_commit_sha);
    const commit = await t.call(
      'GET',
      project(`/repository/commits/${merged.body.merge_commit_sha}`),
    );
    expect(commit.body).toMatchObject({
      parent_ids: [before.body.commit.id, mr.sha],
      message: `Merge branch 'ml-gitops/promote/production/3' into 'production'\n\nSet 3 in production\n\nSee merge request ${PROJECT}!${mr.iid}`,
      author_name: 'Ada Lovelace',
    });
    expect((await merge(mr.iid, TOKENS.ada)).status).toBe(405);
  });

  it('resets approvals when commits are pushed to the source branch', async () => {
    const t = gl();
    const mr = await openChange(
      'production',
      'ml-gitops/rollback/production/2',
      '2',
    );
    await pass(mr.sha);
    await approve(mr.iid, TOKENS.ada);
    await approve(mr.iid, TOKENS.katherine);
    expect(await status(mr.iid)).toBe('mergeable');

    const pushed = await t.call('POST', project('/repository/commits'), {
      token: TOKENS.grace,
      body: {
        branch: mr.source_branch,
        commit_message: 'Say why',
        actions: [{ action: 'create', file_path: 'WHY.md', content: 'why\n' }],
      },
    });
    const approvals = await t.call(
      'GET',
      project(`/merge_requests/${mr.iid}/approvals`),
    );
    // Approvals are gone. WHY.md falls under `*` (growth-ml), whose only
    // member is grace, the author, who may not approve: GitLab asks nothing
    // of such a rule (approval_wrapped_code_owner_rule.rb), so the rule of
    // the project and deploy/model.yaml's owners are left.
    expect(approvals.body).toMatchObject({
      approved: false,
      approvals_required: 2,
      approvals_left: 2,
      approved_by: [],
    });
    const moved = await t.call('GET', project(`/merge_requests/${mr.iid}`));
    expect(moved.body.sha).toBe(pushed.body.id);
    // the new head has no pipeline yet
    expect(moved.body.detailed_merge_status).toBe('ci_must_pass');
  });
});

describe('approval rules without approvers', () => {
  it('counts a regular rule that nobody may approve as met, as GitLab does', async () => {
    const t = gl();
    const production = (await t.call('GET', project('/protected_branches')))
      .body as Array<{ id: number; name: string }>;
    const rule = await t.call('POST', project('/approval_rules'), {
      token: TOKENS.katherine,
      body: {
        name: 'nobody named',
        approvals_required: 2,
        protected_branch_ids: [
          production.find(b => b.name === 'production')!.id,
        ],
      },
    });
    expect(rule.status).toBe(201);
    const mr = await openChange(
      'production',
      'ml-gitops/promote/production/4',
      '4',
    );
    const approvals = await t.call(
      'GET',
      project(`/merge_requests/${mr.iid}/approvals`),
    );
    // the seeded any-approver rule and the code owners still ask
    expect(approvals.body.approval_rules_left).toEqual(
      expect.not.arrayContaining([
        expect.objectContaining({ name: 'nobody named' }),
      ]),
    );
    expect(approvals.body.approvals_left).toBeGreaterThan(0);
  });
});

describe('conflicts and who may merge', () => {
  it('reports a conflict decided by git merge-tree and refuses the merge with 422', async () => {
    const a = await openChange('dev', 'change-a', '1', 'Set 1 in dev');
    const b = await openChange('dev', 'change-b', '2', 'Set 2 in dev');
    await pass(a.sha);
    await pass(b.sha);
    expect(await status(b.iid)).toBe('mergeable');
    expect((await merge(a.iid, TOKENS.grace)).status).toBe(200);
    const conflicted = await gl().call(
      'GET',
      project(`/merge_requests/${b.iid}`),
    );
    expect(conflicted.body).toMatchObject({
      detailed_merge_status: 'conflict',
      has_conflicts: true,
      merge_status: 'cannot_be_merged',
    });
    expect(await merge(b.iid, TOKENS.grace)).toMatchObject({
      status: 422,
      body: { message: 'Branch cannot be merged' },
    });

    // grace resolves it on her branch: both sides now declare 1
    const model = await gl().call(
      'GET',
      project('/repository/files/deploy%2Fmodel.yaml/raw?ref=change-b'),
    );
    const fixed = await gl().call('POST', project('/repository/commits'), {
      token: TOKENS.grace,
      body: {
        branch: 'change-b',
        commit_message: 'Resolve: keep 1',
        actions: [
          {
            action: 'update',
            file_path: 'deploy/model.yaml',
            content: String(model.body).replace(
              'model_version: "2"',
              'model_version: "1"',
            ),
          },
        ],
      },
    });
    await pass(fixed.body.id);
    expect(await status(b.iid)).toBe('mergeable');
    expect((await merge(b.iid, TOKENS.grace)).status).toBe(200);
  });

  it('lets only the roles at merge_access_level merge', async () => {
    const t = gl();
    const rule = await t.call('POST', project('/protected_branches'), {
      body: {
        name: 'release/*',
        push_access_level: 30,
        merge_access_level: 40,
        allow_force_push: false,
      },
    });
    expect(rule.status).toBe(201);
    expect(rule.body).toMatchObject({
      name: 'release/*',
      merge_access_levels: [
        { access_level: 40, access_level_description: 'Maintainers' },
      ],
      allow_force_push: false,
    });
    expect(
      (
        await t.call('POST', project('/protected_branches'), {
          body: { name: 'release/*' },
        })
      ).status,
    ).toBe(409);
    await t.call(
      'POST',
      project('/repository/branches?branch=release/1&ref=dev'),
    );
    const mr = await openChange(
      'release/1',
      'release-fix',
      '3',
      'Set 3 in release/1',
    );
    await pass(mr.sha);
    expect(await status(mr.iid)).toBe('mergeable');
    expect(await merge(mr.iid, TOKENS.ada)).toMatchObject({
      status: 401,
      body: { message: '401 Unauthorized' },
    });
    expect((await merge(mr.iid, TOKENS.katherine)).status).toBe(200);
  });

  it('answers 409 for a merge request that already exists', async () => {
    const t = gl();
    await t.call('POST', project('/repository/branches?branch=dup&ref=dev'));
    await t.call('POST', project('/repository/commits'), {
      body: {
        branch: 'dup',
        commit_message: 'x',
        actions: [{ action: 'create', file_path: 'dup.txt', content: 'x' }],
      },
    });
    const body = { source_branch: 'dup', target_branch: 'dev', title: 'Dup' };
    const first = await t.call('POST', project('/merge_requests'), { body });
    const second = await t.call('POST', project('/merge_requests'), { body });
    expect(second).toMatchObject({
      status: 409,
      body: {
        message: [
          `Another open merge request already exists for this source branch: !${first.body.iid}`,
        ],
      },
    });
    const closed = await t.call(
      'PUT',
      project(`/merge_requests/${first.body.iid}`),
      {
        body: { state_event: 'close', add_labels: 'stale' },
      },
    );
    expect(closed.body).toMatchObject({ state: 'closed', labels: ['stale'] });
    const note = await t.call(
      'POST',
      project(`/merge_requests/${first.body.iid}/notes`),
      { body: { body: 'Superseded.' } },
    );
    expect(note).toMatchObject({
      status: 201,
      body: { body: 'Superseded.', noteable_iid: first.body.iid },
    });
  });
});

describe('protected branches over git push', () => {
  let work: string;
  const gitAs = (token: string, args: string[]) =>
    gl().gitIn(work, [
      '-c',
      'user.name=Someone',
      '-c',
      'user.email=someone@example.com',
      ...args.map(a => a.replace('ORIGIN', gl().cloneUrl(token))),
    ]);

  beforeAll(async () => {
    work = path.join(gl().dir, 'push-work');
    await fs.mkdir(work);
    await gl().gitIn(gl().dir, [
      'clone',
      '--quiet',
      gl().cloneUrl(TOKENS.grace),
      work,
    ]);
  });

  it('refuses pushes to a branch with push_access_level 0, for maintainers too', async () => {
    await gitAs(TOKENS.grace, ['checkout', '--quiet', 'staging']);
    await gitAs(TOKENS.grace, [
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'direct',
    ]);
    for (const token of [TOKENS.grace, TOKENS.katherine]) {
      await expect(gitAs(token, ['push', 'ORIGIN', 'staging'])).rejects.toThrow(
        /remote: GitLab: You are not allowed to push code to protected branches on this project\./,
      );
    }
    // an unprotected branch takes the same commit
    await gitAs(TOKENS.grace, [
      'push',
      '--quiet',
      'ORIGIN',
      'HEAD:refs/heads/grace-work',
    ]);
    const b = await gl().call(
      'GET',
      project('/repository/branches/grace-work'),
    );
    expect(b.status).toBe(200);
  });

  it('refuses force pushes to a protected branch developers may push to', async () => {
    const t = gl();
    const rule = await t.call('POST', project('/protected_branches'), {
      body: {
        name: 'grace-work',
        push_access_level: 30,
        merge_access_level: 30,
      },
    });
    expect(rule.status).toBe(201);
    await gitAs(TOKENS.grace, [
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'next',
    ]);
    await gitAs(TOKENS.grace, [
      'push',
      '--quiet',
      'ORIGIN',
      'HEAD:refs/heads/grace-work',
    ]);
    await gitAs(TOKENS.grace, ['reset', '--quiet', '--hard', 'HEAD~1']);
    await gitAs(TOKENS.grace, [
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'rewritten',
    ]);
    await expect(
      gitAs(TOKENS.grace, [
        'push',
        '--force',
        'ORIGIN',
        'HEAD:refs/heads/grace-work',
      ]),
    ).rejects.toThrow(
      /remote: GitLab: You are not allowed to force push code to a protected branch on this project\./,
    );
    expect(
      (await t.call('DELETE', project('/protected_branches/grace-work')))
        .status,
    ).toBe(204);
    await gitAs(TOKENS.grace, [
      'push',
      '--quiet',
      '--force',
      'ORIGIN',
      'HEAD:refs/heads/grace-work',
    ]);
  });

  it('refuses a token it does not know', async () => {
    await expect(
      gitAs('wrong-token', ['push', 'ORIGIN', 'HEAD:refs/heads/nobody']),
    ).rejects.toThrow(/Authentication failed|HTTP Basic: Access denied|401/);
  });

  it('resets approvals when a git push moves the source branch', async () => {
    const mr = await openChange(
      'production',
      'via-git',
      '1',
      'Set 1 in production',
    );
    await pass(mr.sha);
    await approve(mr.iid, TOKENS.katherine);
    await gitAs(TOKENS.grace, ['fetch', '--quiet', 'ORIGIN', 'via-git']);
    await gitAs(TOKENS.grace, [
      'checkout',
      '--quiet',
      '-B',
      'via-git',
      'FETCH_HEAD',
    ]);
    await gitAs(TOKENS.grace, [
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'more',
    ]);
    await gitAs(TOKENS.grace, ['push', '--quiet', 'ORIGIN', 'via-git']);
    const approvals = await gl().call(
      'GET',
      project(`/merge_requests/${mr.iid}/approvals`),
    );
    expect(approvals.body.approved_by).toEqual([]);
  });
});
