import { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { decodeLogChunk, decodeLogChunkBytes, InvalidEventError, RunCancelEvent } from '@kiln/contracts';
import { MessagingConnection } from './messaging.connection';
import { MessagingService } from './messaging.service';
import {
  deletePrefixedStreams,
  logChunk,
  runCancel,
  runRequested,
  startMessagingApp,
  uniqueNatsPrefix,
  waitFor,
} from './messaging.spec-helper';
import { StreamEntry } from './stream.reader';

describe('MessagingService', () => {
  const prefix = uniqueNatsPrefix();
  let app: TestingModule;
  let messaging: MessagingService;

  beforeAll(async () => {
    app = await startMessagingApp({ prefix });
    messaging = app.get(MessagingService);
  });

  afterAll(async () => {
    await app.close();
    await deletePrefixedStreams(prefix);
  });

  describe('publish', () => {
    it('stores a message once per msgId and reports the repeat as a duplicate', async () => {
      const event = runRequested();
      const first = await messaging.publish('kiln.run.requested', event, { msgId: event.runId });
      const again = await messaging.publish('kiln.run.requested', event, { msgId: event.runId });
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ seq: first.seq, duplicate: true });
    });

    it('publishes log chunks on kiln.logs.<runId>.<stepId>', async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      await messaging.publish('kiln.logs', logChunk(runId, stepId, 0), {
        msgId: randomUUID(),
        suffix: `${runId}.${stepId}`,
      });
      const { jsm, names } = app.get(MessagingConnection);
      const stored = await jsm.streams.getMessage(names.stream('KILN_LOGS'), {
        last_by_subj: names.subject(`kiln.logs.${runId}.${stepId}`),
      });
      expect(decodeLogChunk(stored!.data)).toMatchObject({ runId, stepId, seq: 0, text: 'line 0\n' });
    });

    it('refuses an invalid payload and a subject the streams do not store, before sending anything', async () => {
      const bad = { ...runRequested(), runId: 'not-a-uuid' };
      await expect(messaging.publish('kiln.run.requested', bad, { msgId: 'x' })).rejects.toThrow(
        InvalidEventError,
      );
      const chunk = logChunk(randomUUID(), randomUUID(), 0);
      await expect(messaging.publish('kiln.logs', chunk, { msgId: 'y' })).rejects.toThrow(
        /not stored by KILN_LOGS/,
      );
      await expect(messaging.publish('kiln.run.requested', runRequested(), { msgId: '' })).rejects.toThrow(
        /msgId/,
      );
    });
  });

  describe('subscribeBroadcast', () => {
    it('delivers every message to every subscribed instance and drops invalid ones', async () => {
      const other = await startMessagingApp({ prefix, provisionStreams: false });
      try {
        const heard: [string, string][] = [];
        const stops = [
          messaging.subscribeBroadcast(
            'kiln.run.cancel',
            (e: RunCancelEvent) => void heard.push(['a', e.runId]),
          ),
          other
            .get(MessagingService)
            .subscribeBroadcast('kiln.run.cancel', (e) => void heard.push(['b', e.runId])),
        ];
        const { nc, names } = app.get(MessagingConnection);
        await nc.flush();
        await other.get(MessagingConnection).nc.flush();
        nc.publish(names.subject('kiln.run.cancel'), JSON.stringify({ version: 1, runId: 'nope' }));
        const cancel = runCancel();
        await messaging.publish('kiln.run.cancel', cancel, { msgId: randomUUID() });
        await waitFor(() => heard.length >= 2, 5_000, 'both instances');
        expect(heard.sort()).toEqual([
          ['a', cancel.runId],
          ['b', cancel.runId],
        ]);
        stops.forEach((stop) => stop());
        await messaging.publish('kiln.run.cancel', runCancel(), { msgId: randomUUID() });
        await nc.flush();
        expect(heard).toHaveLength(2);
      } finally {
        await other.close();
      }
    });
  });

  describe('readStream', () => {
    const publishChunk = (runId: string, stepId: string, seq: number) =>
      messaging.publish('kiln.logs', logChunk(runId, stepId, seq), {
        msgId: `${runId}.${stepId}.${seq}`,
        suffix: `${runId}.${stepId}`,
      });
    const readerCount = async () => {
      const { jsm, names } = app.get(MessagingConnection);
      return (await jsm.streams.info(names.stream('KILN_LOGS'))).state.consumer_count;
    };

    it('replays a step from its first chunk, then follows live ones, and cleans up on break', async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      await publishChunk(runId, stepId, 0);
      await publishChunk(randomUUID(), randomUUID(), 0);
      await publishChunk(runId, stepId, 1);
      const seen: StreamEntry[] = [];
      for await (const entry of messaging.readStream(`kiln.logs.${runId}.${stepId}`)) {
        seen.push(entry);
        if (seen.length === 2) {
          expect(entry.pending).toBe(0);
          await publishChunk(runId, stepId, 2);
        }
        if (seen.length === 3) break;
      }
      expect(seen.map((e) => (e.data as { seq: number }).seq)).toEqual([0, 1, 2]);
      expect(seen[0].pending).toBe(1);
      await waitFor(async () => (await readerCount()) === 0, 5_000, 'reader consumer removed');
    });

    it('reads every stored message once and in order past a small prefetch, then live ones', async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      for (let seq = 0; seq < 25; seq++) await publishChunk(runId, stepId, seq);
      const seqs: number[] = [];
      for await (const entry of messaging.readStream(`kiln.logs.${runId}.${stepId}`, { prefetch: 2 })) {
        seqs.push((entry.data as { seq: number }).seq);
        if (seqs.length === 25) {
          expect(entry.pending).toBe(0);
          await publishChunk(runId, stepId, 25);
        }
        if (seqs.length === 26) break;
      }
      expect(seqs).toEqual(Array.from({ length: 26 }, (_, seq) => seq));
    });

    it('starts at fromSeq', async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      await publishChunk(runId, stepId, 0);
      const { seq } = await publishChunk(runId, stepId, 1);
      for await (const entry of messaging.readStream(`kiln.logs.${runId}.${stepId}`, { fromSeq: seq })) {
        expect(entry).toMatchObject({ seq, data: { seq: 1 }, pending: 0 });
        break;
      }
    });

    it("passes each payload through the reader's decode, skipping one it throws on", async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      const first = await publishChunk(runId, stepId, 0);
      await publishChunk(runId, stepId, 1);
      const third = await publishChunk(runId, stepId, 2);
      const decode = (data: Uint8Array) => {
        const chunk = decodeLogChunkBytes(data);
        if (chunk.seq === 1) throw new SyntaxError('refused');
        return chunk;
      };
      const read: { seq: number; data: unknown }[] = [];
      for await (const entry of messaging.readStream(`kiln.logs.${runId}.${stepId}`, { decode })) {
        read.push(entry);
        if (entry.pending === 0) break;
      }
      expect(read.map((entry) => entry.seq)).toEqual([first.seq, third.seq]);
      expect((read[1].data as { text: unknown }).text).toBeInstanceOf(Buffer);
    });

    it('ends while waiting for a live message when aborted, and removes its consumer', async () => {
      const controller = new AbortController();
      const reader = messaging.readStream(`kiln.logs.${randomUUID()}.${randomUUID()}`, {
        signal: controller.signal,
      });
      const iterator = reader[Symbol.asyncIterator]();
      const pending = iterator.next();
      await waitFor(async () => (await readerCount()) === 1, 5_000, 'reader consumer created');
      controller.abort();
      await expect(pending).resolves.toEqual({ done: true, value: undefined });
      await waitFor(async () => (await readerCount()) === 0, 5_000, 'reader consumer removed');
    });
  });

  describe('nextStored', () => {
    it("reads a subject's messages one request at a time, skipping other subjects, then answers null", async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      const subject = `kiln.logs.${runId}.${stepId}`;
      expect(await messaging.nextStored(subject)).toBeNull();
      const publish = (r: string, s: string, seq: number) =>
        messaging.publish('kiln.logs', logChunk(r, s, seq), {
          msgId: `${r}.${s}.${seq}`,
          suffix: `${r}.${s}`,
        });
      const first = await publish(runId, stepId, 0);
      await publish(randomUUID(), randomUUID(), 0);
      const second = await publish(runId, stepId, 1);
      const read: { seq: number; data: unknown }[] = [];
      for (
        let entry = await messaging.nextStored(subject);
        entry;
        entry = await messaging.nextStored(subject, entry.seq)
      )
        read.push(entry);
      expect(read).toEqual([
        { seq: first.seq, data: expect.objectContaining({ stepId, seq: 0 }) },
        { seq: second.seq, data: expect.objectContaining({ stepId, seq: 1 }) },
      ]);
    });

    it('passes the payload through the given decode', async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      const subject = `kiln.logs.${runId}.${stepId}`;
      await messaging.publish('kiln.logs', logChunk(runId, stepId, 0), {
        msgId: randomUUID(),
        suffix: `${runId}.${stepId}`,
      });
      const entry = await messaging.nextStored(subject, 0, decodeLogChunkBytes);
      expect((entry?.data as { text: unknown }).text).toEqual(Buffer.from(logChunk(runId, stepId, 0).text));
    });

    it('answers a message that cannot be decoded without its data', async () => {
      const [runId, stepId] = [randomUUID(), randomUUID()];
      const { js, names } = app.get(MessagingConnection);
      const ack = await js.publish(names.subject(`kiln.logs.${runId}.${stepId}`), 'not json');
      expect(await messaging.nextStored(`kiln.logs.${runId}.${stepId}`)).toEqual({
        seq: ack.seq,
        data: undefined,
      });
    });
  });

  describe('prefix isolation', () => {
    it('keeps messages of two prefixes apart', async () => {
      const otherPrefix = uniqueNatsPrefix();
      const other = await startMessagingApp({ prefix: otherPrefix });
      try {
        const heard: string[] = [];
        const stop = other
          .get(MessagingService)
          .subscribeBroadcast('kiln.run.cancel', (e) => void heard.push(e.runId));
        await other.get(MessagingConnection).nc.flush();
        await messaging.publish('kiln.run.cancel', runCancel(), { msgId: randomUUID() });
        const mine = runCancel();
        await other.get(MessagingService).publish('kiln.run.cancel', mine, { msgId: randomUUID() });
        await waitFor(() => heard.length === 1, 5_000, 'own message');
        expect(heard).toEqual([mine.runId]);
        stop();
        const { jsm, names } = other.get(MessagingConnection);
        const info = await jsm.streams.info(names.stream('KILN_EVENTS'));
        expect(info.state.messages).toBe(1);
      } finally {
        await other.close();
        await deletePrefixedStreams(otherPrefix);
      }
    });
  });

  it('answers readiness pings while connected', async () => {
    await expect(messaging.ping()).resolves.toBeUndefined();
    expect(messaging.isConnected()).toBe(true);
  });
});
