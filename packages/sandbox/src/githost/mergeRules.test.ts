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
 * GitHub's merge rules as the Git host enforces them, each on its own
 * repository (real bare repositories, real HTTP): refused with 405 and the
 * mergeable_state GitHub shows, then merged once the cause is fixed.
 */

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useSandbox } from '../__testUtils__/useSandbox';
import { git } from '../lib/git';
import { ACTIONS_TOKEN, GITHUB_ACTIONS_APP } from '../seed/data';
import {
  ownerList,
  ownersOf,
  parseCodeOwners,
  patternMatches,
} from './protection';

jest.setTimeout(120_000);

type Json = Record<string, any>;

const CHECK = 'ml-gitops/validate';
const ADMIN = `Basic ${Buffer.from('admin:x').toString('base64')}`;

describe('merge rules', () => {
  const sandbox = useSandbox();

  const call = async (
    method: string,
    p: string,
    body?: unknown,
    authorization?: string,
  ): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${sandbox().urls.gitApi}${p}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(authorization ? { authorization } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };

  let repoCount = 0;
  /** A new repo with `main` (README.md) and the given collaborators and teams. */
  async function newRepo(access: string[] = []) {
    const name = `rules-${++repoCount}`;
    const created = await call('POST', '/orgs/acme/repos', {
      name,
      private: false,
      auto_init: true,
    });
    expect(created.status).toBe(201);
    const r = `/repos/acme/${name}`;
    for (const who of access) {
      const res = who.includes('/')
        ? await call('PUT', `/orgs/acme/teams/${who.split('/')[1]}${r}`, {
            permission: 'push',
          })
        : await call('PUT', `${r}/collaborators/${who}`, {
            permission: 'push',
          });
      expect(res.status).toBe(204);
    }
    return r;
  }

  const headOf = async (r: string, name: string) =>
    (await call('GET', `${r}/branches/${name}`)).body.commit.sha as string;

  /** Writes a file on a branch through the contents API (as `admin` when asked). */
  async function write(
    r: string,
    ref: string,
    file: string,
    text: string,
    authorization?: string,
  ) {
    const current = await call(
      'GET',
      `${r}/contents/${file}?ref=${encodeURIComponent(ref)}`,
    );
    const put = await call(
      'PUT',
      `${r}/contents/${file}`,
      {
        message: `Write ${file}`,
        content: Buffer.from(text).toString('base64'),
        branch: ref,
        ...(current.status === 200 ? { sha: current.body.sha } : {}),
      },
      authorization,
    );
    expect([200, 201]).toContain(put.status);
    return put.body.commit.sha as string;
  }

  async function branch(r: string, name: string, from = 'main') {
    const created = await call('POST', `${r}/git/refs`, {
      ref: `refs/heads/${name}`,
      sha: await headOf(r, from),
    });
    expect(created.status).toBe(201);
  }

  async function openPull(r: string, head: string, base = 'main') {
    const pr = await call('POST', `${r}/pulls`, { title: head, head, base });
    expect(pr.status).toBe(201);
    return pr.body.number as number;
  }

  const pull = async (r: string, n: number) =>
    (await call('GET', `${r}/pulls/${n}`)).body;
  const merge = (r: string, n: number) =>
    call('PUT', `${r}/pulls/${n}/merge`, { merge_method: 'merge' });
  const review = (r: string, n: number, user: string, event = 'APPROVE') =>
    call('POST', `${r}/pulls/${n}/reviews`, { event, user });
  const status = (r: string, sha: string, state: string, token?: string) =>
    call(
      'POST',
      `${r}/statuses/${sha}`,
      { state, context: CHECK },
      token ? `token ${token}` : undefined,
    );

  async function protect(r: string, branchName: string, body: Json) {
    const res = await call('PUT', `${r}/branches/${branchName}/protection`, {
      required_status_checks: null,
      enforce_admins: false,
      required_pull_request_reviews: null,
      restrictions: null,
      ...body,
    });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Merges the base into the PR's branch, as "Update branch" does. */
  async function updateBranch(r: string, n: number) {
    const pr = await pull(r, n);
    const repo = sandbox().current().repos.get('acme', r.split('/')[3])!;
    const base = await headOf(r, pr.base.ref);
    const tree = await sandbox()
      .current()
      .repos.mergeTree(repo, base, pr.head.sha);
    const commit = await call('POST', `${r}/git/commits`, {
      message: `Merge branch '${pr.base.ref}' into ${pr.head.ref}`,
      tree,
      parents: [pr.head.sha, base],
    });
    const moved = await call('PATCH', `${r}/git/refs/heads/${pr.head.ref}`, {
      sha: commit.body.sha,
    });
    expect(moved.status).toBe(200);
    return commit.body.sha as string;
  }

  const contains = async (r: string, ancestor: string, descendant: string) => {
    const repo = sandbox().current().repos.get('acme', r.split('/')[3])!;
    return sandbox().current().repos.isAncestor(repo, ancestor, descendant);
  };

  it('strict required checks: a head behind its base is "behind" and refused until it contains the base', async () => {
    const r = await newRepo();
    await protect(r, 'main', {
      required_status_checks: { strict: false, contexts: [CHECK] },
    });
    await branch(r, 'change');
    const head = await write(r, 'change', 'a.txt', 'a\n');
    const n = await openPull(r, 'change');
    await status(r, head, 'success');
    expect(await pull(r, n)).toMatchObject({
      mergeable: true,
      mergeable_state: 'clean',
    });
    // the base moves on (an admin may write to it)
    const base = await write(r, 'main', 'b.txt', 'b\n', ADMIN);
    expect(await contains(r, base, head)).toBe(false);
    // loose: being behind does not matter
    expect((await pull(r, n)).mergeable_state).toBe('clean');

    await protect(r, 'main', {
      required_status_checks: { strict: true, contexts: [CHECK] },
    });
    expect(await pull(r, n)).toMatchObject({
      mergeable: true,
      mergeable_state: 'behind',
    });
    const refused = await merge(r, n);
    expect(refused.status).toBe(405);
    expect(refused.body.message).toBe(
      `Required status check "${CHECK}" is expected.`,
    );

    // "Update branch": the head now contains the base; checked again
    const updated = await updateBranch(r, n);
    expect(await contains(r, base, updated)).toBe(true);
    expect((await pull(r, n)).mergeable_state).toBe('blocked');
    await status(r, updated, 'success');
    expect((await pull(r, n)).mergeable_state).toBe('clean');
    const merged = await merge(r, n);
    expect(merged.status).toBe(200);
    expect(merged.body.merged).toBe(true);
  });

  it('a pull request whose head branch comes to point at its base commit is closed for good', async () => {
    const r = await newRepo();
    await branch(r, 'change');
    const base = await headOf(r, 'main');
    await write(r, 'change', 'a.txt', 'a\n');
    const n = await openPull(r, 'change');
    expect((await pull(r, n)).state).toBe('open');
    // a branch "rebuilt" in two steps: first moved back to the base...
    const moved = await call('PATCH', `${r}/git/refs/heads/change`, {
      sha: base,
      force: true,
    });
    expect(moved.status).toBe(200);
    expect((await pull(r, n)).state).toBe('closed');
    // ...and a new commit on it later does not bring the pull request back
    await write(r, 'change', 'a.txt', 'again\n');
    expect((await pull(r, n)).state).toBe('closed');
    const listed = await call('GET', `${r}/pulls?state=open&head=acme:change`);
    expect(listed.body).toEqual([]);
  });

  it('conflicts: mergeable false, "dirty", 405 until the conflict is resolved on the head', async () => {
    const r = await newRepo();
    await branch(r, 'edit');
    await write(r, 'edit', 'README.md', 'from the branch\n');
    await write(r, 'main', 'README.md', 'from main\n');
    const n = await openPull(r, 'edit');
    expect(await pull(r, n)).toMatchObject({
      mergeable: false,
      mergeable_state: 'dirty',
    });
    const refused = await merge(r, n);
    expect(refused.status).toBe(405);
    expect(refused.body.message).toBe('Pull Request is not mergeable');

    // resolved in the branch's favour: a merge commit of main into it
    const pr = await pull(r, n);
    const tree = (await call('GET', `${r}/git/commits/${pr.head.sha}`)).body
      .tree.sha;
    const resolved = await call('POST', `${r}/git/commits`, {
      message: "Merge branch 'main' into edit",
      tree,
      parents: [pr.head.sha, await headOf(r, 'main')],
    });
    await call('PATCH', `${r}/git/refs/heads/edit`, {
      sha: resolved.body.sha,
    });
    expect(await pull(r, n)).toMatchObject({
      mergeable: true,
      mergeable_state: 'clean',
    });
    expect((await merge(r, n)).status).toBe(200);
  });

  it('approving reviews: only by people with write access, the latest per person, stale ones dismissed', async () => {
    const r = await newRepo(['katherine']);
    await protect(r, 'main', {
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        dismiss_stale_reviews: true,
      },
    });
    await branch(r, 'change');
    await write(r, 'change', 'a.txt', 'one\n');
    const n = await openPull(r, 'change');
    const needOne =
      'At least 1 approving review is required by reviewers with write access.';

    // ada has no write access: her approval does not count
    expect((await review(r, n, 'ada')).status).toBe(200);
    expect((await pull(r, n)).mergeable_state).toBe('blocked');
    expect((await merge(r, n)).body.message).toBe(needOne);

    // katherine asks for changes, then approves: her latest review counts
    await review(r, n, 'katherine', 'REQUEST_CHANGES');
    expect((await merge(r, n)).status).toBe(405);
    await review(r, n, 'katherine');
    expect((await pull(r, n)).mergeable_state).toBe('clean');

    // a push makes the approval stale
    await write(r, 'change', 'a.txt', 'two\n');
    const reviews = (await call('GET', `${r}/pulls/${n}/reviews`)).body;
    expect(reviews.at(-1)).toMatchObject({
      user: { login: 'katherine' },
      state: 'DISMISSED',
    });
    const stale = await merge(r, n);
    expect(stale.status).toBe(405);
    expect(stale.body.message).toBe(needOne);
    expect((await pull(r, n)).mergeable_state).toBe('blocked');

    await review(r, n, 'katherine');
    expect((await merge(r, n)).status).toBe(200);
  });

  it("code owners: the base branch's CODEOWNERS, per changed file the last matching line, a team member's approval", async () => {
    const r = await newRepo([
      'acme/ml-platform',
      'acme/fraud-ml',
      'acme/growth-ml',
    ]);
    // .github/ is searched before the root: the root file is not used
    await write(r, 'main', 'CODEOWNERS', '* @katherine\n');
    await write(
      r,
      'main',
      '.github/CODEOWNERS',
      [
        '# owners',
        '*              @acme/ml-platform',
        '/deploy/       @acme/fraud-ml  # the model team',
        'deploy/notes/*',
        '',
      ].join('\n'),
    );
    await protect(r, 'main', {
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        require_code_owner_reviews: true,
      },
    });
    await branch(r, 'deploy');
    await write(r, 'deploy', 'deploy/model.yaml', 'model_version: "2"\n');
    // the pull request's own CODEOWNERS does not count: the base's does
    await write(r, 'deploy', '.github/CODEOWNERS', '* @katherine\n');
    const n = await openPull(r, 'deploy');

    // katherine (ml-platform) owns .github/CODEOWNERS but not deploy/
    await review(r, n, 'katherine');
    expect((await pull(r, n)).mergeable_state).toBe('blocked');
    const refused = await merge(r, n);
    expect(refused.status).toBe(405);
    expect(refused.body.message).toBe(
      'Waiting on code owner review from acme/fraud-ml.',
    );

    // a file whose last matching line names no owner needs no code owner
    await branch(r, 'notes');
    await write(r, 'notes', 'deploy/notes/why.md', 'because\n');
    const notes = await openPull(r, 'notes');
    await review(r, notes, 'grace');
    expect((await merge(r, notes)).status).toBe(200);

    // ada is in acme/fraud-ml
    await review(r, n, 'ada');
    expect((await pull(r, n)).mergeable_state).toBe('clean');
    expect((await merge(r, n)).status).toBe(200);
  });

  it('CODEOWNERS patterns follow the documented gitignore rules', () => {
    const rules = parseCodeOwners(
      [
        '*        @global',
        '*.js     @js-owner #inline comment',
        '/build/logs/ @doctocat',
        'docs/*   docs@example.com',
        'apps/    @octocat',
        '**/logs  @logger',
        '/apps/github',
      ].join('\n'),
    );
    expect(ownersOf(rules, 'README.md')).toEqual(['@global']);
    expect(ownersOf(rules, 'src/x.js')).toEqual(['@js-owner']);
    expect(ownersOf(rules, 'build/logs/a/b.txt')).toEqual(['@logger']);
    expect(ownersOf(rules, 'docs/getting-started.md')).toEqual([
      'docs@example.com',
    ]);
    expect(ownersOf(rules, 'docs/build-app/troubleshooting.md')).toEqual([
      '@global',
    ]);
    expect(ownersOf(rules, 'x/apps/y.txt')).toEqual(['@octocat']);
    expect(ownersOf(rules, 'apps/github/z.txt')).toEqual([]);
    expect(patternMatches('/deploy/', 'deploy/model.yaml')).toBe(true);
    expect(patternMatches('/deploy/', 'x/deploy/model.yaml')).toBe(false);
    expect(patternMatches('deploy/model.yaml', 'deploy/model.yaml')).toBe(true);
    expect(patternMatches('Deploy/', 'deploy/model.yaml')).toBe(false);
    expect(ownerList(['@acme/a', '@b'])).toBe('acme/a and/or b');
  });

  it('checks bound to an app: only statuses that app created satisfy them', async () => {
    const r = await newRepo();
    const put = await protect(r, 'main', {
      required_status_checks: {
        strict: false,
        checks: [{ context: CHECK, app_id: GITHUB_ACTIONS_APP.id }],
      },
    });
    expect(put.required_status_checks).toMatchObject({
      contexts: [CHECK],
      checks: [{ context: CHECK, app_id: 15368 }],
    });
    const read = await call('GET', `${r}/branches/main/protection`);
    expect(read.body.required_status_checks.checks).toEqual([
      { context: CHECK, app_id: 15368 },
    ]);

    await branch(r, 'change');
    const head = await write(r, 'change', 'a.txt', 'a\n');
    const n = await openPull(r, 'change');
    const notByApp = `Required status check "${CHECK}" was not set by the expected GitHub App.`;

    // the API user (no app) says success: not enough
    const byUser = await status(r, head, 'success');
    expect(byUser.body.creator.login).toBe('ml-gitops-bot');
    expect((await pull(r, n)).mergeable_state).toBe('blocked');
    expect((await merge(r, n)).body.message).toBe(notByApp);
    // another app neither
    sandbox().current().github.appTokens.set('other-app-token', {
      id: 4242,
      slug: 'other-app',
      login: 'other-app[bot]',
      userId: 4243,
    });
    await status(r, head, 'success', 'other-app-token');
    expect((await merge(r, n)).status).toBe(405);

    // GitHub Actions (a workflow's token) sets it
    const byActions = await status(r, head, 'success', ACTIONS_TOKEN);
    expect(byActions.body.creator).toMatchObject({
      login: 'github-actions[bot]',
      type: 'Bot',
    });
    expect((await pull(r, n)).mergeable_state).toBe('clean');
    // a later failure from someone else does not undo the app's success
    await status(r, head, 'failure');
    expect((await merge(r, n)).status).toBe(200);

    // contexts (legacy) and an omitted app_id pick the app that set the
    // check recently; -1 allows any source
    const legacy = await protect(r, 'main', {
      required_status_checks: { strict: true, contexts: [CHECK] },
    });
    expect(legacy.required_status_checks.checks).toEqual([
      { context: CHECK, app_id: 15368 },
    ]);
    const any = await protect(r, 'main', {
      required_status_checks: {
        strict: true,
        checks: [{ context: CHECK, app_id: -1 }],
      },
    });
    expect(any.required_status_checks.checks).toEqual([
      { context: CHECK, app_id: null },
    ]);
  });

  it('checks in order: reviews, then required checks, then an out-of-date head', async () => {
    const r = await newRepo(['katherine']);
    await protect(r, 'main', {
      required_status_checks: { strict: true, contexts: [CHECK] },
      required_pull_request_reviews: { required_approving_review_count: 1 },
    });
    await branch(r, 'change');
    const head = await write(r, 'change', 'a.txt', 'a\n');
    const n = await openPull(r, 'change');
    await write(r, 'main', 'b.txt', 'b\n', ADMIN);
    await status(r, head, 'failure');

    const refusal = async () => {
      const res = await merge(r, n);
      expect(res.status).toBe(405);
      return [res.body.message, (await pull(r, n)).mergeable_state];
    };
    expect(await refusal()).toEqual([
      'At least 1 approving review is required by reviewers with write access.',
      'blocked',
    ]);
    await review(r, n, 'katherine');
    expect(await refusal()).toEqual([
      `Required status check "${CHECK}" is failing.`,
      'blocked',
    ]);
    await status(r, head, 'success');
    expect(await refusal()).toEqual([
      `Required status check "${CHECK}" is expected.`,
      'behind',
    ]);
    const updated = await updateBranch(r, n);
    await status(r, updated, 'success');
    expect((await merge(r, n)).status).toBe(200);
  });

  it('refuses pushes and API writes to protected branches as GitHub does', async () => {
    const r = await newRepo(['ada']);
    const name = r.split('/')[3];
    const url = (user: string) =>
      `${sandbox().urls.git.replace(
        'http://',
        `http://${user}:t@`,
      )}/acme/${name}.git`;
    const env = {
      GIT_AUTHOR_NAME: 'Ada Lovelace',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada Lovelace',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
    };
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sandbox-rules-'));
    const work = path.join(tmp, 'repo');
    const run = (args: string[]) => git(args, { cwd: work, env });
    const commit = async (text: string) => {
      await fs.appendFile(path.join(work, 'README.md'), text);
      await run(['commit', '--quiet', '-am', text.trim()]);
    };
    try {
      await git(['clone', '--quiet', url('ada'), work], { cwd: tmp, env });
      // pull requests required (even with 0 approvals)
      await protect(r, 'main', {
        required_pull_request_reviews: { required_approving_review_count: 0 },
      });
      await commit('one\n');
      await expect(run(['push', url('ada'), 'main'])).rejects.toThrow(
        /GH006: Protected branch update failed for refs\/heads\/main\.[\s\S]*Changes must be made through a pull request\./,
      );
      // required checks: a pushed commit has none yet
      await protect(r, 'main', {
        required_status_checks: { strict: false, contexts: [CHECK] },
      });
      await expect(run(['push', url('ada'), 'main'])).rejects.toThrow(
        `Required status check "${CHECK}" is expected.`,
      );
      // neither: a fast-forward push goes, a force push does not
      await protect(r, 'main', {});
      await run(['push', '--quiet', url('ada'), 'main']);
      await run(['reset', '--quiet', '--hard', 'HEAD~1']);
      await commit('rewritten\n');
      await expect(
        run(['push', '--force', url('ada'), 'main']),
      ).rejects.toThrow('Cannot force-push to this protected branch');
      await expect(run(['push', url('ada'), ':main'])).rejects.toThrow(
        /Cannot delete this protected branch|refusing to delete the current branch/,
      );
      await protect(r, 'main', { allow_force_pushes: true });
      await run(['push', '--quiet', '--force', url('ada'), 'main']);
      const forced = await run(['rev-parse', 'HEAD']);
      expect(await headOf(r, 'main')).toBe(forced);

      // the REST API: a forced ref update is refused with 422, a contents
      // write like a push (409), a deletion with 422
      await protect(r, 'main', {
        required_pull_request_reviews: { required_approving_review_count: 0 },
      });
      const parent = (await call('GET', `${r}/git/commits/${forced}`)).body
        .parents[0].sha;
      const force = await call('PATCH', `${r}/git/refs/heads/main`, {
        sha: parent,
        force: true,
      });
      expect(force.status).toBe(422);
      expect(force.body.message).toBe(
        'Cannot force-push to this protected branch',
      );
      const file = await call('GET', `${r}/contents/README.md?ref=main`);
      const contents = await call('PUT', `${r}/contents/README.md`, {
        message: 'direct',
        content: Buffer.from('direct\n').toString('base64'),
        sha: file.body.sha,
        branch: 'main',
      });
      expect(contents.status).toBe(409);
      expect(contents.body.message).toBe(
        'Changes must be made through a pull request.',
      );
      const removed = await call('DELETE', `${r}/git/refs/heads/main`);
      expect(removed.status).toBe(422);
      expect(removed.body.message).toBe('Cannot delete this protected branch');
      expect(await headOf(r, 'main')).toBe(forced);
      // the sandbox's admin is not restricted
      await write(r, 'main', 'README.md', 'by admin\n', ADMIN);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});
