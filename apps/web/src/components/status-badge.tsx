const ICONS: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
  running: '●',
  waiting: '‖',
  queued: '○',
  pending: '○',
  skipped: '–',
};

/** A status in its colour with an icon and the word, so colour is never the only signal. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`}>
      <span aria-hidden="true">{ICONS[status] ?? '?'}</span> {status}
    </span>
  );
}
