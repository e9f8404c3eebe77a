import { createPrismaClient, Prisma, PrismaClient } from '@kiln/db';
import { createTestDatabase, TestDatabase } from '@kiln/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { isUnstorableValue, storableText } from './unstorable-value';

describe('isUnstorableValue', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  const refusal = (write: Promise<unknown>) =>
    write.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('recognises a NUL byte in text and in JSON refused by PostgreSQL', async () => {
    const text = await refusal(
      prisma.user.create({ data: { name: 'a\u0000b', email: `${randomUUID()}@x` } }),
    );
    const json = await refusal(
      prisma.auditLog.create({ data: { action: 'a', targetType: 't', details: { a: 'x\u0000' } } }),
    );
    expect(isUnstorableValue(text)).toBe(true);
    expect(isUnstorableValue(json)).toBe(true);
  });

  it('leaves other failures to be retried', async () => {
    const email = `${randomUUID()}@x`;
    await prisma.user.create({ data: { name: 'a', email } });
    const clash = await refusal(prisma.user.create({ data: { name: 'b', email } }));
    expect(clash).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect(isUnstorableValue(clash)).toBe(false);
    expect(isUnstorableValue(new Error('connection reset'))).toBe(false);
  });

  it('judges errors of statements on the pg pool alike: a refused value, not a clash', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const nul = await refusal(client.query('SELECT $1::text', ['a\u0000b']));
      const email = `${randomUUID()}@x`;
      const insert = `INSERT INTO users (id, name, email) VALUES (gen_random_uuid(), 'a', $1)`;
      await client.query(insert, [email]);
      const clash = await refusal(client.query(insert, [email]));
      expect(isUnstorableValue(nul)).toBe(true);
      expect(clash).toMatchObject({ code: '23505' });
      expect(isUnstorableValue(clash)).toBe(false);
    } finally {
      await client.end();
    }
  });

  it('strips control characters from text it must store', () => {
    expect(storableText('main\u0000\u001b[2J')).toBe('main[2J');
    expect(storableText(undefined)).toBeUndefined();
  });
});
