/** Variables a user gives a manual run: every step of the run gets them in its environment. */
export const RUN_VARIABLES_MAX = 50;
export const RUN_VARIABLE_VALUE_MAX = 4096;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * What is wrong with a run's variables (`{NAME: value}`), one message per problem, naming the
 * variable; empty when nothing is. Values are plain text: a `${{ }}` expression would be resolved
 * like the definition's own (secrets among them), so it is refused rather than passed on.
 */
export function runVariablesProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ['variables must be an object of NAME: "value" pairs'];
  }
  const entries = Object.entries(value);
  if (entries.length > RUN_VARIABLES_MAX) return [`variables: at most ${RUN_VARIABLES_MAX} variables`];
  return entries.flatMap(([name, text]) => {
    if (!NAME.test(name)) {
      return [`variables: "${name.slice(0, 130)}" is not a valid variable name; use letters, digits and "_", not starting with a digit`];
    }
    if (typeof text !== 'string') return [`variables: ${name} must be a string`];
    if (text.length > RUN_VARIABLE_VALUE_MAX) return [`variables: ${name} is longer than ${RUN_VARIABLE_VALUE_MAX} characters`];
    if (text.includes('${{')) return [`variables: ${name} holds a \${{ }} expression; run variables are plain text`];
    if (text.includes('\0')) return [`variables: ${name} holds a NUL character`];
    return [];
  });
}
