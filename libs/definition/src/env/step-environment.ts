import { StepDefinition } from '../definition.model';

export interface ResolvedEnvironment {
  /** The complete container environment: the step's variables, then the injected ones on top. */
  env: Record<string, string>;
  /** Referenced secrets the project does not have; the step must not start while this is non-empty. */
  missingSecrets: string[];
  /** Secrets whose values ended up in `env`, so their values can be masked in logs. */
  usedSecrets: string[];
}

const TOKEN =
  /\$\$|\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Expands a step's `environment` values in one pass, left to right:
 * - `${{ secrets.NAME }}` becomes the secret's value (an empty string when missing, listed in `missingSecrets`);
 * - `$VAR` and `${VAR}` become the value of an injected variable; other names are left as written,
 *   because nothing else is known when the pod is built;
 * - `$$` becomes a literal `$`.
 * Substituted values are never expanded again, so a secret containing `$COMMIT_SHA` stays literal.
 * Commands are not touched: the shell expands them, with this environment.
 * Injected variables override the step's own; `STEP_NAME` is always this step's name.
 */
export function resolveStepEnvironment(
  step: Pick<StepDefinition, 'name' | 'environment'>,
  injected: Record<string, string>,
  secrets: Record<string, string>,
): ResolvedEnvironment {
  const missing = new Set<string>();
  const used = new Set<string>();
  const base: Record<string, string> = { ...injected, STEP_NAME: step.name };
  const expand = (value: string): string =>
    value.replace(TOKEN, (token: string, secret?: string, braced?: string, bare?: string) => {
      if (token === '$$') return '$';
      if (secret !== undefined) {
        if (!Object.hasOwn(secrets, secret)) {
          missing.add(secret);
          return '';
        }
        used.add(secret);
        return secrets[secret];
      }
      const name = (braced ?? bare) as string;
      return Object.hasOwn(base, name) ? base[name] : token;
    });
  const own = Object.entries(step.environment).map(([name, value]) => [name, expand(value)] as const);
  const env = Object.fromEntries([...own, ...Object.entries(base)]);
  return { env, missingSecrets: [...missing], usedSecrets: [...used] };
}
