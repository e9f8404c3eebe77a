export * from './messaging.module';
export * from './messaging.options';
export * from './messaging.service';
export * from './messaging.connection';
export * from './event-consumer.decorator';
export * from './poison-message.error';
export * from './dead-letter.publisher';
export type { ReadStreamOptions, StreamEntry } from './stream.reader';
export { StreamProvisioner } from './stream.provisioner';
