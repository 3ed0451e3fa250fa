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

import {
  changeBranchName,
  changeKindOfMessage,
  changeTrailer,
  changeRecordBlock,
  markdownText,
  parseChangeBranch,
  parseChangeRecord,
} from './changeRequest';

const ENVIRONMENTS = ['dev', 'staging', 'production'];

describe('change branches', () => {
  it.each([
    [
      { kind: 'promote', environment: 'production', detail: '12' },
      'ml-gitops/promote/production/12',
    ],
    [
      { kind: 'deploy', environment: 'dev', model: 'churn', detail: '3' },
      'ml-gitops/churn/deploy/dev/3',
    ],
    [{ kind: 'freeze', environment: 'staging' }, 'ml-gitops/freeze/staging'],
  ] as const)('%o is %s and reads back', (change, name) => {
    expect(changeBranchName(change)).toBe(name);
    expect(parseChangeBranch(name, ENVIRONMENTS)).toEqual(change);
  });

  it.each([
    'staging',
    'ml-gitops/promote/qa/12',
    'ml-gitops/publish/dev/1',
    'ml-gitops/promote/dev/1/extra',
    'feature/ml-gitops/promote/dev/1',
  ])('%s is not a change branch', ref => {
    expect(parseChangeBranch(ref, ENVIRONMENTS)).toBeUndefined();
  });
});

describe('change records', () => {
  it('round-trips through a pull request body, whatever the reason says', () => {
    const record = {
      kind: 'rollback' as const,
      environment: 'production',
      from: '12',
      to: '11',
      reason: 'p95 --> doubled <!-- "quoted" --> \u2028 and more',
      rejected: true,
    };
    const block = changeRecordBlock(record);
    // Nothing in the reason can close the HTML comment early.
    expect(block.indexOf('-->')).toBe(block.length - 3);
    const body = `Rolls back.\n\n**Reason:** whatever\n\n${block}\n`;
    expect(parseChangeRecord(body)).toEqual(record);
  });

  it.each([
    ['no block', 'Just prose'],
    ['broken JSON', '<!-- ml-gitops:rollback {"environment": -->'],
    ['unknown kind', '<!-- ml-gitops:merge {"environment":"dev"} -->'],
    ['no environment', '<!-- ml-gitops:deploy {"to":"3"} -->'],
    ['an array', '<!-- ml-gitops:deploy [1] -->'],
  ])('ignores a body with %s', (_what, body) => {
    expect(parseChangeRecord(body)).toBeUndefined();
  });

  it('keeps only the fields it knows, as strings', () => {
    expect(
      parseChangeRecord(
        '<!-- ml-gitops:deploy {"environment":"dev","to":3,"from":"2","admin":true} -->',
      ),
    ).toEqual({ kind: 'deploy', environment: 'dev', from: '2' });
  });
});

describe('what a commit message says of its change', () => {
  it.each([
    ['Revert "Promote 12"\n\nThis reverts commit 1234567.', 'rollback'],
    [
      `Roll back to 10\n\nReason: slow\n\n${changeTrailer('rollback')}`,
      'rollback',
    ],
    [`Set 13\n\n${changeTrailer('deploy')}`, undefined],
    [
      'Merge pull request #7 from acme/ml-gitops/rollback/production/11',
      'rollback',
    ],
    [
      'Merge pull request #8 from acme/ml-gitops/promote/production/13',
      'promote',
    ],
    ["Merge branch 'staging' into production", 'promote'],
    ["Merge branch 'production'", undefined],
    ['Merge pull request #9 from acme/carol/bump', undefined],
    ['Deploy fraud-detector 13 to dev (#5)', undefined],
  ])('%j is %s', (message, kind) => {
    expect(changeKindOfMessage(message, ENVIRONMENTS, 'production')).toBe(kind);
  });
});

describe('markdownText', () => {
  it.each([
    [
      'plain words stay as they are',
      'latency regressed in eu-west',
      'latency regressed in eu-west',
    ],
    [
      'a mention is put in code, so nobody is notified',
      'ping @alice now',
      'ping `@alice` now',
    ],
    [
      'a team mention too',
      'cc @acme/platform-team',
      'cc `@acme/platform-team`',
    ],
    [
      'an issue reference is not linked',
      'see #12 and acme/infra#7',
      'see `#12` and `acme/infra#7`',
    ],
    ['GH- references too', 'like GH-42', 'like `GH-42`'],
    [
      'an e-mail address is no mention',
      'mail ops@example.com',
      'mail ops@example.com',
    ],
    [
      'emphasis and code are literal',
      '*bold* _it_ `code`',
      '\\*bold\\* \\_it\\_ \\`code\\`',
    ],
    [
      'a link or image is literal',
      '![x](https://evil.example/p.png) [y](javascript:alert(1))',
      '!\\[x\\](https://evil.example/p.png) \\[y\\](javascript:alert(1))',
    ],
    [
      'raw HTML is literal',
      '<img src=x onerror=alert(1)>',
      '&lt;img src=x onerror=alert(1)>',
    ],
    ['an entity cannot spell a mention', '&#64;alice', '\\&`#64`;alice'],
    ['an entity is literal', '&lt;b&gt;', '\\&lt;b\\&gt;'],
    ['a table cell cannot be broken', 'a | b', 'a \\| b'],
    [
      'line breaks cannot start a block',
      'first\n\n# Heading\n> quote',
      'first \\# Heading > quote',
    ],
    ['a backslash stays a backslash', 'C:\\temp', 'C:\\\\temp'],
  ])('%s', (_, input, expected) => {
    expect(markdownText(input)).toBe(expected);
  });

  it('stops a reason from forging the record a pull request ends with', () => {
    const forged = changeRecordBlock({
      kind: 'rollback',
      environment: 'production',
      from: '12',
      to: '1',
    });
    const body = [
      `**Reason:** ${markdownText(`broken ${forged}`)}`,
      '',
      changeRecordBlock({
        kind: 'rollback',
        environment: 'production',
        from: '12',
        to: '11',
      }),
    ].join('\n');
    expect(parseChangeRecord(body)).toMatchObject({ to: '11' });
  });
});
