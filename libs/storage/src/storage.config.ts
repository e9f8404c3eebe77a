export interface FsStorageConfig {
  driver: 'fs';
  /** Folder holding the objects; created if missing. */
  root: string;
}

export interface S3StorageConfig {
  driver: 's3';
  /** Host name or IP, without scheme or port. */
  endPoint: string;
  port?: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  /** Created on first use if missing. */
  bucket: string;
  /** Default us-east-1. */
  region?: string;
  /** Bytes per multipart part and the largest single PUT: 5 MiB to 5 GiB, default 8 MiB. */
  partSize?: number;
  /** A connection to the server that carries no byte for this long is cut (default 60 s). */
  idleTimeoutMs?: number;
}

export type StorageConfig = FsStorageConfig | S3StorageConfig;
