// A driver-adapter factory for Prisma 6's WASM schema engine (`engine: 'js'`), with
// the workarounds @prisma/adapter-pg 6.19.3 needs to introspect and use a shadow database.
const { randomBytes } = require('node:crypto');
const { URL } = require('node:url');
const pg = require('pg');
const Query = require('pg/lib/query');
const { PrismaPg } = require('@prisma/adapter-pg');

const PG_NAME = 19;
const PG_CHAR = 18;
const PG_TEXT = 25;

// The schema engine's catalog queries return `name` and `"char"` columns, which the
// adapter rejects as unsupported types (prisma/orm#27403); both are text on the wire.
const handleRowDescription = Query.prototype.handleRowDescription;
Query.prototype.handleRowDescription = function (msg) {
  for (const field of msg.fields) {
    if (field.dataTypeID === PG_NAME || field.dataTypeID === PG_CHAR) field.dataTypeID = PG_TEXT;
  }
  return handleRowDescription.call(this, msg);
};

/** Connection fields from a URL: with `connectionString` the adapter's shadow database would be the real one. */
function connectionFields(url) {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname) || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username) || 'postgres',
    password: decodeURIComponent(u.password) || undefined,
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
    // The CLI never disposes its adapter; idle connections would hold the process open for 10 s.
    allowExitOnIdle: true,
  };
}

/** The factory Prisma calls; its shadow database is created here and dropped after the pool closes. */
function createAdapterFactory(url) {
  const config = connectionFields(url);
  const factory = new PrismaPg(config);
  factory.connectToShadowDb = async () => {
    const name = `kiln_shadow_${randomBytes(6).toString('hex')}`;
    await adminQuery(config, `CREATE DATABASE "${name}"`);
    const adapter = await new PrismaPg({ ...config, database: name }).connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      // The adapter drops before closing its pool, which PostgreSQL refuses while connected.
      await dispose();
      await adminQuery(config, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    };
    return adapter;
  };
  return factory;
}

async function adminQuery(config, sql) {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

module.exports = { createAdapterFactory, connectionFields };
