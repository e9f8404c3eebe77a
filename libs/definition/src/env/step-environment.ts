import { StepDefinition, StepService } from '../definition.model';

export interface ResolvedEnvironment {
  /** The complete container environment: the step's variables, then the injected ones on top. */
  env: Record<string, string>;
  /** Referenced secrets the project does not have; the step must not start while this is non-empty. */
  missingSecrets: string[];
  /** Secrets whose values ended up in `env`, so their values can be masked in logs. */
  usedSecrets: string[];
  /** The step's own variables whose values came, whole or in part, from secrets (to seal). */
  secretVariables: string[];
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
  const base: Record<string, string> = { ...injected, STEP_NAME: step.name };
  const expander = new Expander(base, secrets);
  const own = Object.entries(step.environment).map(([name, value]) => ({ name, ...expander.expand(value) }));
  const env = Object.fromEntries([...own.map((v) => [v.name, v.value]), ...Object.entries(base)]);
  return {
    env,
    missingSecrets: [...expander.missing],
    usedSecrets: [...expander.used],
    secretVariables: own.filter((v) => v.fromSecret).map((v) => v.name),
  };
}

export interface ResolvedServiceEnvironment {
  /** The service's variables whose values hold nothing of a secret. */
  plain: Record<string, string>;
  /** The service's variables whose values came, whole or in part, from project secrets. */
  secret: Record<string, string>;
  /** Referenced secrets the project does not have; the step must not start while this is non-empty. */
  missingSecrets: string[];
}

/**
 * Expands a service's `environment` as `resolveStepEnvironment` expands a step's (`${{ secrets.NAME }}`,
 * `$VAR` and `${VAR}` of the injected variables, `$$`), split by whether a value holds a secret. The
 * service's environment is only its own variables: the injected ones are not added to it.
 */
export function resolveServiceEnvironment(
  service: Pick<StepService, 'environment'>,
  injected: Record<string, string>,
  secrets: Record<string, string>,
): ResolvedServiceEnvironment {
  const expander = new Expander(injected, secrets);
  const expanded = Object.entries(service.environment).map(([name, written]) => ({
    name,
    ...expander.expand(written),
  }));
  // fromEntries, not assignment: a variable named __proto__ stays a variable.
  const pick = (fromSecret: boolean) =>
    Object.fromEntries(expanded.filter((v) => v.fromSecret === fromSecret).map((v) => [v.name, v.value]));
  return { plain: pick(false), secret: pick(true), missingSecrets: [...expander.missing] };
}

/** One pass over a value: substituted text is never expanded again, so a secret holding `$X` stays literal. */
class Expander {
  readonly missing = new Set<string>();
  readonly used = new Set<string>();

  constructor(
    private readonly variables: Record<string, string>,
    private readonly secrets: Record<string, string>,
  ) {}

  expand(written: string): { value: string; fromSecret: boolean } {
    let fromSecret = false;
    const value = written.replace(TOKEN, (token: string, secret?: string, braced?: string, bare?: string) => {
      if (token === '$$') return '$';
      if (secret !== undefined) {
        fromSecret = true;
        if (!Object.hasOwn(this.secrets, secret)) {
          this.missing.add(secret);
          return '';
        }
        this.used.add(secret);
        return this.secrets[secret];
      }
      const name = (braced ?? bare) as string;
      return Object.hasOwn(this.variables, name) ? this.variables[name] : token;
    });
    return { value, fromSecret };
  }
}
