import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_NAMES } from './app-launcher';
import { APP_ENV, NODE_FLAGS } from './node-settings';

const dockerfile = readFileSync(join(__dirname, '../../../Dockerfile'), 'utf8').replace(/\\\n/g, ' ');

/** The instructions of one stage (`FROM … AS <name>` up to the next FROM). */
function stage(name: string): string[] {
  const lines = dockerfile.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l) => new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}$`, 'i').test(l));
  if (start < 0) throw new Error(`no stage ${name} in the Dockerfile`);
  const end = lines.findIndex((l, i) => i > start && /^FROM\s/i.test(l));
  return lines.slice(start, end < 0 ? undefined : end);
}

describe('node settings', () => {
  it.each(APP_NAMES)('starts %s in its image with the flags the launcher uses', (app) => {
    const cmd = stage(app).filter((l) => /^CMD\s/.test(l)).at(-1) ?? '';
    expect(JSON.parse(cmd.replace(/^CMD\s+/, ''))).toEqual(['node', ...NODE_FLAGS[app], `dist/apps/${app}/src/main.js`]);
  });

  it.each(APP_NAMES)('sets the variables the launcher sets in the %s image', (app) => {
    const env = stage(app)
      .filter((l) => /^ENV\s/.test(l))
      .flatMap((l) => l.replace(/^ENV\s+/, '').split(/\s+/))
      .filter((pair) => pair.startsWith('MALLOC_'));
    expect(Object.fromEntries(env.map((pair) => pair.split('=')))).toEqual(APP_ENV[app]);
  });

  it('gives only flags this Node.js accepts', () => {
    for (const app of APP_NAMES) {
      const out = execFileSync(process.execPath, [...NODE_FLAGS[app], '-e', 'process.stdout.write("ok")'], {
        encoding: 'utf8',
      });
      expect(out).toBe('ok');
    }
  });
});
