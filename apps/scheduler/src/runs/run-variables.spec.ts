import { parseDefinition } from '@kiln/definition';
import { withRunVariables } from './run-variables';

describe('withRunVariables', () => {
  const parsed = parseDefinition(`pipeline:
  steps:
    - name: build
      image: node:20
      environment: { TARGET: dev, KEEP: yes }
      commands: [make]
    - name: test
      image: node:20
      commands: [make test]
`);
  if (!parsed.ok) throw new Error('fixture does not parse');

  it("puts the run's variables in every step's environment over the definition's values", () => {
    const steps = withRunVariables(parsed.definition, { TARGET: 'staging', EXTRA: '1' }).steps;
    expect(steps.map((s) => s.environment)).toEqual([
      { TARGET: 'staging', KEEP: 'yes', EXTRA: '1' },
      { TARGET: 'staging', EXTRA: '1' },
    ]);
  });

  it('leaves the definition as it is without variables', () => {
    expect(withRunVariables(parsed.definition, undefined)).toBe(parsed.definition);
    expect(withRunVariables(parsed.definition, {})).toBe(parsed.definition);
  });
});
