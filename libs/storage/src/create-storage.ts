import { FsObjectStorage } from './fs.driver';
import { ObjectStorage } from './object-storage';
import { S3ObjectStorage } from './s3.driver';
import { StorageConfig } from './storage.config';

/** The driver `config` names. No I/O happens until the first call. */
export function createStorage(config: StorageConfig): ObjectStorage {
  switch (config.driver) {
    case 'fs':
      return new FsObjectStorage(config.root);
    case 's3':
      return new S3ObjectStorage(config);
    default:
      throw new Error(`unknown storage driver ${JSON.stringify((config as { driver?: unknown }).driver)}`);
  }
}
