/** `${{ secrets.NAME }}`, with optional spaces inside the braces. */
export const SECRET_REFERENCE = /\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Secret names referenced in one string, in order of appearance (may repeat). */
export function secretNamesIn(value: string): string[] {
  return Array.from(value.matchAll(SECRET_REFERENCE), (match) => match[1]);
}

export function hasExpression(value: string): boolean {
  return value.includes('${{');
}

/**
 * Sentences for `${{ ... }}` expressions that are not secret references, or are never closed.
 * A plain indexOf scan rather than a lazy regex, which would go quadratic on many unclosed `${{`.
 */
export function expressionProblems(value: string): string[] {
  const problems: string[] = [];
  for (let start = value.indexOf('${{'); start !== -1; start = value.indexOf('${{', start + 3)) {
    const end = value.indexOf('}}', start + 3);
    if (end === -1) {
      problems.push('"${{" is never closed with "}}"');
      break;
    }
    const body = value.slice(start + 3, end);
    if (!/^\s*secrets\.[A-Za-z_][A-Za-z0-9_]*\s*$/.test(body)) {
      const shown = end - start > 60 ? `${value.slice(start, start + 57)}...` : value.slice(start, end + 2);
      problems.push(`unsupported expression "${shown}"; only \${{ secrets.NAME }} is supported`);
    }
    start = end - 1;
  }
  return problems;
}
