import { DefinitionError, parseDefinition } from './index';
import { step, yaml } from './yaml-lines.spec-helper';

/**
 * Every hostile input must end in one clear error, never a hang: what the unguarded parser does
 * with these inputs takes minutes to forever, so a bound of seconds tells a hang from a busy
 * machine. Parsing speed is measured by bench/definition-parse.bench.ts, not here.
 */
const HANG_MS = 5_000;

function rejectQuickly(source: string | Buffer, withinMs = HANG_MS): DefinitionError[] {
  const started = performance.now();
  const result = parseDefinition(source);
  const elapsed = performance.now() - started;
  expect(elapsed).toBeLessThan(withinMs);
  if (result.ok) throw new Error('expected the input to be rejected');
  return result.errors;
}

describe('parseDefinition: hostile input ends in a clear error, never a hang', () => {
  it('stops a "billion laughs" alias bomb', () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    lines.push('pipeline: *a9');
    expect(rejectQuickly(yaml(...lines))).toEqual([
      { path: '', line: 5, column: 10, message: 'aliases expand to more than 10000 nodes' },
    ]);
  });

  it('stops an alias bomb hidden in merge keys', () => {
    const lines = ['m0: &m0 { a: [x, x, x, x, x, x, x, x, x, x] }'];
    for (let i = 1; i < 8; i++)
      lines.push(
        `m${i}: &m${i} [${Array(10)
          .fill(`*m${i - 1}`)
          .join(', ')}]`,
      );
    const errors = rejectQuickly(yaml(...lines));
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe('aliases expand to more than 10000 nodes');
  });

  it('limits the number of aliases', () => {
    const lines = ['x: &x 1', `y: [${Array(101).fill('*x').join(', ')}]`];
    expect(rejectQuickly(yaml(...lines))).toEqual([
      { path: '', line: 2, column: 405, message: 'the file uses more than 100 aliases' },
    ]);
  });

  it('rejects a recursive alias', () => {
    expect(rejectQuickly(yaml('a: &a [*a]'))).toEqual([
      { path: '', line: 1, column: 8, message: 'alias "*a" refers to a node that contains it' },
    ]);
  });

  it('rejects an alias to an anchor that does not exist', () => {
    expect(rejectQuickly(yaml('pipeline: *nope'))).toEqual([
      {
        path: '',
        line: 1,
        column: 11,
        message: 'alias "*nope" refers to an anchor that is not defined before it',
      },
    ]);
  });

  it('rejects 10,000 levels of nesting', () => {
    const source = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(rejectQuickly(source)).toEqual([
      { path: '', line: 1, column: 65, message: 'the document is nested deeper than 64 levels' },
    ]);
  });

  it('rejects deep block nesting', () => {
    const source = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    const errors = rejectQuickly(source);
    expect(errors).toEqual([
      { path: '', line: 65, column: 65, message: 'the document is nested deeper than 64 levels' },
    ]);
  });

  it('rejects nesting built up through aliases', () => {
    const lines = [
      `a0: &a0 ${'['.repeat(40)}x${']'.repeat(40)}`,
      `a1: ${'['.repeat(30)}*a0${']'.repeat(30)}`,
    ];
    expect(rejectQuickly(yaml(...lines))).toEqual([
      { path: '', line: 2, column: 35, message: 'aliases nest the document deeper than 64 levels' },
    ]);
  });

  it('rejects a 5 MB file before parsing it', () => {
    const source = yaml(
      'pipeline:',
      '  steps:',
      ...step('a', [`environment: { BIG: "${'x'.repeat(5 * 1024 * 1024)}" }`]),
    );
    expect(rejectQuickly(source)).toEqual([
      { path: '', line: 1, column: 1, message: 'the file is 5 MiB; the limit is 1 MiB' },
    ]);
  });

  it('rejects a 5 MB Buffer before decoding it', () => {
    const errors = rejectQuickly(Buffer.alloc(5 * 1024 * 1024 + 10, 'a'));
    expect(errors[0].message).toBe('the file is 5 MiB; the limit is 1 MiB');
  });

  it('rejects invalid UTF-8 bytes and says where they are', () => {
    const bytes = Buffer.concat([
      Buffer.from('pipeline:\n  steps:\n    - name: '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    expect(rejectQuickly(bytes)).toEqual([
      {
        path: '',
        line: 3,
        column: 13,
        message: 'the file is not valid UTF-8 (byte 0xc3 at line 3, column 13)',
      },
    ]);
  });

  it('rejects Latin-1 and overlong encodings', () => {
    expect(rejectQuickly(Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]))[0].message).toBe(
      'the file is not valid UTF-8 (byte 0xe9 at line 1, column 4)',
    );
    expect(rejectQuickly(Buffer.from([0x61, 0x3a, 0x20, 0xc0, 0xaf]))[0].message).toBe(
      'the file is not valid UTF-8 (byte 0xc0 at line 1, column 4)',
    );
  });

  it('rejects unpaired surrogates in string input', () => {
    expect(rejectQuickly('a: "x\ud800"\n')).toEqual([
      {
        path: '',
        line: 1,
        column: 6,
        message: 'the file is not valid UTF-8 (an unpaired surrogate character at line 1, column 6)',
      },
    ]);
  });

  it('rejects NUL and other control characters', () => {
    expect(rejectQuickly('pipeline:\n  x: "\u0000"\n')[0].message).toBe(
      'invalid YAML: null byte is not allowed in input',
    );
    expect(rejectQuickly('pipeline:\n  x: \u0007\n')[0].message).toBe(
      'invalid YAML: the stream contains non-printable characters',
    );
  });

  it.each([
    ['an artifact path', [...step('a'), '  artifacts:', '    - { name: out, path: "dist\\0/x" }'], 'U+0000'],
    ['a command', ['    - name: a', '      image: alpine:3', '      commands: ["echo \\x1b[2J"]'], 'U+001B'],
    ['a key', step('a', ['environment: { "A\\x07": b }']), 'U+0007'],
    ['an artifact name', [...step('a'), '  artifacts:', '    - { name: "o\\u0085", path: dist/ }'], 'U+0085'],
  ])('rejects an escaped control character in %s', (_, lines, code) => {
    expect(rejectQuickly(yaml('pipeline:', '  steps:', ...lines))).toEqual([
      expect.objectContaining({
        message: `a value contains the control character ${code}; only tab and line breaks are allowed in definitions`,
      }),
    ]);
  });

  it('keeps tabs and line breaks in values', () => {
    const source = yaml('pipeline:', '  steps:', ...step('a', ['environment: { T: "a\\tb\\r\\n" }']));
    expect(parseDefinition(source)).toMatchObject({ ok: true });
  });

  it('rejects several documents in one file', () => {
    const source = yaml('pipeline:', '  steps:', ...step('a'), '---', 'pipeline:', '  steps: []');
    expect(rejectQuickly(source)).toEqual([
      {
        path: '',
        line: 7,
        column: 1,
        message: 'the file contains more than one YAML document ("---"); only one is allowed',
      },
    ]);
  });

  it('rejects tabs used for indentation', () => {
    expect(rejectQuickly('pipeline:\n\tsteps: []\n')).toEqual([
      {
        path: '',
        line: 2,
        column: 1,
        message: 'invalid YAML: tab characters must not be used in indentation; indent with spaces',
      },
    ]);
  });

  it('reports every duplicate key, not just the first', () => {
    const source = yaml('pipeline:', '  steps:', ...step('a', ['name: b', 'name: c']), '  steps: []');
    expect(rejectQuickly(source)).toEqual([
      {
        path: 'steps[0].name',
        line: 6,
        column: 7,
        message: 'steps[0].name: duplicate key "name" (first defined at line 3)',
      },
      {
        path: 'steps[0].name',
        line: 7,
        column: 7,
        message: 'steps[0].name: duplicate key "name" (first defined at line 3)',
      },
      {
        path: 'steps',
        line: 8,
        column: 3,
        message: 'steps: duplicate key "steps" (first defined at line 2)',
      },
    ]);
  });

  it('rejects syntax errors with their position', () => {
    expect(rejectQuickly('pipeline: {steps: [a]')).toEqual([
      {
        path: '',
        line: 1,
        column: 22,
        message: 'invalid YAML: unexpected end of the stream within a flow collection',
      },
    ]);
    expect(rejectQuickly('pipeline:\n  x: 1\n   y: 2\n')).toEqual([
      { path: '', line: 3, column: 5, message: 'invalid YAML: bad indentation of a mapping entry' },
    ]);
  });

  it('rejects custom tags and complex keys', () => {
    expect(rejectQuickly('pipeline: !!js/function "x"\n')[0].message).toBe(
      'YAML tag "!!js/function" is not supported',
    );
    expect(rejectQuickly('? [a]\n: 1\n')[0].message).toBe('mapping keys must be plain strings');
  });

  it('handles a file of 400,000 tiny nodes, just under the size limit, in about the time of a bare js-yaml load', () => {
    const source = `pipeline:\n  x: [${'a,'.repeat(400_000)}a]\n`;
    const errors = rejectQuickly(source);
    expect(errors.map((e) => e.message)).toEqual([
      'x: unknown key "x"; allowed keys are steps, artifacts, on, fail_fast',
      'steps: is required and must list at least one step',
    ]);
  });

  it('stays fast with thousands of errors, reporting only the first ones', () => {
    const steps = Array.from(
      { length: 5000 },
      (_, i) => `    - { name: "S${i}", depends_on: [nope${i}, also${i}] }`,
    );
    const errors = rejectQuickly(yaml('pipeline:', '  steps:', ...steps));
    expect(errors).toHaveLength(101);
    expect(errors[100].message).toMatch(/^\d+ more problems not shown; fix the ones above first$/);
  });
});
