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

import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  cleanupTmpDirs,
  git,
  gitInit,
  makeRepo,
  runCli,
  STACK_TRACE,
  writeFiles,
} from './__testUtils__/helpers';

/*
 * A corpus of GitLab merge requests whose approval cannot be confirmed: a
 * gate lowered on a merge request, checked against hostile or broken
 * answers of GitLab's REST API (shapes of docs.gitlab.com/api/merge_requests
 * and /api/merge_request_approvals), hostile CODEOWNERS files and hostile
 * CI variables. Every one must end in exit 1 (not approved) or 2 (the
 * check could not run), with a message and a fix, never exit 0 and never a
 * stack trace.
 */

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  cleanupTmpDirs();
});
afterAll(() => server.close());

const API = 'http://gitlab.test/api/v4';
const MR = `${API}/projects/42/merge_requests/7`;
const manifest = (min: string) =>
  `model_name: fraud-detector\nmodel_version: "13"\nserving: { runtime: kserve, replicas: 2 }\ngates:\n  metrics:\n    auc: { min: ${min} }\n`;

function repo(codeowners: string) {
  const root = makeRepo({
    'deploy/model.yaml': manifest('0.92'),
    CODEOWNERS: codeowners,
  });
  gitInit(root, 'dev');
  git(root, 'checkout', '-q', '-b', 'lower');
  writeFiles(root, { 'deploy/model.yaml': manifest('0.5') });
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'lower the gate');
  return { root, head: git(root, 'rev-parse', 'HEAD').trim() };
}

const approvals = (approvedBy: unknown) => ({
  id: 900,
  iid: 7,
  project_id: 42,
  state: 'opened',
  approved: true,
  approvals_required: 0,
  approvals_left: 0,
  approved_by: approvedBy,
});
const alice = { user: { id: 11, username: 'alice', name: 'Alice' } };

type Case = {
  codeowners?: string;
  /** the merge request's answer; "HEAD" stands for the checked commit */
  mr?: Record<string, unknown>;
  approvals?: Record<string, unknown>;
  /** a raw answer for both calls */
  raw?: { status: number; body: string; type?: string };
  env?: Record<string, string>;
  /** a usage error (exit 2 before any check runs) */
  usage?: true;
  exit: 1 | 2;
  says: string;
};

const CASES: Record<string, Case> = {
  'approved_by is not a list': {
    approvals: approvals({ user: alice.user }),
    exit: 2,
    says: 'have no approved_by[].user list',
  },
  'an approval without a username': {
    approvals: approvals([{ user: { id: 11 } }]),
    exit: 2,
    says: 'have no approved_by[].user list',
  },
  'a merge request without sha': {
    mr: { iid: 7, sha: null },
    exit: 2,
    says: "GitLab's answer for merge request !7 of 42 has no sha",
  },
  'an HTML error page': {
    raw: { status: 502, body: '<html>Bad Gateway</html>', type: 'text/html' },
    exit: 2,
    says: 'GitLab answered GET /projects/42/merge_requests/7 with 502',
  },
  'a 200 that is not JSON': {
    raw: { status: 200, body: 'ok', type: 'text/plain' },
    exit: 2,
    says: "GitLab's answer to GET /projects/42/merge_requests/7 is not JSON",
  },
  'a rate limit': {
    raw: {
      status: 429,
      body: JSON.stringify({ message: 'Retry later' }),
      type: 'application/json',
    },
    exit: 2,
    says: 'with 429: Retry later',
  },
  'a head that is not the checked commit': {
    mr: { iid: 7, sha: 'f'.repeat(40) },
    exit: 1,
    says: "the merge request's head is ffffffffffff",
  },
  'an approver who owns nothing': {
    approvals: approvals([{ user: { id: 99, username: 'mallory' } }]),
    exit: 1,
    says: 'by @mallory, none a code owner of deploy/model.yaml',
  },
  'a CODEOWNERS of only sections and optional ones': {
    codeowners: '[Empty]\n^[Optional] @alice\ndeploy/\n',
    approvals: approvals([alice]),
    exit: 1,
    says: 'deploy/model.yaml has no code owner in the CODEOWNERS of dev',
  },
  'a broken section header': {
    codeowners: '[Unclosed @alice\ndeploy/  @bob\n',
    approvals: approvals([alice]),
    exit: 1,
    says: 'none a code owner of deploy/model.yaml',
  },
  'a role owner, which the check does not read': {
    codeowners: 'deploy/  @@maintainer\n',
    approvals: approvals([alice]),
    exit: 1,
    says: 'role owners (@@maintainer) are not read by this check',
  },
  'an e-mail owner': {
    codeowners: 'deploy/  alice@example.com\n',
    approvals: approvals([alice]),
    exit: 1,
    says: 'none a code owner of deploy/model.yaml',
  },
  'a project path that escapes the API': {
    env: { CI_PROJECT_ID: '', CI_PROJECT_PATH: '../../admin' },
    usage: true,
    exit: 2,
    says: "--gitlab-project takes the project's ID or full path",
  },
  'an IID that is not a number': {
    env: { CI_MERGE_REQUEST_IID: '7; rm -rf /' },
    usage: true,
    exit: 2,
    says: "--merge-request takes the merge request's IID",
  },
  'an API URL that is not http(s)': {
    env: { CI_API_V4_URL: 'file:///etc/passwd' },
    usage: true,
    exit: 2,
    says: 'CI_API_V4_URL must be an http(s) URL',
  },
  'an empty token': {
    env: { GITLAB_TOKEN: '' },
    exit: 1,
    says: 'without a GitLab token',
  },
};

describe('GitLab approvals corpus', () => {
  it.each(Object.entries(CASES))('%s', async (_name, c) => {
    const { root, head } = repo(c.codeowners ?? 'deploy/  @alice\n');
    const answer = (json: Record<string, unknown>) =>
      c.raw
        ? new HttpResponse(c.raw.body, {
            status: c.raw.status,
            headers: { 'content-type': c.raw.type ?? 'text/plain' },
          })
        : HttpResponse.json(json);
    server.use(
      http.get(MR, () =>
        answer(c.mr ?? { id: 900, iid: 7, project_id: 42, sha: head }),
      ),
      http.get(`${MR}/approvals`, () => answer(c.approvals ?? approvals([]))),
      // GitLab Free has no project approval settings
      http.get(`${API}/projects/42/approvals`, () =>
        HttpResponse.json({ message: '404 Not Found' }, { status: 404 }),
      ),
      http.get(`${API}/groups/:group/members/:id`, () =>
        HttpResponse.json({ message: '404 Not found' }, { status: 404 }),
      ),
    );
    const { exitCode, output } = await runCli(
      [
        'validate',
        root,
        '--base',
        'dev',
        '--skip-registry',
        '--skip-integration',
      ],
      {
        env: {
          GITLAB_CI: 'true',
          CI_API_V4_URL: API,
          CI_PROJECT_ID: '42',
          CI_MERGE_REQUEST_IID: '7',
          GITLAB_TOKEN: 'glpat-corpus',
          ...c.env,
        },
      },
    );
    expect(output).not.toMatch(STACK_TRACE);
    expect(output).toContain(c.says);
    // a usage error prints the usage after its message; a check its fix
    expect(output).toMatch(c.usage ? /^Usage: ml-gitops/m : /fix: /);
    expect(output).not.toContain('glpat-corpus');
    expect(exitCode).toBe(c.exit);
  });
});
