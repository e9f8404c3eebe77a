// Prisma 6 configuration used by diff.js: the WASM schema engine through a driver
// adapter, since the native engine cannot be downloaded. diff.js sets the variables.
const path = require('node:path');
const { defineConfig } = require('prisma/config');
const { createAdapterFactory } = require('./adapter');

module.exports = defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: process.env.KILN_DIFF_SCHEMA,
  migrations: { path: path.join(__dirname, '../../prisma/migrations') },
  adapter: async () => createAdapterFactory(process.env.DATABASE_URL),
});
