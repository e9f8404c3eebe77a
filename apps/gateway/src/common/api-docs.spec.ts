import 'reflect-metadata';
import * as swagger from '@nestjs/swagger';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  applyApiDocs,
  getSchemaPath,
} from './api-docs';

/** Every metadata key and value Reflect holds on `target` (and on `key` of it). */
function metadata(target: object, key?: string): Record<string, unknown> {
  const keys =
    key === undefined ? Reflect.getOwnMetadataKeys(target) : Reflect.getOwnMetadataKeys(target, key);
  return Object.fromEntries(
    keys
      .filter((k) => String(k).startsWith('swagger/'))
      .map((k) => [
        k,
        key === undefined ? Reflect.getOwnMetadata(k, target) : Reflect.getOwnMetadata(k, target, key),
      ]),
  );
}

describe('deferred API docs decorators', () => {
  it('leave no swagger metadata until applied, then exactly what the real decorators leave', () => {
    class DeferredBody {
      @ApiProperty({ description: 'the name' }) name!: string;
      @ApiPropertyOptional({ enum: ['a', 'b'] }) kind?: string;
      @ApiProperty({ type: [Number] }) sizes!: number[];
    }
    @ApiTags('things')
    class DeferredController {
      @ApiOperation({ summary: 'Get a thing' })
      @ApiOkResponse({ type: DeferredBody })
      get(): void {}
    }
    class EagerBody {
      @swagger.ApiProperty({ description: 'the name' }) name!: string;
      @swagger.ApiPropertyOptional({ enum: ['a', 'b'] }) kind?: string;
      @swagger.ApiProperty({ type: [Number] }) sizes!: number[];
    }
    @swagger.ApiTags('things')
    class EagerController {
      @swagger.ApiOperation({ summary: 'Get a thing' })
      @swagger.ApiOkResponse({ type: DeferredBody })
      get(): void {}
    }

    expect(metadata(DeferredBody.prototype)).toEqual({});
    expect(metadata(DeferredController)).toEqual({});
    expect(metadata(DeferredController.prototype.get)).toEqual({});

    applyApiDocs(swagger);

    expect(metadata(DeferredBody.prototype)).toEqual(metadata(EagerBody.prototype));
    for (const key of ['name', 'kind', 'sizes']) {
      expect(metadata(DeferredBody.prototype, key)).toEqual(metadata(EagerBody.prototype, key));
    }
    expect(metadata(DeferredController)).toEqual(metadata(EagerController));
    expect(metadata(DeferredController.prototype.get)).toEqual(metadata(EagerController.prototype.get));
    expect(metadata(DeferredController.prototype.get)).not.toEqual({});
  });

  it('writes schema paths as @nestjs/swagger does', () => {
    class Thing {}
    expect(getSchemaPath(Thing)).toBe(swagger.getSchemaPath(Thing));
    expect(getSchemaPath('Other')).toBe(swagger.getSchemaPath('Other'));
  });
});
