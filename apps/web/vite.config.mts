import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The UI is plain static files the gateway serves at `/`: relative asset URLs, everything bundled
// (no CDN: the machines that install Kiln may be offline).
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // Only libs that run in a browser: the status vocabulary and the wire types the API and the UI share.
  resolve: {
    alias: {
      '@kiln/api-wire': resolve(import.meta.dirname, '../../libs/api-wire/src/index.ts'),
      '@kiln/engine': resolve(import.meta.dirname, '../../libs/engine/src/index.ts'),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 200,
  },
  server: {
    proxy: { '/api': process.env.KILN_SERVER ?? 'http://localhost:8080' },
  },
});
