import {
  changeBranchName,
  changeKindOfMessage,
  changeTrailer,
  changeRecordBlock,
  parseChangeBranch,
  parseChangeRecord,
} from './changes';

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
