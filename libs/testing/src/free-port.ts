export { freePort } from '@kiln/launcher';
