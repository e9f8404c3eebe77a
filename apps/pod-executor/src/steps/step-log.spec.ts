import { forEachLogLine, LogChunkEvent } from '@kiln/contracts';
import { StepLog } from './step-log';

describe('step log', () => {
  const identity = { runId: 'r', stepId: 's', stepName: 'build', attempt: 2 };

  function capture(options: Partial<ConstructorParameters<typeof StepLog>[1]> = {}) {
    const chunks: LogChunkEvent[] = [];
    const log = new StepLog(identity, { maxBytes: 1_000_000, maskValues: [], ...options }, async (chunk) => {
      chunks.push(chunk);
    });
    const lines = () => {
      const all: [string, string, number][] = [];
      for (const chunk of chunks) forEachLogLine(chunk, (text, ts, stream) => all.push([stream, text, ts]));
      return all;
    };
    const text = () => lines().map(([, line]) => line);
    return { log, chunks, text, lines };
  }

  it('numbers chunks from 0 without gaps and ends with a final chunk carrying the exit code', async () => {
    const { log, chunks } = capture({ chunkBytes: 20 });
    for (let i = 0; i < 10; i++) await log.write('stdout', `line number ${i}`);
    expect(await log.close(3)).toBe(chunks.length);
    expect(chunks.map((c) => c.seq)).toEqual([...chunks.keys()]);
    expect(chunks.filter((c) => c.final)).toEqual([
      expect.objectContaining({ seq: chunks.length - 1, exitCode: 3 }),
    ]);
    expect(chunks[0]).toMatchObject({ version: 2, runId: 'r', stepId: 's', stepName: 'build', attempt: 2 });
  });

  it('batches lines written close together into one chunk', async () => {
    const { log, chunks, lines } = capture({ flushIntervalMs: 50 });
    await log.write('stdout', 'a', 1);
    await log.write('stderr', 'b', 1);
    await new Promise((r) => setTimeout(r, 120));
    expect(chunks).toHaveLength(1);
    expect(lines()).toEqual([
      ['stdout', 'a', 1],
      ['stderr', 'b', 1],
    ]);
    expect(chunks[0].final).toBe(false);
    await log.close(0);
  });

  it('sends a chunk before lines that would take it past chunkBytes; a larger batch goes alone', async () => {
    const { log, chunks } = capture({ chunkBytes: 100 });
    const line = 'x'.repeat(39);
    for (let i = 0; i < 3; i++) await log.write('stdout', line);
    await log.write('stdout', `${line}\n${line}\n${line}`);
    await log.close(0);
    expect(chunks.map((c) => c.text.length)).toEqual([80, 40, 120, 0]);
  });

  it('sends a flood of 64 KiB reads in chunks of up to 256 KiB by default', async () => {
    const { log, chunks } = capture({ maxBytes: 10 * 1024 * 1024 });
    const read = 'x'.repeat(64 * 1024 - 1);
    for (let i = 0; i < 8; i++) await log.write('stdout', read);
    await log.close(0);
    expect(chunks.map((c) => c.text.length)).toEqual([4 * 64 * 1024, 4 * 64 * 1024, 0]);
  });

  it('keeps lines read together as one span of the chunk text, later ones in their own', async () => {
    const { log, chunks, lines } = capture();
    await log.write('stdout', 'one\ntwo\n\nfour', 10);
    await log.write('stdout', 'five', 10);
    await log.write('stdout', 'six', 11);
    await log.close(0);
    expect(chunks[0].text).toBe('one\ntwo\n\nfour\nfive\nsix\n');
    expect(chunks[0].spans).toEqual([
      { ts: 10, stream: 'stdout', lines: 5 },
      { ts: 11, stream: 'stdout', lines: 1 },
    ]);
    expect(lines().map(([, text]) => text)).toEqual(['one', 'two', '', 'four', 'five', 'six']);
  });

  it('masks every secret value, each line of a multi-line one, but not values shorter than 4', async () => {
    const { log, text } = capture({
      maskValues: ['hunter2', 'abc', '-----BEGIN KEY-----\nc2VjcmV0\n-----END KEY-----'],
    });
    await log.write('stdout', 'password=hunter2 and again hunter2, abc stays');
    await log.write('stdout', 'c2VjcmV0');
    await log.write('stdout', '-----BEGIN KEY-----\nc2VjcmV0\n-----END KEY-----\nafter');
    await log.close(0);
    expect(text()).toEqual(['password=*** and again ***, abc stays', '***', '***', '***', '***', 'after']);
  });

  describe('encoded forms of a secret', () => {
    // Every byte value the encodings treat differently: base64's + and /, URL-reserved characters.
    const secret = 'p@ss/w+rd?~ü>>';
    const masked = async (line: string) => {
      const { log, text } = capture({ maskValues: [secret] });
      await log.write('stdout', line);
      await log.close(0);
      return text()[0];
    };
    const base64 = Buffer.from(secret).toString('base64');

    it.each([
      ['base64 with padding', base64],
      ['base64 without padding', base64.replace(/=+$/, '')],
      ['base64url with padding', base64.replace(/\+/g, '-').replace(/\//g, '_')],
      ['base64url without padding', base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')],
      ['URL-encoded', encodeURIComponent(secret)],
      ['lowercase hex', Buffer.from(secret).toString('hex')],
      ['uppercase hex', Buffer.from(secret).toString('hex').toUpperCase()],
    ])('masks its %s form', async (_, form) => {
      expect(form).not.toBe(secret);
      expect(await masked(`token: ${form} end`)).toBe('token: *** end');
    });

    it.each([0, 1, 2])('masks it inside a longer base64 text, %i bytes after a 3-byte boundary', async (offset) => {
      const before = Buffer.from('Authorization: Basic user:'.slice(0, 24 + offset));
      const after = Buffer.from(' and more bytes after it');
      const stream = Buffer.concat([before, Buffer.from(secret), after]).toString('base64');
      const line = await masked(stream);
      expect(line).toContain('***');
      // Of the characters carrying the secret's bits, only the one it shares with each neighbour is left.
      const first = Math.floor((before.length * 8) / 6);
      const pastLast = Math.ceil(((before.length + Buffer.byteLength(secret)) * 8) / 6);
      const kept = line.indexOf('***');
      const rest = line.slice(kept + 3);
      expect(line.slice(0, kept)).toBe(stream.slice(0, kept));
      expect(kept).toBeLessThanOrEqual(first + 1);
      expect(stream.endsWith(rest)).toBe(true);
      expect(stream.length - rest.length).toBeGreaterThanOrEqual(pastLast - 1);
    });

    it('leaves the encodings of values shorter than 4 characters alone', async () => {
      const { log, text } = capture({ maskValues: ['abc'] });
      const line = `${Buffer.from('abc').toString('base64')} ${Buffer.from('abc').toString('hex')}`;
      await log.write('stdout', line);
      await log.close(0);
      expect(text()).toEqual([line]);
    });
  });

  it('stops at the byte limit with one truncation marker and sends the final chunk', async () => {
    const { log, chunks, text } = capture({ maxBytes: 1024 });
    for (let i = 0; i < 100; i++) await log.write('stdout', `${i}`.padEnd(99, '.'));
    await log.close(0);
    expect(text().filter((t) => t.startsWith('[log truncated'))).toEqual([
      '[log truncated: limit of 1024 bytes reached]',
    ]);
    expect(text()).toHaveLength(11);
    expect(chunks.at(-1)?.final).toBe(true);
  });

  it('keeps the lines of a batch that fit under the byte limit', async () => {
    const { log, text } = capture({ maxBytes: 10 });
    await log.write('stdout', 'abc\ndef\nghi\njkl');
    await log.write('stdout', 'never');
    await log.close(0);
    expect(text()).toEqual(['abc', 'def', '[log truncated: limit of 10 bytes reached]']);
  });

  it('fails every later write after a failed send and sends nothing more', async () => {
    const sent: number[] = [];
    const log = new StepLog(identity, { maxBytes: 1e6, maskValues: [], chunkBytes: 1 }, async (chunk) => {
      if (chunk.seq === 1) throw new Error('nats down');
      sent.push(chunk.seq);
    });
    await log.write('stdout', 'zero');
    // Chunk 1 is sent without waiting for its acknowledgement; its failure surfaces on the next write.
    await log.write('stdout', 'one');
    await expect(log.write('stdout', 'two')).rejects.toThrow('nats down');
    await expect(log.close(0)).rejects.toThrow('nats down');
    expect(sent).toEqual([0]);
  });

  describe('with several chunks in flight', () => {
    /** A sender whose acknowledgements the test gives (or refuses) one chunk at a time. */
    function pendingSender() {
      const sent: number[] = [];
      const waiting = new Map<number, { ack(): void; fail(error: Error): void }>();
      const send = (chunk: LogChunkEvent) =>
        new Promise<void>((ack, fail) => {
          sent.push(chunk.seq);
          waiting.set(chunk.seq, { ack, fail });
        });
      const settle = async (seq: number, error?: Error) => {
        const pending = waiting.get(seq)!;
        waiting.delete(seq);
        if (error) pending.fail(error);
        else pending.ack();
        await new Promise((r) => setImmediate(r));
      };
      return { sent, waiting, send, settle };
    }

    it('sends up to maxInFlight chunks in seq order before an acknowledgement, then waits for any one', async () => {
      const sender = pendingSender();
      const log = new StepLog(identity, { maxBytes: 1e6, maskValues: [], chunkBytes: 1, maxInFlight: 3 }, sender.send);
      await log.write('stdout', 'zero');
      await log.write('stdout', 'one');
      let thirdReturned = false;
      const third = Promise.resolve(log.write('stdout', 'two')).then(() => (thirdReturned = true));
      await new Promise((r) => setImmediate(r));
      expect(sender.sent).toEqual([0, 1, 2]);
      expect(thirdReturned).toBe(false);
      await sender.settle(1);
      await third;
      expect(thirdReturned).toBe(true);

      let closed = false;
      const closing = log.close(0).then((n) => ((closed = true), n));
      await new Promise((r) => setImmediate(r));
      expect(sender.sent).toEqual([0, 1, 2, 3]);
      await sender.settle(3);
      await sender.settle(2);
      expect(closed).toBe(false);
      await sender.settle(0);
      expect(await closing).toBe(4);
    });

    it('keeps at most 4 chunks (1 MiB of log) unacknowledged by default', async () => {
      const sender = pendingSender();
      const log = new StepLog(identity, { maxBytes: 1e6, maskValues: [], chunkBytes: 1 }, sender.send);
      for (const text of ['zero', 'one', 'two']) expect(log.write('stdout', text)).toBeUndefined();
      const waiting = log.write('stdout', 'three');
      expect(waiting).toBeInstanceOf(Promise);
      expect(sender.sent).toEqual([0, 1, 2, 3]);
      await sender.settle(0);
      await waiting;
      for (const seq of [1, 2, 3]) await sender.settle(seq);
      const closing = log.close(0);
      await new Promise((r) => setImmediate(r));
      await sender.settle(4);
      expect(await closing).toBe(5);
    });

    // Chunks in flight when one fails may still be stored after the gap it leaves; the attempt then
    // reports no chunk count and the archiver marks the gap (log-assembler.spec.ts).
    it('sends nothing after a failed chunk but what was in flight; close() reports the failure once all settled', async () => {
      const sender = pendingSender();
      const log = new StepLog(identity, { maxBytes: 1e6, maskValues: [], chunkBytes: 1, maxInFlight: 4 }, sender.send);
      for (const text of ['zero', 'one', 'two']) await log.write('stdout', text);
      await sender.settle(1, new Error('nats down'));
      await expect(log.write('stdout', 'three')).rejects.toThrow('nats down');
      await expect(log.system('executor line')).rejects.toThrow('nats down');
      let closed = false;
      const closing = log.close(0).catch((error: Error) => ((closed = true), error.message));
      await new Promise((r) => setImmediate(r));
      expect(closed).toBe(false);
      await sender.settle(0);
      await sender.settle(2);
      expect(await closing).toBe('nats down');
      expect(sender.sent).toEqual([0, 1, 2]);
    });
  });
});
