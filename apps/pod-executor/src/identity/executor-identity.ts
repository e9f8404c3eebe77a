import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/** Who this executor is in heartbeats and step events. */
export interface ExecutorIdentity {
  id: string;
  hostname: string;
  startedAt: string;
  softwareVersion: string;
}

export const EXECUTOR_IDENTITY = Symbol('EXECUTOR_IDENTITY');

/** KILN_EXECUTOR_ID when set; otherwise `<hostname>-<pid>-<random4>`, unique per process start. */
export function executorIdentity(configuredId: string | undefined): ExecutorIdentity {
  const host = hostname();
  return {
    id: configuredId || `${host}-${process.pid}-${randomBytes(2).toString('hex')}`,
    hostname: host,
    startedAt: new Date().toISOString(),
    softwareVersion: workspaceVersion(),
  };
}

// The version of the root package.json: found by walking up, since src/ and dist/ sit at different depths.
function workspaceVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'kiln') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}
