import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The first `sh` block after `heading` in the README.md of the checkout at `root`. */
export function readmeShellBlock(root: string, heading: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "${heading}" heading`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README.md has no sh block under its "${heading}" heading`);
  return block[1];
}

/** The demo e2e/readme-demo.e2e-spec.ts pastes into a shell, as a user would. */
export function demoBlock(root: string): string {
  return readmeShellBlock(root, '### Demo: a push becomes a run');
}

/** What the demo test replaces to point the block at a test platform: it must be in the block. */
export const DEMO_GATEWAY = 'http://localhost:8080';
export const DEMO_TOKEN = '$(cat .kiln/admin-token)';
