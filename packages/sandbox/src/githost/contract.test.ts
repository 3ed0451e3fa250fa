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
 * Every answer of the GitHub emulator to a REST call the product makes,
 * measured against GitHub's OpenAPI description (the slice in
 * @ml-gitops/plugin-ml-gitops-common/testUtils, contracts/github).
 */

import {
  GITHUB_CONTRACT_OPERATIONS,
  githubContractProblems,
  githubOperationOf,
  responseJson,
} from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { useSandbox } from '../__testUtils__/useSandbox';

jest.setTimeout(60_000);

const sandbox = useSandbox({ drift: false });

const checked = new Set<string>();
const problems: string[] = [];
beforeEach(() => {
  problems.length = 0;
});

/** Calls the emulator; the answer must follow GitHub's description. */
async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${sandbox().urls.gitApi}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await responseJson(response)) as any;
  const operation = githubOperationOf(method, path);
  if (!operation) {
    throw new Error(`no contract for ${method} ${path}`);
  }
  checked.add(operation);
  for (const problem of githubContractProblems(
    operation,
    json,
    response.status,
  )) {
    problems.push(`${method} ${path} → ${response.status}: ${problem}`);
  }
  return { status: response.status, json };
}

describe("the GitHub emulator follows GitHub's OpenAPI description", () => {
  const repo = '/repos/acme/fraud-detector-config';

  it('answers the reads of the poller', async () => {
    await call('GET', repo);
    await call('GET', '/users/acme');
    await call('GET', '/users/ada');
    const branches = await call('GET', `${repo}/branches?per_page=100`);
    const dev = branches.json.find((b: any) => b.name === 'dev');
    await call('GET', `${repo}/git/ref/heads/dev`);
    await call('GET', `${repo}/contents/deploy/model.yaml?ref=dev`);
    await call('GET', `${repo}/contents/deploy?ref=dev`);
    await call('GET', `${repo}/commits/${dev.commit.sha}`);
    const history = await call('GET', `${repo}/commits/production`);
    await call('GET', `${repo}/commits/${history.json.sha}/pulls`);
    await call('GET', `${repo}/commits/${dev.commit.sha}/status`);
    await call('GET', `${repo}/commits/${dev.commit.sha}/statuses`);
    const pulls = await call('GET', `${repo}/pulls?state=all&per_page=100`);
    expect(pulls.json.length).toBeGreaterThan(0);
    for (const pull of pulls.json.slice(0, 3)) {
      await call('GET', `${repo}/pulls/${pull.number}`);
      await call('GET', `${repo}/pulls/${pull.number}/reviews?per_page=100`);
    }
    await call('GET', `${repo}/pulls/9999`);
    await call('GET', '/repos/acme/nope');
    expect(problems).toEqual([]);
  });

  it('answers the writes of the scaffolder actions', async () => {
    const created = await call('POST', '/orgs/acme/repos', {
      name: 'contract-config',
      private: true,
      auto_init: true,
    });
    expect(created.status).toBe(201);
    await call('POST', '/user/repos', { name: 'contract-own-config' });
    const target = '/repos/acme/contract-config';
    await call('PATCH', target, { delete_branch_on_merge: true });
    const main = await call('GET', `${target}/git/ref/heads/main`);
    await call('POST', `${target}/git/refs`, {
      ref: 'refs/heads/change',
      sha: main.json.object.sha,
    });
    const readme = await call('GET', `${target}/contents/README.md?ref=main`);
    await call('PUT', `${target}/contents/README.md`, {
      message: 'change',
      content: Buffer.from('changed\n').toString('base64'),
      sha: readme.json.sha,
      branch: 'change',
    });
    const added = await call('PUT', `${target}/contents/deploy/model.yaml`, {
      message: 'add',
      content: Buffer.from('model: x\n').toString('base64'),
      branch: 'change',
    });
    expect(added.status).toBe(201);
    const pull = await call('POST', `${target}/pulls`, {
      title: 'Deploy',
      head: 'change',
      base: 'main',
      body: 'why',
    });
    expect(pull.status).toBe(201);
    await call('GET', `${target}/pulls?state=open&head=acme:change`);
    await call('POST', `${target}/issues/${pull.json.number}/labels`, {
      labels: ['ml-gitops'],
    });
    await call('PUT', `${target}/collaborators/ada`, { permission: 'push' });
    await call('PUT', '/orgs/acme/teams/fraud-ml/repos/acme/contract-config', {
      permission: 'push',
    });
    await call(
      'POST',
      `${target}/pulls/${pull.json.number}/requested_reviewers`,
      { reviewers: ['ada'] },
    );
    await call('POST', `${target}/statuses/${added.json.commit.sha}`, {
      state: 'success',
      context: 'ml-gitops/validate',
      description: 'valid',
    });
    await call('GET', `${target}/commits/${added.json.commit.sha}/status`);
    await call('PUT', `${target}/branches/main/protection`, {
      required_status_checks: {
        strict: true,
        contexts: ['ml-gitops/validate'],
      },
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null,
    });
    await call('GET', `${target}/pulls/${pull.json.number}`);
    expect(problems).toEqual([]);
  });

  it('was asked every operation the contract describes', () => {
    expect(GITHUB_CONTRACT_OPERATIONS.filter(o => !checked.has(o))).toEqual([]);
  });
});
