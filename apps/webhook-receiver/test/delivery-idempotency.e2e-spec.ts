import { sha256Hex } from '@kiln/crypto';
import { MessagingService, StreamProvisioner } from '@kiln/messaging';
import request from 'supertest';
import { githubExample, HELLO_WORLD } from './github-examples';
import { githubHeaders, ReceiverHarness, startReceiverHarness } from './webhook-receiver.harness';

const push = githubExample('push', (p) => p.ref === 'refs/heads/master');
const body = JSON.stringify(push);

function deliver(url: string, secret: string, deliveryId: string | null, payload = body) {
  return request(url)
    .post('/webhooks/github')
    .set(githubHeaders('push', payload, secret, deliveryId))
    .send(payload);
}

describe('delivery idempotency', () => {
  let h: ReceiverHarness;

  beforeAll(async () => {
    h = await startReceiverHarness({}, 2);
  });
  afterAll(() => h.close());

  // A repository-file pipeline's run is not named in the answer: its requests are found by the delivery.
  const runRequestsOf = async (deliveryRecordId: string) =>
    (await h.runRequests()).filter((r) => r.deliveryId === deliveryRecordId);

  it("answers a replay with the first delivery's outcome and requests no second run", async () => {
    const project = await h.createProject(HELLO_WORLD);

    const first = await deliver(h.url, project.secret, 'replayed-delivery');
    const replay = await deliver(h.url, project.secret, 'replayed-delivery');

    expect(first.status).toBe(202);
    expect(first.body.replayed).toBe(false);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ ...first.body, replayed: true });
    expect(await runRequestsOf(first.body.delivery_record_id)).toHaveLength(1);
    expect(await h.prisma.webhookDelivery.count({ where: { deliveryId: 'replayed-delivery' } })).toBe(1);
  });

  it('gives a replayed ignored delivery the same ignored answer', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const deletion = JSON.stringify({ ...push, deleted: true, after: '0'.repeat(40) });

    const first = await deliver(h.url, project.secret, 'replayed-deletion', deletion);
    const replay = await deliver(h.url, project.secret, 'replayed-deletion', deletion);

    expect(first.body.status).toBe('ignored');
    expect(replay.body).toEqual({ ...first.body, replayed: true });
  });

  it('starts one run when two replicas receive the same delivery at the same instant', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const [a, b] = h.urls;

    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        deliver(i % 2 === 0 ? a : b, project.secret, 'simultaneous-delivery'),
      ),
    );

    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(202));
    expect(answers.filter((r) => !r.body.replayed)).toHaveLength(1);
    const records = new Set(answers.map((r) => r.body.delivery_record_id));
    expect(records.size).toBe(1);
    expect(await runRequestsOf([...records][0])).toHaveLength(1);
    expect(await h.prisma.webhookDelivery.count({ where: { deliveryId: 'simultaneous-delivery' } })).toBe(1);
  });

  it('claims a burst of deliveries, each sent three times to both replicas at once, exactly once each', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const ids = Array.from({ length: 60 }, (_, i) => `burst-${i}-${project.id}`);
    // A push each: one body under several ids would be a replay.
    const bodies = ids.map((_, i) => JSON.stringify({ ...push, after: (i + 1).toString(16).padStart(40, 'a') }));
    // Interleaved so that copies of one id land in the same claim batch and in the other replica's.
    const sends = [0, 1, 2].flatMap((copy) => ids.map((id, i) => ({ id, i, url: h.urls[(i + copy) % 2] })));

    const answers = await Promise.all(sends.map(({ id, i, url }) => deliver(url, project.secret, id, bodies[i])));

    expect(answers.map((r) => r.status)).toEqual(Array(sends.length).fill(202));
    for (const id of ids) {
      const forId = answers.filter((_, i) => sends[i].id === id).map((r) => r.body);
      expect(forId.filter((b) => !b.replayed)).toHaveLength(1);
      expect(forId.map((b) => b.delivery_id)).toEqual([id, id, id]);
      expect(new Set(forId.map((b) => b.delivery_record_id)).size).toBe(1);
    }
    const records = new Set(answers.map((r) => r.body.delivery_record_id));
    expect(records.size).toBe(ids.length);
    const requested = (await h.runRequests()).filter((r) => records.has(r.deliveryId));
    expect(requested).toHaveLength(ids.length);
    expect(await h.prisma.webhookDelivery.count({ where: { deliveryId: { in: ids } } })).toBe(ids.length);
  });

  it('keys a delivery without an id by the sha256 of its body', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const other = JSON.stringify({ ...push, after: 'a'.repeat(40) });

    const first = await deliver(h.url, project.secret, null);
    const again = await deliver(h.urls[1], project.secret, null);
    const different = await deliver(h.url, project.secret, null, other);

    const row = await h.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: first.body.delivery_record_id } });
    expect(row.deliveryId).toBe(sha256Hex(body));
    expect(first.body.delivery_id).toBe(sha256Hex(body));
    expect(again.body).toEqual({ ...first.body, replayed: true });
    expect(different.body.replayed).toBe(false);
    expect(different.body.delivery_record_id).not.toBe(first.body.delivery_record_id);
  });

  it('answers the same signed body under a new delivery id as a replay of the first and requests no second run', async () => {
    const project = await h.createProject(HELLO_WORLD);

    const first = await deliver(h.url, project.secret, `original-${project.id}`);
    const resent = await deliver(h.urls[1], project.secret, `forged-${project.id}`);

    expect(first.body).toMatchObject({ status: 'accepted', replayed: false });
    expect(resent.status).toBe(202);
    expect(resent.body).toEqual({ ...first.body, replayed: true });
    expect(await runRequestsOf(first.body.delivery_record_id)).toHaveLength(1);
    expect(await h.prisma.webhookDelivery.count({ where: { projectId: project.id } })).toBe(1);
  });
});

describe('a delivery whose run request cannot be queued', () => {
  let h: ReceiverHarness;

  beforeAll(async () => {
    h = await startReceiverHarness({ KILN_WEBHOOK_PUBLISH_TIMEOUT_MS: '500' });
  });
  afterAll(() => h.close());

  it('answers 503, and the provider retry queues the same run once', async () => {
    const project = await h.createProject(HELLO_WORLD);
    const messaging = h.apps[0].get(MessagingService);
    const stream = `${h.config.KILN_NATS_PREFIX.replace(/\./g, '_')}KILN_EVENTS`;
    await messaging.jsm.streams.delete(stream);

    const failed = await deliver(h.url, project.secret, 'delivery-during-outage');
    await h.apps[0].get(StreamProvisioner).ensureAll();
    const retried = await deliver(h.url, project.secret, 'delivery-during-outage');
    const again = await deliver(h.url, project.secret, 'delivery-during-outage');

    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the run requests could not be queued; deliver the webhook again',
    });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'accepted', replayed: true });
    expect(again.body).toEqual(retried.body);
    const requests = await h.runRequests();
    expect(requests.filter((r) => r.deliveryId === retried.body.delivery_record_id)).toHaveLength(1);
  });
});
