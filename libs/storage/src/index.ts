export * from './object-storage';
export * from './storage.errors';
export * from './storage.config';
export * from './create-storage';
export * from './storage.module';
export { assertObjectKey, assertObjectPrefix, MAX_KEY_BYTES } from './object-key';
export { attachmentDisposition } from './content-disposition';
export { FsObjectStorage } from './fs.driver';
export { S3ObjectStorage, DEFAULT_PART_SIZE } from './s3.driver';
