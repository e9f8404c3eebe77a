import { CopyButton } from './copy-button';

/** A value the server shows only in this answer (a secret, a token), with a copy button and a warning. */
export function ShownOnce({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div class="shown-once" role="status">
      <p>
        <strong>{label}</strong> — shown only now; copy it before leaving this page.
      </p>
      <p class="secret-value">
        <code id={id} data-testid={id}>
          {value}
        </code>{' '}
        <CopyButton text={() => value} label={`Copy the ${label.toLowerCase()}`} />
      </p>
    </div>
  );
}
