import { RUN_VARIABLE_VALUE_MAX, runVariablesProblems } from './run-variables';

describe('runVariablesProblems', () => {
  it('accepts environment names with plain-text values, empty ones included', () => {
    expect(runVariablesProblems({ DEPLOY_TARGET: 'staging', _x1: '', A: 'x'.repeat(RUN_VARIABLE_VALUE_MAX) })).toEqual([]);
  });

  it('names each bad variable and why', () => {
    expect(
      runVariablesProblems({ 'A-B': 'x', N: 1, LONG: 'x'.repeat(RUN_VARIABLE_VALUE_MAX + 1), S: '${{ secrets.K }}', Z: 'a\0b' }),
    ).toEqual([
      'variables: "A-B" is not a valid variable name; use letters, digits and "_", not starting with a digit',
      'variables: N must be a string',
      `variables: LONG is longer than ${RUN_VARIABLE_VALUE_MAX} characters`,
      'variables: S holds a ${{ }} expression; run variables are plain text',
      'variables: Z holds a NUL character',
    ]);
  });

  it('refuses what is not an object of variables', () => {
    for (const value of [null, 'A=1', ['A=1'], 3]) expect(runVariablesProblems(value)).toHaveLength(1);
  });
});
