import type * as Swagger from '@nestjs/swagger';

/**
 * The @nestjs/swagger decorators the API uses, deferred: each application is recorded and made on
 * the real decorator when the OpenAPI document is first asked for (`applyApiDocs`), in the order
 * the classes made them. Loading @nestjs/swagger (with its lodash and js-yaml) at start cost the
 * gateway ~4 MiB of its RSS at rest for a document few ever read (bench/README.md, round seven).
 * Its metadata is read by SwaggerModule alone, so nothing else sees the difference.
 */
type DecoratorName =
  | 'ApiAcceptedResponse'
  | 'ApiBearerAuth'
  | 'ApiCreatedResponse'
  | 'ApiExtraModels'
  | 'ApiNoContentResponse'
  | 'ApiOkResponse'
  | 'ApiOperation'
  | 'ApiProduces'
  | 'ApiProperty'
  | 'ApiPropertyOptional'
  | 'ApiSecurity'
  | 'ApiTags';

interface Application {
  name: DecoratorName;
  args: unknown[];
  target: object;
  key?: string | symbol;
  descriptor?: PropertyDescriptor;
}

const applications: Application[] = [];

function deferred<N extends DecoratorName>(name: N): (typeof Swagger)[N] {
  const factory =
    (...args: unknown[]) =>
    (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
      applications.push({ name, args, target, key, descriptor });
    };
  return factory as unknown as (typeof Swagger)[N];
}

export const ApiAcceptedResponse = deferred('ApiAcceptedResponse');
export const ApiBearerAuth = deferred('ApiBearerAuth');
export const ApiCreatedResponse = deferred('ApiCreatedResponse');
export const ApiExtraModels = deferred('ApiExtraModels');
export const ApiNoContentResponse = deferred('ApiNoContentResponse');
export const ApiOkResponse = deferred('ApiOkResponse');
export const ApiOperation = deferred('ApiOperation');
export const ApiProduces = deferred('ApiProduces');
export const ApiProperty = deferred('ApiProperty');
export const ApiPropertyOptional = deferred('ApiPropertyOptional');
export const ApiSecurity = deferred('ApiSecurity');
export const ApiTags = deferred('ApiTags');

/** The `$ref` of a schema in the document, as @nestjs/swagger's getSchemaPath writes it. */
export function getSchemaPath(model: string | (new (...args: never[]) => unknown)): string {
  return `#/components/schemas/${typeof model === 'string' ? model : model.name}`;
}

/** Makes every recorded application on the real decorator; later ones (none after start) too. */
export function applyApiDocs(swagger: typeof Swagger): void {
  for (const { name, args, target, key, descriptor } of applications.splice(0)) {
    const decorator = (swagger[name] as (...a: unknown[]) => (...t: unknown[]) => unknown)(...args);
    decorator(target, key, descriptor);
  }
}
