export { startEmbeddedPostgres } from '@kiln/launcher';
export type { RunningPostgres } from '@kiln/launcher';
