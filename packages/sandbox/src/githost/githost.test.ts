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

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { git } from '../lib/git';
import {
  headFactsQuery,
  postGraphql,
  restHeadFacts,
} from '../__testUtils__/headFacts';
import { Sandbox, startSandbox } from '../sandbox';

jest.setTimeout(120_000);

type Hook = { headers: http.IncomingHttpHeaders; body: string };

describe('Git host', () => {
  let sandbox: Sandbox;
  let api: string;
  let hookServer: http.Server;
  const hooks: Hook[] = [];
  const secret = 'test-secret';

  beforeAll(async () => {
    hookServer = http.createServer((req, res) => {
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
    await new Promise<void>(r => hookServer.listen(0, '127.0.0.1', () => r()));
    const hookPort = (hookServer.address() as AddressInfo).port;
    sandbox = await startSandbox({
      ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
      webhookUrl: `http://127.0.0.1:${hookPort}/api/events/http/github`,
      webhookSecret: secret,
      log: () => {},
    });
    api = sandbox.urls.gitApi;
  });

  afterAll(async () => {
    await sandbox?.stop();
    await new Promise(r => hookServer.close(r));
  });

  const get = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${api}${p}`, { headers });
  const send = (method: string, p: string, body: unknown) =>
    fetch(`${api}${p}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('serves the seeded repos and answers unknown ones like GitHub', async () => {
    const res = await get('/repos/acme/fraud-detector-config');
    expect(res.status).toBe(200);
    const repo = await res.json();
    expect(repo).toMatchObject({
      full_name: 'acme/fraud-detector-config',
      default_branch: 'dev',
      clone_url: `${sandbox.urls.git}/acme/fraud-detector-config.git`,
    });

    const missing = await get('/repos/acme/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      message: 'Not Found',
      documentation_url:
        'https://docs.github.com/rest/repos/repos#get-a-repository',
      status: '404',
    });
  });

  it('reads deploy/model.yaml per environment branch', async () => {
    const versions: Record<string, string> = {};
    for (const env of ['dev', 'staging', 'production']) {
      const res = await get(
        `/repos/acme/fraud-detector-config/contents/deploy/model.yaml?ref=${env}`,
      );
      const body = await res.json();
      expect(body.encoding).toBe('base64');
      const text = Buffer.from(body.content, 'base64').toString();
      versions[env] = /model_version: "(\d+)"/.exec(text)![1];
    }
    expect(versions).toEqual({ dev: '13', staging: '13', production: '11' });
    const dir = await (
      await get(
        '/repos/acme/fraud-detector-config/contents/deploy/chart?ref=dev',
      )
    ).json();
    expect(dir.map((e: { name: string }) => e.name).sort()).toEqual([
      'Chart.yaml',
      'templates',
      'values.yaml',
    ]);
  });

  it('answers 304 to a conditional branch read', async () => {
    const first = await get(
      '/repos/acme/churn-predictor-config/branches/production',
    );
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const again = await get(
      '/repos/acme/churn-predictor-config/branches/production',
      { 'If-None-Match': etag },
    );
    expect(again.status).toBe(304);
    const ref = await get(
      '/repos/acme/churn-predictor-config/git/ref/heads/production',
    );
    const again2 = await get(
      '/repos/acme/churn-predictor-config/git/ref/heads/production',
      {
        'If-None-Match': ref.headers.get('etag')!,
      },
    );
    expect(again2.status).toBe(304);
  });

  it('lists the deployment history of a path with the rollback', async () => {
    const res = await get(
      '/repos/acme/fraud-detector-config/commits?sha=production&path=deploy/model.yaml&per_page=100',
    );
    const commits = await res.json();
    const messages = commits.map((c: any) => c.commit.message.split('\n')[0]);
    // the rollback reverts the last deployment's own commit (the
    // promotion PR's), not the merge commit GitHub made for it
    expect(messages[0]).toBe(
      'Revert "Promote fraud-detector 12 to production"',
    );
    expect(messages[1]).toBe('Promote fraud-detector 12 to production');
    expect(commits[0].commit.message).toMatch(
      /This reverts commit [0-9a-f]{40}/,
    );
    expect(commits[0].commit.author).toMatchObject({
      name: 'Katherine Johnson',
      date: '2026-10-27T09:00:00Z',
    });
    const pulls = await (
      await get(
        `/repos/acme/fraud-detector-config/commits/${commits[0].sha}/pulls`,
      )
    ).json();
    expect(pulls[0].title).toBe('Roll back fraud-detector in production to 11');
    const reviews = await (
      await get(
        `/repos/acme/fraud-detector-config/pulls/${pulls[0].number}/reviews`,
      )
    ).json();
    expect(reviews[0]).toMatchObject({
      state: 'APPROVED',
      user: { login: 'ada' },
    });
  });

  it('seeds promotions, rollbacks and protection as the product writes them', async () => {
    const repo = '/repos/acme/fraud-detector-config';
    const pulls = await (
      await get(`${repo}/pulls?state=all&per_page=100`)
    ).json();
    const byNumber = (n: number) => pulls.find((p: any) => p.number === n);
    // PR #9: production 11 → 12, a branch cut from production's head with
    // one commit by the person, merged by GitHub
    const promotion = byNumber(9);
    expect(promotion).toMatchObject({
      title: 'Promote fraud-detector 12 to production',
      user: { login: 'ada' },
      head: { ref: 'ml-gitops/promote/production/12' },
      base: { ref: 'production' },
      labels: [{ name: 'ml-gitops/promotion' }],
    });
    expect(promotion.merged_at).not.toBeNull();
    const commit = await (
      await get(`${repo}/git/commits/${promotion.head.sha}`)
    ).json();
    expect(commit.author.name).toBe('Ada Lovelace');
    expect(commit.parents.map((p: any) => p.sha)).toEqual([promotion.base.sha]);
    const file = await (
      await get(`${repo}/contents/deploy/model.yaml?ref=${promotion.head.sha}`)
    ).json();
    expect(Buffer.from(file.content, 'base64').toString()).toContain(
      'model_version: "12"',
    );
    // PR #10: the rollback, with its machine-readable block
    const rollback = byNumber(10);
    expect(rollback).toMatchObject({
      user: { login: 'katherine' },
      head: { ref: 'ml-gitops/rollback/production/11' },
      labels: [{ name: 'ml-gitops/rollback' }],
    });
    expect(rollback.body).toContain(
      '<!-- ml-gitops:rollback {"reason":"false positives on card\\u002dnot\\u002dpresent traffic","from":"12","to":"11"} -->',
    );
    expect(rollback.body).toContain(
      'Reason: false positives on card-not-present traffic.',
    );
    // the validate statuses come from the repo's workflow (GitHub Actions)
    const statuses = await (
      await get(`${repo}/commits/${rollback.head.sha}/statuses`)
    ).json();
    expect(statuses[0].creator.login).toBe('github-actions[bot]');
    // protection as ml-gitops:config-repo:create sets it
    const production = await (
      await get(`${repo}/branches/production/protection`)
    ).json();
    expect(production).toMatchObject({
      required_status_checks: {
        strict: true,
        contexts: ['ml-gitops/validate'],
        checks: [{ context: 'ml-gitops/validate', app_id: null }],
      },
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        dismiss_stale_reviews: true,
        require_code_owner_reviews: true,
      },
      allow_force_pushes: { enabled: false },
    });
    const staging = await (
      await get(`${repo}/branches/staging/protection`)
    ).json();
    expect(staging.required_status_checks.strict).toBe(true);

    // the open promotion waits for a code owner's approval, its head
    // containing its base
    const recsys = sandbox.current().repos.get('acme', 'recsys-ranker-config')!;
    const open = await (
      await get('/repos/acme/recsys-ranker-config/pulls/6')
    ).json();
    expect(open).toMatchObject({
      state: 'open',
      head: { ref: 'ml-gitops/promote/production/5' },
      labels: [{ name: 'ml-gitops/promotion' }],
      requested_reviewers: [{ login: 'katherine' }],
      mergeable: true,
      mergeable_state: 'blocked',
    });
    expect(
      await sandbox
        .current()
        .repos.isAncestor(recsys, open.base.sha, open.head.sha),
    ).toBe(true);
  });

  it('rejects bad input with GitHub status codes', async () => {
    const badJson = await send(
      'POST',
      '/repos/acme/fraud-detector-config/pulls',
      '{nope',
    );
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).message).toBe('Problems parsing JSON');

    const noCommits = await send(
      'POST',
      '/repos/acme/fraud-detector-config/pulls',
      {
        title: 'x',
        head: 'dev',
        base: 'dev',
      },
    );
    expect(noCommits.status).toBe(422);
    expect(await noCommits.json()).toMatchObject({
      message: 'Validation Failed',
      errors: [{ code: 'custom', message: 'No commits between dev and dev' }],
    });

    const duplicate = await send(
      'POST',
      '/repos/acme/recsys-ranker-config/pulls',
      {
        title: 'x',
        head: 'acme:ml-gitops/promote/production/5',
        base: 'production',
      },
    );
    expect(duplicate.status).toBe(422);
    expect((await duplicate.json()).errors[0].message).toBe(
      'A pull request already exists for acme:ml-gitops/promote/production/5.',
    );

    const file = await (
      await get(
        '/repos/acme/fraud-detector-config/contents/deploy/model.yaml?ref=dev',
      )
    ).json();
    const noSha = await send(
      'PUT',
      '/repos/acme/fraud-detector-config/contents/deploy/model.yaml',
      {
        message: 'x',
        content: file.content.replace(/\n/g, ''),
        branch: 'dev',
      },
    );
    expect(noSha.status).toBe(422);
    const wrongSha = await send(
      'PUT',
      '/repos/acme/fraud-detector-config/contents/deploy/model.yaml',
      {
        message: 'x',
        content: file.content.replace(/\n/g, ''),
        branch: 'dev',
        sha: '0123456789012345678901234567890123456789',
      },
    );
    expect(wrongSha.status).toBe(409);

    const exists = await send(
      'POST',
      '/repos/acme/fraud-detector-config/git/refs',
      { ref: 'refs/heads/dev', sha: file.sha },
    );
    expect(exists.status).toBe(422);
  });

  it('merges a PR: the branch moves and a signed push webhook is sent', async () => {
    const repo = '/repos/recsys-ranker-config'.replace(
      '/repos/',
      '/repos/acme/',
    );
    const open = await (
      await get(`${repo}/pulls?state=open&base=production`)
    ).json();
    expect(open).toHaveLength(1);
    const pr = open[0];
    expect(pr.title).toBe('Promote recsys-ranker 5 to production');

    // production needs an approving review
    const blocked = await send('PUT', `${repo}/pulls/${pr.number}/merge`, {
      merge_method: 'merge',
    });
    expect(blocked.status).toBe(405);
    expect((await blocked.json()).message).toBe(
      'At least 1 approving review is required by reviewers with write access.',
    );

    const review = await send('POST', `${repo}/pulls/${pr.number}/reviews`, {
      event: 'APPROVE',
      user: 'katherine',
    });
    expect(review.status).toBe(200);

    const stale = await send('PUT', `${repo}/pulls/${pr.number}/merge`, {
      sha: '0'.repeat(40),
    });
    expect(stale.status).toBe(409);

    const before = await (await get(`${repo}/git/ref/heads/production`)).json();
    hooks.length = 0;
    const merged = await send('PUT', `${repo}/pulls/${pr.number}/merge`, {
      merge_method: 'merge',
      sha: pr.head.sha,
    });
    expect(merged.status).toBe(200);
    const result = await merged.json();
    expect(result).toMatchObject({
      merged: true,
      message: 'Pull Request successfully merged',
    });

    const after = await (await get(`${repo}/git/ref/heads/production`)).json();
    expect(after.object.sha).toBe(result.sha);
    const commit = await (
      await get(`${repo}/git/commits/${result.sha}`)
    ).json();
    expect(commit.parents.map((p: any) => p.sha)).toEqual([
      before.object.sha,
      pr.head.sha,
    ]);
    const file = await (
      await get(`${repo}/contents/deploy/model.yaml?ref=production`)
    ).json();
    expect(Buffer.from(file.content, 'base64').toString()).toContain(
      'model_version: "5"',
    );

    const again = await send('PUT', `${repo}/pulls/${pr.number}/merge`, {});
    expect(again.status).toBe(405);

    await sandbox.webhooksIdle();
    expect(hooks).toHaveLength(1);
    const hook = hooks[0];
    expect(hook.headers['x-github-event']).toBe('push');
    expect(hook.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const expected = `sha256=${crypto
      .createHmac('sha256', secret)
      .update(hook.body)
      .digest('hex')}`;
    expect(hook.headers['x-hub-signature-256']).toBe(expected);
    const payload = JSON.parse(hook.body);
    expect(payload).toMatchObject({
      ref: 'refs/heads/production',
      before: before.object.sha,
      after: result.sha,
      repository: {
        full_name: 'acme/recsys-ranker-config',
        name: 'recsys-ranker-config',
        owner: { login: 'acme' },
      },
      pusher: { name: 'ml-gitops-bot', email: 'ml-gitops-bot@example.com' },
      head_commit: { id: result.sha },
    });
    expect(payload.commits.length).toBeGreaterThan(0);
    expect(payload.repository.html_url).toBe(
      `${sandbox.urls.git}/acme/recsys-ranker-config`,
    );
  });

  it('rebase-merges with new commits and GitHub as committer, even when it could fast-forward', async () => {
    await send('POST', '/orgs/acme/repos', {
      name: 'rebase-config',
      private: false,
      auto_init: true,
    });
    const repo = '/repos/acme/rebase-config';
    const main = (await (await get(`${repo}/git/ref/heads/main`)).json()).object
      .sha;
    await send('POST', `${repo}/git/refs`, {
      ref: 'refs/heads/change',
      sha: main,
    });
    const heads: string[] = [];
    for (const text of ['one\n', 'two\n']) {
      const current = await (
        await get(`${repo}/contents/README.md?ref=change`)
      ).json();
      const put = await (
        await send('PUT', `${repo}/contents/README.md`, {
          message: `Write ${text.trim()}`,
          content: Buffer.from(text).toString('base64'),
          sha: current.sha,
          branch: 'change',
        })
      ).json();
      heads.push(put.commit.sha);
    }
    const pr = await (
      await send('POST', `${repo}/pulls`, {
        title: 'Two commits',
        head: 'change',
        base: 'main',
      })
    ).json();
    const merged = await send('PUT', `${repo}/pulls/${pr.number}/merge`, {
      merge_method: 'rebase',
    });
    expect(merged.status).toBe(200);
    const { sha } = await merged.json();
    // New SHAs for both commits, none of the PR's own.
    expect(heads).not.toContain(sha);
    const tip = await (await get(`${repo}/git/commits/${sha}`)).json();
    expect(tip.message).toBe('Write two');
    expect(tip.committer.name).toBe('GitHub');
    const first = await (
      await get(`${repo}/git/commits/${tip.parents[0].sha}`)
    ).json();
    expect(heads).not.toContain(first.sha);
    expect(first.message).toBe('Write one');
    expect(first.parents.map((p: { sha: string }) => p.sha)).toEqual([main]);
    const readme = await (
      await get(`${repo}/contents/README.md?ref=main`)
    ).json();
    expect(Buffer.from(readme.content, 'base64').toString()).toBe('two\n');
    // Both rewritten commits are associated with the pull request.
    for (const commit of [first.sha, sha]) {
      const pulls = await (await get(`${repo}/commits/${commit}/pulls`)).json();
      expect(pulls.map((p: { number: number }) => p.number)).toEqual([
        pr.number,
      ]);
    }
    const after = await (await get(`${repo}/pulls/${pr.number}`)).json();
    expect(after.merge_commit_sha).toBe(sha);
  });

  it('clones and pushes over smart HTTP, and the push sends a webhook', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sandbox-clone-'));
    try {
      const work = path.join(tmp, 'repo');
      await git(
        [
          'clone',
          '--quiet',
          '--branch',
          'dev',
          `${sandbox.urls.git}/acme/churn-predictor-config.git`,
          work,
        ],
        { cwd: tmp },
      );
      const file = path.join(work, 'deploy/model.yaml');
      const text = await fs.readFile(file, 'utf8');
      expect(text).toContain('model_version: "8"');
      await fs.writeFile(
        file,
        text.replace('model_version: "8"', 'model_version: "7"'),
      );
      const env = {
        GIT_AUTHOR_NAME: 'Grace Hopper',
        GIT_AUTHOR_EMAIL: 'grace@example.com',
        GIT_COMMITTER_NAME: 'Grace Hopper',
        GIT_COMMITTER_EMAIL: 'grace@example.com',
      };
      await git(
        ['commit', '--quiet', '-am', 'Deploy churn-predictor 7 to dev'],
        { cwd: work, env },
      );
      const sha = await git(['rev-parse', 'HEAD'], { cwd: work });
      hooks.length = 0;
      // without credentials the Git host asks for them, as GitHub does
      await expect(
        git(['push', '--quiet', 'origin', 'dev'], { cwd: work, env }),
      ).rejects.toThrow();
      const withToken = `${sandbox.urls.git.replace(
        'http://',
        'http://grace:any-token@',
      )}/acme/churn-predictor-config.git`;
      await git(['push', '--quiet', withToken, 'dev'], { cwd: work, env });
      const ref = await (
        await get('/repos/acme/churn-predictor-config/git/ref/heads/dev')
      ).json();
      expect(ref.object.sha).toBe(sha);
      await sandbox.webhooksIdle();
      expect(hooks).toHaveLength(1);
      const payload = JSON.parse(hooks[0].body);
      expect(payload).toMatchObject({
        ref: 'refs/heads/dev',
        after: sha,
        head_commit: { id: sha, modified: ['deploy/model.yaml'] },
        pusher: { name: 'grace', email: 'grace@example.com' },
      });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  it('updates a file through the contents API', async () => {
    const p = '/repos/acme/fraud-detector-config/contents/deploy/model.yaml';
    const file = await (await get(`${p}?ref=dev`)).json();
    const text = Buffer.from(file.content, 'base64')
      .toString()
      .replace('model_version: "13"', 'model_version: "12"');
    const res = await send('PUT', p, {
      message: 'Deploy fraud-detector 12 to dev',
      content: Buffer.from(text).toString('base64'),
      sha: file.sha,
      branch: 'dev',
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.commit.message).toBe('Deploy fraud-detector 12 to dev');
    const head = await (
      await get('/repos/acme/fraud-detector-config/branches/dev')
    ).json();
    expect(head.commit.sha).toBe(body.commit.sha);
  });

  it('keeps working when the webhook receiver is down, and records the failure', async () => {
    sandbox.setWebhook({ url: 'http://127.0.0.1:9/unreachable' });
    try {
      const repo = sandbox
        .current()
        .repos.get('acme', 'fraud-detector-config')!;
      const head = await (
        await get('/repos/acme/fraud-detector-config/git/ref/heads/dev')
      ).json();
      const created = await send(
        'POST',
        '/repos/acme/fraud-detector-config/git/refs',
        {
          ref: 'refs/heads/experiment',
          sha: head.object.sha,
        },
      );
      expect(created.status).toBe(201);
      await sandbox.webhooksIdle();
      const last = sandbox.webhookDeliveries().slice(-1)[0];
      expect(last.payload).toMatchObject({
        ref: 'refs/heads/experiment',
        created: true,
      });
      expect(last.error).toBeDefined();
      expect(repo.fullName).toBe('acme/fraud-detector-config');
      expect((await get('/repos/acme/fraud-detector-config')).status).toBe(200);
    } finally {
      sandbox.setWebhook({ url: undefined });
    }
  });

  it('reads and writes branch protection', async () => {
    const p =
      '/repos/acme/churn-predictor-config/branches/production/protection';
    const prot = await (await get(p)).json();
    expect(
      prot.required_pull_request_reviews.required_approving_review_count,
    ).toBe(1);
    expect(prot.required_status_checks.contexts).toEqual([
      'ml-gitops/validate',
    ]);
    const dev = await get(
      '/repos/acme/churn-predictor-config/branches/dev/protection',
    );
    expect(dev.status).toBe(404);
    expect((await dev.json()).message).toBe('Branch not protected');
    const incomplete = await send(
      'PUT',
      '/repos/acme/churn-predictor-config/branches/dev/protection',
      {
        required_status_checks: null,
      },
    );
    expect(incomplete.status).toBe(422);
    const put = await send(
      'PUT',
      '/repos/acme/churn-predictor-config/branches/dev/protection',
      {
        required_status_checks: {
          strict: false,
          contexts: ['ml-gitops/validate'],
        },
        enforce_admins: false,
        required_pull_request_reviews: null,
        restrictions: null,
      },
    );
    expect(put.status).toBe(200);
    const branch = await (
      await get('/repos/acme/churn-predictor-config/branches/dev')
    ).json();
    expect(branch.protected).toBe(true);
  });

  it('refuses pushes to protected branches like GitHub, except for the sandbox admin', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sandbox-protected-'));
    const env = {
      GIT_AUTHOR_NAME: 'Ada Lovelace',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada Lovelace',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
    };
    try {
      const work = path.join(tmp, 'repo');
      await git(
        [
          'clone',
          '--quiet',
          '--branch',
          'production',
          `${sandbox.urls.git}/acme/fraud-detector-config.git`,
          work,
        ],
        {
          cwd: tmp,
        },
      );
      await fs.appendFile(path.join(work, 'README.md'), 'direct change\n');
      await git(['commit', '--quiet', '-am', 'Direct change'], {
        cwd: work,
        env,
      });
      await expect(
        git(
          [
            'push',
            `${sandbox.urls.git.replace(
              'http://',
              'http://ada:t@',
            )}/acme/fraud-detector-config.git`,
            'production',
          ],
          { cwd: work, env },
        ),
      ).rejects.toThrow(
        /GH006: Protected branch update failed for refs\/heads\/production/,
      );
      const url = sandbox.urls.git.replace('http://', 'http://admin:x@');
      await git(
        [
          'push',
          '--quiet',
          `${url}/acme/fraud-detector-config.git`,
          'production',
        ],
        { cwd: work, env },
      );
      const sha = await git(['rev-parse', 'HEAD'], { cwd: work });
      const ref = await (
        await get('/repos/acme/fraud-detector-config/git/ref/heads/production')
      ).json();
      expect(ref.object.sha).toBe(sha);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  it('answers 304 only to the token that read the ETag', async () => {
    const read = (token: string, etag?: string) =>
      get('/repos/acme/churn-predictor-config/branches', {
        Authorization: `token ${token}`,
        ...(etag ? { 'If-None-Match': etag } : {}),
      });
    const first = await read('token-a');
    const etag = first.headers.get('etag')!;
    expect((await read('token-a', etag)).status).toBe(304);
    // An App's next installation token reads the same page afresh.
    expect((await read('token-b', etag)).status).toBe(200);
  });

  it('lists branches by name, 30 a page unless per_page (at most 100), with a next link', async () => {
    const repo = sandbox.current().repos.get('acme', 'churn-predictor-config')!;
    const sha = await sandbox
      .current()
      .repos.refSha(repo, 'refs/heads/production');
    const extra = Array.from(
      { length: 120 },
      (_, i) => `ml-gitops/promote/production/${String(i).padStart(3, '0')}`,
    );
    // Written straight into the bare repo: no push events for the others.
    const bare = { cwd: sandbox.current().repos.dir(repo) };
    for (const name of extra) {
      await git(['update-ref', `refs/heads/${name}`, sha!], bare);
    }
    try {
      const first = await get('/repos/acme/churn-predictor-config/branches');
      const page1 = await first.json();
      expect(page1).toHaveLength(30);
      const names = page1.map((b: { name: string }) => b.name);
      expect(names).toEqual([...names].sort());
      const big = await get(
        '/repos/acme/churn-predictor-config/branches?per_page=500',
      );
      const bigPage = await big.json();
      expect(bigPage).toHaveLength(100);
      // dev, then the ml-gitops branches: production and staging come later.
      expect(bigPage.map((b: { name: string }) => b.name)).not.toContain(
        'production',
      );
      expect(big.headers.get('link')).toMatch(
        /<[^>]+[?&]page=2[^>]*>; rel="next"/,
      );
      const page2 = await (
        await get(
          '/repos/acme/churn-predictor-config/branches?per_page=100&page=2',
        )
      ).json();
      expect(page2.map((b: { name: string }) => b.name)).toEqual(
        expect.arrayContaining(['production', 'staging']),
      );
    } finally {
      for (const name of extra) {
        await git(['update-ref', '-d', `refs/heads/${name}`], bare);
      }
    }
  });

  it('refuses review requests for non-collaborators with 422, as GitHub does', async () => {
    const created = await send('POST', '/orgs/acme/repos', {
      name: 'reviewers-config',
      private: true,
      auto_init: true,
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      private: true,
      visibility: 'private',
    });
    const repo = sandbox.current().repos.get('acme', 'reviewers-config')!;
    const main = await sandbox.current().repos.refSha(repo, 'refs/heads/main');
    await send('POST', '/repos/acme/reviewers-config/git/refs', {
      ref: 'refs/heads/change',
      sha: main,
    });
    await send('PUT', '/repos/acme/reviewers-config/contents/README.md', {
      message: 'change',
      content: Buffer.from('changed\n').toString('base64'),
      sha: (
        await (
          await get('/repos/acme/reviewers-config/contents/README.md')
        ).json()
      ).sha,
      branch: 'change',
    });
    const pr = await (
      await send('POST', '/repos/acme/reviewers-config/pulls', {
        title: 't',
        head: 'change',
        base: 'main',
      })
    ).json();
    const ask = (body: unknown) =>
      send(
        'POST',
        `/repos/acme/reviewers-config/pulls/${pr.number}/requested_reviewers`,
        body,
      );
    const refused = await ask({ reviewers: ['ada'] });
    expect(refused.status).toBe(422);
    expect((await refused.json()).message).toBe(
      'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/reviewers-config repository.',
    );
    // Access for a user and a team; a team of another org is refused.
    const user = await send(
      'PUT',
      '/repos/acme/reviewers-config/collaborators/ada',
      { permission: 'push' },
    );
    expect(user.status).toBe(204);
    expect(
      (
        await send(
          'PUT',
          '/repos/acme/reviewers-config/collaborators/nobody-here',
          { permission: 'push' },
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await send(
          'PUT',
          '/orgs/acme/teams/fraud-ml/repos/acme/reviewers-config',
          { permission: 'push' },
        )
      ).status,
    ).toBe(204);
    expect(
      (
        await send(
          'PUT',
          '/orgs/other/teams/fraud-ml/repos/acme/reviewers-config',
          { permission: 'push' },
        )
      ).status,
    ).toBe(422);
    expect(
      (await ask({ reviewers: ['ada'], team_reviewers: ['fraud-ml'] })).status,
    ).toBe(201);
  });

  it('refuses branch protection on a private repo of a Free plan owner', async () => {
    await send('POST', '/orgs/freeco/repos', {
      name: 'free-config',
      private: true,
      auto_init: true,
    });
    await send('POST', '/orgs/freeco/repos', {
      name: 'free-public-config',
      private: false,
      auto_init: true,
    });
    const protect = (repo: string) =>
      send('PUT', `/repos/freeco/${repo}/branches/main/protection`, {
        required_status_checks: null,
        enforce_admins: true,
        required_pull_request_reviews: null,
        restrictions: null,
      });
    sandbox.current().github.freePlanOwners.add('freeco');
    try {
      const refused = await protect('free-config');
      expect(refused.status).toBe(403);
      expect((await refused.json()).message).toBe(
        'Upgrade to GitHub Pro or make this repository public to enable this feature.',
      );
      expect((await protect('free-public-config')).status).toBe(200);
    } finally {
      sandbox.current().github.freePlanOwners.delete('freeco');
    }
    expect((await protect('free-config')).status).toBe(200);
  });

  it('refuses a push of .github/workflows without the workflows permission', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sandbox-workflows-'));
    const env = {
      GIT_AUTHOR_NAME: 'Ada Lovelace',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada Lovelace',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
    };
    const url = `${sandbox.urls.git.replace(
      'http://',
      'http://ada:t@',
    )}/acme/churn-predictor-config.git`;
    await sandbox.current().repos.setWorkflowsPermission(false);
    try {
      const work = path.join(tmp, 'repo');
      await git(['clone', '--quiet', '--branch', 'dev', url, work], {
        cwd: tmp,
      });
      await git(['checkout', '--quiet', '-b', 'ci-change'], { cwd: work, env });
      await fs.mkdir(path.join(work, '.github', 'workflows'), {
        recursive: true,
      });
      await fs.writeFile(
        path.join(work, '.github', 'workflows', 'extra.yaml'),
        'name: extra\n',
      );
      await git(['add', '-A'], { cwd: work });
      await git(['commit', '--quiet', '-m', 'Add a workflow'], {
        cwd: work,
        env,
      });
      await expect(
        git(['push', url, 'ci-change'], { cwd: work, env }),
      ).rejects.toThrow(
        'refusing to allow a GitHub App to create or update workflow `.github/workflows/extra.yaml` without `workflows` permission',
      );
      await sandbox.current().repos.setWorkflowsPermission(true);
      await git(['push', '--quiet', url, 'ci-change'], { cwd: work, env });
      await git(['push', '--quiet', url, ':ci-change'], { cwd: work, env });
    } finally {
      await sandbox.current().repos.setWorkflowsPermission(true);
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  it('answers RATE_LIMITED with HTTP 200 once the GraphQL points are spent', async () => {
    const graphql = sandbox.current().github.graphql;
    const limit = graphql.limit;
    graphql.limit = graphql.used;
    try {
      const res = await fetch(`${sandbox.urls.git}/api/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ rateLimit { remaining } }' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(await res.json()).toEqual({
        errors: [
          {
            type: 'RATE_LIMITED',
            message: 'API rate limit already exceeded for user ID 1.',
          },
        ],
      });
    } finally {
      graphql.limit = limit;
    }
  });

  it('answers GraphQL queries for branch heads like GitHub, agreeing with REST', async () => {
    const graphql = (body: unknown) =>
      fetch(`${sandbox.urls.git}/api/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await graphql({
      query: `query Heads($o: String!, $n: String!, $dev: String!, $prod: String!) {
        r0: repository(owner: $o, name: $n) {
          nameWithOwner
          dev: ref(qualifiedName: $dev) { name target { oid ... on Commit { committedDate } } }
          prod: ref(qualifiedName: $prod) { target { oid } }
          nope: ref(qualifiedName: "refs/heads/no-such-branch") { target { oid } }
        }
        r1: repository(owner: "acme", name: "nope") { nameWithOwner }
        rateLimit { cost remaining }
      }`,
      variables: {
        o: 'acme',
        n: 'fraud-detector-config',
        dev: 'refs/heads/dev',
        prod: 'refs/heads/production',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-resource')).toBe('graphql');
    const body = await res.json();
    const branches = (await (
      await get('/repos/acme/fraud-detector-config/branches')
    ).json()) as Array<{ name: string; commit: { sha: string } }>;
    const head = (name: string) =>
      branches.find(b => b.name === name)!.commit.sha;
    expect(body.data.r0).toEqual({
      nameWithOwner: 'acme/fraud-detector-config',
      dev: {
        name: 'dev',
        target: {
          oid: head('dev'),
          committedDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      },
      prod: { target: { oid: head('production') } },
      nope: null,
    });
    expect(body.data.r1).toBeNull();
    expect(body.data.rateLimit.cost).toBe(1);
    expect(body.errors).toEqual([
      {
        type: 'NOT_FOUND',
        path: ['r1'],
        locations: [expect.objectContaining({ line: expect.any(Number) })],
        message: "Could not resolve to a Repository with the name 'acme/nope'.",
      },
    ]);

    // A field GitHub's schema lacks is refused before anything runs.
    const invalid = await (
      await graphql({
        query: '{ repository(owner: "acme", name: "x") { secrets } }',
      })
    ).json();
    expect(invalid.data).toBeUndefined();
    expect(invalid.errors[0].message).toBe(
      'Cannot query field "secrets" on type "Repository".',
    );
    const unparsable = await (await graphql({ query: '{ repository(' })).json();
    expect(unparsable.errors[0].message).toMatch(/^Syntax Error/);
    // A query text's parse and validation are kept: asked again, the same
    // errors, and still nothing runs.
    const used = sandbox.current().github.graphql.used;
    for (const [query, answer] of [
      ['{ repository(owner: "acme", name: "x") { secrets } }', invalid],
      ['{ repository(', unparsable],
    ]) {
      expect(await (await graphql({ query })).json()).toEqual(answer);
    }
    expect(sandbox.current().github.graphql.used).toBe(used);
  });
  it('answers the head-facts query with the facts REST gives for the same commit and file', async () => {
    const fullName = 'acme/fraud-detector-config';
    const state = sandbox.current();
    const record = state.repos.get('acme', 'fraud-detector-config')!;
    const branches = (await (
      await get(`/repos/${fullName}/branches`)
    ).json()) as Array<{ name: string; commit: { sha: string } }>;
    const heads = branches.map(b => b.commit.sha);
    // A commit on no branch by an author no GitHub account has, adding a
    // binary file: its author has no user and its blob no text.
    const dev = (await state.repos.commit(record, heads[0]))!;
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]);
    const tree = await state.repos.writeTree(record, dev.tree, [
      {
        path: 'docs/logo.png',
        mode: '100644',
        sha: await state.repos.writeBlob(record, png),
      },
    ]);
    const outsider = await state.repos.commitTree(
      record,
      tree,
      [dev.sha],
      'Add a logo\n',
      {
        name: 'Outside Contributor',
        email: 'outside@example.com',
        date: '2026-01-02T03:04:05Z',
      },
    );
    const ask = [...heads, outsider].flatMap(oid => [
      { oid, path: 'deploy/model.yaml' },
      { oid, path: 'deploy/no-such-file.yaml' },
    ]);
    const { res, body } = await postGraphql(
      `${sandbox.urls.git}/api/graphql`,
      headFactsQuery([{ fullName, commits: ask }]),
    );
    expect(res.status).toBe(200);
    expect(body.errors).toBeUndefined();
    for (const [j, c] of ask.entries()) {
      const rest = await restHeadFacts(api, fullName, c.oid, c.path);
      expect(body.data.r0[`c${j}`]).toEqual(rest.commit);
      expect(body.data.r0[`f${j}`]).toEqual(rest.file);
    }
    expect(body.data.r0.f0).not.toBeNull();
    expect(body.data.r0.f1).toBeNull();
    const last = ask.length - 2;
    expect(body.data.r0[`c${last}`].author).toEqual({
      name: 'Outside Contributor',
      user: null,
    });
    expect(body.data.r0[`c${last}`].parents.nodes).toEqual([{ oid: dev.sha }]);
    expect(body.data.rateLimit.cost).toBe(1);

    const more = await postGraphql(`${sandbox.urls.git}/api/graphql`, {
      query: `query($o: GitObjectID!, $bin: String!) {
        repository(owner: "acme", name: "fraud-detector-config") {
          unknown: object(oid: "${'0'.repeat(40)}") { oid }
          short: object(oid: "${dev.sha.slice(0, 7)}") { oid }
          byBranch: object(expression: "dev:deploy/model.yaml") { ... on Blob { byteSize } }
          binary: object(expression: $bin) { ... on Blob { text isBinary byteSize oid } }
          commit: object(oid: $o) { ... on Commit { parents(first: 1) { totalCount nodes { oid } } } }
        }
      }`,
      variables: { o: dev.sha, bin: `${outsider}:docs/logo.png` },
    });
    expect(more.body.errors).toBeUndefined();
    const blobOid = crypto
      .createHash('sha1')
      .update(Buffer.concat([Buffer.from(`blob ${png.length}\0`), png]))
      .digest('hex');
    expect(more.body.data.repository).toEqual({
      unknown: null,
      short: null,
      byBranch: { byteSize: expect.any(Number) },
      binary: {
        text: null,
        isBinary: true,
        byteSize: png.length,
        oid: blobOid,
      },
      commit: {
        parents: {
          totalCount: dev.parents.length,
          nodes: dev.parents.slice(0, 1).map(oid => ({ oid })),
        },
      },
    });
  });

  it('charges the points GitHub charges and refuses connections without bounds', async () => {
    const graphqlUrl = `${sandbox.urls.git}/api/graphql`;
    const dev = (
      await (await get('/repos/acme/fraud-detector-config/branches/dev')).json()
    ).commit.sha as string;
    const commits = Array.from({ length: 300 }, () => ({
      oid: dev,
      path: 'deploy/model.yaml',
    }));
    const before = sandbox.current().github.graphql.used;
    const { res, body } = await postGraphql(
      graphqlUrl,
      headFactsQuery([{ fullName: 'acme/fraud-detector-config', commits }]),
    );
    expect(body.errors).toBeUndefined();
    // 300 parents connections under single objects: 300 requests, 3 points.
    expect(body.data.rateLimit.cost).toBe(3);
    expect(sandbox.current().github.graphql.used).toBe(before + 3);
    expect(res.headers.get('x-ratelimit-used')).toBe(String(before + 3));
    expect(res.headers.get('x-ratelimit-remaining')).toBe(
      String(body.data.rateLimit.remaining),
    );

    const unbounded = await postGraphql(graphqlUrl, {
      query: `{ repository(owner: "acme", name: "fraud-detector-config") {
        object(oid: "${dev}") { ... on Commit { parents { totalCount } } }
      } }`,
    });
    expect(unbounded.body).toEqual({
      data: null,
      errors: [
        {
          type: 'MISSING_PAGINATION_BOUNDARIES',
          path: ['repository', 'object', 'parents'],
          locations: [expect.objectContaining({ line: 2 })],
          message:
            'You must provide a `first` or `last` value to properly paginate the `parents` connection.',
        },
      ],
    });
    expect(sandbox.current().github.graphql.used).toBe(before + 3);
  });
});
