import { registryHostProblem } from '@kiln/definition';
import { ApiProperty } from './api-docs';
import { IsUUID, Matches, MaxLength, ValidateBy } from 'class-validator';

// Route parameters as DTOs: a malformed id is a 400 naming the parameter, never a database error.
const uuid = (name: string) => IsUUID('all', { message: `${name} must be a UUID` });

export class IdParams {
  @ApiProperty({ format: 'uuid' }) @uuid('id') id!: string;
}

export class ProjectParams extends IdParams {}

export class PipelineParams extends ProjectParams {
  @ApiProperty({ format: 'uuid' }) @uuid('pid') pid!: string;
}

export class RunParams extends ProjectParams {
  @ApiProperty({ format: 'uuid' }) @uuid('rid') rid!: string;
}

export class StepParams extends RunParams {
  @ApiProperty({ format: 'uuid' }) @uuid('sid') sid!: string;
}

export class RunArtifactParams extends RunParams {
  @ApiProperty({ format: 'uuid' }) @uuid('aid') aid!: string;
}

export class ArtifactParams extends ProjectParams {
  @ApiProperty({ format: 'uuid' }) @uuid('aid') aid!: string;
}

export class MemberParams extends ProjectParams {
  @ApiProperty({ format: 'uuid' }) @uuid('user_id') user_id!: string;
}

export class WebhookParams extends ProjectParams {
  @ApiProperty({ format: 'uuid' }) @uuid('wid') wid!: string;
}

export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SecretParams extends ProjectParams {
  @ApiProperty({ example: 'NPM_TOKEN' })
  @MaxLength(128)
  @Matches(SECRET_NAME_PATTERN, {
    message: 'name must be letters, digits and "_", not starting with a digit',
  })
  name!: string;
}

export class RegistryParams extends ProjectParams {
  @ApiProperty({ example: 'registry.example.com:5000', description: 'registry host[:port], lowercase' })
  @ValidateBy({
    name: 'isRegistryHost',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !registryHostProblem(value),
      defaultMessage: (args) => `server ${registryHostProblem(String(args?.value))}`,
    },
  })
  server!: string;
}
