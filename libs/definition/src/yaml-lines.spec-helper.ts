/** Joins lines with "\n" so line and column numbers in expectations can be read off the source. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** A minimal valid step at the given indentation, for tests that only care about other fields. */
export function step(name: string, extra: string[] = [], indent = '    '): string[] {
  return [
    `${indent}- name: ${name}`,
    `${indent}  image: alpine:3`,
    `${indent}  commands: [echo ${name}]`,
    ...extra.map((l) => `${indent}  ${l}`),
  ];
}
