import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStorage } from './fs.driver';
import { ObjectStorage } from './object-storage';
import { S3ObjectStorage } from './s3.driver';
import { OBJECT_STORAGE, StorageModule } from './storage.module';

const CONFIG = Symbol('CONFIG');

@Injectable()
class ArtifactWriter {
  constructor(@Inject(OBJECT_STORAGE) readonly storage: ObjectStorage) {}
}

@Module({ providers: [ArtifactWriter] })
class FeatureModule {}

describe('StorageModule', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-storage-module-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every module the configured storage', async () => {
    const app = await Test.createTestingModule({
      imports: [StorageModule.forRoot({ driver: 'fs', root: dir }), FeatureModule],
    }).compile();
    const { storage } = app.get(ArtifactWriter);
    expect(storage).toBeInstanceOf(FsObjectStorage);
    await storage.put('a/b.txt', 'hello');
    expect((await storage.get('a/b.txt')).toString()).toBe('hello');
    await app.close();
  });

  it('builds the storage from a config provider', async () => {
    @Module({ providers: [{ provide: CONFIG, useValue: { bucket: 'from-config' } }], exports: [CONFIG] })
    class ConfigModule {}
    const app = await Test.createTestingModule({
      imports: [
        StorageModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { bucket: string }) => ({
            driver: 's3',
            endPoint: '127.0.0.1',
            port: 9,
            useSSL: false,
            accessKey: 'k',
            secretKey: 's',
            bucket: config.bucket,
          }),
        }),
        FeatureModule,
      ],
    }).compile();
    expect(app.get(ArtifactWriter).storage).toBeInstanceOf(S3ObjectStorage);
    await app.close();
  });
});
