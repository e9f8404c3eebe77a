import { ComponentChildren } from 'preact';

interface FieldProps {
  id: string;
  label: string;
  hint?: ComponentChildren;
  problem?: string;
  children: ComponentChildren;
}

/** A labelled control with its hint and, when it has one, its problem right below it. */
export function Field({ id, label, hint, problem, children }: FieldProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      )}
      {problem && (
        <p id={`${id}-problem`} class="field-problem">
          {problem}
        </p>
      )}
    </div>
  );
}

/** The ARIA attributes that tie a control to its hint and problem. */
export function described(id: string, hint: boolean, problem?: string) {
  const ids = [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ');
  return { id, 'aria-invalid': problem ? true : undefined, 'aria-describedby': ids || undefined };
}

interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onInput: (event: Event) => void;
  hint?: ComponentChildren;
  problem?: string;
  type?: 'text' | 'password' | 'number' | 'email';
  required?: boolean;
  placeholder?: string;
  autoComplete?: string;
}

export function TextField({
  id,
  label,
  value,
  onInput,
  hint,
  problem,
  type = 'text',
  ...rest
}: TextFieldProps) {
  const props = { ...described(id, !!hint, problem), name: id, value, onInput, spellcheck: false, ...rest };
  return (
    <Field id={id} label={label} hint={hint} problem={problem}>
      {/* One element per type: Preact types each input type's attributes apart. */}
      {type === 'password' ? (
        <input type="password" {...props} />
      ) : type === 'number' ? (
        <input type="number" {...props} />
      ) : type === 'email' ? (
        <input type="email" {...props} />
      ) : (
        <input type="text" {...props} />
      )}
    </Field>
  );
}

/** The form's own error (one not tied to a field) and its submit button. */
export function FormFooter({
  error,
  busy,
  label,
  busyLabel,
}: {
  error: string | null;
  busy: boolean;
  label: string;
  busyLabel: string;
}) {
  return (
    <>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? busyLabel : label}
        </button>
      </div>
    </>
  );
}
