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
 * The code owner approval check on GitLab: merge requests against `dev` in
 * real Git repositories, with GitLab's REST API faked by msw in the payload
 * shapes of its docs: docs.gitlab.com/api/merge_requests ("Get single MR":
 * `sha`), docs.gitlab.com/api/merge_request_approvals ("Get approval state
 * for a merge request" of GitLab Free: `approved_by[].user`; "Get
 * project-level MR approval configuration", Premium:
 * `reset_approvals_on_push`) and
 * docs.gitlab.com/api/members ("Get a member of a group": direct members
 * only, `access_level`).
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
} from '../__testUtils__/helpers';
import { ownerEntriesOf, parseCodeowners } from '../lib/codeowners';

const API = 'http://gitlab.test/api/v4';
const PROJECT_ID = 42;
const PROJECT = 'ml-platform/fraud-detector-config';
const IID = 7;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  cleanupTmpDirs();
});
afterAll(() => server.close());

describe('GitLab CODEOWNERS sections', () => {
  const rules = parseCodeowners(
    [
      '*                    @ml-platform',
      '[Models] @ml-platform/ml-owners',
      'deploy/',
      '/deploy/model.yaml   @alice',
      '^[Docs]',
      'deploy/              @doc-writer',
      '[models]',
      'deploy/chart/        @chart-owner',
      '[Security][2]        @sec',
      '.gitlab-ci.yml',
    ].join('\n'),
    'gitlab',
  );
  const owners = (file: string) =>
    ownerEntriesOf(rules, file).map(e => [e.rule.section ?? '', e.owners]);
  it.each([
    // the default section and [Models]; [Docs] is optional
    [
      'deploy/model.yaml',
      [
        ['', ['@ml-platform']],
        ['Models', ['@alice']],
      ],
    ],
    // a section without owners on an entry: the section's default owners
    [
      'deploy/values.yaml',
      [
        ['', ['@ml-platform']],
        ['Models', ['@ml-platform/ml-owners']],
      ],
    ],
    // [models] continues [Models] (names are case-insensitive)
    [
      'deploy/chart/x.yaml',
      [
        ['', ['@ml-platform']],
        ['Models', ['@chart-owner']],
      ],
    ],
    [
      '.gitlab-ci.yml',
      [
        ['', ['@ml-platform']],
        ['Security', ['@sec']],
      ],
    ],
  ])('%s needs approvals of %j', (file, expected) => {
    expect(owners(file)).toEqual(expected);
  });

  it('reads "[ ]" as a pattern on GitHub, which has no sections', () => {
    expect(
      parseCodeowners('[Models] @a\n', 'github').map(r => r.section),
    ).toEqual([undefined]);
  });
});

const manifest = (gates: string) =>
  `model_name: fraud-detector\nmodel_version: "13"\nserving: { runtime: kserve, replicas: 2 }\ngates:\n  metrics:\n${gates}`;
const BASE_GATES = '    auc: { min: 0.92 }\n    latency_p95_ms: { max: 40 }\n';
const CODEOWNERS =
  '*   @ml-platform\n/deploy/   @alice @ml-platform/ml-owners\n\n[Release]\n/deploy/model.yaml  @release-manager\n';
const CI =
  'ml-gitops/validate:\n  script:\n    - npx --yes @ml-gitops/cli validate\n';
const LOWER = {
  'deploy/model.yaml': manifest(
    '    auc: { min: 0.5 }\n    latency_p95_ms: { max: 40 }\n',
  ),
};
const LOWERED =
  "the PR lowers gates.metrics.auc.min from 0.92 to 0.5; a gate change needs a code owner's approval";

function repoWithMergeRequest(head: Record<string, string>) {
  const root = makeRepo({
    'deploy/model.yaml': manifest(BASE_GATES),
    CODEOWNERS,
    '.gitlab-ci.yml': CI,
  });
  gitInit(root, 'dev');
  git(root, 'checkout', '-q', '-b', 'ml-gitops/lower-gate');
  writeFiles(root, head);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'the merge request');
  return { root, head: git(root, 'rev-parse', 'HEAD').trim() };
}

const USERS: Record<string, number> = {
  alice: 11,
  bob: 12,
  carol: 13,
  'release-manager': 14,
};
const user = (username: string) => ({
  id: USERS[username],
  username,
  name: username,
  state: 'active',
  locked: false,
  avatar_url: `https://gitlab.test/uploads/-/system/user/avatar/${USERS[username]}/avatar.png`,
  web_url: `https://gitlab.test/${username}`,
});

function gitlab(options: {
  head: string;
  approvedBy: string[];
  /** group full path → username → access level (direct members) */
  groups?: Record<string, Record<string, number>>;
  status?: number;
  requests?: string[];
  /** the project's "Reset approvals on push"; 404: GitLab Free */
  resetOnPush?: boolean | 404;
}) {
  const base = `${API}/projects/:project/merge_requests/${IID}`;
  const seen = (request: Request) =>
    options.requests?.push(
      `${request.headers.get('authorization')} ${
        new URL(request.url).pathname
      }`,
    );
  const failure = () =>
    options.status
      ? HttpResponse.json(
          { message: `${options.status} Unauthorized` },
          { status: options.status },
        )
      : undefined;
  server.use(
    http.get(base, ({ request }) => {
      seen(request);
      return (
        failure() ??
        HttpResponse.json({
          id: 900,
          iid: IID,
          project_id: PROJECT_ID,
          title: 'Lower the AUC gate',
          state: 'opened',
          target_branch: 'dev',
          source_branch: 'ml-gitops/lower-gate',
          author: user('bob'),
          sha: options.head,
          merge_commit_sha: null,
          detailed_merge_status: 'not_approved',
          web_url: `https://gitlab.test/${PROJECT}/-/merge_requests/${IID}`,
        })
      );
    }),
    http.get(`${base}/approvals`, ({ request }) => {
      seen(request);
      return (
        failure() ??
        HttpResponse.json({
          id: 900,
          iid: IID,
          project_id: PROJECT_ID,
          title: 'Lower the AUC gate',
          description: '',
          state: 'opened',
          created_at: '2026-12-01T10:00:00.000Z',
          updated_at: '2026-12-01T11:00:00.000Z',
          merge_status: 'can_be_merged',
          approved: options.approvedBy.length > 0,
          approvals_required: 0,
          approvals_left: 0,
          require_password_to_approve: false,
          approved_by: options.approvedBy.map(u => ({ user: user(u) })),
          suggested_approvers: [],
          approvers: [],
          approver_groups: [],
          user_has_approved: false,
          user_can_approve: false,
          approval_rules_left: [],
          has_approval_rules: false,
          merge_request_approvers_available: true,
          multiple_approval_rules_available: true,
        })
      );
    }),
    http.get(`${API}/projects/:project/approvals`, ({ request }) => {
      seen(request);
      if (options.resetOnPush === 404) {
        return HttpResponse.json({ message: '404 Not Found' }, { status: 404 });
      }
      return HttpResponse.json({
        approvers: [],
        approver_groups: [],
        approvals_before_merge: 0,
        reset_approvals_on_push: options.resetOnPush ?? true,
        selective_code_owner_removals: false,
        disable_overriding_approvers_per_merge_request: false,
        merge_requests_author_approval: false,
        merge_requests_disable_committers_approval: false,
        require_password_to_approve: false,
      });
    }),
    http.get(`${API}/groups/:group/members/:userId`, ({ request, params }) => {
      seen(request);
      const group = decodeURIComponent(String(params.group));
      const username = Object.keys(USERS).find(
        u => USERS[u] === Number(params.userId),
      );
      const level = username && options.groups?.[group]?.[username];
      if (!level) {
        return HttpResponse.json({ message: '404 Not found' }, { status: 404 });
      }
      return HttpResponse.json({
        ...user(username),
        access_level: level,
        created_at: '2026-01-01T00:00:00.000Z',
        expires_at: null,
        membership_state: 'active',
      });
    }),
  );
}

/** A GitLab merge request pipeline's predefined variables (docs.gitlab.com/ci/variables/predefined_variables). */
const GL_ENV = {
  GITLAB_CI: 'true',
  CI_API_V4_URL: API,
  CI_SERVER_URL: 'http://gitlab.test',
  CI_PROJECT_ID: String(PROJECT_ID),
  CI_PROJECT_PATH: PROJECT,
  CI_MERGE_REQUEST_IID: String(IID),
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'dev',
  CI_JOB_TOKEN: 'glcbt-job-token-for-msw',
  GITLAB_TOKEN: 'glpat-test-token-for-msw',
};

const check = (root: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
  runCli(
    [
      'validate',
      root,
      '--base',
      'dev',
      '--skip-integration',
      '--skip-registry',
      ...args,
    ],
    { env },
  );

describe('code owner approval on GitLab', () => {
  it('refuses a lowered gate without GITLAB_TOKEN, saying which token and why not CI_JOB_TOKEN', async () => {
    const { root } = repoWithMergeRequest(LOWER);
    const { GITLAB_TOKEN, ...env } = GL_ENV;
    const { exitCode, output } = await check(root, env);
    expect(output).not.toMatch(STACK_TRACE);
    expect(exitCode).toBe(1);
    expect(output).toContain(
      "fix: Ask a code owner of deploy/model.yaml, @alice @ml-platform/ml-owners (CODEOWNERS:2 on dev) and one of [Release] @release-manager (CODEOWNERS:5 on dev), to approve the merge request's latest commit",
    );
    expect(output).toContain(
      "cannot confirm a code owner's approval without a GitLab token to read the merge request's approvals (set GITLAB_TOKEN or pass --gitlab-token-env NAME: a personal, group or project access token with the read_api scope",
    );
    expect(output).toContain(
      'CI_JOB_TOKEN cannot read merge request approvals',
    );
    expect(output).not.toContain('GITHUB_TOKEN');
  });

  it('passes a lowered gate approved by a code owner of every section, read with GITLAB_TOKEN', async () => {
    const { root, head } = repoWithMergeRequest(LOWER);
    const requests: string[] = [];
    gitlab({
      head,
      approvedBy: ['bob', 'alice', 'release-manager'],
      requests,
    });
    const { exitCode, output } = await check(root, GL_ENV);
    expect(output).toMatch(
      /PASS\s+Code owner approval\s+the PR lowers gates\.metrics\.auc\.min from 0\.92 to 0\.5: approved by @alice \(@alice\), @release-manager \(@release-manager\)/,
    );
    expect(exitCode).toBe(0);
    expect(requests).toContain(
      `Bearer glpat-test-token-for-msw /api/v4/projects/${PROJECT_ID}/merge_requests/${IID}/approvals`,
    );
    expect(output).not.toContain('glpat-test-token-for-msw');
  });

  it('needs a code owner of each required section', async () => {
    const { root, head } = repoWithMergeRequest(LOWER);
    gitlab({ head, approvedBy: ['alice'] });
    const { exitCode, output } = await check(root, GL_ENV);
    expect(exitCode).toBe(1);
    expect(output).toContain(
      `${LOWERED} (approvals of ${head.slice(
        0,
        12,
      )} by @alice, none a code owner of deploy/model.yaml in every section)`,
    );
    // @release-manager might be a group the token cannot see
    expect(output).toContain(
      'GitLab did not confirm an approver as a direct member of @release-manager: it answers 404 both for a non-member and for a group the token cannot see',
    );
  });

  it('counts a direct member of an owning group with the Developer role, not a Reporter', async () => {
    const { root, head } = repoWithMergeRequest(LOWER);
    const requests: string[] = [];
    gitlab({
      head,
      approvedBy: ['carol', 'release-manager'],
      groups: { 'ml-platform/ml-owners': { carol: 30 } },
      requests,
    });
    const passed = await check(root, GL_ENV);
    expect(passed.output).toContain(
      'approved by @carol (@ml-platform/ml-owners), @release-manager (@release-manager)',
    );
    expect(passed.exitCode).toBe(0);
    expect(requests).toContain(
      `Bearer glpat-test-token-for-msw /api/v4/groups/ml-platform%2Fml-owners/members/${USERS.carol}`,
    );

    gitlab({
      head,
      approvedBy: ['carol', 'release-manager'],
      groups: { 'ml-platform/ml-owners': { carol: 20 } },
    });
    const reporter = await check(root, GL_ENV);
    expect(reporter.exitCode).toBe(1);
    expect(reporter.output).toContain('none a code owner of deploy/model.yaml');
  });

  it('protects .gitlab-ci.yml and CODEOWNERS by the base branch CODEOWNERS', async () => {
    const { root, head } = repoWithMergeRequest({
      CODEOWNERS: '*   @bob\n',
      '.gitlab-ci.yml': `${CI}# skip\n`,
    });
    gitlab({ head, approvedBy: ['bob'] });
    const { exitCode, output } = await check(root, GL_ENV);
    expect(exitCode).toBe(1);
    expect(output).toContain(
      "error: .gitlab-ci.yml:1: the PR changes .gitlab-ci.yml; a CI file change needs a code owner's approval",
    );
    expect(output).toContain(
      "error: CODEOWNERS:1: the PR changes CODEOWNERS; a CODEOWNERS change needs a code owner's approval",
    );
    expect(output).toContain(
      'fix: Ask a code owner of .gitlab-ci.yml, @ml-platform (CODEOWNERS:1 on dev)',
    );
  });

  it("refuses when the merge request's head moved past the checked commit", async () => {
    const { root } = repoWithMergeRequest(LOWER);
    gitlab({ head: 'c'.repeat(40), approvedBy: ['alice'] });
    const { exitCode, output } = await check(root, GL_ENV);
    expect(exitCode).toBe(1);
    expect(output).toContain(
      `the merge request's head is ${'c'.repeat(
        12,
      )}, not the commit this run checks`,
    );
  });

  it.each([
    [401, 'read_api scope', 'CI_JOB_TOKEN cannot read merge request approvals'],
    [403, 'read_api scope', 'at least the Reporter role'],
    [
      404,
      `Check the project (${PROJECT_ID}) and the merge request (!${IID})`,
      'read_api',
    ],
  ])('stops with exit 2 on %i and says what to fix', async (status, a, b) => {
    const { root, head } = repoWithMergeRequest(LOWER);
    gitlab({ head, approvedBy: [], status });
    const { exitCode, output } = await check(root, GL_ENV);
    expect(exitCode).toBe(2);
    expect(output).toContain(
      `cannot read the approvals of ${PROJECT_ID}!${IID}: GitLab answered GET /projects/${PROJECT_ID}/merge_requests/${IID} with ${status}`,
    );
    expect(output).toContain(a);
    expect(output).toContain(b);
  });

  it('takes explicit flags, the token from --gitlab-token-env and labels from CI_MERGE_REQUEST_LABELS', async () => {
    const { root, head } = repoWithMergeRequest(LOWER);
    const requests: string[] = [];
    gitlab({ head, approvedBy: ['alice', 'release-manager'], requests });
    const { exitCode, stdout } = await check(
      root,
      {
        CI_API_V4_URL: API,
        CI_MERGE_REQUEST_IID: String(IID),
        CI_MERGE_REQUEST_LABELS: 'ml-gitops/deploy, team::ml',
        PROJECT_BOT_TOKEN: 'glpat-other',
      },
      '--gitlab-project',
      PROJECT,
      '--merge-request',
      String(IID),
      '--gitlab-token-env',
      'PROJECT_BOT_TOKEN',
      '--format',
      'json',
    );
    expect(exitCode).toBe(0);
    expect(requests).toContain(
      `Bearer glpat-other /api/v4/projects/${encodeURIComponent(
        PROJECT,
      )}/merge_requests/${IID}/approvals`,
    );
    const freeze = JSON.parse(stdout).checks.find(
      (c: { id: string }) => c.id === 'freeze',
    );
    expect(freeze.details).toMatchObject({
      labels: ['ml-gitops/deploy', 'team::ml'],
      labelsFrom: 'CI_MERGE_REQUEST_LABELS',
    });
  });

  it('does not count approvals where the project keeps them across pushes, and counts them where GitLab Free does not say', async () => {
    const { root, head } = repoWithMergeRequest(LOWER);
    gitlab({
      head,
      approvedBy: ['alice', 'release-manager'],
      resetOnPush: false,
    });
    const kept = await check(root, GL_ENV);
    expect(kept.exitCode).toBe(2);
    expect(kept.output).toContain(
      `${PROJECT_ID} keeps approvals when commits are added to a merge request`,
    );
    expect(kept.output).toContain(
      'fix: Turn on "Remove all approvals when commits are added to the source branch"',
    );

    gitlab({
      head,
      approvedBy: ['alice', 'release-manager'],
      resetOnPush: 404,
    });
    expect((await check(root, GL_ENV)).exitCode).toBe(0);
  });

  it('refuses bad or mixed flags with what to pass', async () => {
    const root = makeRepo();
    expect((await check(root, {}, '--merge-request', '!7')).output).toContain(
      '--merge-request takes the merge request\'s IID (the number after "!"), e.g. --merge-request 42, not "!7"',
    );
    expect(
      (await check(root, {}, '--merge-request', '7', '--pr', '7')).output,
    ).toContain(
      '--merge-request (GitLab) and --pr (GitHub) name different hosts',
    );
    expect(
      (await check(root, {}, '--gitlab-token-env', 'NOPE')).output,
    ).toContain(
      '--gitlab-token-env NOPE: the variable NOPE is not set or empty',
    );
    expect(
      (await check(root, {}, '--gitlab-project', 'not a project')).exitCode,
    ).toBe(2);
  });
});
