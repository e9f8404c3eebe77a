import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-client';
import { Problems } from './rules';

export interface Form<K extends string> {
  values: Record<K, string>;
  problems: Problems<K>;
  /** A problem of the whole form (a refused request that names no field). */
  error: string | null;
  busy: boolean;
  set(field: K): (event: Event) => void;
  setValue(field: K, value: string): void;
  reset(): void;
  /** Checks, then runs `action`; an API 400 naming fields puts each message beside its field. */
  submit(
    check: (values: Record<K, string>) => Problems<K>,
    action: (values: Record<K, string>) => Promise<void>,
  ): (event: Event) => Promise<void>;
}

/**
 * A form's values and its problems by field. Fields are rendered with ids `${prefix}-${field}`,
 * so after a failed submit the first bad field gets the focus.
 */
export function useForm<K extends string>(prefix: string, initial: Record<K, string>): Form<K> {
  const [values, setValues] = useState(initial);
  const [problems, setProblems] = useState<Problems<K>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const fail = (found: Problems<K>, message: string | null) => {
    setProblems(found);
    setError(message);
    const first = (Object.keys(values) as K[]).find((k) => found[k]);
    if (first) requestAnimationFrame(() => document.getElementById(`${prefix}-${first}`)?.focus());
  };

  return {
    values,
    problems,
    error,
    busy,
    set: (field) => (event) => setValue(field, (event.target as HTMLInputElement).value),
    setValue,
    reset: () => {
      setValues(initial);
      setProblems({});
      setError(null);
    },
    submit: (check, action) => async (event) => {
      event.preventDefault();
      const found = check(values);
      if (Object.keys(found).length > 0) return fail(found, null);
      setBusy(true);
      setProblems({});
      setError(null);
      try {
        await action(values);
      } catch (e) {
        const { byField, rest } = splitProblems(e, Object.keys(values) as K[]);
        fail(byField, rest);
      } finally {
        setBusy(false);
      }
    },
  };

  function setValue(field: K, value: string) {
    setValues((v) => ({ ...v, [field]: value }));
    setProblems((p) => ({ ...p, [field]: undefined }));
  }
}

function splitProblems<K extends string>(
  error: unknown,
  fields: K[],
): { byField: Problems<K>; rest: string | null } {
  if (!(error instanceof ApiError)) return { byField: {}, rest: (error as Error).message };
  const byField: Problems<K> = {};
  for (const problem of error.fields) {
    const field = fields.find((f) => f === problem.field);
    if (field && !byField[field]) byField[field] = problem.message;
  }
  const named = Object.keys(byField).length > 0;
  return { byField, rest: named && error.status === 400 ? null : error.message };
}
