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
 * CODEOWNERS as GitLab reads it for approvals
 * (docs.gitlab.com/user/project/codeowners/reference): which entry owns a
 * changed file, sections, and which file is read.
 */

import { ENCODED, TOKENS, useGitLab } from '../__testUtils__/useGitLab';
import { matchedEntries } from './codeowners';

jest.setTimeout(60_000);

describe('matchedEntries', () => {
  const text = `# owners
*                   @ml-platform/growth-ml
deploy/model.yaml   @ml-platform/growth-ml @ml-platform
/secrets/           @ml-platform
*.md                @katherine

[Docs][2] @ada
docs/
^[Optional]
deploy/             @grace
`;

  it('takes the last matching pattern per section', () => {
    expect(matchedEntries(text, ['deploy/model.yaml'])).toEqual([
      expect.objectContaining({
        section: 'codeowners',
        pattern: 'deploy/model.yaml',
        owners: ['@ml-platform/growth-ml', '@ml-platform'],
        approvalsRequired: 1,
      }),
      expect.objectContaining({ section: 'Optional', optional: true }),
    ]);
    expect(
      matchedEntries(text, ['secrets/a.yaml', 'README.md']).map(e => e.pattern),
    ).toEqual(['/secrets/', '*.md']);
    // a name without a slash matches at any depth; `/secrets/` only at the root
    expect(
      matchedEntries(text, ['x/secrets/a', 'x/y/README.md']).map(
        e => e.pattern,
      ),
    ).toEqual(['*', '*.md']);
  });

  it('gives a section its default owners and approval count', () => {
    expect(matchedEntries(text, ['docs/guide.txt'])).toContainEqual(
      expect.objectContaining({
        section: 'Docs',
        pattern: 'docs/',
        owners: ['@ada'],
        approvalsRequired: 2,
      }),
    );
  });
});

describe('the CODEOWNERS file a merge request is checked against', () => {
  const gl = useGitLab();
  const project = (p = '') => `/projects/${ENCODED}${p}`;

  it('uses the root CODEOWNERS before docs/ and .gitlab/', async () => {
    const t = gl();
    // .gitlab/CODEOWNERS would make ada the owner of everything; a
    // maintainer adds it while production takes pushes for a moment
    const p = t.host.project('ml-platform/demand-forecaster-config')!;
    const rule = p.protected_branches.find(b => b.name === 'production')!;
    const saved = rule.push_access_level;
    rule.push_access_level = 40;
    await t.host.syncProtection(p);
    await t.host.commit(p, t.host.userByName('ml-gitops-bot')!, {
      branch: 'production',
      commit_message: 'Add a .gitlab/CODEOWNERS',
      actions: [
        {
          action: 'create',
          file_path: '.gitlab/CODEOWNERS',
          content: '* @ada\n',
        },
      ],
    });
    rule.push_access_level = saved;
    await t.host.syncProtection(p);

    await t.call('POST', project('/repository/commits'), {
      token: TOKENS.grace,
      body: {
        branch: 'owners-check',
        start_branch: 'production',
        commit_message: 'Touch the secrets',
        actions: [
          {
            action: 'create',
            file_path: 'secrets/extra.yaml',
            content: 'x: 1\n',
          },
        ],
      },
    });
    const mr = await t.call('POST', project('/merge_requests'), {
      token: TOKENS.grace,
      body: {
        source_branch: 'owners-check',
        target_branch: 'production',
        title: 'Touch the secrets',
      },
    });
    await t.call('POST', project(`/statuses/${mr.body.sha}`), {
      body: { state: 'success', name: 'ml-gitops/validate' },
    });
    // ada approves: enough for the Production rule, not for secrets/ (ml-platform)
    await t.call('POST', project(`/merge_requests/${mr.body.iid}/approve`), {
      token: TOKENS.ada,
      body: {},
    });
    const approvals = await t.call(
      'GET',
      project(`/merge_requests/${mr.body.iid}/approvals`),
    );
    expect(approvals.body).toMatchObject({
      approved: false,
      approvals_left: 1,
      approval_rules_left: [{ name: 'secrets/', rule_type: 'code_owner' }],
    });
  });
});
