import pc from 'picocolors';

// picocolors turns colour off for NO_COLOR, non-terminals and dumb terminals; FORCE_COLOR turns it on.
export const colors = pc;

type Paint = (text: string) => string;

const STATUS_PAINT: Record<string, Paint> = {
  succeeded: pc.green,
  failed: pc.red,
  cancelled: pc.yellow,
  running: pc.cyan,
  queued: pc.blue,
  pending: pc.dim,
  skipped: pc.dim,
};

const STATUS_ICON: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
  running: '●',
  queued: '○',
  pending: '○',
  skipped: '–',
};

/** A status word in its colour; the word itself stays, so colour is never the only signal. */
export function paintStatus(status: string): string {
  return (STATUS_PAINT[status] ?? ((s: string) => s))(status);
}

export function statusIcon(status: string): string {
  return (STATUS_PAINT[status] ?? ((s: string) => s))(STATUS_ICON[status] ?? '?');
}

const STEP_PALETTE: Paint[] = [pc.cyan, pc.magenta, pc.yellow, pc.blue, pc.green, pc.red];

/** A stable colour per step, by its position in the run. */
export function stepPaint(index: number): Paint {
  return STEP_PALETTE[index % STEP_PALETTE.length];
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g; // eslint-disable-line no-control-regex

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Columns a string takes on screen: escape codes take none. */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}
