import { ConfigError } from './load-config';

/**
 * Runs a service's start function; a configuration error ends the process with the list
 * of bad variables on stderr and exit code 78 (EX_CONFIG), anything else with code 1.
 */
export function startOrExit(service: string, start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`${service}: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
