import { execFileSync } from 'node:child_process';

/**
 * Processes of the local backend's sandboxes for one step of a run: bwrap gets the sandbox name
 * (`kiln-<run id prefix>-<step>-<attempt>`) as the sandbox's hostname, so it is on its command line.
 */
export function sandboxProcesses(runId: string, stepName: string): string[] {
  try {
    const pattern = `hostname kiln-${runId.slice(0, 8)}-${stepName}-`;
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n');
  } catch (error) {
    // pgrep exits 1 when nothing matches.
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}

/** Waits until no process of that step's sandbox is left; answers what is left at the deadline. */
export async function sandboxGone(runId: string, stepName: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = sandboxProcesses(runId, stepName);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = sandboxProcesses(runId, stepName);
  }
  return left;
}
