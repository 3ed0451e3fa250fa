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
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  cleanupTmpDirs,
  git,
  gitInit,
  makeRepo,
  mlflowHandlers,
  mlflowVersion,
  REGISTRY,
  runCli,
  STACK_TRACE,
  tmpDir,
  writeFiles,
} from '../__testUtils__/helpers';
import { ownersOf, parseCodeowners } from '../lib/codeowners';
import { approversOf } from './approval';
import { gateLoosenings, stricterGates } from './protectedChanges';

const API = 'http://github.test/api/v3';
const REPO = 'acme/fraud-detector-config';
const PR = 7;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  cleanupTmpDirs();
});
afterAll(() => server.close());

describe('CODEOWNERS', () => {
  const rules = parseCodeowners(
    [
      '# owners',
      '*                       @acme/platform',
      '/deploy/                @alice',
      'docs/*                  @doc-writer',
      '*.md                    @readme-owner',
      '**/workflows/           @acme/ci',
      '/secrets/ # no owners: anyone may approve nothing',
      'apps/\\#hash.yaml       @hash-owner',
    ].join('\n'),
  );
  it.each([
    ['deploy/model.yaml', ['@alice']],
    ['deploy/chart/values.yaml', ['@alice']],
    ['x/deploy/model.yaml', ['@acme/platform']],
    ['docs/guide.txt', ['@doc-writer']],
    ['docs/deep/guide.txt', ['@acme/platform']],
    ['README.md', ['@readme-owner']],
    ['docs/a.md', ['@readme-owner']],
    ['.github/workflows/validate.yaml', ['@acme/ci']],
    ['secrets/db.sealed.yaml', []],
    ['apps/#hash.yaml', ['@hash-owner']],
  ])('%s is owned by %j (the last matching rule wins)', (file, owners) => {
    expect(ownersOf(rules, file).owners).toEqual(owners);
  });
});

describe('gate loosenings', () => {
  const base = { auc: { min: 0.92 }, latency_p95_ms: { max: 40 } };
  it('names every loosening and nothing else', () => {
    expect(
      gateLoosenings(base, { auc: { min: 0.95 }, latency_p95_ms: { max: 30 } }),
    ).toEqual([]);
    expect(
      gateLoosenings(base, { auc: { min: 0.5 }, f1: { min: 0.1 } }),
    ).toEqual([
      'the PR lowers gates.metrics.auc.min from 0.92 to 0.5',
      'the PR removes the gate gates.metrics.latency_p95_ms',
    ]);
    expect(
      gateLoosenings(base, { auc: { max: 1 }, latency_p95_ms: { max: 80 } }),
    ).toEqual([
      'the PR removes gates.metrics.auc.min (0.92)',
      'the PR raises gates.metrics.latency_p95_ms.max from 40 to 80',
    ]);
    expect(stricterGates(base, { auc: { min: 0.5, max: 1 } })).toEqual({
      auc: { min: 0.92, max: 1 },
      latency_p95_ms: { max: 40 },
    });
  });

  it('counts a reviewer by their latest approving or blocking review on the head', () => {
    const review = (login: string, state: string, commit = 'head') => ({
      id: 1,
      user: { login },
      state,
      commit_id: commit,
    });
    expect(
      approversOf(
        [
          review('alice', 'APPROVED'),
          review('alice', 'COMMENTED'),
          review('bob', 'APPROVED'),
          review('bob', 'CHANGES_REQUESTED'),
          review('carol', 'APPROVED', 'old'),
          review('dave', 'APPROVED'),
          review('dave', 'DISMISSED'),
        ],
        'head',
      ),
    ).toEqual(['alice']);
  });
});

/*
 * Pull requests against `dev` in real Git repositories, with GitHub's REST
 * API faked by msw in its payload shapes (pulls, reviews, team
 * memberships: docs.github.com/en/rest/pulls and /rest/teams/members).
 */

const manifest = (gates: string, checks = '') =>
  `model_name: fraud-detector\nmodel_version: "13"\nserving: { runtime: kserve, replicas: 2 }\ngates:\n  metrics:\n${gates}${checks}`;
const BASE_GATES = '    auc: { min: 0.92 }\n    latency_p95_ms: { max: 40 }\n';
const CODEOWNERS = '*   @acme/platform\n/deploy/   @alice @acme/ml-owners\n';
const WORKFLOW = 'name: validate\non: pull_request\n';

function repoWithPullRequest(head: Record<string, string>) {
  const root = makeRepo({
    'deploy/model.yaml': manifest(BASE_GATES),
    '.github/CODEOWNERS': CODEOWNERS,
    '.github/workflows/validate.yaml': WORKFLOW,
  });
  gitInit(root, 'dev');
  git(root, 'checkout', '-q', '-b', 'pull-request');
  writeFiles(root, head);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'the pull request');
  return { root, head: git(root, 'rev-parse', 'HEAD').trim() };
}

const user = (login: string) => ({
  login,
  id: login.length,
  node_id: `U_${login}`,
  avatar_url: `https://avatars.githubusercontent.com/u/${login.length}?v=4`,
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  type: 'User',
  site_admin: false,
});

const review = (
  id: number,
  login: string,
  state: string,
  commitId: string,
) => ({
  id,
  node_id: `PRR_${id}`,
  user: user(login),
  body: '',
  state,
  html_url: `https://github.com/${REPO}/pull/${PR}#pullrequestreview-${id}`,
  pull_request_url: `https://api.github.com/repos/${REPO}/pulls/${PR}`,
  author_association: 'MEMBER',
  _links: {
    html: {
      href: `https://github.com/${REPO}/pull/${PR}#pullrequestreview-${id}`,
    },
    pull_request: { href: `https://api.github.com/repos/${REPO}/pulls/${PR}` },
  },
  submitted_at: `2026-01-0${id}T10:00:00Z`,
  commit_id: commitId,
});

function github(options: {
  head: string;
  reviews: unknown[];
  /** team slug → active members */
  teams?: Record<string, string[]>;
  requests?: string[];
  status?: number;
}) {
  const seen = (request: Request) => {
    options.requests?.push(
      `${request.headers.get('authorization')} ${
        new URL(request.url).pathname
      }`,
    );
  };
  server.use(
    http.get(`${API}/repos/${REPO}/pulls/${PR}`, ({ request }) => {
      seen(request);
      if (options.status) {
        return HttpResponse.json(
          { message: 'Server Error' },
          { status: options.status },
        );
      }
      return HttpResponse.json({
        url: `https://api.github.com/repos/${REPO}/pulls/${PR}`,
        number: PR,
        state: 'open',
        title: 'Lower the AUC gate',
        user: user('mallory'),
        head: {
          label: 'acme:pull-request',
          ref: 'pull-request',
          sha: options.head,
        },
        base: { label: 'acme:dev', ref: 'dev', sha: '0'.repeat(40) },
      });
    }),
    http.get(`${API}/repos/${REPO}/pulls/${PR}/reviews`, ({ request }) => {
      seen(request);
      return HttpResponse.json(options.reviews);
    }),
    http.get(
      `${API}/orgs/acme/teams/:slug/memberships/:username`,
      ({ request, params }) => {
        seen(request);
        const members = options.teams?.[String(params.slug)] ?? [];
        if (!members.includes(String(params.username))) {
          return HttpResponse.json(
            {
              message: 'Not Found',
              documentation_url:
                'https://docs.github.com/rest/teams/members#get-team-membership-for-a-user',
              status: '404',
            },
            { status: 404 },
          );
        }
        return HttpResponse.json({
          url: `https://api.github.com/teams/1/memberships/${params.username}`,
          role: 'member',
          state: 'active',
        });
      },
    ),
  );
}

const GH_ENV = {
  GITHUB_TOKEN: 'ghs_test-token-for-msw',
  GITHUB_REPOSITORY: REPO,
  GITHUB_API_URL: API,
  GITHUB_REF: `refs/pull/${PR}/merge`,
};

const check = (root: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
  runCli(
    [
      'validate',
      root,
      '--base',
      'dev',
      '--skip-integration',
      ...(args.includes('--registry-url') ? [] : ['--skip-registry']),
      ...args,
    ],
    { env },
  );

const LOWERED =
  "the PR lowers gates.metrics.auc.min from 0.92 to 0.5; a gate change needs a code owner's approval";
const LOWER = {
  'deploy/model.yaml': manifest(
    '    auc: { min: 0.5 }\n    latency_p95_ms: { max: 40 }\n',
  ),
};

describe('code owner approval (--base)', () => {
  it('refuses a lowered gate without a token, saying what is needed', async () => {
    const { root } = repoWithPullRequest(LOWER);
    const { exitCode, output } = await check(root, {});
    expect(output).not.toMatch(STACK_TRACE);
    expect(exitCode).toBe(1);
    expect(output).toContain(`error: deploy/model.yaml:6:5: ${LOWERED}`);
    expect(output).toContain(
      'fix: Ask a code owner of deploy/model.yaml, @alice @acme/ml-owners (.github/CODEOWNERS:2 on dev), to approve',
    );
    expect(output).toContain(
      "cannot confirm a code owner's approval without a GitHub token to read the pull request's reviews (set GITHUB_TOKEN or pass --github-token-env NAME; in GitHub Actions pass GITHUB_TOKEN: ${{ github.token }} with permissions pull-requests: read), the repository (GITHUB_REPOSITORY or --github-repo OWNER/NAME), the pull request number",
    );
  });

  it("passes a lowered gate approved by a code owner on the head, and uses the PR's gate", async () => {
    const { root, head } = repoWithPullRequest(LOWER);
    const requests: string[] = [];
    github({
      head,
      reviews: [
        review(1, 'bob', 'APPROVED', head),
        review(2, 'alice', 'APPROVED', head),
      ],
      requests,
    });
    server.use(
      ...mlflowHandlers({
        versions: { '13': mlflowVersion('13') },
        metrics: { 'run-13': { auc: 0.6, latency_p95_ms: 31 } },
      }),
    );
    const { exitCode, output } = await check(
      root,
      GH_ENV,
      '--registry-url',
      REGISTRY,
    );
    expect(output).toMatch(
      /PASS\s+Code owner approval\s+the PR lowers gates\.metrics\.auc\.min from 0\.92 to 0\.5: approved by @alice \(@alice\)/,
    );
    expect(output).toMatch(/PASS\s+Performance gate\s+auc 0.6 is >= 0.5/);
    expect(exitCode).toBe(0);
    expect(requests).toContain(
      `Bearer ghs_test-token-for-msw /api/v3/repos/${REPO}/pulls/${PR}/reviews`,
    );
    expect(output).not.toContain('ghs_test-token-for-msw');
  });

  it("keeps the base's thresholds while the change is not approved", async () => {
    const { root, head } = repoWithPullRequest(LOWER);
    github({ head, reviews: [review(1, 'bob', 'APPROVED', head)] });
    server.use(
      ...mlflowHandlers({
        versions: { '13': mlflowVersion('13') },
        metrics: { 'run-13': { auc: 0.6, latency_p95_ms: 31 } },
      }),
    );
    const { exitCode, output } = await check(
      root,
      GH_ENV,
      '--registry-url',
      REGISTRY,
    );
    expect(exitCode).toBe(1);
    expect(output).toContain(
      `${LOWERED} (approvals of ${head.slice(
        0,
        12,
      )} by @bob, none a code owner of deploy/model.yaml)`,
    );
    expect(output).toContain(
      'GitHub answers 404 both for a non-member and for a team the token cannot see',
    );
    expect(output).toMatch(
      /FAIL\s+Performance gate\s+.*\(thresholds of dev, or stricter: the pull request's gate change is not approved\)/,
    );
  });

  it('does not count an approval of an older commit, or one withdrawn by a later review', async () => {
    const { root, head } = repoWithPullRequest(LOWER);
    github({
      head,
      reviews: [
        review(1, 'alice', 'APPROVED', 'a'.repeat(40)),
        review(2, 'carol', 'APPROVED', head),
        review(3, 'carol', 'CHANGES_REQUESTED', head),
      ],
      teams: { 'ml-owners': ['carol'] },
    });
    const { exitCode, output } = await check(root, GH_ENV);
    expect(exitCode).toBe(1);
    expect(output).toContain(
      `${LOWERED} (no approval of the latest commit ${head.slice(0, 12)})`,
    );
  });

  it('counts an active member of an owning team', async () => {
    const { root, head } = repoWithPullRequest(LOWER);
    const requests: string[] = [];
    github({
      head,
      reviews: [review(1, 'carol', 'APPROVED', head)],
      teams: { 'ml-owners': ['carol'] },
      requests,
    });
    const { exitCode, output } = await check(root, GH_ENV);
    expect(output).toContain('approved by @carol (@acme/ml-owners)');
    expect(exitCode).toBe(0);
    expect(requests).toContain(
      'Bearer ghs_test-token-for-msw /api/v3/orgs/acme/teams/ml-owners/memberships/carol',
    );
  });

  it("judges a CODEOWNERS change by the base's CODEOWNERS, and a workflow change too", async () => {
    const { root, head } = repoWithPullRequest({
      '.github/CODEOWNERS': '*   @mallory\n',
      '.github/workflows/validate.yaml': `${WORKFLOW}# skip\n`,
    });
    github({ head, reviews: [review(1, 'mallory', 'APPROVED', head)] });
    const { exitCode, output } = await check(root, GH_ENV);
    expect(exitCode).toBe(1);
    expect(output).toContain(
      "error: .github/CODEOWNERS:1: the PR changes .github/CODEOWNERS; a CODEOWNERS change needs a code owner's approval",
    );
    expect(output).toContain(
      "error: .github/workflows/validate.yaml:1: the PR changes .github/workflows/validate.yaml; a workflow change needs a code owner's approval",
    );
    expect(output).toContain(
      'fix: Ask a code owner of .github/CODEOWNERS, @acme/platform (.github/CODEOWNERS:1 on dev)',
    );
  });

  it('reads the pull request from the event payload and checks a merge ref whose second parent is the head', async () => {
    const { root, head } = repoWithPullRequest(LOWER);
    // what actions/checkout checks out for pull_request: refs/pull/N/merge
    git(root, 'checkout', '-q', 'dev');
    writeFiles(root, { 'README.md': 'dev moved on\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'dev moved on');
    git(root, 'checkout', '-q', '--detach', 'dev');
    git(root, 'merge', '-q', '--no-ff', '-m', 'merge', 'pull-request');
    github({ head, reviews: [review(1, 'alice', 'APPROVED', head)] });
    const eventFile = path.join(tmpDir(), 'event.json');
    writeFileSync(
      eventFile,
      JSON.stringify({
        action: 'synchronize',
        number: PR,
        pull_request: { number: PR, labels: [], head: { sha: head } },
      }),
    );
    const { exitCode, output } = await check(root, {
      ...GH_ENV,
      GITHUB_REF: 'refs/heads/unrelated',
      GITHUB_EVENT_PATH: eventFile,
    });
    expect(output).toMatch(/PASS\s+Code owner approval/);
    expect(exitCode).toBe(0);
  });

  it("refuses when the PR's head moved past the checked commit", async () => {
    const { root } = repoWithPullRequest(LOWER);
    github({ head: 'b'.repeat(40), reviews: [] });
    const { exitCode, output } = await check(root, GH_ENV);
    expect(exitCode).toBe(1);
    expect(output).toContain(`the pull request's head is ${'b'.repeat(12)}`);
  });

  it('stops with exit 2 when GitHub fails', async () => {
    const { root, head } = repoWithPullRequest(LOWER);
    github({ head, reviews: [], status: 502 });
    const { exitCode, output } = await check(root, GH_ENV);
    expect(exitCode).toBe(2);
    expect(output).toContain(
      `cannot read the approvals of ${REPO}#${PR}: GitHub answered GET /repos/${REPO}/pulls/${PR} with 502: Server Error`,
    );
  });

  it('asks for nothing when only model_version changes', async () => {
    const { root } = repoWithPullRequest({
      'deploy/model.yaml': manifest(BASE_GATES).replace('"13"', '"14"'),
    });
    const { exitCode, output } = await check(root, {});
    expect(output).toMatch(
      /PASS\s+Code owner approval\s+no gate, checks, CODEOWNERS or workflow change/,
    );
    expect(exitCode).toBe(0);
  });

  it('refuses bad options with what to pass', async () => {
    const root = makeRepo();
    expect((await check(root, {}, '--pr', 'seven')).output).toContain(
      '--pr takes the pull request\'s number, e.g. --pr 42, not "seven"',
    );
    expect(
      (await check(root, {}, '--github-token-env', 'NOPE')).output,
    ).toContain(
      '--github-token-env NOPE: the variable NOPE is not set or empty',
    );
    expect(
      (await check(root, {}, '--github-repo', 'not a repo')).exitCode,
    ).toBe(2);
  });
});
