import { execFileSync } from 'node:child_process';

// patches/class-validator@*.patch: class-validator loads libphonenumber-js's full metadata (~5 MiB
// of every app's RSS) only when a phone number is first checked. Checked in a process of its own:
// Jest's module registry is not Node's require cache.
const SCRIPT = `
const loaded = () => Object.keys(require.cache).some((file) => file.includes('libphonenumber-js'));
const validator = require('class-validator');
const atStart = loaded();
const answers = [validator.isPhoneNumber('+41446681800'), validator.isPhoneNumber('+12025550143', 'DE'), validator.isPhoneNumber('12', 'CH')];
process.stdout.write(JSON.stringify({ atStart, answers, afterCheck: loaded() }));
`;

describe('class-validator as patched', () => {
  it('loads libphonenumber-js at the first phone number checked, and still checks them', () => {
    const out = execFileSync(process.execPath, ['-e', SCRIPT], { cwd: __dirname, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ atStart: false, answers: [true, false, false], afterCheck: true });
  });
});
