import { parseDefinition } from '../index';

const withUser = (user: string) => `pipeline:
  steps:
    - name: test
      image: node:20
      commands: [id]
      user: ${user}
`;

describe('a step\'s "user"', () => {
  it.each(['"1000"', '"1000:1000"', '0'])('takes a numeric uid or uid:gid (%s)', (user) => {
    const result = parseDefinition(withUser(user));
    expect(result.ok && result.definition.steps[0].user).toBe(user.replace(/"/g, ''));
  });

  it.each(['node', '"1000:"', '"-1"', '"1000:1000:1"'])('refuses %s with its position', (user) => {
    const result = parseDefinition(withUser(user));
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors).toEqual([
        expect.objectContaining({
          path: 'steps[0].user',
          line: 6,
          message: expect.stringMatching(/is not a user/),
        }),
      ]);
  });
});
