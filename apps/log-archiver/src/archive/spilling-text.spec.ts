import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { text as readAll } from 'node:stream/consumers';
import { SpillingText } from './spilling-text';

const spills = () => readdirSync(tmpdir()).filter((name) => name.startsWith('kiln-archive-'));

describe('SpillingText', () => {
  it('keeps a text within its limit in memory: the body is the text, and no file is made', async () => {
    const before = spills();
    const text = new SpillingText(16);
    await text.write('1765028294123\n');
    await text.write('2\n');
    expect(spills()).toEqual(before);
    expect(await text.body()).toEqual({ body: '1765028294123\n2\n', size: 16 });
    await text.dispose();
  });

  it('moves a text past its limit to a temporary file, reads it back whole, and removes the file', async () => {
    const before = new Set(spills());
    const text = new SpillingText(10);
    await text.write('é'.repeat(4));
    await text.write('0123456789');
    const made = spills().filter((name) => !before.has(name));
    expect(made).toHaveLength(1);
    await text.write('tail\n');
    const { body, size } = await text.body();
    expect(body).toBeInstanceOf(Readable);
    expect(await readAll(body as Readable)).toBe(`${'é'.repeat(4)}0123456789tail\n`);
    expect(size).toBe(8 + 10 + 5);
    await text.dispose();
    expect(existsSync(`${tmpdir()}/${made[0]}`)).toBe(false);
  });

  it('answers an empty body for nothing written', async () => {
    const text = new SpillingText(10);
    expect(await text.body()).toEqual({ body: '', size: 0 });
    await text.dispose();
  });
});
