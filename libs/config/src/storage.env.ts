import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { join, resolve } from 'node:path';
import { ConfigError, EnvBoolean } from './load-config';

/** Object storage: a directory (embedded default) or an S3/MinIO bucket. */
export class StorageEnv {
  @IsIn(['fs', 's3']) KILN_STORAGE_DRIVER: 'fs' | 's3' = 'fs';
  @IsString() KILN_DATA_DIR: string = '.kiln';
  @IsOptional() @IsString() KILN_S3_ENDPOINT?: string;
  @IsOptional() @IsInt() @Min(1) @Max(65535) KILN_S3_PORT?: number;
  @EnvBoolean() KILN_S3_USE_SSL: boolean = true;
  @IsOptional() @IsString() KILN_S3_ACCESS_KEY?: string;
  @IsOptional() @IsString() KILN_S3_SECRET_KEY?: string;
  @IsString() KILN_S3_BUCKET: string = 'kiln';
  @IsString() KILN_S3_REGION: string = 'us-east-1';
}

export type StorageSettings =
  | { driver: 'fs'; root: string }
  | {
      driver: 's3';
      endPoint: string;
      port?: number;
      useSSL: boolean;
      accessKey: string;
      secretKey: string;
      bucket: string;
      region: string;
    };

/** The storage driver settings these variables describe; S3 needs its endpoint and keys. */
export function storageSettings(env: StorageEnv): StorageSettings {
  if (env.KILN_STORAGE_DRIVER === 'fs') return { driver: 'fs', root: join(resolve(env.KILN_DATA_DIR), 'objects') };
  const missing = (['KILN_S3_ENDPOINT', 'KILN_S3_ACCESS_KEY', 'KILN_S3_SECRET_KEY'] as const).filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((k) => `${k} (unset): required when KILN_STORAGE_DRIVER is s3`));
  }
  return {
    driver: 's3',
    endPoint: env.KILN_S3_ENDPOINT!,
    port: env.KILN_S3_PORT,
    useSSL: env.KILN_S3_USE_SSL,
    accessKey: env.KILN_S3_ACCESS_KEY!,
    secretKey: env.KILN_S3_SECRET_KEY!,
    bucket: env.KILN_S3_BUCKET,
    region: env.KILN_S3_REGION,
  };
}
