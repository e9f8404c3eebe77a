import { useState } from 'preact/hooks';

/** A small delete button that asks first and says why a refusal happened. */
export function RemoveButton({
  label,
  onRemove,
  onDone,
  text = 'Delete',
}: {
  label: string;
  onRemove: () => Promise<void>;
  onDone: () => void;
  text?: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    if (!confirm(`${label}?`)) return;
    setBusy(true);
    setError(null);
    try {
      await onRemove();
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="secondary small" aria-label={label} disabled={busy} onClick={remove}>
        {text}
      </button>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
