import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A step that waits until the test opens its run's gate, so a test decides when it ends. */
export const GATED_STEP = 'until [ -e /workspace/.gate ]; do sleep 0.1; done';

/**
 * Opens the gate of a run: a file in the run's workspace, which the local backend keeps under
 * `<data dir>/workspaces/<run id>` and binds at /workspace in every sandbox of the run.
 */
export function openGate(dataDir: string, runId: string): void {
  writeFileSync(join(dataDir, 'workspaces', runId, '.gate'), '');
}
