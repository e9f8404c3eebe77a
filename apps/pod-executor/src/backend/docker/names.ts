import { hostname } from 'node:os';
import { isUuid } from '@kiln/api-wire';

/** Labels on every container and volume the docker backend makes; the sweep finds them by these. */
export const LABEL = {
  managed: 'dev.kiln.managed',
  run: 'dev.kiln.run',
  role: 'dev.kiln.role',
  executor: 'dev.kiln.executor',
  executorHost: 'dev.kiln.executor-host',
  executorPid: 'dev.kiln.executor-pid',
} as const;

export type Role = 'holder' | 'step' | 'build';

export function labels(runId: string, role: Role | 'workspace', executorId: string): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.run]: runId,
    [LABEL.role]: role,
    [LABEL.executor]: executorId,
    [LABEL.executorHost]: hostname(),
    [LABEL.executorPid]: String(process.pid),
  };
}

function checkedRunId(runId: string): string {
  if (!isUuid(runId)) throw new Error(`"${runId}" is not a run id`);
  return runId.toLowerCase();
}

/** The run's workspace volume, mounted at /workspace in every step. */
export const volumeName = (runId: string) => `kiln-ws-${checkedRunId(runId)}`;
/** The run's holder container: owns the run's network namespace, which steps join. */
export const holderName = (runId: string) => `kiln-run-${checkedRunId(runId)}`;
