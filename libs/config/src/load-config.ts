import { plainToInstance, Transform } from 'class-transformer';
import { getMetadataStorage, IsBoolean, validateSync, ValidationError } from 'class-validator';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type EnvClass = new () => object;
type Merged<C extends EnvClass[]> = UnionToIntersection<InstanceType<C[number]>>;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * Validates environment variables against env classes: one property per variable, named
 * exactly like the variable, with class-validator decorators and optional defaults.
 * Returns the merged, typed values or throws ConfigError naming every bad variable at once.
 */
export function loadEnv<C extends EnvClass[]>(envClasses: C, env: NodeJS.ProcessEnv = process.env): Merged<C> {
  const problems: string[] = [];
  const merged = {};
  for (const envClass of envClasses) {
    const given = Object.fromEntries(
      [...declaredVariables(envClass)].filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
    );
    const instance = plainToInstance(envClass, given, { enableImplicitConversion: true });
    problems.push(...validateSync(instance, { forbidUnknownValues: true }).map((e) => describe(e, env)));
    Object.assign(merged, instance);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return merged as Merged<C>;
}

/** A boolean variable: `true/1/yes/on` or `false/0/no/off`, anything else is an error. */
export function EnvBoolean(): PropertyDecorator {
  const parse = Transform(({ obj, key }) => {
    const raw = (obj as Record<string, unknown>)[key];
    if (typeof raw !== 'string') return raw;
    const text = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    return raw;
  });
  const check = IsBoolean({ message: 'must be true or false' });
  return (target, key) => {
    parse(target, key);
    check(target, key);
  };
}

function declaredVariables(envClass: EnvClass): Set<string> {
  const metas = getMetadataStorage().getTargetValidationMetadatas(envClass, '', true, false);
  return new Set(metas.map((m) => m.propertyName));
}

// Shows what was given (the raw text, not its failed conversion), secrets hidden.
function describe(error: ValidationError, env: NodeJS.ProcessEnv): string {
  const raw = env[error.property];
  const value = raw === undefined || raw === '' ? 'unset' : JSON.stringify(redact(error.property, raw));
  return `${error.property} (${value}): ${Object.values(error.constraints ?? {}).join(', ')}`;
}

function redact(name: string, value: unknown): unknown {
  return /SECRET|TOKEN|PASSWORD|KEY|DATABASE_URL/.test(name) ? '***' : value;
}
