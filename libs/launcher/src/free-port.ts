import { createServer } from 'node:net';

// Below the kernel's ephemeral range (Linux 32768-60999, macOS 49152-65535): a port given out
// here is never picked by someone else's listen(0) or outgoing connection, so an app that is
// killed and restarted on it (the chaos suite) finds it still free, not taken by another test.
const LOWEST = 20_000;
const HIGHEST = 32_767;

/** A TCP port that was free a moment ago on 127.0.0.1, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${HIGHEST}`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
