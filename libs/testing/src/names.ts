import { randomBytes } from 'node:crypto';

/** A NATS prefix no other test suite uses (subjects, streams and consumers get it). */
export function uniqueNatsPrefix(): string {
  return `t${randomBytes(5).toString('hex')}.`;
}
