/**
 * Thrown by a consumer handler for a message that can never succeed (it refers to something
 * that will never exist, say): the message is dead-lettered at once instead of retried.
 */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}
