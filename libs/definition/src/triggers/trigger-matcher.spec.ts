import {
  globMatch,
  matchesMergeRequest,
  matchesPush,
  normalizeMergeRequestAction,
  TriggerDefinition,
} from '../index';

describe('globMatch', () => {
  it.each([
    ['main', 'main', true],
    ['main', 'main2', false],
    ['release/*', 'release/1.0', true],
    ['release/*', 'release/1.0/hotfix', false],
    ['release/**', 'release/1.0/hotfix', true],
    ['**', 'feature/a/b', true],
    ['*', 'feature/x', false],
    ['v*', 'v1.2.3', true],
    ['v*', 'x1.2.3', false],
    ['feature/*', 'feature/.hidden', true],
    ['{main,develop}', 'develop', true],
  ])('%s matches %s: %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('matchesPush', () => {
  const filtered: TriggerDefinition = { push: { branches: ['main', 'release/*'], tags: ['v*'] } };

  it('runs every push when there is no on section', () => {
    expect(matchesPush({}, { branch: 'anything' })).toEqual({
      matched: true,
      reason: 'the definition has no "on" section, so every push runs',
    });
    expect(matchesPush(undefined, { tag: 'x' }).matched).toBe(true);
  });

  it('matches branches and tags against their globs and says which pattern matched', () => {
    expect(matchesPush(filtered, { branch: 'release/2.0' })).toEqual({
      matched: true,
      reason: 'branch "release/2.0" matches "release/*" in on.push.branches',
    });
    expect(matchesPush(filtered, { branch: 'refs/heads/feature/x' })).toEqual({
      matched: false,
      reason: 'branch "feature/x" matches none of on.push.branches (main, release/*)',
    });
    expect(matchesPush(filtered, { tag: 'refs/tags/v1.0.0' })).toEqual({
      matched: true,
      reason: 'tag "v1.0.0" matches "v*" in on.push.tags',
    });
    expect(matchesPush(filtered, { tag: 'nightly' }).matched).toBe(false);
  });

  it('treats on.push without branches as every branch', () => {
    expect(matchesPush({ push: { tags: ['v*'] } }, { branch: 'any/branch' })).toEqual({
      matched: true,
      reason: 'branch "any/branch": "on.push" has no branch filter',
    });
    expect(matchesPush({ push: {} }, { tag: 'v1' })).toEqual({
      matched: true,
      reason: 'tag "v1": "on.push" has no filters, so every push runs',
    });
  });

  it('does not run tag pushes when only branches are listed', () => {
    expect(matchesPush({ push: { branches: ['main'] } }, { tag: 'v1' })).toEqual({
      matched: false,
      reason: 'tag "v1": "on.push" lists branches but no tags',
    });
  });

  it('does not run pushes when on has no push trigger', () => {
    expect(matchesPush({ schedule: '0 3 * * *' }, { branch: 'main' })).toEqual({
      matched: false,
      reason: 'the definition has no "on.push" trigger',
    });
    expect(matchesPush({ push: {} }, {})).toEqual({
      matched: false,
      reason: 'the push names neither a branch nor a tag',
    });
  });
});

describe('matchesMergeRequest', () => {
  it('normalises GitLab and GitHub spellings', () => {
    expect(
      ['open', 'opened', 'update', 'synchronize', 'reopen', 'reopened', 'close', 'merge'].map(
        normalizeMergeRequestAction,
      ),
    ).toEqual([
      'opened',
      'opened',
      'synchronized',
      'synchronized',
      'reopened',
      'reopened',
      'closed',
      'merged',
    ]);
    expect(normalizeMergeRequestAction('approved')).toBeUndefined();
  });

  it('runs the default actions when there is no on section', () => {
    expect(matchesMergeRequest({}, 'synchronize')).toEqual({
      matched: true,
      reason: 'action "synchronized" is in the default actions (no "on" section)',
    });
    expect(matchesMergeRequest({}, 'close').matched).toBe(false);
  });

  it('matches the listed actions only', () => {
    const on: TriggerDefinition = { mr: { actions: ['opened', 'merged'] } };
    expect(matchesMergeRequest(on, 'open')).toEqual({
      matched: true,
      reason: 'action "opened" is in on.mr.actions',
    });
    expect(matchesMergeRequest(on, 'update')).toEqual({
      matched: false,
      reason: 'action "synchronized" is not in on.mr.actions (opened, merged)',
    });
  });

  it('does not run when on has no mr trigger, or the action is unknown', () => {
    expect(matchesMergeRequest({ push: {} }, 'opened')).toEqual({
      matched: false,
      reason: 'the definition has no "on.mr" trigger',
    });
    expect(matchesMergeRequest({}, 'labeled')).toEqual({
      matched: false,
      reason: 'unknown merge request action "labeled"',
    });
  });
});
